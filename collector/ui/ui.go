package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/insights"
	"github.com/rastrohq/rastro/collector/store"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.New("dashboard.html").Funcs(template.FuncMap{
	"num": func(prec int, v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.*f", prec, *v)
	},
	"quadrant":  quadrantName,
	"when":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	"label":     label,
	"sparkline": sparkline,
	"chart":     lineChart,
	"scatter":   scatter,
	"scoreline": scoreLine,
	"add1":      func(i int) int { return i + 1 },
	"buckets":   func() []string { return []string{"hour", "day", "week"} },
}).ParseFS(assets, "assets/dashboard.html"))

// Config configures the dashboard.
type Config struct {
	// Store is read for every number shown. Required.
	Store store.Store
	// Alerter shows the alert rules' state; nil shows none.
	Alerter *insights.Alerter
	// Comments is how many of the latest negative comments to show.
	// Defaults to 10.
	Comments int
	// Logout shows a sign-out button posting to /ui/logout, for
	// collectors where the dashboard needs a sign-in. Defaults to false.
	Logout bool
}

// Handler serves the dashboard at /ui and its stylesheet at
// /ui/style.css. Mount it under both "/ui" and "/ui/".
func Handler(cfg Config) http.Handler {
	if cfg.Comments <= 0 {
		cfg.Comments = 10
	}
	h := &handler{cfg: cfg, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui", h.dashboard)
	mux.HandleFunc("GET /ui/{$}", h.dashboard)
	mux.HandleFunc("GET /ui/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		http.ServeFileFS(w, r, assets, "assets/style.css")
	})
	return mux
}

type handler struct {
	cfg Config
	now func() time.Time
}

// view is what the template renders.
type view struct {
	Query     url.Values
	Bucket    insights.Bucket
	Trends    *insights.Trends
	Alignment *insights.Alignment
	Comments  []insights.Comment
	Alerts    []insights.RuleState
	User      string
	Journey   *insights.Journey
	Error     string
	Logout    bool
}

func (h *handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := r.URL.Query()
	// The dashboard reads the same parameters as the API: the trend
	// filters, bucket, and user for the journey lookup.
	tq, err := insights.ParseTrendsQuery(v, h.now())
	if err != nil {
		h.fail(w, err)
		return
	}
	if tq.Bucket == "" {
		tq.Bucket = insights.Day
	}
	vw := view{Query: v, Bucket: tq.Bucket, User: v.Get("user"), Alerts: h.cfg.Alerter.State(), Logout: h.cfg.Logout}
	// The journey's user is not a filter of the overview.
	tq.Filter.UserID = ""
	if vw.Trends, err = insights.ComputeTrends(ctx, h.cfg.Store, tq); err != nil {
		h.fail(w, err)
		return
	}
	aq := insights.AlignmentQuery{Filter: tq.Filter, Period: insights.Week}
	if vw.Alignment, err = insights.ComputeAlignment(ctx, h.cfg.Store, aq); err != nil {
		h.fail(w, err)
		return
	}
	if vw.Comments, err = insights.NegativeComments(ctx, h.cfg.Store, tq.Filter, h.cfg.Comments); err != nil {
		h.fail(w, err)
		return
	}
	if vw.User != "" {
		if vw.Journey, err = insights.ComputeJourney(ctx, h.cfg.Store, insights.JourneyQuery{UserID: vw.User}); err != nil {
			h.fail(w, err)
			return
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, &vw); err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "ui: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = buf.WriteTo(w)
}

func (h *handler) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, insights.ErrBadParam):
		ingest.WriteError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrClosed):
		ingest.WriteError(w, http.StatusServiceUnavailable, "collector shutting down")
	default:
		ingest.WriteError(w, http.StatusInternalServerError, err.Error())
	}
}
