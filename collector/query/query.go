package query

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailru/easyjson/jwriter"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Handler serves the read endpoints from a store.
type Handler struct {
	store store.Store
	mux   *http.ServeMux
	now   func() time.Time
}

// New returns a Handler reading from s.
func New(s store.Store) *Handler {
	h := &Handler{store: s, mux: http.NewServeMux(), now: time.Now}
	h.mux.HandleFunc("GET /v1/traces", h.traces)
	h.mux.HandleFunc("GET /v1/traces/export", h.export)
	h.mux.HandleFunc("GET /v1/summary", h.summary)
	return h
}

// ServeHTTP routes to the read endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// paramError names a bad query parameter.
type paramError struct{ name, reason string }

func (e *paramError) Error() string { return "query parameter " + e.name + ": " + e.reason }

// ParseFilter reads a store.Filter from query parameters.
func ParseFilter(q url.Values, now time.Time) (store.Filter, error) {
	var f store.Filter
	var err error
	if f.From, err = parseTime(q, "from", now); err != nil {
		return f, err
	}
	if f.To, err = parseTime(q, "to", now); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, &paramError{"to", "must be after from"}
	}
	f.Touchpoint = q.Get("touchpoint")
	f.Journey = q.Get("journey")
	f.UserID = q.Get("user")
	f.AgentID = q.Get("agent")
	if c := q.Get("channel"); c != "" {
		f.Channel = wire.Channel(c)
		if !f.Channel.Valid() {
			return f, &paramError{"channel", fmt.Sprintf("unknown channel %q", c)}
		}
	}
	if k := q.Get("kind"); k != "" {
		f.Kind = wire.Kind(k)
		if !f.Kind.Valid() {
			return f, &paramError{"kind", fmt.Sprintf("unknown kind %q", k)}
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return f, &paramError{"limit", "must be a whole number from 1 to 1000"}
		}
		f.Limit = n
	}
	f.Cursor = q.Get("cursor")
	return f, nil
}

func parseTime(q url.Values, name string, now time.Time) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(v, "-")); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, &paramError{name, fmt.Sprintf("%q is not an RFC 3339 time, a date (2006-01-02) or a duration such as 24h", v)}
}

func (h *Handler) filter(w http.ResponseWriter, r *http.Request) (store.Filter, bool) {
	f, err := ParseFilter(r.URL.Query(), h.now())
	if err != nil {
		ingest.WriteError(w, http.StatusBadRequest, err.Error())
		return f, false
	}
	return f, true
}

func (h *Handler) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrBadCursor):
		ingest.WriteError(w, http.StatusBadRequest, "query parameter cursor: not a cursor of this collector")
	case errors.Is(err, store.ErrClosed):
		ingest.WriteError(w, http.StatusServiceUnavailable, "collector shutting down")
	default:
		ingest.WriteError(w, http.StatusInternalServerError, "store: "+err.Error())
	}
}

func (h *Handler) traces(w http.ResponseWriter, r *http.Request) {
	f, ok := h.filter(w, r)
	if !ok {
		return
	}
	page, err := h.store.Query(r.Context(), f)
	if err != nil {
		h.storeError(w, err)
		return
	}
	var jw jwriter.Writer
	jw.RawString(`{"traces":[`)
	for i := range page.Traces {
		if i > 0 {
			jw.RawByte(',')
		}
		page.Traces[i].MarshalEasyJSON(&jw)
	}
	jw.RawString(`],"next":`)
	jw.String(page.Next)
	jw.RawByte('}')
	w.Header().Set("Content-Type", "application/json")
	_, _ = jw.DumpTo(w)
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	f, ok := h.filter(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	bw := bufio.NewWriterSize(w, 64<<10)
	started := false
	err := h.store.Scan(r.Context(), f, func(t *trace.Trace) error {
		started = true
		var jw jwriter.Writer
		t.MarshalEasyJSON(&jw)
		jw.RawByte('\n')
		_, err := jw.DumpTo(bw)
		return err
	})
	if err != nil && !started {
		h.storeError(w, err)
		return
	}
	// Once lines are out the status is sent; a failure can only cut the
	// stream short, which a reader sees as a missing final newline.
	_ = bw.Flush()
}

func (h *Handler) summary(w http.ResponseWriter, r *http.Request) {
	f, ok := h.filter(w, r)
	if !ok {
		return
	}
	g := store.GroupBy(r.URL.Query().Get("group_by"))
	if g == "" {
		g = store.ByTouchpoint
	}
	if !g.Valid() {
		ingest.WriteError(w, http.StatusBadRequest, fmt.Sprintf("query parameter group_by: %q is not one of touchpoint, channel, journey, agent, kind, day", g))
		return
	}
	groups, err := h.store.Summary(r.Context(), store.SummaryQuery{GroupBy: g, Filter: f})
	if err != nil {
		h.storeError(w, err)
		return
	}
	if groups == nil {
		groups = []store.Group{}
	}
	writeJSON(w, summaryResponse{GroupBy: string(g), Groups: groups})
}

type summaryResponse struct {
	GroupBy string        `json:"group_by"`
	Groups  []store.Group `json:"groups"`
}
