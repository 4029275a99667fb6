package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rastrohq/rastro/collector/store"
)

// ForwarderConfig tunes a Forwarder. The zero value is a good default.
type ForwarderConfig struct {
	// Batch bounds the entries claimed, published and marked done
	// together. Defaults to 500.
	Batch int
	// Lease is how long a claimed batch stays leased to this forwarder:
	// when it crashes, another claimer (or this one after a restart)
	// takes the batch again once the lease has ended. It must exceed
	// PublishTimeout. Defaults to 1m.
	Lease time.Duration
	// PublishTimeout bounds one Publish call. Defaults to 30s, or half of
	// Lease when that is shorter.
	PublishTimeout time.Duration
	// Poll is how often an idle forwarder looks for new entries when no
	// Kick tells it of them (traces appended by another collector sharing
	// the store, entries whose lease ended). Defaults to 250ms.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed attempts,
	// which grows exponentially, with jitter, from MinBackoff to
	// MaxBackoff. The forwarder never gives up while it runs. They
	// default to 100ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives the failures, at most one line per LogEvery while
	// they go on, and one line on recovery. Defaults to slog.Default().
	Logger *slog.Logger
	// LogEvery is the least time between two failure lines. Defaults to
	// 1m.
	LogEvery time.Duration
}

func (c ForwarderConfig) withDefaults() (ForwarderConfig, error) {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"Batch", int64(c.Batch)},
		{"Lease", int64(c.Lease)},
		{"PublishTimeout", int64(c.PublishTimeout)},
		{"Poll", int64(c.Poll)},
		{"MinBackoff", int64(c.MinBackoff)},
		{"MaxBackoff", int64(c.MaxBackoff)},
		{"LogEvery", int64(c.LogEvery)},
	} {
		if f.v < 0 {
			return c, fmt.Errorf("sink: ForwarderConfig.%s: %d is negative", f.name, f.v)
		}
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Batch == 0 {
		c.Batch = 500
	}
	def(&c.Lease, time.Minute)
	// A short lease set alone brings the publish bound down with it.
	def(&c.PublishTimeout, min(30*time.Second, c.Lease/2))
	def(&c.Poll, 250*time.Millisecond)
	def(&c.MinBackoff, 100*time.Millisecond)
	def(&c.MaxBackoff, 30*time.Second)
	def(&c.LogEvery, time.Minute)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PublishTimeout >= c.Lease {
		return c, fmt.Errorf("sink: ForwarderConfig.PublishTimeout (%v) must be shorter than Lease (%v)", c.PublishTimeout, c.Lease)
	}
	if c.MinBackoff > c.MaxBackoff {
		return c, fmt.Errorf("sink: ForwarderConfig.MinBackoff (%v) exceeds MaxBackoff (%v)", c.MinBackoff, c.MaxBackoff)
	}
	return c, nil
}

// Forwarder drains the outbox queue of one sink into it: it claims a
// batch, publishes it, and marks it done once the sink has acknowledged
// every entry, retrying failures with exponential backoff. Delivery is at
// least once: a batch that failed, or whose Done failed, is published
// again. It is a prometheus.Collector of its own metrics.
type Forwarder struct {
	ob   store.Outbox
	sink Sink
	cfg  ForwarderConfig
	kick chan struct{}

	running sync.Mutex      // held by Run; guards batch and acked
	batch   []store.Pending // claimed, not yet done
	acked   bool            // batch was acknowledged by the sink

	published prometheus.Counter
	failures  prometheus.Counter
	seconds   prometheus.Histogram
	last      prometheus.Gauge
	backlog   *prometheus.Desc

	// now is the clock; tests replace it.
	now func() time.Time
}

var _ prometheus.Collector = (*Forwarder)(nil)

// NewForwarder returns a forwarder of the entries of ob queued for s,
// named s.Name(). Start it with Run.
func NewForwarder(ob store.Outbox, s Sink, cfg ForwarderConfig) (*Forwarder, error) {
	if ob == nil || s == nil {
		return nil, errors.New("sink: NewForwarder needs an outbox and a sink")
	}
	if s.Name() == "" {
		return nil, errors.New("sink: the sink has no name")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	labels := prometheus.Labels{"sink": s.Name()}
	return &Forwarder{
		ob:   ob,
		sink: s,
		cfg:  cfg,
		kick: make(chan struct{}, 1),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rastro_sink_published_total", ConstLabels: labels,
			Help: "Traces the sink acknowledged (retried batches count again).",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rastro_sink_failures_total", ConstLabels: labels,
			Help: "Failed attempts to forward a batch: outbox claim, publish or done.",
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rastro_sink_publish_seconds", ConstLabels: labels,
			Help:    "Time to publish one batch and have it acknowledged, failures included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rastro_sink_last_success_timestamp_seconds", ConstLabels: labels,
			Help: "When the forwarder last delivered a batch or found nothing to deliver (Unix time).",
		}),
		backlog: prometheus.NewDesc("rastro_sink_backlog",
			"Traces queued for the sink and not yet acknowledged by it (-1: the store did not answer).", nil, labels),
		now: time.Now,
	}, nil
}

// Name returns the name of the sink.
func (f *Forwarder) Name() string { return f.sink.Name() }

// Kick tells the forwarder that entries were queued, so that it looks at
// once instead of at its next poll. It never blocks.
func (f *Forwarder) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run forwards until ctx ends, then returns nil. Failures are retried
// without end (they show in the metrics and the log): a batch whose
// Publish failed is published again, the same batch, until it succeeds,
// and only then marked done and the next one claimed, so that an outbox
// which tracks delivery with a cursor never skips a batch. It returns an
// error only when called while another Run of f is going on.
func (f *Forwarder) Run(ctx context.Context) error {
	if !f.running.TryLock() {
		return fmt.Errorf("sink: forwarder %q is already running", f.Name())
	}
	defer f.running.Unlock()

	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(f.cfg.MinBackoff),
		backoff.WithMaxInterval(f.cfg.MaxBackoff),
		backoff.WithMaxElapsedTime(0), // never stop
		backoff.WithRandomizationFactor(0.5),
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	// The claimed batch outlives a Run that ctx ended, so that a later
	// Run delivers it before it claims anything else.
	batch, published := f.batch, f.acked
	defer func() { f.batch, f.acked = batch, published }()
	var failing failureLog
	for {
		var err error
		full := false // the last batch was full: more may be waiting
		switch {
		case batch == nil:
			batch, err = f.ob.Claim(ctx, f.Name(), f.cfg.Batch, f.cfg.Lease)
			if err != nil {
				batch, err = nil, fmt.Errorf("claiming from the outbox: %w", err)
				break
			}
			if len(batch) == 0 {
				batch = nil
				break
			}
			fallthrough
		case !published:
			if err = f.publish(ctx, batch); err != nil {
				break
			}
			published = true
			fallthrough
		default:
			if err = f.ob.Done(ctx, f.Name(), batch); err != nil {
				err = fmt.Errorf("marking %d published traces done: %w", len(batch), err)
				break
			}
			full = len(batch) >= f.cfg.Batch
			batch, published = nil, false
		}
		if ctx.Err() != nil {
			return nil
		}
		var wait time.Duration
		if err != nil {
			f.failures.Inc()
			failing.failed(f, err)
			wait = bo.NextBackOff()
		} else {
			failing.recovered(f)
			bo.Reset()
			f.last.Set(float64(f.now().UnixNano()) / 1e9)
			if full {
				continue
			}
			wait = f.cfg.Poll
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-f.kick:
			if err != nil {
				// A kick does not cut a backoff short: a sink that is down
				// would be hammered at the rate of appends. Wait it out.
				select {
				case <-ctx.Done():
					return nil
				case <-timer.C:
				}
			}
		}
		timer.Stop() // since Go 1.23 no stale tick survives Stop or Reset
	}
}

// publish publishes batch within PublishTimeout.
func (f *Forwarder) publish(ctx context.Context, batch []store.Pending) error {
	pctx, cancel := context.WithTimeout(ctx, f.cfg.PublishTimeout)
	defer cancel()
	start := time.Now()
	err := f.sink.Publish(pctx, batch)
	f.seconds.Observe(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("publishing %d traces: %w", len(batch), err)
	}
	f.published.Add(float64(len(batch)))
	return nil
}

// Describe implements prometheus.Collector.
func (f *Forwarder) Describe(ch chan<- *prometheus.Desc) {
	ch <- f.backlog
	f.published.Describe(ch)
	f.failures.Describe(ch)
	f.seconds.Describe(ch)
	f.last.Describe(ch)
}

// Collect implements prometheus.Collector. The backlog is counted in the
// store at each collection, within 2s.
func (f *Forwarder) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	n, err := f.ob.Backlog(ctx, f.Name())
	cancel()
	if err != nil {
		n = -1
	}
	ch <- prometheus.MustNewConstMetric(f.backlog, prometheus.GaugeValue, float64(n))
	f.published.Collect(ch)
	f.failures.Collect(ch)
	f.seconds.Collect(ch)
	f.last.Collect(ch)
}

// failureLog rate-limits the failure lines of one Run: the first failure
// is logged at once, later ones at most once per LogEvery with how many
// came in between, and the first success after failures says how long
// they lasted.
type failureLog struct {
	since   time.Time // first failure of the current run of failures; zero when healthy
	logged  time.Time // last line written
	count   int       // failures since since
	skipped int       // failures not logged since logged
}

func (l *failureLog) failed(f *Forwarder, err error) {
	now := f.now()
	if l.since.IsZero() {
		l.since = now
	}
	l.count++
	if !l.logged.IsZero() && now.Sub(l.logged) < f.cfg.LogEvery {
		l.skipped++
		return
	}
	f.cfg.Logger.Warn("sink: forwarding failed, retrying",
		"sink", f.Name(), "err", err, "failures", l.count, "unlogged", l.skipped,
		"failing_for", now.Sub(l.since).Round(time.Millisecond))
	l.logged, l.skipped = now, 0
}

func (l *failureLog) recovered(f *Forwarder) {
	if l.since.IsZero() {
		return
	}
	f.cfg.Logger.Info("sink: forwarding recovered",
		"sink", f.Name(), "failures", l.count, "failed_for", f.now().Sub(l.since).Round(time.Millisecond))
	*l = failureLog{}
}
