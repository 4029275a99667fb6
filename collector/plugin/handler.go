package plugin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Pattern is the route of the source endpoint, for http.ServeMux.
const Pattern = "POST /v1/sources/{plugin}"

// HandlerConfig configures a Handler. Host, Keys and Appender are
// required.
type HandlerConfig struct {
	// Host holds the source plugins.
	Host *Host
	// Keys are the collector's write keys.
	Keys *ingest.Keys
	// Appender stores the traces.
	Appender store.Appender
	// Limits bound bodies (MaxBatchBytes), records per body
	// (MaxBatchEvents) and events, as for POST /v1/batch; zero fields
	// take wire's defaults (512 KiB, 500).
	Limits wire.Limits
	// Budget is the in-flight memory bound shared with the collector's
	// other handlers. Defaults to a budget of 64 MiB of its own.
	Budget *ingest.Budget
	// Logger logs store failures. Defaults to slog.Default().
	Logger *slog.Logger

	now func() time.Time // tests
}

// Response is the body of a 200 answer: what became of the records.
type Response struct {
	// Records counts the records in the body.
	Records int `json:"records"`
	// Accepted counts the events stored for the first time.
	Accepted int `json:"accepted"`
	// Duplicates counts the events whose id was already stored.
	Duplicates int `json:"duplicates"`
	// Rejected lists the records the plugin refused or failed on (with
	// an empty id and field), and the events it made that were invalid
	// (with their id and field); index is the record's.
	Rejected []wire.Rejection `json:"rejected"`
}

// Handler serves POST /v1/sources/{plugin}. It is safe for concurrent
// use.
type Handler struct {
	cfg    HandlerConfig
	limits wire.Limits
	budget *ingest.Budget
	now    func() time.Time
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler for cfg.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Host == nil || cfg.Keys == nil || cfg.Appender == nil {
		return nil, errors.New("plugin: HandlerConfig.Host, Keys and Appender are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, limits: cfg.Limits.WithDefaults(), budget: cfg.Budget, now: time.Now}
	if h.budget == nil {
		h.budget = ingest.NewBudget(64 << 20)
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

// ServeHTTP feeds the body's records to the plugin named in the path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, e := h.serve(r)
	if e != nil {
		ingest.WriteErr(w, e)
		return
	}
	body, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func (h *Handler) serve(r *http.Request) (*Response, *ingest.Error) {
	if r.Method != http.MethodPost {
		return nil, fail(http.StatusMethodNotAllowed, "use POST")
	}
	now := h.now()
	tok := ingest.Token(r)
	if tok == "" {
		return nil, fail(http.StatusUnauthorized, "missing write key: send Authorization: Bearer <key> or ?key=<key>")
	}
	key, ok := h.cfg.Keys.Lookup(tok)
	if !ok {
		return nil, fail(http.StatusUnauthorized, "unknown write key")
	}
	if o := r.Header.Get("Origin"); o != "" && !key.AllowsOrigin(o) {
		return nil, fail(http.StatusForbidden, "origin not allowed for this write key")
	}
	if wait, ok := key.Admit(now); !ok {
		return nil, throttled(http.StatusTooManyRequests, "write key over its rate limit", wait)
	}
	name := r.PathValue("plugin")
	p, ok := h.cfg.Host.Source(name)
	if !ok {
		return nil, fail(http.StatusNotFound, "no source plugin named "+strconv.Quote(name))
	}
	body, release, e := ingest.ReadBody(r, h.limits.MaxBatchBytes, h.budget, "empty body: send one record, or one record per line with Content-Type: application/x-ndjson")
	if e != nil {
		return nil, e
	}
	defer release()
	records := []record{{data: body}}
	if isNDJSON(r.Header.Get("Content-Type")) {
		records = splitLines(body)
	}
	if len(records) == 0 {
		return nil, fail(http.StatusBadRequest, "no record: the body has only blank lines")
	}
	if len(records) > h.limits.MaxBatchEvents {
		return nil, fail(http.StatusRequestEntityTooLarge, "body has "+strconv.Itoa(len(records))+
			" records, over the limit of "+strconv.Itoa(h.limits.MaxBatchEvents)+": split it")
	}
	return h.feed(r.Context(), p, key, records, now)
}

// feed runs each record through the plugin, judges and normalizes its
// events, and stores them in batches of at most MaxBatchEvents traces.
func (h *Handler) feed(ctx context.Context, p *Plugin, key ingest.Key, records []record, now time.Time) (*Response, *ingest.Error) {
	resp := &Response{Records: len(records), Rejected: []wire.Rejection{}}
	meta := normalize.Batch{Source: key.Name(), ReceivedAt: now, Origin: p.Origin()}
	traces := make([]trace.Trace, 0, min(len(records), h.limits.MaxBatchEvents))
	flush := func() *ingest.Error {
		if len(traces) == 0 {
			return nil
		}
		if wait, ok := key.Take(now, len(traces)); !ok {
			return throttled(http.StatusTooManyRequests, "write key over its rate limit", wait)
		}
		inserted, err := h.cfg.Appender.Append(ctx, traces)
		if errors.Is(err, store.ErrBackpressure) {
			return throttled(http.StatusServiceUnavailable, "a sink is behind, retry later", 5*time.Second)
		}
		if err != nil {
			if ctx.Err() == nil {
				h.cfg.Logger.Error("plugin source: store failed", "plugin", p.Name(), "err", err, "events", len(traces))
			}
			return throttled(http.StatusServiceUnavailable, "store unavailable, retry", time.Second)
		}
		for _, ok := range inserted {
			if ok {
				resp.Accepted++
			} else {
				resp.Duplicates++
			}
		}
		traces = traces[:0]
		return nil
	}
	var events []wire.Event
	for _, rec := range records {
		var err error
		events, err = p.TransformAppend(ctx, rec.data, events[:0])
		if err != nil {
			if ctx.Err() != nil {
				return nil, throttled(http.StatusServiceUnavailable, "request canceled", time.Second)
			}
			resp.Rejected = append(resp.Rejected, wire.Rejection{Index: rec.index, Error: err.Error()})
			continue
		}
		for j := range events {
			ev := &events[j]
			if ev.ID == "" {
				ev.ID = hashID(p.Name(), rec.data, j)
			}
			if err := ev.Check(&h.limits, now); err != nil {
				rej := wire.Rejection{Index: rec.index, ID: ev.ID, Error: err.Error()}
				var fe *wire.FieldError
				if errors.As(err, &fe) {
					rej.Field, rej.Error = fe.Field, fe.Reason
				}
				resp.Rejected = append(resp.Rejected, rej)
				continue
			}
			traces = append(traces, trace.Trace{})
			normalize.Event(ev, &meta, &traces[len(traces)-1])
			if len(traces) == h.limits.MaxBatchEvents {
				if e := flush(); e != nil {
					return nil, e
				}
			}
		}
	}
	if e := flush(); e != nil {
		return nil, e
	}
	return resp, nil
}

// hashID is the id of an event its plugin left without one: a stable hash
// of the plugin, the record and the event's place in it, so that the same
// record posted again is deduped.
func hashID(plugin string, record []byte, i int) string {
	h := sha256.New()
	h.Write([]byte("plugin\x00" + plugin + "\x00"))
	h.Write(record)
	h.Write([]byte("\x00" + strconv.Itoa(i)))
	var sum [sha256.Size]byte
	return "plg-" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// record is one record of a body and its index: its line, counted from
// 0, for NDJSON.
type record struct {
	index int
	data  []byte
}

// isNDJSON reports whether a Content-Type says one record per line.
func isNDJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return true
	}
	return false
}

// splitLines returns the non-blank lines of body.
func splitLines(body []byte) []record {
	var recs []record
	for i := 0; len(body) > 0; i++ {
		line, rest, _ := bytes.Cut(body, []byte("\n"))
		body = rest
		if line = bytes.TrimSpace(line); len(line) > 0 {
			recs = append(recs, record{index: i, data: line})
		}
	}
	return recs
}
