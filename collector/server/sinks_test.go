package server

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/internal/natstest"
	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/sink/natssink"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/sdk/wire"
)

// metric reads one sample of /metrics.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	r := get(t, url+"/metrics", "")
	require.Equal(t, 200, r.status)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(r.body)
	require.NotNil(t, m, "no %s in /metrics", name)
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(t, err)
	return v
}

// TestSinkDown: with NATS down, ingest goes on and queues traces in the
// store until the backlog bound, then answers 503 with Retry-After; when
// NATS comes back every acknowledged trace reaches the stream once, the
// backlog drains and ingest resumes.
func TestSinkDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nats-server")
	}
	ns := natstest.Start(t)
	nsink, err := natssink.New(natssink.Config{URLs: []string{ns.URL}, CreateStream: true, AckTimeout: time.Second, Logger: quiet()})
	require.NoError(t, err)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{Sinks: []string{nsink.Name()}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	r := start(t, Config{
		Sinks: []sink.Sink{nsink}, MaxSinkBacklog: 100,
		Forwarder: sink.ForwarderConfig{Lease: 3 * time.Second, PublishTimeout: time.Second,
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: quiet()},
	}, st)

	var acked []string
	send := func() (int, []byte) {
		evs := make([]wire.Event, 10)
		for i := range evs {
			evs[i] = ev(wire.KindStar, "checkout", float64(1+i%5))
		}
		var buf bytes.Buffer
		require.NoError(t, wire.WriteBatch(&buf, &wire.Batch{SentAt: time.Now(), Events: evs}))
		rep := do(t, nil, "POST", r.url+"/v1/batch", "wk_test", buf.Bytes())
		if rep.status == 200 {
			for _, e := range evs {
				acked = append(acked, e.ID)
			}
		}
		return rep.status, rep.body
	}
	status, body := send()
	require.Equal(t, 200, status, "%s", body)
	require.Eventually(t, func() bool { return metric(t, r.url, `rastro_sink_backlog{sink="nats"}`) == 0 }, 10*time.Second, 10*time.Millisecond)

	ns.Stop()
	var refused []byte
	require.Eventually(t, func() bool {
		status, body := send()
		if status == 503 {
			refused = body
			return true
		}
		require.Equal(t, 200, status, "%s", body)
		return false
	}, 20*time.Second, 5*time.Millisecond, "ingest pushes back once the backlog reaches its bound")
	require.Contains(t, string(refused), "sink is behind")
	require.GreaterOrEqual(t, metric(t, r.url, `rastro_sink_backlog{sink="nats"}`), 100.0)
	require.Eventually(t, func() bool { return metric(t, r.url, `rastro_sink_failures_total{sink="nats"}`) > 0 },
		10*time.Second, 10*time.Millisecond, "failed publishes are counted")

	ns.Restart()
	require.Eventually(t, func() bool { return metric(t, r.url, `rastro_sink_backlog{sink="nats"}`) == 0 }, 30*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { s, _ := send(); return s == 200 }, 10*time.Second, 20*time.Millisecond, "ingest resumes")

	nc, err := nats.Connect(ns.URL)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx := context.Background()
	stream, err := js.Stream(ctx, "RASTRO_TRACES")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := stream.Info(ctx)
		return err == nil && info.State.Msgs == uint64(len(acked))
	}, 10*time.Second, 20*time.Millisecond)
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	seen := map[string]int{}
	for len(seen) < len(acked) {
		batch, err := cons.Fetch(200, jetstream.FetchMaxWait(2*time.Second))
		require.NoError(t, err)
		n := 0
		for m := range batch.Messages() {
			n++
			var tr struct{ ID string }
			require.NoError(t, json.Unmarshal(m.Data(), &tr))
			seen[tr.ID]++
		}
		require.Positive(t, n, "stream ended at %d of %d", len(seen), len(acked))
	}
	for _, id := range acked {
		require.Equal(t, 1, seen[id], id)
	}
}
