package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/internal/natstest"
	"github.com/rastrohq/rastro/collector/store/postgres/pgtest"
	"github.com/rastrohq/rastro/sdk"
	"github.com/rastrohq/rastro/sdk/wire"
)

// sprayer is a load balancer in front of several collectors that makes
// every failure a client can meet: it sends each request to the next
// collector in turn, answers 502 when that one is down, and now and then
// drops a collector's 200 and answers 503 instead, as a lost
// acknowledgement would, so that the SDK retries a batch that was stored
// and the retry lands on another collector.
type sprayer struct {
	backends []string
	next     atomic.Uint64
	dropped  atomic.Int64
	client   *http.Client
}

func (s *sprayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	backend := s.backends[s.next.Add(1)%uint64(len(s.backends))]
	req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+backend+r.URL.RequestURI(), strings.NewReader(string(body)))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := s.client.Do(req)
	if err != nil {
		http.Error(w, "backend down: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && rand.IntN(8) == 0 {
		s.dropped.Add(1)
		w.Header().Set("Retry-After", "0")
		http.Error(w, "acknowledgement lost", http.StatusServiceUnavailable)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

// TestScaleOut runs three collectors sharing PostgreSQL and NATS
// JetStream behind a sprayer, kills one of them mid-run and never restarts
// it: every event the SDK reports delivered is in PostgreSQL exactly once
// and on the stream exactly once (JetStream drops the copies by
// Nats-Msg-Id), including those whose hand-off the killed collector had
// claimed and not finished (another collector takes them when the lease
// ends).
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, nats-server and three collectors")
	}
	pg, err := pgtest.Start()
	if err == pgtest.ErrNoPostgres {
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(pg.Stop)
	ctx := context.Background()
	dsn, err := pg.Schema(ctx)
	require.NoError(t, err)
	ns := natstest.Start(t)

	conf := writeFile(t, "sinks:\n  lease: 3s\n  publish_timeout: 1s\n  batch: 200\n")
	var cols []*collector
	var addrs []string
	for range 3 {
		addr := freeAddr(t)
		cols = append(cols, startCollector(t, addr, t.TempDir(), "-store", dsn, "-nats", ns.URL, "-config", conf))
		addrs = append(addrs, addr)
	}
	sp := &sprayer{backends: addrs, client: &http.Client{Timeout: 10 * time.Second}}
	lb := httptest.NewServer(sp)
	t.Cleanup(lb.Close)

	c, err := sdk.New(sdk.Config{
		Endpoint: lb.URL, WriteKey: "wk_e2e",
		FlushInterval: 5 * time.Millisecond, BatchEvents: 50,
		RetryInitial: 5 * time.Millisecond, RetryMax: 100 * time.Millisecond, RetryMaxElapsed: time.Minute,
	})
	require.NoError(t, err)
	const total = 6000
	ids := make([]string, 0, total)
	captured := make(chan struct{})
	go func() {
		defer close(captured)
		for i := range total {
			id := wire.NewID()
			ev := sdk.Star(fmt.Sprintf("checkout.step%d", i%3), 1+i%5).ID(id).User(fmt.Sprintf("u-%d", i%70))
			for c.Capture(ev) != nil {
				time.Sleep(time.Millisecond)
			}
			ids = append(ids, id)
			if i%100 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	require.Eventually(t, func() bool { return c.Stats().Sent > total/3 }, 30*time.Second, time.Millisecond)
	cols[1].kill(t) // never restarted
	<-captured
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, c.Close(cctx))
	st := c.Stats()
	require.EqualValues(t, total, st.Sent, "stats %+v", st)
	require.Positive(t, sp.dropped.Load(), "the sprayer dropped acknowledgements")

	// PostgreSQL: each delivered event once.
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id, count(*) FROM traces GROUP BY id")
	require.NoError(t, err)
	stored := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		require.NoError(t, rows.Scan(&id, &n))
		stored[id] = n
	}
	require.NoError(t, rows.Err())
	for _, id := range ids {
		require.Equal(t, 1, stored[id], "event %s in PostgreSQL", id)
	}
	require.Len(t, stored, total)

	// The stream: everything, once, once the surviving collectors have
	// drained the outbox (the killed one's leases included).
	nc, err := nats.Connect(ns.URL)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	var msgs uint64
	require.Eventually(t, func() bool {
		s, err := js.Stream(ctx, "RASTRO_TRACES")
		if err != nil {
			return false
		}
		info, err := s.Info(ctx)
		if err != nil {
			return false
		}
		msgs = info.State.Msgs
		return msgs >= total
	}, 60*time.Second, 100*time.Millisecond, "stream holds %d of %d", msgs, total)
	s, err := js.Stream(ctx, "RASTRO_TRACES")
	require.NoError(t, err)
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	onStream := map[string]int{}
	for len(onStream) < total {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		require.NoError(t, err)
		n := 0
		for m := range batch.Messages() {
			n++
			var ev struct {
				ID string `json:"id"`
			}
			require.NoError(t, json.Unmarshal(m.Data(), &ev))
			require.Equal(t, ev.ID, m.Headers().Get("Nats-Msg-Id"))
			onStream[ev.ID]++
		}
		require.NoError(t, batch.Error())
		require.Positive(t, n, "the stream ended with %d of %d traces", len(onStream), total)
	}
	for _, id := range ids {
		require.Equal(t, 1, onStream[id], "event %s on the stream", id)
	}
	// The outbox empties: what the killed collector had claimed (and
	// perhaps published) comes back when its lease ends and a survivor
	// publishes it again, which JetStream drops as a duplicate.
	var backlog int
	require.Eventually(t, func() bool {
		return conn.QueryRow(ctx, "SELECT count(*) FROM sink_outbox").Scan(&backlog) == nil && backlog == 0
	}, 30*time.Second, 50*time.Millisecond, "sink_outbox still holds %d entries", backlog)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	require.EqualValues(t, total, info.State.Msgs, "no duplicates on the stream")
	t.Logf("delivered %d events through 3 collectors (one killed), %d acknowledgements dropped, %d duplicates acknowledged",
		st.Sent, sp.dropped.Load(), st.Duplicates)
}

// BenchmarkScaleOut measures the events/s that 1, 2 and 3 collectors
// sharing PostgreSQL and handing every trace to NATS JetStream acknowledge
// together, loaded with batches of 100 events over 16 connections spread
// evenly across them, and how fast the stream receives them (the sink
// rate, measured until the stream holds every acknowledged event). Run it
// with: go test -run '^$' -bench ScaleOut -benchtime 5s ./collector/cmd/rastro-collector/
func BenchmarkScaleOut(b *testing.B) {
	pg, err := pgtest.Start()
	if err == pgtest.ErrNoPostgres {
		b.Skip(err)
	}
	require.NoError(b, err)
	defer pg.Stop()
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("collectors=%d", n), func(b *testing.B) {
			ctx := context.Background()
			dsn, err := pg.Schema(ctx)
			require.NoError(b, err)
			ns := natstest.Start(b)
			var addrs []string
			for range n {
				addr := freeAddr(b)
				startCollector(b, addr, b.TempDir(), "-store", dsn, "-nats", ns.URL)
				addrs = append(addrs, addr)
			}
			const conns, batch = 16, 100
			var acked atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			var reqs atomic.Int64
			for i := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
					url := "http://" + addrs[i%n] + "/v1/batch"
					for reqs.Add(1) <= int64(b.N) {
						var body strings.Builder
						body.WriteString(`{"events":[`)
						for j := range batch {
							if j > 0 {
								body.WriteByte(',')
							}
							fmt.Fprintf(&body, `{"id":%q,"kind":"star","touchpoint":"checkout.step%d","value":%d,"user_id":"u-%d"}`,
								wire.NewID(), j%3, 1+j%5, j%70)
						}
						body.WriteString(`]}`)
						req, _ := http.NewRequest("POST", url, strings.NewReader(body.String()))
						req.Header.Set("Authorization", "Bearer wk_e2e")
						req.Header.Set("Content-Type", "application/json")
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == http.StatusOK {
							acked.Add(batch)
						}
					}
				}()
			}
			wg.Wait()
			ingest := time.Since(start)
			nc, err := nats.Connect(ns.URL)
			require.NoError(b, err)
			defer nc.Close()
			js, err := jetstream.New(nc)
			require.NoError(b, err)
			require.Eventually(b, func() bool {
				s, err := js.Stream(ctx, "RASTRO_TRACES")
				if err != nil {
					return false
				}
				info, err := s.Info(ctx)
				return err == nil && int64(info.State.Msgs) >= acked.Load()
			}, 5*time.Minute, 20*time.Millisecond)
			streamed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(acked.Load())/ingest.Seconds(), "events/s")
			b.ReportMetric(float64(acked.Load())/streamed.Seconds(), "streamed-events/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
