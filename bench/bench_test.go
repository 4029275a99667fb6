package bench

import (
	"context"
	"io"
	"log"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/posthog/posthog-go"
	analytics "gopkg.in/segmentio/analytics-go.v3"

	"github.com/rastrohq/rastro/sdk"
)

// The same event for every SDK: a 4-star rating of checkout.payment by
// user u-42 on the web.

func rastroEvent() sdk.Event {
	return sdk.Star("checkout.payment", 4).User("u-42").Channel(sdk.Web)
}

func segmentEvent() analytics.Track {
	return analytics.Track{UserId: "u-42", Event: "checkout.payment",
		Properties: analytics.NewProperties().Set("rating", 4).Set("channel", "web")}
}

func posthogEvent() posthog.Capture {
	return posthog.Capture{DistinctId: "u-42", Event: "checkout.payment",
		Properties: posthog.NewProperties().Set("rating", 4).Set("channel", "web")}
}

// sdkUnderTest wraps one SDK: capture one event, close (flushing).
type sdkUnderTest struct {
	capture func() error
	close   func() error
}

func newRastro(b testing.TB, url string, comp sdk.Compression, queue int) sdkUnderTest {
	c, err := sdk.New(sdk.Config{Endpoint: url, WriteKey: "wk_bench", Compression: comp,
		QueueEvents: queue, QueueBytes: queue * 400, Policy: sdk.Block, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	return sdkUnderTest{
		capture: func() error { return c.CaptureContext(ctx, rastroEvent()) },
		close: func() error {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			return c.Close(ctx)
		},
	}
}

func newSegment(b testing.TB, url string) sdkUnderTest {
	c, err := analytics.NewWithConfig("wk_bench", analytics.Config{Endpoint: url,
		Logger: analytics.StdLogger(log.New(io.Discard, "", 0))})
	if err != nil {
		b.Fatal(err)
	}
	return sdkUnderTest{capture: func() error { return c.Enqueue(segmentEvent()) }, close: c.Close}
}

func newPosthog(b testing.TB, url string) sdkUnderTest {
	c, err := posthog.NewWithConfig("wk_bench", posthog.Config{Endpoint: url,
		Logger: posthog.StdLogger(log.New(io.Discard, "", 0))})
	if err != nil {
		b.Fatal(err)
	}
	return sdkUnderTest{capture: func() error { return c.Enqueue(posthogEvent()) }, close: c.Close}
}

type contender struct {
	name string
	make func(tb testing.TB, url string) sdkUnderTest
}

var contenders = []contender{
	{"sdk=rastro", func(tb testing.TB, url string) sdkUnderTest { return newRastro(tb, url, sdk.Gzip, 0) }},
	{"sdk=rastro-plain", func(tb testing.TB, url string) sdkUnderTest { return newRastro(tb, url, sdk.NoCompression, 0) }},
	{"sdk=segment", newSegment},
	{"sdk=posthog", newPosthog},
}

// captureChunk is how many captures are timed between two pauses in
// BenchmarkCapture: fewer than every SDK's buffer holds (the peers' channel
// takes 100 messages; Rastro's queue 10,000 and its batch 500).
const captureChunk = 99

// BenchmarkCapture measures one capture call (Rastro's Capture, the peers'
// Enqueue) while the SDK's buffer has room: captures are timed in chunks of
// 99, and between chunks, with the timer stopped, the SDK delivers them all
// to the local server. Every SDK is configured to send a batch as soon as it
// has 99 events, so each chunk starts with an empty buffer.
func BenchmarkCapture(b *testing.B) {
	for _, c := range []struct {
		name string
		make func(b *testing.B, url string) (capture func() error, flush func(), close func() error)
	}{
		{"sdk=rastro", func(b *testing.B, url string) (func() error, func(), func() error) {
			c, err := sdk.New(sdk.Config{Endpoint: url, WriteKey: "wk_bench", FlushInterval: time.Hour,
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			capture := func() error { return c.Capture(rastroEvent()) }
			flush := func() {
				if err := c.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			return capture, flush, func() error { return c.Close(context.Background()) }
		}},
		{"sdk=segment", func(b *testing.B, url string) (func() error, func(), func() error) {
			c, err := analytics.NewWithConfig("wk_bench", analytics.Config{Endpoint: url, BatchSize: captureChunk,
				Interval: time.Millisecond, Logger: analytics.StdLogger(log.New(io.Discard, "", 0))})
			if err != nil {
				b.Fatal(err)
			}
			return func() error { return c.Enqueue(segmentEvent()) }, nil, c.Close
		}},
		{"sdk=posthog", func(b *testing.B, url string) (func() error, func(), func() error) {
			c, err := posthog.NewWithConfig("wk_bench", posthog.Config{Endpoint: url, BatchSize: captureChunk,
				Interval: time.Millisecond, Logger: posthog.StdLogger(log.New(io.Discard, "", 0))})
			if err != nil {
				b.Fatal(err)
			}
			return func() error { return c.Enqueue(posthogEvent()) }, nil, c.Close
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := NewServer()
			defer srv.Close()
			capture, flush, closeFn := c.make(b, srv.URL)
			b.ReportAllocs()
			var n int64
			for b.Loop() {
				if err := capture(); err != nil {
					b.Fatal(err)
				}
				if n++; n%captureChunk == 0 {
					b.StopTimer()
					if flush != nil {
						flush()
					}
					for srv.Events() < n {
						time.Sleep(50 * time.Microsecond)
					}
					b.StartTimer()
				}
			}
			b.StopTimer()
			if err := closeFn(); err != nil {
				b.Fatal(err)
			}
			if got := srv.Events(); got != n {
				b.Fatalf("server decoded %d of %d events", got, n)
			}
		})
	}
}

// BenchmarkDelivered measures events per second delivered to the server:
// b.N events captured from one goroutine, then close; the clock stops
// when close returns and every event has been decoded by the server.
func BenchmarkDelivered(b *testing.B) {
	for _, c := range contenders {
		b.Run(c.name, func(b *testing.B) {
			srv := NewServer()
			defer srv.Close()
			s := c.make(b, srv.URL)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := s.capture(); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.close(); err != nil {
				b.Fatal(err)
			}
			el := time.Since(start)
			if got := srv.Events(); got != int64(b.N) {
				b.Fatalf("server decoded %d of %d events", got, b.N)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
			b.ReportMetric(float64(srv.WireBytes())/float64(b.N), "wireB/event")
		})
	}
}

// BenchmarkOutageMemory captures while the collector answers 503 to
// everything and reports the peak heap: it must stay near the configured
// queue bound (20,000 events, 8 MiB) however many events come.
func BenchmarkOutageMemory(b *testing.B) {
	srv := NewServer()
	defer srv.Close()
	srv.Down.Store(true)
	c, err := sdk.New(sdk.Config{Endpoint: srv.URL, WriteKey: "wk_bench", Policy: sdk.DropOldest,
		QueueEvents: 20000, QueueBytes: 8 << 20, RetryInitial: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = c.Capture(sdk.Comment("support.chat", "the agent solved it in one call").User("u-42").Channel(sdk.Chat))
		if i++; i%4096 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	st := c.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = c.Close(ctx)
	if st.Queued > 20000 || st.QueuedBytes > 8<<20 {
		b.Fatalf("queue over its bounds: %+v", st)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peak-base)/(1<<20), "heap-growth-MiB")
	b.ReportMetric(float64(st.Dropped.Evicted)/float64(b.N), "evicted/op")
}
