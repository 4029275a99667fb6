package insights

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/query"
	"github.com/rastrohq/rastro/collector/store"
)

// Handler serves the insights endpoints:
//
//	GET /v1/insights/trends      ComputeTrends
//	GET /v1/insights/alignment   ComputeAlignment
//	GET /v1/insights/journey     ComputeJourney
//	GET /v1/insights/alerts      the Alerter's state
type Handler struct {
	store   store.Store
	alerter *Alerter
	mux     *http.ServeMux
	now     func() time.Time
}

// NewHandler returns a Handler reading from st; alerter may be nil (no
// rules).
func NewHandler(st store.Store, alerter *Alerter) *Handler {
	h := &Handler{store: st, alerter: alerter, mux: http.NewServeMux(), now: time.Now}
	h.mux.HandleFunc("GET /v1/insights/trends", h.trends)
	h.mux.HandleFunc("GET /v1/insights/alignment", h.alignment)
	h.mux.HandleFunc("GET /v1/insights/journey", h.journey)
	h.mux.HandleFunc("GET /v1/insights/alerts", h.alerts)
	h.mux.HandleFunc("/v1/insights/", func(w http.ResponseWriter, r *http.Request) {
		ingest.WriteError(w, http.StatusNotFound, "no such insight: "+r.URL.Path+" (trends, alignment, journey, alerts)")
	})
	return h
}

// ServeHTTP routes to the insights endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ParseTrendsQuery reads a TrendsQuery from query parameters: the filters of
// query.ParseFilter, by and bucket.
func ParseTrendsQuery(v url.Values, now time.Time) (TrendsQuery, error) {
	f, err := parseFilter(v, now)
	if err != nil {
		return TrendsQuery{}, err
	}
	q := TrendsQuery{Filter: f, By: store.GroupBy(v.Get("by")), Bucket: Bucket(v.Get("bucket"))}
	switch q.By {
	case "", store.ByTouchpoint, store.ByChannel, store.ByJourney:
	default:
		return q, &ParamError{Name: "by", Reason: fmt.Sprintf("%q is not one of touchpoint, channel, journey", q.By)}
	}
	if q.Bucket != "" && !q.Bucket.Valid() {
		return q, &ParamError{Name: "bucket", Reason: fmt.Sprintf("%q is not one of hour, day, week", q.Bucket)}
	}
	return q, nil
}

// ParseAlignmentQuery reads an AlignmentQuery from query parameters: the
// filters of query.ParseFilter, qa_threshold, customer_threshold (0 to 1)
// and period.
func ParseAlignmentQuery(v url.Values, now time.Time) (AlignmentQuery, error) {
	f, err := parseFilter(v, now)
	if err != nil {
		return AlignmentQuery{}, err
	}
	q := AlignmentQuery{Filter: f, Period: Bucket(v.Get("period"))}
	for _, p := range []struct {
		name string
		dst  *float64
	}{{"qa_threshold", &q.QAThreshold}, {"customer_threshold", &q.CustomerThreshold}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || x <= 0 || x > 1 {
			return q, &ParamError{Name: p.name, Reason: fmt.Sprintf("%q is not a number above 0 and at most 1", s)}
		}
		*p.dst = x
	}
	if q.Period != "" && !q.Period.Valid() {
		return q, &ParamError{Name: "period", Reason: fmt.Sprintf("%q is not one of hour, day, week", q.Period)}
	}
	return q, nil
}

// ParseJourneyQuery reads a JourneyQuery from query parameters: user or
// anonymous, and the filters of query.ParseFilter.
func ParseJourneyQuery(v url.Values, now time.Time) (JourneyQuery, error) {
	f, err := parseFilter(v, now)
	if err != nil {
		return JourneyQuery{}, err
	}
	q := JourneyQuery{Filter: f, UserID: v.Get("user"), AnonymousID: v.Get("anonymous")}
	switch {
	case q.UserID == "" && q.AnonymousID == "":
		return q, &ParamError{Name: "user", Reason: "required: a user id (or anonymous=<anonymous id>)"}
	case q.UserID != "" && q.AnonymousID != "":
		return q, &ParamError{Name: "anonymous", Reason: "give user or anonymous, not both"}
	}
	return q, nil
}

func (h *Handler) trends(w http.ResponseWriter, r *http.Request) {
	q, err := ParseTrendsQuery(r.URL.Query(), h.now())
	if err != nil {
		h.fail(w, err)
		return
	}
	t, err := ComputeTrends(r.Context(), h.store, q)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, t)
}

func (h *Handler) alignment(w http.ResponseWriter, r *http.Request) {
	q, err := ParseAlignmentQuery(r.URL.Query(), h.now())
	if err != nil {
		h.fail(w, err)
		return
	}
	a, err := ComputeAlignment(r.Context(), h.store, q)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, a)
}

func (h *Handler) journey(w http.ResponseWriter, r *http.Request) {
	q, err := ParseJourneyQuery(r.URL.Query(), h.now())
	if err != nil {
		h.fail(w, err)
		return
	}
	j, err := ComputeJourney(r.Context(), h.store, q)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, j)
}

func (h *Handler) alerts(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, struct {
		Rules []RuleState `json:"rules"`
	}{h.alerter.State()})
}

// fail maps an error to its status: 400 for a bad parameter, 503 for a
// closed store, 500 otherwise.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrBadParam):
		ingest.WriteError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrClosed):
		ingest.WriteError(w, http.StatusServiceUnavailable, "collector shutting down")
	default:
		ingest.WriteError(w, http.StatusInternalServerError, err.Error())
	}
}

// filterError is an error of query.ParseFilter, which names the parameter
// it found bad; it is an ErrBadParam.
type filterError struct{ err error }

func (e *filterError) Error() string   { return e.err.Error() }
func (e *filterError) Unwrap() []error { return []error{ErrBadParam, e.err} }

func parseFilter(v url.Values, now time.Time) (store.Filter, error) {
	f, err := query.ParseFilter(v, now)
	if err != nil {
		return f, &filterError{err}
	}
	return f, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
