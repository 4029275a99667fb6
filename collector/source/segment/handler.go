package segment

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Paths the Handler answers; a Segment SDK pointed at
// http://collector/segment posts to the first.
const (
	BatchPath = "/segment/v1/batch"
	TrackPath = "/segment/v1/track"
)

// Config configures a Handler. Keys and Appender are required.
type Config struct {
	// Keys are the collector's write keys. Required.
	Keys *ingest.Keys
	// Appender stores the traces. Required.
	Appender store.Appender
	// Limits bound bodies and events, as for POST /v1/batch; zero fields
	// take wire's defaults (512 KiB and 500 calls per batch).
	Limits wire.Limits
	// MaxInFlightBytes bounds the memory of all bodies being handled at
	// once (ingest.MemoryPerBodyByte per body byte); a body that does not
	// fit is answered 503 with Retry-After. Defaults to 64 MiB.
	MaxInFlightBytes int64
	// Budget, when set, is the in-flight bound shared with the collector's
	// other handlers; MaxInFlightBytes is then ignored.
	Budget *ingest.Budget
	// Logger logs store failures. Defaults to slog.Default().
	Logger *slog.Logger

	now func() time.Time // tests
}

// Response is the body of a 200 answer: Segment's {"success": true} with
// what happened to each call.
type Response struct {
	Success bool `json:"success"`
	// Accepted counts feedback calls stored for the first time.
	Accepted int `json:"accepted"`
	// Duplicates counts feedback calls whose messageId was already stored.
	Duplicates int `json:"duplicates"`
	// Ignored counts calls that carry no feedback: identify, page, screen,
	// group, alias, and track calls without a feedback property.
	Ignored int `json:"ignored"`
	// Rejected lists the feedback calls refused, by index in the batch.
	Rejected []wire.Rejection `json:"rejected"`
}

// Handler serves the Segment-compatible endpoints. It is safe for
// concurrent use.
type Handler struct {
	cfg    Config
	limits wire.Limits
	budget *ingest.Budget
	now    func() time.Time
}

// New returns a Handler for cfg.
func New(cfg Config) (*Handler, error) {
	if cfg.Keys == nil {
		return nil, errors.New("segment: Config.Keys is required")
	}
	if cfg.Appender == nil {
		return nil, errors.New("segment: Config.Appender is required")
	}
	if cfg.MaxInFlightBytes <= 0 {
		cfg.MaxInFlightBytes = 64 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, limits: cfg.Limits.WithDefaults(), now: time.Now, budget: cfg.Budget}
	if h.budget == nil {
		h.budget = ingest.NewBudget(cfg.MaxInFlightBytes)
	}
	if cfg.now != nil {
		h.now = cfg.now
	}
	return h, nil
}

func fail(status int, msg string) *ingest.Error { return &ingest.Error{Status: status, Message: msg} }

func throttled(status int, msg string, wait time.Duration) *ingest.Error {
	return &ingest.Error{Status: status, Message: msg, RetryAfter: max(wait, time.Second)}
}

// ServeHTTP answers POST /segment/v1/batch, POST /segment/v1/track and
// their CORS preflights.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		h.preflight(w, r)
		return
	}
	resp, err := h.serve(w, r)
	if err != nil {
		ingest.WriteErr(w, err)
		return
	}
	body, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// token reads the write key the way Segment's SDKs send it: HTTP Basic
// with the key as user name (analytics-go, analytics.js), else Bearer or
// ?key=.
func token(r *http.Request) string {
	if user, _, ok := r.BasicAuth(); ok && user != "" {
		return user
	}
	return ingest.Token(r)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (*Response, *ingest.Error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		return nil, fail(http.StatusMethodNotAllowed, "use POST")
	}
	single := strings.HasSuffix(r.URL.Path, "/track")
	now := h.now()
	tok := token(r)
	var key ingest.Key
	if tok != "" {
		var ok bool
		if key, ok = h.cfg.Keys.Lookup(tok); !ok {
			return nil, fail(http.StatusUnauthorized, "unknown write key")
		}
		if e := h.admit(w, r, key, now); e != nil {
			return nil, e
		}
	}
	body, release, e := ingest.ReadBody(r, h.limits.MaxBatchBytes, h.budget, "empty body: send a Segment batch")
	if e != nil {
		return nil, e
	}
	defer release()

	var calls []json.RawMessage
	var sentAt, bodyKey string
	if single {
		calls = []json.RawMessage{body}
		var m struct {
			SentAt   string `json:"sentAt"`
			WriteKey string `json:"writeKey"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fail(http.StatusBadRequest, "not a Segment call: "+err.Error())
		}
		sentAt, bodyKey = m.SentAt, m.WriteKey
	} else {
		b, err := DecodeBatch(body)
		if err != nil {
			return nil, fail(http.StatusBadRequest, err.Error())
		}
		calls, sentAt, bodyKey = b.Batch, b.SentAt, b.WriteKey
	}
	if tok == "" { // analytics.js beacons carry the key in the body
		if bodyKey == "" {
			return nil, fail(http.StatusUnauthorized, "missing write key: send HTTP Basic with the key as user name, or Authorization: Bearer <key>")
		}
		var ok bool
		if key, ok = h.cfg.Keys.Lookup(bodyKey); !ok {
			return nil, fail(http.StatusUnauthorized, "unknown write key")
		}
		if e := h.admit(w, r, key, now); e != nil {
			return nil, e
		}
	}
	if len(calls) > h.limits.MaxBatchEvents {
		return nil, fail(http.StatusRequestEntityTooLarge, "batch has "+strconv.Itoa(len(calls))+
			" calls, over the limit of "+strconv.Itoa(h.limits.MaxBatchEvents)+": split the batch")
	}

	resp := &Response{Success: true, Rejected: []wire.Rejection{}}
	traces := make([]trace.Trace, 0, len(calls))
	batchSent := parseTime(sentAt)
	var m Message
	var ev wire.Event
	for i, raw := range calls {
		if err := DecodeMessage(raw, &m); err != nil {
			resp.Rejected = append(resp.Rejected, wire.Rejection{Index: i, Error: "malformed call: not a JSON object of the Segment tracking spec"})
			continue
		}
		feedback, err := Event(&m, &ev, h.limits)
		if err == nil && feedback {
			err = ev.Check(&h.limits, now)
		}
		if err != nil {
			rej := wire.Rejection{Index: i, ID: string(m.MessageID), Error: err.Error()}
			var fe *wire.FieldError
			if errors.As(err, &fe) {
				rej.Field, rej.Error = fe.Field, fe.Reason
			}
			resp.Rejected = append(resp.Rejected, rej)
			continue
		}
		if !feedback {
			resp.Ignored++
			continue
		}
		meta := normalize.Batch{Source: key.Name(), SentAt: batchSent, ReceivedAt: now, Origin: trace.OriginSegment}
		if t := parseTime(m.SentAt); !t.IsZero() {
			meta.SentAt = t
		}
		traces = append(traces, trace.Trace{})
		normalize.Event(&ev, &meta, &traces[len(traces)-1])
	}
	if len(traces) == 0 {
		return resp, nil
	}
	if wait, ok := key.Take(now, len(traces)); !ok {
		return nil, throttled(http.StatusTooManyRequests, "write key over its rate limit", wait)
	}
	inserted, err := h.cfg.Appender.Append(r.Context(), traces)
	if errors.Is(err, store.ErrBackpressure) {
		return nil, throttled(http.StatusServiceUnavailable, "a sink is behind, retry later", 5*time.Second)
	}
	if err != nil {
		if r.Context().Err() == nil && !errors.Is(err, context.Canceled) {
			h.cfg.Logger.Error("segment: store failed", "err", err, "events", len(traces))
		}
		return nil, throttled(http.StatusServiceUnavailable, "store unavailable, retry", time.Second)
	}
	for _, ok := range inserted {
		if ok {
			resp.Accepted++
		} else {
			resp.Duplicates++
		}
	}
	return resp, nil
}

// admit checks the key's origin and rate before the body is judged.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, key ingest.Key, now time.Time) *ingest.Error {
	if origin := r.Header.Get("Origin"); origin != "" {
		if !key.AllowsOrigin(origin) {
			return fail(http.StatusForbidden, "origin not allowed for this write key")
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		w.Header().Add("Vary", "Origin")
	}
	if wait, ok := key.Admit(now); !ok {
		return throttled(http.StatusTooManyRequests, "write key over its rate limit", wait)
	}
	return nil
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if origin == "" || !h.cfg.Keys.AllowsOrigin(origin) {
		ingest.WriteErr(w, fail(http.StatusForbidden, "origin not allowed for this write key"))
		return
	}
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Origin", origin)
	hdr.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding")
	hdr.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
