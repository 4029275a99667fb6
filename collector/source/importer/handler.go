package importer

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Path is where the collector serves imports.
const Path = "/v1/import"

// HandlerConfig configures a Handler. Keys and Appender are required.
type HandlerConfig struct {
	// Keys are the collector's write keys; an import needs one.
	Keys *ingest.Keys
	// Appender stores the traces. Required.
	Appender store.Appender
	// Limits bound each trace; zero fields take wire's defaults.
	Limits wire.Limits
	// MaxBodyBytes bounds one import body, uncompressed. Defaults to 1 GiB.
	MaxBodyBytes int64
	// MaxConcurrent bounds the imports running at once; another is
	// answered 503 with Retry-After. Defaults to 2.
	MaxConcurrent int
}

// Handler serves POST /v1/import?source=NAME&format=csv|ndjson with the
// mapping in col.FIELD=COLUMN, set.FIELD=VALUE and time_layout parameters.
type Handler struct {
	cfg HandlerConfig
	sem chan struct{}
}

// NewHandler returns a Handler for cfg.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Keys == nil || cfg.Appender == nil {
		return nil, errors.New("importer: HandlerConfig.Keys and Appender are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 30
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 2
	}
	return &Handler{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

func fail(status int, msg string) *ingest.Error { return &ingest.Error{Status: status, Message: msg} }

// ServeHTTP streams the body into the store and answers with the Result.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, e := h.serve(r)
	if e != nil {
		ingest.WriteErr(w, e)
		return
	}
	if res.Errors == nil {
		res.Errors = []RowError{}
	}
	body, _ := json.Marshal(res)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (h *Handler) serve(r *http.Request) (*Result, *ingest.Error) {
	if r.Method != http.MethodPost {
		return nil, fail(http.StatusMethodNotAllowed, "use POST")
	}
	tok := ingest.Token(r)
	if tok == "" {
		return nil, fail(http.StatusUnauthorized, "missing write key: send Authorization: Bearer <key>")
	}
	key, ok := h.cfg.Keys.Lookup(tok)
	if !ok {
		return nil, fail(http.StatusUnauthorized, "unknown write key")
	}
	if o := r.Header.Get("Origin"); o != "" && !key.AllowsOrigin(o) {
		return nil, fail(http.StatusForbidden, "origin not allowed for this write key")
	}
	q := r.URL.Query()
	mp, err := QueryMapping(q)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	source := q.Get("source")
	if source == "" {
		return nil, fail(http.StatusBadRequest, "source is required: ?source=NAME")
	}
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	default:
		return nil, &ingest.Error{Status: http.StatusServiceUnavailable, Message: "too many imports running", RetryAfter: 5 * time.Second}
	}
	var body io.Reader = r.Body
	switch strings.ToLower(r.Header.Get("Content-Encoding")) {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fail(http.StatusBadRequest, "body is not valid gzip")
		}
		body = zr
	default:
		return nil, fail(http.StatusUnsupportedMediaType, "unsupported Content-Encoding: send gzip or none")
	}
	lr := &limitReader{r: body, left: h.cfg.MaxBodyBytes}
	// The key's rate limit paces the import rather than failing it halfway.
	app := store.AppenderFunc(func(ctx context.Context, ts []trace.Trace) ([]bool, error) {
		for {
			wait, ok := key.Take(time.Now(), len(ts))
			if ok {
				break
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return h.cfg.Appender.Append(ctx, ts)
	})
	res, err := Import(r.Context(), lr, Config{Source: source, Mapping: mp, Appender: app, Limits: h.cfg.Limits})
	switch {
	case lr.over:
		return nil, fail(http.StatusRequestEntityTooLarge, "body over the limit of "+strconv.FormatInt(h.cfg.MaxBodyBytes, 10)+
			" bytes: split the file (rows already stored stay; importing again is idempotent)")
	case err != nil && strings.Contains(err.Error(), "importer: store"):
		return nil, &ingest.Error{Status: http.StatusServiceUnavailable, Message: "store unavailable, retry (importing again is idempotent)", RetryAfter: time.Second}
	case err != nil:
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	return &res, nil
}

// QueryMapping reads a mapping from URL parameters: preset (see Presets),
// format, time_layout, col.FIELD=COLUMN and set.FIELD=VALUE.
func QueryMapping(q map[string][]string) (Mapping, error) {
	mp := Mapping{Columns: map[string]string{}, Defaults: map[string]string{}}
	if vs := q["preset"]; len(vs) > 0 {
		p, err := Preset(vs[len(vs)-1])
		if err != nil {
			return Mapping{}, err
		}
		mp = p
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch {
		case k == "format":
			mp.Format = Format(v)
		case k == "time_layout":
			mp.TimeLayout = v
		case strings.HasPrefix(k, "col."):
			mp.Columns[k[4:]] = v
		case strings.HasPrefix(k, "set."):
			mp.Defaults[k[4:]] = v
		}
	}
	return mp, mp.Validate()
}

type limitReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
			return 0, errors.New("body too large")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
