package natssink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/internal/natstest"
	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/sink/natssink"
	"github.com/rastrohq/rastro/collector/sink/sinktest"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
)

var quiet = slog.New(slog.DiscardHandler)

func newSink(t testing.TB, cfg natssink.Config) *natssink.Sink {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	s, err := natssink.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// reader reads a stream back with a JetStream consumer.
type reader struct {
	js jetstream.JetStream
}

func newReader(t testing.TB, url string) *reader {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return &reader{js: js}
}

// read returns the messages of stream on subjects (all when none), every
// one of them, in stream order.
func (r *reader) read(t testing.TB, stream string, subjects ...string) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := r.js.Stream(ctx, stream)
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	last := info.State.LastSeq
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: subjects})
	require.NoError(t, err)
	var out []jetstream.Msg
	for {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(200*time.Millisecond))
		require.NoError(t, err)
		n := 0
		for m := range batch.Messages() {
			out = append(out, m)
			n++
			md, err := m.Metadata()
			require.NoError(t, err)
			if md.Sequence.Stream == last {
				return out
			}
		}
		require.NoError(t, batch.Error())
		if n == 0 {
			return out // nothing more on these subjects
		}
	}
}

func (r *reader) count(t testing.TB, stream string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := r.js.Stream(ctx, stream)
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	return info.State.Msgs
}

func TestPublish(t *testing.T) {
	srv := natstest.Start(t)
	rd := newReader(t, srv.URL)
	ps := sinktest.Pendings(sinktest.Traces("p", 30))

	for _, tc := range []struct {
		name string
		mode sink.Mode
	}{
		{"structured", sink.Structured},
		{"binary", sink.Binary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := "S_" + tc.name
			prefix := "rastro.test." + tc.name
			s := newSink(t, natssink.Config{URLs: []string{srv.URL}, Stream: stream, SubjectPrefix: prefix, CreateStream: true, Mode: tc.mode})
			require.Equal(t, "nats", s.Name())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			require.NoError(t, s.Publish(ctx, ps))
			require.NoError(t, s.Publish(ctx, nil))

			msgs := rd.read(t, stream)
			require.Len(t, msgs, len(ps))
			for i, m := range msgs {
				p := &ps[i]
				require.Equal(t, natssink.Subject(prefix, &p.Trace), m.Subject())
				h := m.Headers()
				require.Equal(t, p.Trace.ID, h.Get("Nats-Msg-Id"))
				switch tc.mode {
				case sink.Structured:
					require.Equal(t, "application/cloudevents+json", h.Get("Content-Type"))
					require.Equal(t, p.Body, m.Data(), "the stored body, byte for byte")
					require.Empty(t, h.Get("ce-id"))
				case sink.Binary:
					require.Empty(t, h.Get("Content-Type"), "no CloudEvents content type: binary mode")
					require.Equal(t, p.Trace.ID, h.Get("ce-id"))
					require.Equal(t, "1.0", h.Get("ce-specversion"))
					require.Equal(t, sink.PercentEncode(p.Trace.Source), h.Get("ce-source"))
					require.Equal(t, p.Trace.Type, h.Get("ce-type"))
					require.Equal(t, p.Trace.Time.Format(time.RFC3339Nano), h.Get("ce-time"))
					require.Equal(t, "application/json", h.Get("ce-datacontenttype"))
					require.Equal(t, p.Trace.DataSchema, h.Get("ce-dataschema"))
					want, err := json.Marshal(p.Trace.Data)
					require.NoError(t, err)
					require.JSONEq(t, string(want), string(m.Data()))
				}
			}

			// Subjects route: every kind of one touchpoint, every
			// touchpoint of one kind.
			byTouchpoint := rd.read(t, stream, prefix+".*.app_settings")
			require.Len(t, byTouchpoint, 5)
			for _, m := range byTouchpoint {
				var ev struct {
					Data struct{ Touchpoint string }
				}
				if tc.mode == sink.Structured {
					require.NoError(t, json.Unmarshal(m.Data(), &ev))
				} else {
					require.NoError(t, json.Unmarshal(m.Data(), &ev.Data))
				}
				require.Equal(t, "app.settings", ev.Data.Touchpoint)
			}
			require.Len(t, rd.read(t, stream, prefix+".csat.*"), 6)
		})
	}
}

func TestSubject(t *testing.T) {
	ts := sinktest.Traces("s", 6)
	for i, want := range []string{
		"rastro.traces.csat.checkout",
		"rastro.traces.nps.app_settings",
		"rastro.traces.click.help_center",
		"rastro.traces.star.a_b_c",
		"rastro.traces.comment.café_✓",
		"rastro.traces.csat._",
	} {
		t.Run(want, func(t *testing.T) {
			require.Equal(t, want, natssink.Subject("rastro.traces", &ts[i]))
		})
	}
	for _, tc := range []struct{ in, want string }{
		{"", "_"}, {"ok-token_1", "ok-token_1"}, {"a.b", "a_b"}, {"*", "_"}, {">", "_"},
		{"tab\there\r\n", "tab_here__"}, {"\x00\x7f", "__"}, {"ünï", "ünï"},
	} {
		t.Run(fmt.Sprintf("token %q", tc.in), func(t *testing.T) {
			require.Equal(t, tc.want, natssink.Token(tc.in))
		})
	}
}

func TestPublishTwiceStoresOnce(t *testing.T) {
	srv := natstest.Start(t)
	rd := newReader(t, srv.URL)
	s := newSink(t, natssink.Config{URLs: []string{srv.URL}, CreateStream: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ps := sinktest.Pendings(sinktest.Traces("twice", 50))

	require.NoError(t, s.Publish(ctx, ps))
	require.NoError(t, s.Publish(ctx, ps), "duplicates are acknowledged")
	require.NoError(t, s.Publish(ctx, ps[10:20]))
	require.Equal(t, uint64(len(ps)), rd.count(t, "RASTRO_TRACES"))

	// The duplicate window survives a restart of the server.
	srv.Restart()
	require.Eventually(t, func() bool { return s.Publish(ctx, ps) == nil }, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, uint64(len(ps)), rd.count(t, "RASTRO_TRACES"))

	st, err := rd.js.Stream(ctx, "RASTRO_TRACES")
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, 2*time.Minute, info.Config.Duplicates)
	require.Equal(t, []string{"rastro.traces.>"}, info.Config.Subjects)
}

func TestPublishErrors(t *testing.T) {
	srv := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ps := sinktest.Pendings(sinktest.Traces("e", 3))

	t.Run("missing stream", func(t *testing.T) {
		s := newSink(t, natssink.Config{URLs: []string{srv.URL}, Stream: "NOPE"})
		require.ErrorContains(t, s.Publish(ctx, ps), "stream NOPE")
	})
	t.Run("subject of another stream", func(t *testing.T) {
		rd := newReader(t, srv.URL)
		_, err := rd.js.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}})
		require.NoError(t, err)
		_, err = rd.js.CreateStream(ctx, jetstream.StreamConfig{Name: "MINE", Subjects: []string{"mine.>"}})
		require.NoError(t, err)
		s := newSink(t, natssink.Config{URLs: []string{srv.URL}, Stream: "MINE", SubjectPrefix: "other"})
		require.ErrorContains(t, s.Publish(ctx, ps), "not acknowledged")
		require.Zero(t, rd.count(t, "OTHER"), "Nats-Expected-Stream keeps traces out of another stream")
	})
	t.Run("server unreachable at start", func(t *testing.T) {
		s := newSink(t, natssink.Config{URLs: []string{"nats://127.0.0.1:1"}, CreateStream: true})
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		require.Error(t, s.Publish(short, ps))
	})
	t.Run("canceled", func(t *testing.T) {
		s := newSink(t, natssink.Config{URLs: []string{srv.URL}, CreateStream: true})
		done, cancel := context.WithCancel(ctx)
		cancel()
		require.Error(t, s.Publish(done, ps))
	})
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  natssink.Config
		err  string
	}{
		{name: "zero value", cfg: natssink.Config{}},
		{name: "bad stream", cfg: natssink.Config{Stream: "a.b"}, err: "Stream"},
		{name: "wildcard prefix", cfg: natssink.Config{SubjectPrefix: "rastro.*"}, err: "SubjectPrefix"},
		{name: "empty token in prefix", cfg: natssink.Config{SubjectPrefix: "rastro..x"}, err: "SubjectPrefix"},
		{name: "negative pending", cfg: natssink.Config{MaxPending: -1}, err: "negative"},
		{name: "mode", cfg: natssink.Config{Mode: "avro"}, err: "Mode"},
		{name: "two credentials", cfg: natssink.Config{Token: "t", User: "u"}, err: "at most one"},
		{name: "password alone", cfg: natssink.Config{Password: "p"}, err: "Password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.URLs = []string{"nats://127.0.0.1:1"} // never reached
			tc.cfg.Logger = quiet
			s, err := natssink.New(tc.cfg)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, s.Close())
			require.NoError(t, s.Close(), "Close is idempotent")
		})
	}
}

// TestSinkDownComesBack runs the whole path: traces stored in the real
// SQLite outbox, a forwarder, the NATS server stopped and started again.
func TestSinkDownComesBack(t *testing.T) {
	srv := natstest.Start(t)
	rd := newReader(t, srv.URL)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "rastro.db"), sqlite.Options{Sync: sqlite.SyncNormal, Sinks: []string{"nats"}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	s := newSink(t, natssink.Config{URLs: []string{srv.URL}, CreateStream: true, AckTimeout: 2 * time.Second})
	fw, err := sink.NewForwarder(db, s, sink.ForwarderConfig{
		Batch: 100, Poll: 10 * time.Millisecond, PublishTimeout: 3 * time.Second,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: quiet,
	})
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(fw)
	gauge := func(name string) float64 {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() == name {
				m := mf.GetMetric()[0]
				if m.Counter != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fw.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	store := func(prefix string, n int) {
		ts := sinktest.Traces(prefix, n)
		for i := 0; i < n; i += 50 {
			_, err := db.Append(context.Background(), ts[i:min(i+50, n)])
			require.NoError(t, err)
			fw.Kick()
		}
	}
	store("up", 200)
	require.Eventually(t, func() bool { return gauge("rastro_sink_backlog") == 0 }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, uint64(200), rd.count(t, "RASTRO_TRACES"))

	srv.Stop()
	short, cancelShort := context.WithTimeout(context.Background(), 500*time.Millisecond)
	require.Error(t, s.Publish(short, sinktest.Pendings(sinktest.Traces("direct", 1))), "Publish fails while the server is down")
	cancelShort()
	store("down", 300)
	require.Eventually(t, func() bool { return gauge("rastro_sink_failures_total") >= 2 }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, float64(300), gauge("rastro_sink_backlog"), "ingest goes on; the backlog grows")

	srv.Restart()
	store("back", 100)
	require.Eventually(t, func() bool { return gauge("rastro_sink_backlog") == 0 }, 30*time.Second, 10*time.Millisecond)
	ids := map[string]int{}
	msgs := rd.read(t, "RASTRO_TRACES")
	for _, m := range msgs {
		ids[m.Headers().Get("Nats-Msg-Id")]++
	}
	require.Len(t, ids, len(msgs), "everything arrives once (duplicate window)")
	for _, prefix := range []string{"up", "down", "back"} {
		n := map[string]int{"up": 200, "down": 300, "back": 100}[prefix]
		for _, tr := range sinktest.Traces(prefix, n) {
			require.Equal(t, 1, ids[tr.ID], tr.ID)
		}
	}
	// The direct Publish that failed may have been kept in the client's
	// reconnect buffer and gone out on reconnect: a failed Publish can
	// still deliver, which is why retries must be deduped.
	require.LessOrEqual(t, len(msgs), 601)
}

// BenchmarkPublish measures the publish throughput to a real server,
// file storage, in batches of the forwarder's default size.
func BenchmarkPublish(b *testing.B) {
	srv := natstest.Start(b)
	for _, mode := range []sink.Mode{sink.Structured, sink.Binary} {
		b.Run(string(mode), func(b *testing.B) {
			s := newSink(b, natssink.Config{URLs: []string{srv.URL}, Stream: "B_" + string(mode),
				SubjectPrefix: "bench." + string(mode), CreateStream: true, Mode: mode})
			const batch = 500
			ctx := context.Background()
			round := 0
			var ps []store.Pending
			next := func() {
				ps = sinktest.Pendings(sinktest.Traces(fmt.Sprintf("b%d-", round), batch))
				round++
			}
			next()
			require.NoError(b, s.Publish(ctx, ps)) // creates the stream
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				b.StopTimer()
				next() // fresh ids: the duplicate window would drop repeats
				b.StartTimer()
				if err := s.Publish(ctx, ps); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "traces/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n), "ns/trace")
		})
	}
	// The ceiling: the same bodies published by bare jetstream async
	// publishes with only a Nats-Msg-Id, and their acks awaited.
	b.Run("bare-jetstream", func(b *testing.B) {
		nc, err := nats.Connect(srv.URL)
		require.NoError(b, err)
		defer nc.Close()
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
		require.NoError(b, err)
		ctx := context.Background()
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "B_bare", Subjects: []string{"bench.bare.>"},
			Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute})
		require.NoError(b, err)
		const batch = 500
		round, n := 0, 0
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			ps := sinktest.Pendings(sinktest.Traces(fmt.Sprintf("bare%d-", round), batch))
			round++
			b.StartTimer()
			fs := make([]jetstream.PubAckFuture, len(ps))
			for i := range ps {
				if fs[i], err = js.PublishAsync("bench.bare.x", ps[i].Body, jetstream.WithMsgID(ps[i].Trace.ID)); err != nil {
					b.Fatal(err)
				}
			}
			for _, f := range fs {
				select {
				case <-f.Ok():
				case err := <-f.Err():
					b.Fatal(err)
				}
			}
			n += batch
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "traces/s")
		b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n), "ns/trace")
	})
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	srv := natstest.Start(t)
	before := runtime.NumGoroutine()
	s, err := natssink.New(natssink.Config{URLs: []string{srv.URL}, CreateStream: true, Logger: quiet})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Publish(ctx, sinktest.Pendings(sinktest.Traces("g", 10))))
	require.NoError(t, s.Close())
	// Not require.Eventually: it runs the condition in a goroutine.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before New, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
	}
}
