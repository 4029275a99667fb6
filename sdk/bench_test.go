package sdk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// benchClient returns a client whose dispatcher never runs on its own, so
// that a benchmark measures Capture alone.
func benchClient(b *testing.B) *Client {
	c, err := New(Config{Endpoint: "http://127.0.0.1:9", WriteKey: "wk_bench",
		QueueEvents: 1 << 17, QueueBytes: 1 << 30, BatchEvents: 1 << 30, FlushInterval: time.Hour,
		Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		c.drain()
		_ = c.Close(ctx)
	})
	return c
}

// drain empties the queue without sending.
func (c *Client) drain() {
	c.q.mu.Lock()
	var e Event
	for c.q.n > 0 {
		c.q.popOne(&e)
	}
	c.q.mu.Unlock()
}

// BenchmarkCapture measures Capture while the queue has room: the event is
// built, validated, given a UUIDv7 and a time, and queued.
func BenchmarkCapture(b *testing.B) {
	c := benchClient(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := c.Capture(Star("checkout.payment", 4).User("u-42").Channel(Web)); err != nil {
			b.Fatal(err)
		}
		if i++; i == 1024 { // about two batches: the queue a sender keeps up with
			b.StopTimer()
			c.drain()
			i = 0
			b.StartTimer()
		}
	}
}

// BenchmarkCaptureDelivering measures Capture as bench's peer comparison
// does: in chunks of 99, each delivered to a local server (Flush, timer
// stopped) before the next. It costs ~30 ns more than BenchmarkCapture:
// the delivery between chunks leaves the caches (and the queue slots the
// dispatcher last wrote) cold for the captures that follow.
func BenchmarkCaptureDelivering(b *testing.B) {
	var got atomic.Int64
	srv := httptest.NewServer(countingHandler(&got))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, WriteKey: "wk_bench", FlushInterval: time.Hour, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := c.Capture(Star("checkout.payment", 4).User("u-42").Channel(Web)); err != nil {
			b.Fatal(err)
		}
		if n++; n%99 == 0 {
			b.StopTimer()
			if err := c.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	if err := c.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if got.Load() != int64(n) {
		b.Fatalf("server got %d of %d", got.Load(), n)
	}
}

// BenchmarkCaptureParallel measures Capture from GOMAXPROCS goroutines.
// Each goroutine empties the queue every 4096 captures, so the queue always
// has room; the draining (a few ns per event) is included in ns/op.
func BenchmarkCaptureParallel(b *testing.B) {
	c := benchClient(b)
	b.ReportAllocs()
	var full atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := c.Capture(Star("checkout.payment", 4).User("u-42").Channel(Web)); err != nil {
				full.Add(1)
			}
			if i++; i%4096 == 0 {
				c.drain()
			}
		}
	})
	if f := full.Load(); f > 0 {
		b.Fatalf("%d of %d captures found the queue full", f, b.N)
	}
}

// BenchmarkValidate isolates the validation of the benchmark event
// (common: checked field by field) and of one with a rarely set field
// (journey: checked in its wire form, see Client.validate).
func BenchmarkValidate(b *testing.B) {
	c := benchClient(b)
	now := time.Now()
	for _, bc := range []struct {
		name string
		e    Event
	}{
		{"common", Star("checkout.payment", 4).User("u-42").Channel(Web).At(now)},
		{"journey", Star("checkout.payment", 4).User("u-42").Channel(Web).At(now).Journey("checkout")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := bc.e
			b.ReportAllocs()
			for b.Loop() {
				if err := c.validate(&e, now, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDelivered measures sustained delivery to a local server that
// reads the whole body, decodes it and answers 200: events/s is what the
// server received.
func BenchmarkDelivered(b *testing.B) {
	for _, bc := range []struct {
		name string
		comp Compression
	}{{"gzip", Gzip}, {"plain", NoCompression}} {
		b.Run(bc.name, func(b *testing.B) {
			var got atomic.Int64
			srv := httptest.NewServer(countingHandler(&got))
			defer srv.Close()
			c, err := New(Config{Endpoint: srv.URL, WriteKey: "wk_bench", Compression: bc.comp, Policy: Block,
				Logger: discardLogger()})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := c.CaptureContext(ctx, Star("checkout.payment", 4).User("u-42").Channel(Web)); err != nil {
					b.Fatal(err)
				}
			}
			if err := c.Close(ctx); err != nil {
				b.Fatal(err)
			}
			el := time.Since(start)
			if got.Load() != int64(b.N) {
				b.Fatalf("server got %d of %d", got.Load(), b.N)
			}
			b.ReportMetric(float64(got.Load())/el.Seconds(), "events/s")
		})
	}
}

var _ http.Handler = countingHandler(nil)
