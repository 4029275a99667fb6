package plugin

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Host's Prometheus collectors:
//
//	rastro_plugin_calls_total{plugin,result}  calls by result (ok, refused, trap, timeout, bad_output, canceled)
//	rastro_plugin_call_seconds{plugin}        time per call, waiting for an instance included
type metrics struct {
	calls   *prometheus.CounterVec
	seconds *prometheus.HistogramVec
}

func newMetrics() *metrics {
	return &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rastro_plugin_calls_total",
			Help: "Calls to WebAssembly plugins, by plugin and result (ok, refused, trap, timeout, bad_output, canceled).",
		}, []string{"plugin", "result"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rastro_plugin_call_seconds",
			Help:    "Time per call to a WebAssembly plugin.",
			Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, .01, .025, .05, .1, .25, 1},
		}, []string{"plugin"}),
	}
}

// pluginMetrics are one plugin's series, looked up once.
type pluginMetrics struct {
	calls   map[string]prometheus.Counter
	seconds prometheus.Observer
}

// add resolves p's series, so that they show (at zero) before any call.
func (m *metrics) add(p *Plugin) {
	pm := &pluginMetrics{calls: make(map[string]prometheus.Counter, len(results)),
		seconds: m.seconds.WithLabelValues(p.cfg.Name)}
	for _, r := range results {
		pm.calls[r] = m.calls.WithLabelValues(p.cfg.Name, r)
	}
	p.stats = pm
}

func (pm *pluginMetrics) observe(result string, d time.Duration) {
	pm.calls[result].Inc()
	pm.seconds.Observe(d.Seconds())
}

// Describe implements prometheus.Collector.
func (h *Host) Describe(ch chan<- *prometheus.Desc) {
	h.metrics.calls.Describe(ch)
	h.metrics.seconds.Describe(ch)
}

// Collect implements prometheus.Collector.
func (h *Host) Collect(ch chan<- prometheus.Metric) {
	h.metrics.calls.Collect(ch)
	h.metrics.seconds.Collect(ch)
}

var _ prometheus.Collector = (*Host)(nil)
