package server

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/store"
)

// metrics implements ingest.Metrics with Prometheus collectors.
type metrics struct {
	reg        *prometheus.Registry
	batches    *prometheus.CounterVec
	latency    prometheus.Histogram
	accepted   prometheus.Counter
	duplicates prometheus.Counter
	rejected   *prometheus.CounterVec
	inFlight   prometheus.Gauge
}

var _ ingest.Metrics = (*metrics)(nil)

func newMetrics(st store.Store) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rastro_batches_total", Help: "Batches answered at POST /v1/batch, by HTTP status.",
		}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rastro_batch_duration_seconds",
			Help:    "Time to answer POST /v1/batch, durable store included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rastro_events_accepted_total", Help: "Events stored for the first time.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rastro_events_duplicate_total", Help: "Events whose id was already stored (retries).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rastro_events_rejected_total", Help: "Events refused for bad input, by the field at fault (\"\" = malformed).",
		}, []string{"field"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rastro_inflight_bytes", Help: "Body bytes of the batches being handled.",
		}),
	}
	stat := func(f func(store.Stats) int64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			s, err := st.Stats(ctx)
			if err != nil {
				return -1
			}
			return float64(f(s))
		}
	}
	m.reg.MustRegister(m.batches, m.latency, m.accepted, m.duplicates, m.rejected, m.inFlight,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rastro_store_traces", Help: "Traces in the store."},
			stat(func(s store.Stats) int64 { return s.Traces })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rastro_store_bytes", Help: "Bytes the store takes on disk."},
			stat(func(s store.Stats) int64 { return s.Bytes })),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// statusLabels avoids formatting the status on every request.
var statusLabels = map[int]string{}

func init() {
	for _, c := range []int{200, 204, 400, 401, 403, 405, 413, 415, 429, 500, 503} {
		statusLabels[c] = strconv.Itoa(c)
	}
}

func (m *metrics) Batch(status int, d time.Duration) {
	l, ok := statusLabels[status]
	if !ok {
		l = strconv.Itoa(status)
	}
	m.batches.WithLabelValues(l).Inc()
	m.latency.Observe(d.Seconds())
}

func (m *metrics) Events(accepted, duplicates int) {
	m.accepted.Add(float64(accepted))
	m.duplicates.Add(float64(duplicates))
}

func (m *metrics) Rejected(field string) {
	// Prop names are free-form: keep the label's cardinality bounded.
	if len(field) > 6 && field[:6] == "props." {
		field = "props"
	}
	m.rejected.WithLabelValues(field).Inc()
}

func (m *metrics) InFlight(bytes int64) { m.inFlight.Set(float64(bytes)) }
