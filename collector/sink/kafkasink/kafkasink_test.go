package kafkasink_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/sink/kafkasink"
	"github.com/rastrohq/rastro/collector/sink/sinktest"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
)

const partitions = 3

// cluster returns the brokers of a real cluster when RASTRO_KAFKA_BROKERS
// (comma-separated host:port) is set, and of an in-process kfake cluster
// otherwise, with a new topic of 3 partitions.
func cluster(t testing.TB) (brokers []string, topic string) {
	t.Helper()
	if env := os.Getenv("RASTRO_KAFKA_BROKERS"); env != "" {
		brokers = strings.Split(env, ",")
	} else {
		c, err := kfake.NewCluster(kfake.NumBrokers(3))
		require.NoError(t, err)
		t.Cleanup(c.Close)
		brokers = c.ListenAddrs()
	}
	topic = fmt.Sprintf("rastro-test-%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().UnixNano())
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, -1, nil, topic)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	return brokers, topic
}

// consume reads n records of topic from the start, and checks that no
// more follow.
func consume(t testing.TB, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	return consumeUntil(t, brokers, topic, func(recs []*kgo.Record) bool { return len(recs) >= n }, true)
}

// consumeUntil reads records of topic from the start until enough says
// so, then, when exact, checks that no more follow.
func consumeUntil(t testing.TB, brokers []string, topic string, enough func([]*kgo.Record) bool, exact bool) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for !enough(out) {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "got %d records, not enough", len(out))
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetching %s/%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	if exact {
		short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancelShort()
		require.Empty(t, cl.PollFetches(short).Records(), "a batch is delivered once")
	}
	return out
}

func newSink(t testing.TB, cfg kafkasink.Config) *kafkasink.Sink {
	t.Helper()
	s, err := kafkasink.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func headers(r *kgo.Record) map[string]string {
	h := make(map[string]string, len(r.Headers))
	for _, kv := range r.Headers {
		h[kv.Key] = string(kv.Value)
	}
	return h
}

func TestPublish(t *testing.T) {
	ps := sinktest.Pendings(sinktest.Traces("k", 60))
	byID := make(map[string]*store.Pending, len(ps))
	for i := range ps {
		byID[ps[i].Trace.ID] = &ps[i]
	}
	for _, tc := range []struct {
		name string
		mode sink.Mode
		key  kafkasink.Key
		want func(p *store.Pending) string // the key; "" for none
	}{
		{"structured/touchpoint", sink.Structured, "", func(p *store.Pending) string { return p.Trace.Data.Touchpoint }},
		{"binary/touchpoint", sink.Binary, kafkasink.KeyTouchpoint, func(p *store.Pending) string { return p.Trace.Data.Touchpoint }},
		{"structured/user", sink.Structured, kafkasink.KeyUser, func(p *store.Pending) string {
			if p.Trace.Data.UserID != "" {
				return p.Trace.Data.UserID
			}
			return p.Trace.Data.AnonymousID
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			brokers, topic := cluster(t)
			s := newSink(t, kafkasink.Config{Brokers: brokers, Topic: topic, Mode: tc.mode, Key: tc.key})
			require.Equal(t, "kafka", s.Name())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			require.NoError(t, s.Publish(ctx, ps))
			require.NoError(t, s.Publish(ctx, nil))

			recs := consume(t, brokers, topic, len(ps))
			require.Len(t, recs, len(ps))
			seen := map[string]bool{}
			partitionOf := map[string]int32{}
			used := map[int32]bool{}
			for _, r := range recs {
				h := headers(r)
				id := h["rastro-trace-id"]
				p := byID[id]
				require.NotNil(t, p, "record with trace id %q", id)
				require.False(t, seen[id], "%s delivered twice", id)
				seen[id] = true
				require.Equal(t, tc.want(p), string(r.Key))
				if len(r.Key) > 0 {
					if part, ok := partitionOf[string(r.Key)]; ok {
						require.Equal(t, part, r.Partition, "one key, one partition")
					}
					partitionOf[string(r.Key)] = r.Partition
				}
				used[r.Partition] = true
				switch tc.mode {
				case sink.Structured:
					require.Equal(t, map[string]string{
						"rastro-trace-id": id,
						"content-type":    "application/cloudevents+json",
					}, h)
					require.Equal(t, p.Body, r.Value, "the stored body, byte for byte")
				case sink.Binary:
					require.Equal(t, map[string]string{
						"rastro-trace-id": id,
						"ce_specversion":  "1.0",
						"ce_id":           id,
						"ce_source":       p.Trace.Source,
						"ce_type":         p.Trace.Type,
						"ce_time":         p.Trace.Time.Format(time.RFC3339Nano),
						"ce_dataschema":   p.Trace.DataSchema,
						"content-type":    "application/json",
					}, h)
					want, err := json.Marshal(p.Trace.Data)
					require.NoError(t, err)
					require.JSONEq(t, string(want), string(r.Value))
				}
			}
			require.Greater(t, len(used), 1, "keys spread over partitions")
		})
	}
}

func TestPublishNoKey(t *testing.T) {
	brokers, topic := cluster(t)
	s := newSink(t, kafkasink.Config{Brokers: brokers, Topic: topic, Key: kafkasink.KeyUser})
	ts := sinktest.Traces("nokey", 3)
	ts[0].Data.UserID, ts[0].Data.AnonymousID = "", ""
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Publish(ctx, sinktest.Pendings(ts[:1])))
	recs := consume(t, brokers, topic, 1)
	require.Nil(t, recs[0].Key, "a trace without user or anonymous id has no key")
}

func TestPublishClusterDown(t *testing.T) {
	if os.Getenv("RASTRO_KAFKA_BROKERS") != "" {
		t.Skip("stops the in-process cluster; not run against a real one")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "down"))
	require.NoError(t, err)
	s := newSink(t, kafkasink.Config{Brokers: c.ListenAddrs(), Topic: "down"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Publish(ctx, sinktest.Pendings(sinktest.Traces("up", 5))))

	c.Close()
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	err = s.Publish(short, sinktest.Pendings(sinktest.Traces("down", 5)))
	require.ErrorContains(t, err, "kafkasink: producing trace")
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  kafkasink.Config
		err  string
	}{
		{name: "brokers only", cfg: kafkasink.Config{Brokers: []string{"127.0.0.1:1"}}},
		{name: "no brokers", cfg: kafkasink.Config{}, err: "Brokers"},
		{name: "bad key", cfg: kafkasink.Config{Brokers: []string{"127.0.0.1:1"}, Key: "agent"}, err: "Key"},
		{name: "bad mode", cfg: kafkasink.Config{Brokers: []string{"127.0.0.1:1"}, Mode: "avro"}, err: "Mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := kafkasink.New(tc.cfg)
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

// TestForwarderClusterDownComesBack runs the whole path: traces stored in
// the real SQLite outbox, a forwarder, and a cluster whose brokers drop
// every produce request for a while (kfake keeps nothing across a
// restart, so the outage is made by refusing produce requests).
func TestForwarderClusterDownComesBack(t *testing.T) {
	if os.Getenv("RASTRO_KAFKA_BROKERS") != "" {
		t.Skip("needs the in-process cluster; not run against a real one")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "traces"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	brokers := c.ListenAddrs()
	var down atomic.Bool
	var refused atomic.Int64
	c.ControlKey(kmsg.Produce.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if down.Load() {
			refused.Add(1)
			return nil, errors.New("broker down"), true // closes the connection
		}
		return nil, nil, false // handled as usual
	})

	db, err := sqlite.Open(filepath.Join(t.TempDir(), "rastro.db"), sqlite.Options{Sync: sqlite.SyncNormal, Sinks: []string{"kafka"}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	s := newSink(t, kafkasink.Config{Brokers: brokers, Topic: "traces"})
	fw, err := sink.NewForwarder(db, s, sink.ForwarderConfig{
		Batch: 100, Poll: 10 * time.Millisecond, PublishTimeout: time.Second,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fw.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	backlog := func() int64 {
		n, err := db.Backlog(context.Background(), "kafka")
		require.NoError(t, err)
		return n
	}
	var all []trace.Trace
	add := func(prefix string, n int) {
		ts := sinktest.Traces(prefix, n)
		_, err := db.Append(context.Background(), ts)
		require.NoError(t, err)
		all = append(all, ts...)
		fw.Kick()
	}

	add("up", 150)
	require.Eventually(t, func() bool { return backlog() == 0 }, 20*time.Second, 10*time.Millisecond)

	down.Store(true)
	add("down", 250)
	require.Eventually(t, func() bool { return refused.Load() >= 3 }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, int64(250), backlog(), "nothing is marked done while the brokers refuse")

	down.Store(false)
	require.Eventually(t, func() bool { return backlog() == 0 }, 30*time.Second, 10*time.Millisecond)
	// Every trace arrives; a batch whose produce was cut off may arrive
	// twice, which rastro-trace-id lets consumers dedupe.
	got := map[string]int{}
	consumeUntil(t, brokers, "traces", func(recs []*kgo.Record) bool {
		clear(got)
		for _, r := range recs {
			got[headers(r)["rastro-trace-id"]]++
		}
		return len(got) == len(all)
	}, false)
	for _, tr := range all {
		require.GreaterOrEqual(t, got[tr.ID], 1, tr.ID)
	}
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	brokers, topic := cluster(t)
	before := runtime.NumGoroutine()
	s, err := kafkasink.New(kafkasink.Config{Brokers: brokers, Topic: topic})
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
