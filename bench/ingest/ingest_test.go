package ingest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchConns is the number of keep-alive connections of BenchmarkIngest.
const benchConns = 32

// clientGOGC is the GOGC of the load generator while it runs.
const clientGOGC = 800

// ingestFlags lift the collector's per-key rate limit (10,000 events/s by
// default) for BenchmarkIngest, which measures capacity, not the limiter.
var ingestFlags = []string{"-write-key-rate", "-1"}

func enc(gz bool) string {
	if gz {
		return "gzip"
	}
	return "plain"
}

// BenchmarkIngest loads the ceiling server (cmd/ceiling), the collector
// without its store (cmd/nostore), with only a synced log (nostore -fsync)
// and the collector, each its own process, with the same client: 32
// keep-alive connections, each with one POST /v1/batch in flight, b.N
// requests in all, every event with an id never sent before. One op is
// one request. It reports
// acknowledged events/s, the CPU time per event of the server process and
// of the client, the p50 and p99 latency of a request, the peak RSS of the
// server process, the body bytes per event; B/op and allocs/op are the
// client's.
//
// Each sub-benchmark run (each -count) starts a fresh server, with an
// empty data directory for the collector, whose key rate limit is lifted
// (ingestFlags). gzip bodies are made and compressed before the clock
// starts; plain bodies get their fresh ids written into a copy of a
// pre-encoded batch per request, on the clock.
func BenchmarkIngest(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		bodies := NewBodies(batch, 1)
		for _, gz := range []bool{false, true} {
			for _, tg := range []target{ceilingTarget, nostoreTarget, logonlyTarget, collectorTarget} {
				var (
					srv   *server
					owner *testing.B
				)
				b.Run(fmt.Sprintf("target=%s/batch=%d/enc=%s", tg.name, batch, enc(gz)), func(b *testing.B) {
					if b != owner { // a new run (-count); the ramp-up calls share one server
						srv.close(b)
						srv, owner = tg.start(b, "", ingestFlags...), b
					}
					benchIngest(b, srv, bodies, gz)
				})
				srv.close(b)
			}
		}
	}
}

// benchIngest runs one measurement. Load's own workers rather than
// b.RunParallel: the load must be exactly benchConns connections whatever
// GOMAXPROCS is, and is the same engine as the overload run's.
func benchIngest(b *testing.B, srv *server, bodies *Bodies, gz bool) {
	l := Load{Bodies: bodies, Conns: benchConns, Gzip: gz, Requests: b.N}
	if gz {
		l.Pre = bodies.Gzipped(b.N)
	}
	// The client makes garbage (net/http copies each body through a
	// buffer of its size); collecting it less often leaves more of the
	// shared cores to the server under test. Its live heap is small.
	defer debug.SetGCPercent(debug.SetGCPercent(clientGOGC))
	b.ReportAllocs()
	b.ResetTimer()
	srvCPU, _ := srv.CPUTime()
	cliCPU := SelfCPUTime()
	res := l.Run(context.Background(), srv.URL)
	cliCPU = SelfCPUTime() - cliCPU
	srvCPU2, cpuErr := srv.CPUTime()
	b.StopTimer()
	if err := checkServed(srv, &res, false); err != nil {
		b.Fatal(err)
	}
	if shed := res.Shed(); shed > 0 {
		b.Logf("%d of %d requests shed (%s): events/s counts acknowledged events only", shed, res.Requests, res.Counts)
		b.ReportMetric(float64(shed)/float64(res.Requests), "shed/op")
	}
	b.ReportMetric(float64(res.AckedEvents)/res.Elapsed.Seconds(), "events/s")
	b.ReportMetric(Ms(res.Latencies.Quantile(0.50)), "p50-ms")
	b.ReportMetric(Ms(res.Latencies.Quantile(0.99)), "p99-ms")
	b.ReportMetric(float64(res.WireBytes)/float64(res.OfferedEvents), "wireB/event")
	// CPU time per event: what each side costs, less disturbed than events/s
	// by whatever else runs on the machine (benchstat shows these as
	// server-sec/event and client-sec/event).
	if cpuErr == nil && res.OfferedEvents > 0 {
		b.ReportMetric(float64((srvCPU2-srvCPU).Nanoseconds())/float64(res.OfferedEvents), "server-ns/event")
	}
	if res.OfferedEvents > 0 {
		b.ReportMetric(float64(cliCPU.Nanoseconds())/float64(res.OfferedEvents), "client-ns/event")
	}
	reportRSS(b, srv)
}

// checkServed returns an error describing what went wrong in a run that
// must not go wrong: a server gone, a request without an answer (or, unless
// slowOK, without one within the Load's timeout), an answer it should not
// have given, or a bench event found invalid.
func checkServed(srv *server, res *Result, slowOK bool) error {
	var problems []string
	if exited, err := srv.Exited(); exited {
		problems = append(problems, fmt.Sprintf("the server process exited (%v)", err))
	}
	n := res.TransportErrors()
	if slowOK {
		n -= res.Counts.Errors["timeout"]
	}
	if n > 0 {
		problems = append(problems, fmt.Sprintf("%d requests got no answer (%s); the first: %v", n, res.Counts, res.FirstError))
	}
	if res.Unexpected != "" {
		problems = append(problems, "unexpected answer: "+res.Unexpected)
	}
	if res.NoRetryAfter > 0 {
		problems = append(problems, fmt.Sprintf("%d answers 429 or 503 without a valid Retry-After", res.NoRetryAfter))
	}
	if res.Rejected > 0 {
		problems = append(problems, fmt.Sprintf("%d bench events rejected, the first %s", res.Rejected, res.FirstRejection))
	}
	if res.Duplicates > 0 {
		problems = append(problems, fmt.Sprintf("%d events with fresh ids called duplicates", res.Duplicates))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s\nserver output:\n%s", strings.Join(problems, "\n"), tail(srv.Output(), 4096))
}

func reportRSS(b *testing.B, srv *server) {
	if rss, err := srv.PeakRSS(); err == nil {
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	} else {
		b.Logf("no peak RSS: %v", err)
	}
}

// overloadLoad is the flood of BenchmarkOverload and
// TestOverloadLosesNothing: $RASTRO_OVERLOAD_CONNS connections (256),
// sending batches of $RASTRO_OVERLOAD_BATCH events (500, the protocol's
// largest) for $RASTRO_OVERLOAD_TIME (d), never waiting.
func overloadLoad(tb testing.TB, d time.Duration) Load {
	conns, batch := 256, 500
	if v := os.Getenv("RASTRO_OVERLOAD_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("RASTRO_OVERLOAD_CONNS=%q: want a positive number", v)
		}
		conns = n
	}
	if v := os.Getenv("RASTRO_OVERLOAD_BATCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("RASTRO_OVERLOAD_BATCH=%q: want a positive number", v)
		}
		batch = n
	}
	if v := os.Getenv("RASTRO_OVERLOAD_TIME"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			tb.Fatalf("RASTRO_OVERLOAD_TIME=%q: want a duration like 10s", v)
		}
	}
	return Load{Bodies: NewBodies(batch, 7), Conns: conns, Duration: d}
}

func summary(res *Result, srv *server) string {
	var rss string
	if n, err := srv.PeakRSS(); err == nil {
		rss = fmt.Sprintf(", peak RSS %.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d requests in %v: %s; offered %.0f events/s, acknowledged %.0f events/s; p50 %.2f ms, p99 %.2f ms%s",
		res.Requests, res.Elapsed.Round(time.Millisecond), res.Counts,
		float64(res.OfferedEvents)/res.Elapsed.Seconds(), float64(res.AckedEvents)/res.Elapsed.Seconds(),
		Ms(res.Latencies.Quantile(0.5)), Ms(res.Latencies.Quantile(0.99)), rss)
}

// BenchmarkOverload floods the ceiling and the collector (see
// overloadLoad) for 10 s per op; run it with -benchtime 1x. It reports the
// answers by status, the requests that got none (no-answer) or none within
// the SDK's 10 s timeout (over-10s), events/s offered and acknowledged,
// their ratio (how far over its capacity the server was driven), latencies
// and the server's peak RSS. It fails when the server crashes or a request
// gets no answer at all; TestOverloadLosesNothing also checks that every
// acknowledged event was stored.
func BenchmarkOverload(b *testing.B) {
	for _, tg := range []target{ceilingTarget, collectorTarget} {
		b.Run("target="+tg.name, func(b *testing.B) {
			srv := tg.start(b, "")
			defer srv.close(b)
			l := overloadLoad(b, 10*time.Second)
			defer debug.SetGCPercent(debug.SetGCPercent(clientGOGC))
			var res Result
			for b.Loop() {
				res = l.Run(context.Background(), srv.URL)
			}
			b.Log(summary(&res, srv))
			if err := checkServed(srv, &res, true); err != nil {
				b.Error(err)
			}
			okAnswers := res.Counts.Status[tg.ok]
			b.ReportMetric(float64(okAnswers), "ok-answers")
			b.ReportMetric(float64(res.Counts.Status[http.StatusTooManyRequests]), "429-answers")
			b.ReportMetric(float64(res.Counts.Status[http.StatusServiceUnavailable]), "503-answers")
			b.ReportMetric(float64(res.Requests-okAnswers-res.Shed()), "other-answers")
			timeouts := res.Counts.Errors["timeout"]
			b.ReportMetric(float64(res.TransportErrors()-timeouts), "no-answer")
			b.ReportMetric(float64(timeouts), "over-10s")
			b.ReportMetric(float64(res.OfferedEvents)/res.Elapsed.Seconds(), "offered-events/s")
			b.ReportMetric(float64(res.AckedEvents)/res.Elapsed.Seconds(), "events/s")
			if res.AckedEvents > 0 {
				b.ReportMetric(float64(res.OfferedEvents)/float64(res.AckedEvents), "offered/acked")
			}
			b.ReportMetric(Ms(res.Latencies.Quantile(0.50)), "p50-ms")
			b.ReportMetric(Ms(res.Latencies.Quantile(0.99)), "p99-ms")
			reportRSS(b, srv)
		})
	}
}

// TestOverloadLosesNothing floods the collector (see overloadLoad) and
// checks that it stays up and answers every request with 200, or 429/503
// with Retry-After (answers slower than the SDK's 10 s timeout are only
// reported), and that every event it acknowledged in a 200 is in its
// export: right after the flood, and again after it was killed with SIGKILL
// and restarted on the same data directory.
func TestOverloadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the overload run takes 8-18 s")
	}
	srv := collectorTarget.start(t, "")
	defer srv.close(t)
	l := overloadLoad(t, 8*time.Second) // so that the test, exports and restart included, stays under 30 s
	l.TrackIDs = true
	defer debug.SetGCPercent(debug.SetGCPercent(clientGOGC))
	res := l.Run(context.Background(), srv.URL)
	t.Log(summary(&res, srv))
	// Answers slower than the SDK's timeout lose nothing (the SDK would
	// send again and the collector dedupe), so they are only reported.
	if err := checkServed(srv, &res, true); err != nil {
		t.Error(err)
	}
	if n := res.Counts.Errors["timeout"]; n > 0 {
		t.Logf("warning: %d requests got no answer within the SDK's 10 s timeout: the collector queues more than it sheds", n)
	}
	if exited, _ := srv.Exited(); exited {
		t.FailNow()
	}
	if got := res.Requests - res.Counts.Status[http.StatusOK] - res.Shed(); got > 0 {
		t.Errorf("%d answers other than 200, 429 and 503 (%s)", got, res.Counts)
	}
	if res.AckedEvents == 0 {
		t.Fatalf("the collector acknowledged no event at all (%s)", res.Counts)
	}
	if float64(res.OfferedEvents) < 10*float64(res.AckedEvents) {
		t.Logf("note: offered only %.1fx what was acknowledged; raise RASTRO_OVERLOAD_CONNS to drive it harder",
			float64(res.OfferedEvents)/float64(res.AckedEvents))
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatalf("after the flood: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the flood, /readyz answers %s", resp.Status)
	}

	checkExported(t, srv, res.Acked)

	t.Run("after SIGKILL and a restart", func(t *testing.T) {
		srv.Kill()
		again := collectorTarget.start(t, srv.dataDir)
		defer again.close(t)
		checkExported(t, again, res.Acked)
	})
}

// checkExported checks that every id of acked is in the export of srv.
func checkExported(t *testing.T, srv *server, acked []ID) {
	t.Helper()
	want := make(map[ID]bool, len(acked))
	for _, id := range acked {
		want[id] = false
	}
	if len(want) != len(acked) {
		t.Fatalf("the bench sent %d ids more than once", len(acked)-len(want))
	}
	found := 0
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lines, err := Export(ctx, srv.URL, func(id ID) {
		if seen, ok := want[id]; ok && !seen {
			want[id] = true
			found++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("export: %d traces in %v, %d of %d acknowledged events found", lines,
		time.Since(start).Round(time.Millisecond), found, len(want))
	if missing := len(want) - found; missing > 0 {
		var some []string
		for id, seen := range want {
			if !seen && len(some) < 5 {
				some = append(some, string(id[:]))
			}
		}
		t.Errorf("%d of %d events acknowledged in a 200 are missing from %s (%d traces), e.g. %s",
			missing, len(want), ExportPath, lines, strings.Join(some, ", "))
	}
}
