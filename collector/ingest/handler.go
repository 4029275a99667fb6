package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailru/easyjson/jwriter"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Config configures a Handler. Only Keys and Appender are required.
type Config struct {
	// Keys are the write keys. Required.
	Keys *Keys
	// Appender stores the traces. Required.
	Appender store.Appender
	// Limits bound batches and events; zero fields take wire's defaults
	// (512 KiB and 500 events per batch, 4 KiB of text).
	Limits wire.Limits
	// MaxEventBytes bounds the JSON of one event. Defaults to 16 KiB.
	MaxEventBytes int
	// MaxInFlightBytes bounds the memory of all batches being handled at
	// once, reckoned as MemoryPerBodyByte times their uncompressed body
	// bytes (the most a batch may be when its length is not known in
	// advance, as with gzip); a batch that does not fit is answered 503
	// with Retry-After rather than letting memory grow. Defaults to 64 MiB.
	// Ignored when Budget is set.
	MaxInFlightBytes int64
	// Budget, when set, is the in-flight bound shared with other handlers.
	Budget *Budget
	// Metrics receives counts; nil counts nothing.
	Metrics Metrics
	// Logger logs store failures. Defaults to slog.Default().
	Logger *slog.Logger

	now func() time.Time // tests
}

// Metrics is what the handler reports. The collector implements it with
// Prometheus counters.
type Metrics interface {
	// Batch records one answered request: its status and duration.
	Batch(status int, d time.Duration)
	// Events records the outcome of a 200 answer's events.
	Events(accepted, duplicates int)
	// Rejected records one event refused for its field.
	Rejected(field string)
	// InFlight reports the body bytes being handled.
	InFlight(bytes int64)
}

// MemoryPerBodyByte is how many bytes of memory handling one byte of a
// batch body takes at its peak: the body, the decoded events, their
// traces and the encoded rows on their way to the store. Reckoned for a
// 500-event batch of 165 KB: the events take ~150 KB, their strings ~100
// KB, the traces ~200 KB, the store's rows ~450 KB.
const MemoryPerBodyByte = 7

// gzipRatio is how many times a gzipped batch is reckoned to inflate:
// feedback batches compress about 13:1 (RATIONALE.md). A body that
// inflates further is still cut at MaxBatchBytes.
const gzipRatio = 20

// Handler serves POST /v1/batch. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	limits wire.Limits
	budget *Budget
	now    func() time.Time
}

// New returns a Handler for cfg.
func New(cfg Config) (*Handler, error) {
	if cfg.Keys == nil {
		return nil, errors.New("ingest: Config.Keys is required")
	}
	if cfg.Appender == nil {
		return nil, errors.New("ingest: Config.Appender is required")
	}
	if cfg.MaxEventBytes <= 0 {
		cfg.MaxEventBytes = 16 << 10
	}
	if cfg.MaxInFlightBytes <= 0 {
		cfg.MaxInFlightBytes = 64 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, limits: cfg.Limits.WithDefaults(), now: time.Now, budget: cfg.Budget}
	if h.budget == nil {
		h.budget = NewBudget(cfg.MaxInFlightBytes)
	}
	if cfg.now != nil {
		h.now = cfg.now
	}
	return h, nil
}

// Limits returns the limits the handler enforces.
func (h *Handler) Limits() wire.Limits { return h.limits }

// Error is an answer other than 200: the status, a message that says what
// is wrong, and for 429/503 how long the client should wait.
type Error struct {
	Status     int
	Message    string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

func fail(status int, msg string) *Error { return &Error{Status: status, Message: msg} }

// The statuses of wire protocol v1, in one place.
var (
	errMethod     = fail(http.StatusMethodNotAllowed, "use POST")
	errNoKey      = fail(http.StatusUnauthorized, "missing write key: send Authorization: Bearer <key> or ?key=<key>")
	errUnknownKey = fail(http.StatusUnauthorized, "unknown write key")
	errOrigin     = fail(http.StatusForbidden, "origin not allowed for this write key")
	errEncoding   = fail(http.StatusUnsupportedMediaType, "unsupported Content-Encoding: send gzip or none")
	errGzip       = fail(http.StatusBadRequest, "body is not valid gzip")
	errEmpty      = fail(http.StatusBadRequest, "empty body: send a JSON batch")
)

// bodyEncoding reports whether r's body is gzip-compressed, or the 415 for
// an encoding other than gzip or none.
func bodyEncoding(r *http.Request) (gz bool, e *Error) {
	switch strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))) {
	case "", "identity":
		return false, nil
	case "gzip", "x-gzip":
		return true, nil
	}
	return false, errEncoding
}

func tooLarge(limit int) *Error {
	return fail(http.StatusRequestEntityTooLarge, "body over the limit of "+strconv.Itoa(limit)+" bytes (uncompressed): split the batch")
}

func throttled(status int, msg string, wait time.Duration) *Error {
	wait = max(wait, time.Second) // Retry-After counts whole seconds
	return &Error{Status: status, Message: msg, RetryAfter: wait}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var gzPool sync.Pool // *gzip.Reader

type work struct {
	batch  wire.Batch
	traces []trace.Trace
}

var workPool = sync.Pool{New: func() any { return new(work) }}

// ServeHTTP answers POST /v1/batch and its CORS preflight.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	if r.Method == http.MethodOptions {
		h.preflight(w, r)
		return
	}
	resp, herr := h.serve(w, r, start)
	status := http.StatusOK
	if herr != nil {
		status = herr.Status
		writeError(w, herr)
	} else {
		writeResponse(w, resp)
	}
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Batch(status, h.now().Sub(start))
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, now time.Time) (*wire.Response, *Error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		return nil, errMethod
	}
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		token = r.URL.Query().Get("key")
	}
	if token == "" {
		return nil, errNoKey
	}
	k := h.cfg.Keys.lookup(token)
	if k == nil {
		return nil, errUnknownKey
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if !k.allows(origin) {
			return nil, errOrigin
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		w.Header().Add("Vary", "Origin")
	}
	// Refuse cheaply, before reading a byte, while the key is over its rate.
	if wait, ok := k.admit(now); !ok {
		return nil, throttled(http.StatusTooManyRequests, "write key over its rate limit", wait)
	}
	gz, e := bodyEncoding(r)
	if e != nil {
		return nil, e
	}

	// Bound the memory of all batches in flight. A body of unknown length
	// is charged the most a batch may be.
	max := h.limits.MaxBatchBytes
	if r.ContentLength > int64(max) && !gz {
		return nil, tooLarge(max)
	}
	charge := Charge(r.ContentLength, gz, max)
	if !h.budget.Acquire(charge) {
		return nil, throttled(http.StatusServiceUnavailable, "collector overloaded", time.Second)
	}
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.InFlight(h.budget.Used())
	}
	defer h.release(charge)

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 2*max {
			bufPool.Put(buf)
		}
	}()
	if err := h.readBody(buf, r.Body, gz); err != nil {
		return nil, err
	}
	wk := workPool.Get().(*work)
	defer func() {
		clear(wk.batch.Events)
		clear(wk.traces)
		wk.batch.Events, wk.traces = wk.batch.Events[:0], wk.traces[:0]
		workPool.Put(wk)
	}()
	resp := &wire.Response{Rejected: []wire.Rejection{}}
	// One pass over a well-formed body; a malformed event sends the batch
	// down the slow path, which judges each event on its own.
	if err := wire.DecodeBatchInto(buf.Bytes(), &wk.batch); err == nil {
		if n := len(wk.batch.Events); n > h.limits.MaxBatchEvents {
			return nil, tooManyEvents(n, h.limits.MaxBatchEvents)
		}
		meta := normalize.Batch{Source: k.Name, SentAt: wk.batch.SentAt, ReceivedAt: now}
		for i := range wk.batch.Events {
			h.judge(resp, wk, i, &wk.batch.Events[i], &meta, now, nil)
		}
	} else {
		batch, err := wire.DecodeBatch(buf.Bytes())
		if err != nil {
			return nil, fail(http.StatusBadRequest, strings.TrimPrefix(err.Error(), "wire: "))
		}
		if n := len(batch.Events); n > h.limits.MaxBatchEvents {
			return nil, tooManyEvents(n, h.limits.MaxBatchEvents)
		}
		meta := normalize.Batch{Source: k.Name, SentAt: batch.SentAt, ReceivedAt: now}
		wk.batch.Events = grow(wk.batch.Events, len(batch.Events))
		for i, raw := range batch.Events {
			ev := &wk.batch.Events[i]
			if err := wire.DecodeEvent(raw, ev); err != nil {
				h.reject(resp, i, peekID(raw), "", "malformed event: not a JSON object of wire protocol v1 fields")
				continue
			}
			h.judge(resp, wk, i, ev, &meta, now, raw)
		}
	}
	if len(wk.traces) == 0 {
		return resp, nil
	}
	if wait, ok := k.take(now, len(wk.traces)); !ok {
		return nil, throttled(http.StatusTooManyRequests, "write key over its rate limit", wait)
	}
	inserted, err := h.cfg.Appender.Append(r.Context(), wk.traces)
	if errors.Is(err, store.ErrBackpressure) {
		return nil, throttled(http.StatusServiceUnavailable, "a sink is behind, retry later", 5*time.Second)
	}
	if err != nil {
		if r.Context().Err() == nil && !errors.Is(err, context.Canceled) {
			h.cfg.Logger.Error("ingest: store failed", "err", err, "events", len(wk.traces))
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
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Events(resp.Accepted, resp.Duplicates)
	}
	return resp, nil
}

// judge validates event i and, when it is good, normalizes it into the
// next trace. raw is its JSON when known; otherwise its size is estimated
// by re-encoding only when it might be over the limit.
func (h *Handler) judge(resp *wire.Response, wk *work, i int, ev *wire.Event, meta *normalize.Batch, now time.Time, raw []byte) {
	if size := eventSize(ev, raw); size > h.cfg.MaxEventBytes {
		h.reject(resp, i, ev.ID, "", "event is "+strconv.Itoa(size)+" bytes, over the limit of "+strconv.Itoa(h.cfg.MaxEventBytes))
		return
	}
	if err := ev.Check(&h.limits, now); err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) {
			h.reject(resp, i, ev.ID, fe.Field, fe.Reason)
		} else {
			h.reject(resp, i, ev.ID, "", err.Error())
		}
		return
	}
	wk.traces = append(wk.traces, trace.Trace{})
	normalize.Event(ev, meta, &wk.traces[len(wk.traces)-1])
}

// eventSize is the JSON size of an event: len(raw) when known, else the
// sum of its field lengths, which is close enough to enforce a limit that
// stands well above any valid event.
func eventSize(ev *wire.Event, raw []byte) int {
	if raw != nil {
		return len(raw)
	}
	n := len(ev.ID) + len(ev.Kind) + len(ev.Touchpoint) + len(ev.Channel) + len(ev.Journey) + len(ev.AnonymousID) +
		len(ev.UserID) + len(ev.SessionID) + len(ev.InteractionID) + len(ev.AgentID) + len(ev.Emoji) + len(ev.Text) +
		len(ev.Target) + len(ev.Lang)
	if c := ev.Context; c != nil {
		n += len(c.URL) + len(c.Referrer) + len(c.UserAgent) + len(c.AppVersion)
	}
	for k, v := range ev.Props {
		n += len(k) + len(v)
	}
	return n
}

func tooManyEvents(n, max int) *Error {
	return fail(http.StatusRequestEntityTooLarge, "batch has "+strconv.Itoa(n)+" events, over the limit of "+
		strconv.Itoa(max)+": split the batch")
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (h *Handler) release(n int64) {
	h.budget.Release(n)
	v := h.budget.Used()
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.InFlight(v)
	}
}

func (h *Handler) reject(resp *wire.Response, i int, id, field, reason string) {
	resp.Rejected = append(resp.Rejected, wire.Rejection{Index: i, ID: id, Field: field, Error: reason})
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Rejected(field)
	}
}

// readBody reads the (possibly gzipped) body into buf, at most
// MaxBatchBytes uncompressed.
func (h *Handler) readBody(buf *bytes.Buffer, body io.Reader, gz bool) *Error {
	max := h.limits.MaxBatchBytes
	// A compressed body can be no larger than what it inflates to, for
	// JSON; reading at most max+1 raw bytes bounds the work either way.
	src := io.LimitReader(body, int64(max)+1)
	if gz {
		zr, _ := gzPool.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(src)
		} else {
			err = zr.Reset(src)
		}
		if err != nil {
			return errGzip
		}
		defer gzPool.Put(zr)
		n, err := buf.ReadFrom(io.LimitReader(zr, int64(max)+1))
		if err != nil {
			return errGzip
		}
		if n > int64(max) {
			return tooLarge(max)
		}
	} else {
		n, err := buf.ReadFrom(src)
		if err != nil {
			return fail(http.StatusBadRequest, "reading body: "+err.Error())
		}
		if n > int64(max) {
			return tooLarge(max)
		}
	}
	if buf.Len() == 0 {
		return errEmpty
	}
	return nil
}

// peekID finds the id of an event that did not decode, so a rejection can
// name it; it is best effort.
func peekID(raw []byte) string {
	i := bytes.Index(raw, []byte(`"id"`))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(raw[i+4:], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return ""
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 || end > 64 {
		return ""
	}
	return string(rest[1 : 1+end])
}

func bearer(h string) string {
	const p = "Bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	allowed := false
	if origin != "" {
		if token := r.URL.Query().Get("key"); token != "" {
			k := h.cfg.Keys.lookup(token)
			allowed = k != nil && k.allows(origin)
		} else {
			allowed = h.cfg.Keys.anyAllows(origin)
		}
	}
	w.Header().Add("Vary", "Origin")
	if !allowed {
		writeError(w, errOrigin)
		return
	}
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Origin", origin)
	hdr.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding")
	hdr.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func writeResponse(w http.ResponseWriter, resp *wire.Response) {
	var jw jwriter.Writer
	resp.MarshalEasyJSON(&jw)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(jw.Size()))
	w.WriteHeader(http.StatusOK)
	_, _ = jw.DumpTo(w)
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	WriteError(w, e.Status, e.Message)
}

// WriteError writes a JSON error body {"error": msg} with status.
func WriteError(w http.ResponseWriter, status int, msg string) {
	var jw jwriter.Writer
	(&wire.ErrorBody{Error: msg}).MarshalEasyJSON(&jw)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = jw.DumpTo(w)
}
