package sink_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/sink/sinktest"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
)

// openStore opens a real SQLite store queueing for sinks.
func openStore(t testing.TB, sinks ...string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "rastro.db"), sqlite.Options{Sync: sqlite.SyncNormal, Sinks: sinks})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

// appendTraces stores n traces with ids prefix0000... in calls of 100.
func appendTraces(t testing.TB, db store.Appender, prefix string, n int) []string {
	t.Helper()
	ts := sinktest.Traces(prefix, n)
	for i := 0; i < n; i += 100 {
		_, err := db.Append(context.Background(), ts[i:min(i+100, n)])
		require.NoError(t, err)
	}
	ids := make([]string, n)
	for i := range ts {
		ids[i] = ts[i].ID
	}
	return ids
}

// quiet is a logger that drops everything.
var quiet = slog.New(slog.DiscardHandler)

// fast is a forwarder configuration for tests.
func fast() sink.ForwarderConfig {
	return sink.ForwarderConfig{
		Batch: 100, Poll: 5 * time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Logger: quiet,
	}
}

// run starts fw and stops it when the test ends, checking that Run
// returned.
func run(t testing.TB, fw *sink.Forwarder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fw.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

// metrics gathers the forwarder metrics of reg by name, for sink.
func metrics(t testing.TB, reg *prometheus.Registry, sinkName string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "sink" || l.GetValue() != sinkName {
					continue
				}
				switch {
				case m.Gauge != nil:
					out[mf.GetName()] = m.GetGauge().GetValue()
				case m.Counter != nil:
					out[mf.GetName()] = m.GetCounter().GetValue()
				case m.Histogram != nil:
					out[mf.GetName()] = float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return out
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestForwarderDelivers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		batch int
	}{
		{"one", 1, 100},
		{"partial batch", 57, 100},
		{"exact batches", 300, 100},
		{"many batches", 1234, 100},
		{"batch of one", 25, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t, "test", "other")
			rec := &sinktest.Recorder{}
			cfg := fast()
			cfg.Batch = tc.batch
			fw, err := sink.NewForwarder(db, rec, cfg)
			require.NoError(t, err)
			reg := prometheus.NewRegistry()
			reg.MustRegister(fw)

			ids := appendTraces(t, db, "d", tc.n)
			run(t, fw)
			waitFor(t, "every trace", func() bool { return len(rec.IDs()) >= tc.n })
			require.Equal(t, ids, rec.IDs(), "each trace once, in order")
			waitFor(t, "an empty backlog", func() bool { return metrics(t, reg, "test")["rastro_sink_backlog"] == 0 })

			m := metrics(t, reg, "test")
			require.Equal(t, float64(tc.n), m["rastro_sink_published_total"])
			require.Zero(t, m["rastro_sink_failures_total"])
			require.Equal(t, float64((tc.n+tc.batch-1)/tc.batch), m["rastro_sink_publish_seconds"])
			require.InDelta(t, float64(time.Now().Unix()), m["rastro_sink_last_success_timestamp_seconds"], 60)

			// Done removed them from this sink's queue only.
			n, err := db.Backlog(context.Background(), "test")
			require.NoError(t, err)
			require.Zero(t, n)
			n, err = db.Backlog(context.Background(), "other")
			require.NoError(t, err)
			require.Equal(t, int64(tc.n), n)
		})
	}
}

func TestForwarderFailingSinkLosesNothing(t *testing.T) {
	db := openStore(t, "test")
	rec := &sinktest.Recorder{}
	rec.SetDown(true)
	fw, err := sink.NewForwarder(db, rec, fast())
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(fw)

	ids := appendTraces(t, db, "a", 250)
	run(t, fw)
	waitFor(t, "failures", func() bool { _, failed := rec.Calls(); return failed >= 5 })
	more := appendTraces(t, db, "b", 150) // ingest goes on while the sink is down
	fw.Kick()
	waitFor(t, "more failures", func() bool { _, failed := rec.Calls(); return failed >= 10 })

	m := metrics(t, reg, "test")
	require.Equal(t, float64(400), m["rastro_sink_backlog"], "the backlog grows")
	require.GreaterOrEqual(t, m["rastro_sink_failures_total"], float64(10))
	require.Zero(t, m["rastro_sink_published_total"])
	require.Empty(t, rec.IDs())

	rec.SetDown(false)
	all := append(ids, more...)
	waitFor(t, "every trace", func() bool { return len(rec.IDs()) >= len(all) })
	require.Equal(t, all, rec.IDs(), "each trace once, in order: a failed batch is retried, never skipped")
	waitFor(t, "an empty backlog", func() bool { return metrics(t, reg, "test")["rastro_sink_backlog"] == 0 })
	require.Equal(t, float64(400), metrics(t, reg, "test")["rastro_sink_published_total"])
}

func TestForwarderKick(t *testing.T) {
	db := openStore(t, "test")
	rec := &sinktest.Recorder{}
	cfg := fast()
	cfg.Poll = time.Hour // only a kick wakes it
	fw, err := sink.NewForwarder(db, rec, cfg)
	require.NoError(t, err)
	run(t, fw)
	waitFor(t, "the first empty claim", func() bool { return true })
	time.Sleep(20 * time.Millisecond) // let Run find the queue empty and sleep

	for i, prefix := range []string{"k1", "k2", "k3"} {
		ids := appendTraces(t, db, prefix, 10)
		start := time.Now()
		fw.Kick()
		waitFor(t, "the kicked traces", func() bool { return len(rec.IDs()) == 10*(i+1) })
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, ids, rec.IDs()[10*i:])
	}
}

// flakyDone is the real store whose Done fails the first n times.
type flakyDone struct {
	*sqlite.DB
	fails atomic.Int32
}

func (f *flakyDone) Done(ctx context.Context, sinkName string, entries []store.Pending) error {
	if f.fails.Add(-1) >= 0 {
		return errors.New("disk full")
	}
	return f.DB.Done(ctx, sinkName, entries)
}

func TestForwarderRetriesDoneWithoutRepublishing(t *testing.T) {
	db := openStore(t, "test")
	ob := &flakyDone{DB: db}
	ob.fails.Store(3)
	rec := &sinktest.Recorder{}
	fw, err := sink.NewForwarder(ob, rec, fast())
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(fw)

	ids := appendTraces(t, db, "r", 150)
	run(t, fw)
	waitFor(t, "an empty backlog", func() bool { return metrics(t, reg, "test")["rastro_sink_backlog"] == 0 })
	require.Equal(t, ids, rec.IDs())
	require.Equal(t, float64(3), metrics(t, reg, "test")["rastro_sink_failures_total"])
}

func TestForwarderResumesBatchAcrossRuns(t *testing.T) {
	db := openStore(t, "test")
	rec := &sinktest.Recorder{}
	rec.SetDown(true)
	fw, err := sink.NewForwarder(db, rec, fast())
	require.NoError(t, err)
	ids := appendTraces(t, db, "x", 150)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fw.Run(ctx) }()
	waitFor(t, "a failure", func() bool { _, failed := rec.Calls(); return failed >= 1 })
	cancel()
	require.NoError(t, <-done)

	// The first batch is still leased to fw: a new Run must deliver it
	// before it claims the next.
	rec.SetDown(false)
	run(t, fw)
	waitFor(t, "every trace", func() bool { return len(rec.IDs()) >= len(ids) })
	require.Equal(t, ids, rec.IDs())
}

func TestForwarderRunsOnce(t *testing.T) {
	db := openStore(t, "test")
	rec := &sinktest.Recorder{}
	fw, err := sink.NewForwarder(db, rec, fast())
	require.NoError(t, err)
	appendTraces(t, db, "o", 1)
	run(t, fw)
	waitFor(t, "Run to publish", func() bool { return len(rec.IDs()) == 1 })
	require.ErrorContains(t, fw.Run(context.Background()), "already running")
}

func TestForwarderMetricsOfSeveralSinks(t *testing.T) {
	db := openStore(t, "a", "b")
	reg := prometheus.NewRegistry()
	for _, name := range []string{"a", "b"} {
		fw, err := sink.NewForwarder(db, &sinktest.Recorder{SinkName: name}, fast())
		require.NoError(t, err)
		require.NoError(t, reg.Register(fw), "one registry holds the forwarders of every sink")
	}
	appendTraces(t, db, "m", 3)
	require.Equal(t, float64(3), metrics(t, reg, "a")["rastro_sink_backlog"])
	require.Equal(t, float64(3), metrics(t, reg, "b")["rastro_sink_backlog"])

	// A store that does not answer shows as -1.
	require.NoError(t, db.Close())
	require.Equal(t, float64(-1), metrics(t, reg, "a")["rastro_sink_backlog"])
}

func TestForwarderConcurrentKicks(t *testing.T) {
	db := openStore(t, "test")
	rec := &sinktest.Recorder{}
	fw, err := sink.NewForwarder(db, rec, fast())
	require.NoError(t, err)
	run(t, fw)
	var wg sync.WaitGroup
	var want []string
	var mu sync.Mutex
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				ids := appendTraces(t, db, string(rune('a'+w))+string(rune('a'+i)), 20)
				mu.Lock()
				want = append(want, ids...)
				mu.Unlock()
				fw.Kick()
			}
		}()
	}
	wg.Wait()
	waitFor(t, "every trace", func() bool { return len(rec.IDs()) >= len(want) })
	require.Equal(t, sorted(want), sorted(rec.IDs()))
}

func TestNewForwarderConfig(t *testing.T) {
	db := openStore(t, "test")
	for _, tc := range []struct {
		name string
		ob   store.Outbox
		s    sink.Sink
		cfg  sink.ForwarderConfig
		err  string
	}{
		{name: "defaults", ob: db, s: &sinktest.Recorder{}},
		{name: "no outbox", s: &sinktest.Recorder{}, err: "outbox"},
		{name: "no sink", ob: db, err: "sink"},
		{name: "negative batch", ob: db, s: &sinktest.Recorder{}, cfg: sink.ForwarderConfig{Batch: -1}, err: "Batch"},
		{name: "timeout over lease", ob: db, s: &sinktest.Recorder{},
			cfg: sink.ForwarderConfig{Lease: time.Second, PublishTimeout: 2 * time.Second}, err: "Lease"},
		{name: "backoff bounds", ob: db, s: &sinktest.Recorder{},
			cfg: sink.ForwarderConfig{MinBackoff: time.Minute, MaxBackoff: time.Second}, err: "MaxBackoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw, err := sink.NewForwarder(tc.ob, tc.s, tc.cfg)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "test", fw.Name())
		})
	}
}
