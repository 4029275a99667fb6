package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk/wire"
)

// testConfig is a fast-paced configuration for tests.
func testConfig(url string) Config {
	return Config{
		Endpoint:        url,
		WriteKey:        "wk_test",
		FlushInterval:   10 * time.Millisecond,
		RetryInitial:    5 * time.Millisecond,
		RetryMax:        50 * time.Millisecond,
		RetryMaxElapsed: 20 * time.Second,
		BatchEvents:     50,
		Timeout:         2 * time.Second,
		Logger:          discardLogger(),
	}
}

func target(i int) string { return "t-" + itoa(i) }

// captureN captures n distinguishable events.
func captureN(t *testing.T, c *Client, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, c.Capture(Star("checkout.payment", 1+i%5).Target(target(i)).User("u-42").Channel(Web)))
	}
}

func closeWithin(t *testing.T, c *Client, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.Close(ctx)
}

// requireExactlyOnce asserts that each of the n targets reached the
// collector's dedupe layer under exactly one id, except those in skip.
func requireExactlyOnce(t *testing.T, f *fakeCollector, n int, skip func(i int) bool) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	want := 0
	for i := range n {
		if skip != nil && skip(i) {
			continue
		}
		want++
		ids := f.targets[target(i)]
		require.Len(t, ids, 1, "target %d stored under %d ids", i, len(ids))
	}
	got := 0
	for tg := range f.targets {
		if strings.HasPrefix(tg, "t-") {
			got++
		}
	}
	require.Equal(t, want, got, "distinct events stored")
}

// requireAccounted asserts that every captured event is accounted for.
func requireAccounted(t *testing.T, s Stats) {
	t.Helper()
	lost := s.Dropped.Total() - s.Dropped.QueueFull
	require.Equal(t, s.Captured, s.Sent+s.Rejected+lost+uint64(s.Queued+s.InFlight+s.Outbox), "stats: %+v", s)
}

func TestDeliveryWhenTheCollectorMisbehaves(t *testing.T) {
	const n = 600
	tests := []struct {
		name       string
		script     func(req int, ev []wire.Event) action
		maxEvents  int
		reject     func(e *wire.Event) (string, bool)
		cfg        func(*Config)
		rejectedOf func(i int) bool // events the collector rejects
		duplicates bool             // resends of stored batches are expected
		check      func(t *testing.T, s Stats)
	}{
		{name: "healthy"},
		{name: "503 bursts", script: func(req int, _ []wire.Event) action {
			if req%4 != 3 {
				return action{status: 503}
			}
			return action{}
		}, check: func(t *testing.T, s Stats) { require.NotZero(t, s.Retried) }},
		{name: "429 with Retry-After", script: func(req int, _ []wire.Event) action {
			if req == 1 {
				return action{status: 429, retryAfter: "1"}
			}
			return action{}
		}},
		{name: "connection resets before storing", script: func(req int, _ []wire.Event) action {
			return action{reset: req%3 == 0}
		}},
		{name: "connection resets after storing", script: func(req int, _ []wire.Event) action {
			return action{reset: req%3 == 0, storeFirst: true}
		}, duplicates: true},
		{name: "slow responses past the timeout", script: func(req int, _ []wire.Event) action {
			if req%5 == 0 {
				return action{delay: 300 * time.Millisecond}
			}
			return action{delay: 20 * time.Millisecond}
		}, cfg: func(c *Config) { c.Timeout = 150 * time.Millisecond }, duplicates: true},
		{name: "413 splits", maxEvents: 7},
		{name: "408 and 500", script: func(req int, _ []wire.Event) action {
			switch req % 3 {
			case 0:
				return action{status: 408}
			case 1:
				return action{status: 500}
			}
			return action{}
		}},
		{name: "per-event rejections", reject: func(e *wire.Event) (string, bool) {
			return "target", strings.HasSuffix(e.Target, "3")
		}, rejectedOf: func(i int) bool { return i%10 == 3 }, check: func(t *testing.T, s Stats) {
			require.EqualValues(t, n/10, s.Rejected)
		}},
		{name: "everything at once", maxEvents: 20, script: func(req int, _ []wire.Event) action {
			switch req % 6 {
			case 0:
				return action{status: 503, retryAfter: "0"}
			case 1:
				return action{reset: true, storeFirst: req%4 == 1}
			case 2:
				return action{delay: 30 * time.Millisecond}
			}
			return action{}
		}, reject: func(e *wire.Event) (string, bool) { return "target", strings.HasSuffix(e.Target, "7") }, rejectedOf: func(i int) bool { return i%10 == 7 }, duplicates: true},
		{name: "plain JSON", cfg: func(c *Config) { c.Compression = NoCompression }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeCollector(t, tc.script)
			f.maxEvents = tc.maxEvents
			f.reject = tc.reject
			cfg := testConfig(f.URL())
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			var results atomic.Int64
			cfg.OnResult = func(r Result) { results.Add(int64(r.Delivered + len(r.Rejected))) }
			c, err := New(cfg)
			require.NoError(t, err)
			captureN(t, c, n)
			require.NoError(t, c.Flush(context.Background()))
			err = closeWithin(t, c, 10*time.Second)
			s := c.Stats()
			if tc.rejectedOf == nil {
				require.NoError(t, err)
			} else {
				var ce *CloseError
				require.ErrorAs(t, err, &ce)
				require.Zero(t, ce.Stats.Dropped.Total())
			}
			requireExactlyOnce(t, f, n, tc.rejectedOf)
			require.EqualValues(t, n, s.Captured)
			require.Zero(t, s.Dropped.Total(), "drops: %s", s.Dropped)
			require.EqualValues(t, n, s.Sent+s.Rejected)
			require.EqualValues(t, n, results.Load(), "OnResult saw every event")
			requireAccounted(t, s)
			f.mu.Lock()
			require.Empty(t, f.after, "rejected events were sent again")
			if !tc.duplicates {
				for id, k := range f.stored {
					require.Equal(t, 1, k, "id %s stored %d times", id, k)
				}
			}
			f.mu.Unlock()
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

func TestNeverRetriesClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 422} {
		t.Run(itoa(status), func(t *testing.T) {
			t.Parallel()
			f := newFakeCollector(t, func(req int, _ []wire.Event) action {
				if req == 0 {
					return action{status: status}
				}
				return action{}
			})
			var reported atomic.Int64
			cfg := testConfig(f.URL())
			cfg.FlushInterval = time.Hour // only full batches of 50, then Close's
			cfg.OnResult = func(r Result) {
				if r.Reason == ReasonClientError {
					reported.Add(int64(r.Dropped))
				}
			}
			c, err := New(cfg)
			require.NoError(t, err)
			captureN(t, c, 200)
			err = closeWithin(t, c, 5*time.Second)
			var ce *CloseError
			require.ErrorAs(t, err, &ce)
			s := c.Stats()
			require.EqualValues(t, 50, s.Dropped.ClientError, "the first batch of 50 is dropped")
			require.EqualValues(t, 50, reported.Load())
			require.EqualValues(t, 150, s.Sent)
			require.Zero(t, s.Retried)
			requireAccounted(t, s)
			f.mu.Lock()
			defer f.mu.Unlock()
			require.Empty(t, f.after, "events of a refused batch were sent again")
			require.Equal(t, 4, f.requests)
		})
	}
}

func TestRetryAfterPausesTheWholeClient(t *testing.T) {
	var first atomic.Int64
	f := newFakeCollector(t, func(req int, _ []wire.Event) action {
		if req == 0 {
			first.Store(time.Now().UnixNano())
			return action{status: 429, retryAfter: "1"}
		}
		return action{}
	})
	cfg := testConfig(f.URL())
	cfg.Workers = 4
	c, err := New(cfg)
	require.NoError(t, err)
	captureN(t, c, 400) // 8 batches for 4 workers
	require.NoError(t, closeWithin(t, c, 10*time.Second))
	requireExactlyOnce(t, f, 400, nil)
	f.mu.Lock()
	defer f.mu.Unlock()
	t0 := time.Unix(0, first.Load())
	// Requests already in flight when the 429 came may still arrive just
	// after it; none may start during the rest of the pause.
	for i, at := range f.times[1:] {
		if d := at.Sub(t0); d > 100*time.Millisecond && d < 900*time.Millisecond {
			t.Errorf("request %d came %v into the pause", i+1, d)
		}
	}
	require.Greater(t, f.times[len(f.times)-1].Sub(t0), 900*time.Millisecond)
}

func TestRetryAfterIsClamped(t *testing.T) {
	f := newFakeCollector(t, func(req int, _ []wire.Event) action {
		if req == 0 {
			return action{status: 503, retryAfter: "3600"}
		}
		return action{}
	})
	cfg := testConfig(f.URL())
	cfg.MaxPause = 200 * time.Millisecond
	c, err := New(cfg)
	require.NoError(t, err)
	captureN(t, c, 10)
	start := time.Now()
	require.NoError(t, closeWithin(t, c, 5*time.Second))
	require.Less(t, time.Since(start), 2*time.Second)
}

func TestCloseRespectsItsDeadline(t *testing.T) {
	tests := []struct {
		name   string
		script func(int, []wire.Event) action
	}{
		{"always 503", func(int, []wire.Event) action { return action{status: 503} }},
		{"hangs", func(int, []wire.Event) action { return action{delay: time.Minute} }},
		{"429 for an hour", func(int, []wire.Event) action { return action{status: 429, retryAfter: "3600"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeCollector(t, tc.script)
			cfg := testConfig(f.URL())
			cfg.Timeout = time.Minute
			cfg.MaxPause = time.Hour
			// Longer than any pause, so a batch answered before Close
			// waits instead of being dropped as retries_exhausted: on a
			// slow machine some batches are answered before Close runs.
			cfg.RetryMaxElapsed = 2 * time.Hour
			c, err := New(cfg)
			require.NoError(t, err)
			captureN(t, c, 300)
			start := time.Now()
			err = closeWithin(t, c, 300*time.Millisecond)
			el := time.Since(start)
			require.Less(t, el, time.Second, "Close took %v", el)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			var ce *CloseError
			require.ErrorAs(t, err, &ce)
			require.EqualValues(t, 300, ce.Stats.Dropped.Shutdown, "%s", ce)
			require.Zero(t, ce.Stats.Sent)
			requireAccounted(t, ce.Stats)
			require.Contains(t, err.Error(), "0 delivered")
			require.Contains(t, err.Error(), "shutdown=300")
		})
	}
}

func TestCloseIsIdempotentAndFinal(t *testing.T) {
	f := newFakeCollector(t, nil)
	c, err := New(testConfig(f.URL()))
	require.NoError(t, err)
	captureN(t, c, 10)
	require.NoError(t, closeWithin(t, c, time.Second))
	require.NoError(t, closeWithin(t, c, time.Second))
	require.ErrorIs(t, c.Capture(Click("home", "logo")), ErrClosed)
	require.ErrorIs(t, c.Flush(context.Background()), ErrClosed)
	require.EqualValues(t, 10, c.Stats().Sent)
}

func TestQueuePolicies(t *testing.T) {
	// A collector that holds every request until released, so the queue fills.
	release := make(chan struct{})
	f := newFakeCollector(t, func(int, []wire.Event) action { <-release; return action{} })
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	newClient := func(p Policy) *Client {
		cfg := testConfig(f.URL())
		cfg.Policy = p
		cfg.QueueEvents = 100
		cfg.Workers = 1
		cfg.BatchEvents = 10
		// Only full batches leave, so exactly two are in flight whatever
		// the machine's load (a flush timer could send a partial one).
		cfg.FlushInterval = time.Hour
		c, err := New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = closeWithin(t, c, 50*time.Millisecond) })
		return c
	}
	fill := func(t *testing.T, c *Client) (refused int) {
		// The worker takes one batch and blocks on the collector; the
		// dispatcher takes a second one and waits for the worker. Then the
		// queue fills up.
		for i := 0; i < 300; i++ {
			err := c.Capture(Click("home", target(i)))
			if errors.Is(err, ErrQueueFull) {
				refused++
			} else {
				require.NoError(t, err)
			}
			if i == 30 {
				require.Eventually(t, func() bool { return c.Stats().InFlight == 20 }, 5*time.Second, time.Millisecond, "stats %+v", c.Stats())
			}
		}
		require.Equal(t, 20, c.Stats().InFlight)
		return refused
	}
	t.Run("drop newest", func(t *testing.T) {
		c := newClient(DropNewest)
		refused := fill(t, c)
		s := c.Stats()
		require.Equal(t, 100, s.Queued)
		require.EqualValues(t, refused, s.Dropped.QueueFull)
		require.Positive(t, refused)
		require.LessOrEqual(t, s.Queued, 100)
		_ = closeWithin(t, c, 50*time.Millisecond)
		requireAccounted(t, c.Stats())
	})
	t.Run("drop oldest", func(t *testing.T) {
		c := newClient(DropOldest)
		require.Zero(t, fill(t, c))
		s := c.Stats()
		require.Equal(t, 100, s.Queued)
		require.EqualValues(t, 300-100-20, s.Dropped.Evicted)
		_ = closeWithin(t, c, 50*time.Millisecond)
		requireAccounted(t, c.Stats())
	})
	t.Run("block", func(t *testing.T) {
		c := newClient(Block)
		require.Positive(t, fill(t, c), "Capture never blocks, even under Block")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := c.CaptureContext(ctx, Click("home", "late"))
		require.ErrorIs(t, err, ErrQueueFull)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
		// A blocked caller proceeds once room is made.
		done := make(chan error, 1)
		go func() { done <- c.CaptureContext(context.Background(), Click("home", "waits")) }()
		select {
		case err := <-done:
			t.Fatalf("CaptureContext returned %v with a full queue", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		require.NoError(t, <-done)
		require.NoError(t, closeWithin(t, c, 5*time.Second))
	})
}

func TestQueueBytesBound(t *testing.T) {
	f := newFakeCollector(t, func(int, []wire.Event) action { return action{delay: time.Hour} })
	cfg := testConfig(f.URL())
	cfg.QueueBytes = 64 << 10
	cfg.Workers = 1
	c, err := New(cfg)
	require.NoError(t, err)
	text := strings.Repeat("x", 4000)
	for i := 0; i < 200; i++ {
		_ = c.Capture(Comment("support.chat", text))
	}
	s := c.Stats()
	require.LessOrEqual(t, s.QueuedBytes, 64<<10)
	require.Positive(t, s.Dropped.QueueFull)
	_ = closeWithin(t, c, 50*time.Millisecond)
}

func TestValidationErrorsNameTheField(t *testing.T) {
	f := newFakeCollector(t, nil)
	c, err := New(testConfig(f.URL()))
	require.NoError(t, err)
	defer closeWithin(t, c, time.Second)
	tests := []struct {
		name  string
		ev    Event
		field string
	}{
		{"star above its scale", Star("checkout", 6), "value"},
		{"star below its scale", Star("checkout", 0), "value"},
		{"star on a 10 scale", Star("checkout", 11).Scale(1, 10), "value"},
		{"scale too big", Star("checkout", 4).Scale(1, 11), "scale_max"},
		{"NPS 11", NPS("checkout", 11), "value"},
		{"NPS -1", NPS("checkout", -1), "value"},
		{"CES 8", CES("checkout", 8), "value"},
		{"CSAT 0", CSAT("checkout", 0), "value"},
		{"emoji 6", Emoji("checkout", 6, "😍"), "value"},
		{"empty touchpoint", Click("", "buy"), "touchpoint"},
		{"text over the limit", Comment("checkout", strings.Repeat("a", 4097)), "text"},
		{"comment without text", Comment("checkout", ""), "text"},
		{"unknown channel", Click("checkout", "buy").Channel("fax"), "channel"},
		{"control character", Click("checkout\n", "buy"), "touchpoint"},
		{"future time", Click("checkout", "buy").At(time.Now().Add(48 * time.Hour)), "occurred_at"},
		{"QA out of range", QA("call.review", 101), "value"},
		{"long user id", Click("checkout", "buy").User(strings.Repeat("u", 300)), "user_id"},
		{"long prop", Click("checkout", "buy").Prop("plan", strings.Repeat("p", 600)), "props.plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Capture(tc.ev)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field, "%v", err)
		})
	}
	require.EqualValues(t, len(tests), c.Stats().Invalid)
	require.Zero(t, c.Stats().Captured)
}

func TestConstructorsMakeValidEvents(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		ev    Event
		kind  wire.Kind
		value *float64
	}{
		{"click", Click("home", "logo"), wire.KindClick, nil},
		{"star", Star("checkout", 4), wire.KindStar, ptr(4)},
		{"star of 10", Star("checkout", 9).Scale(1, 10), wire.KindStar, ptr(9)},
		{"emoji", Emoji("checkout", 2, "🙁"), wire.KindEmoji, ptr(2)},
		{"thumbs up", Thumbs("answer", true), wire.KindThumbs, ptr(1)},
		{"thumbs down", Thumbs("answer", false), wire.KindThumbs, ptr(0)},
		{"nps", NPS("relationship", 10), wire.KindNPS, ptr(10)},
		{"csat", CSAT("support", 5), wire.KindCSAT, ptr(5)},
		{"ces", CES("support", 7), wire.KindCES, ptr(7)},
		{"comment", Comment("support", "great"), wire.KindComment, nil},
		{"qa", QA("call.review", 87.5), wire.KindQA, ptr(87.5)},
		{"qa on 0..10", QA("call.review", 7.5).Scale(0, 10), wire.KindQA, ptr(7.5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev.User("u-1").Anonymous("a-1").Session("s-1").Interaction("i-1").Agent("ag-1").
				Journey("buy").Channel(App).Lang("pt-BR").Context("https://x.test/p", "", "ua", "1.2").
				Prop("plan", "pro").ID("id-" + tc.name).At(now)
			w := ev.Wire()
			require.NoError(t, w.Validate(wire.DefaultLimits(), now))
			require.Equal(t, tc.kind, w.Kind)
			require.Equal(t, tc.kind, ev.Kind())
			require.Equal(t, tc.value, w.Value)
			require.Equal(t, "u-1", w.UserID)
			require.Equal(t, "pro", w.Props["plan"])
			require.Equal(t, "https://x.test/p", w.Context.URL)
			require.Equal(t, ev, FromWire(w), "FromWire inverts Wire")
		})
	}
}

func ptr(f float64) *float64 { return &f }

func TestEventsAreValues(t *testing.T) {
	base := Star("checkout", 4).Prop("plan", "pro")
	a := base.Prop("ab", "a").URL("https://a.test")
	b := base.Prop("ab", "b")
	require.Equal(t, "a", a.Wire().Props["ab"])
	require.Equal(t, "b", b.Wire().Props["ab"])
	require.Len(t, base.Wire().Props, 1)
	require.Nil(t, base.Wire().Context)
}

func TestCaptureSetsIDAndTime(t *testing.T) {
	f := newFakeCollector(t, nil)
	cfg := testConfig(f.URL())
	fixed := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	cfg.now = func() time.Time { return fixed }
	c, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, c.Capture(Click("home", "a")))
	require.NoError(t, c.Capture(Click("home", "b").ID("my-id").At(fixed.Add(-time.Hour))))
	require.NoError(t, closeWithin(t, c, 5*time.Second))
	f.mu.Lock()
	defer f.mu.Unlock()
	var gen string
	for id := range f.targets["a"] {
		gen = id
	}
	_, ok := wire.IDTime(gen)
	require.True(t, ok, "id %q is a UUIDv7", gen)
	require.True(t, f.last["a"].OccurredAt.Equal(fixed))
	require.True(t, f.last["b"].OccurredAt.Equal(fixed.Add(-time.Hour)))
	require.True(t, f.targets["b"]["my-id"])
}

// TestTimestampsComeFromTheClock checks that Capture stamps events with the
// client's clock and that the ids made for them when they are batched are
// UUIDv7s of that moment, increasing in capture order.
func TestTimestampsComeFromTheClock(t *testing.T) {
	f := newFakeCollector(t, nil)
	c, err := New(testConfig(f.URL()))
	require.NoError(t, err)
	before := time.Now()
	for i := range 50 {
		require.NoError(t, c.Capture(Click("home", target(i))))
		time.Sleep(100 * time.Microsecond)
	}
	captured := time.Now()
	require.NoError(t, closeWithin(t, c, 5*time.Second))
	closed := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := ""
	for i := range 50 {
		require.WithinRange(t, f.last[target(i)].OccurredAt, before.Add(-5*time.Millisecond), captured)
		require.Len(t, f.targets[target(i)], 1)
		for id := range f.targets[target(i)] {
			ts, ok := wire.IDTime(id)
			require.True(t, ok, "id %q is a UUIDv7", id)
			require.WithinRange(t, ts, before.Truncate(time.Millisecond), closed)
			require.Greater(t, id, prev, "ids increase in capture order")
			prev = id
		}
	}
}

func TestGzipFallsBackOn415(t *testing.T) {
	var gz atomic.Int64
	f := newFakeCollector(t, nil)
	f.srv.Config.Handler = wrap415(f, &gz)
	c, err := New(testConfig(f.URL()))
	require.NoError(t, err)
	captureN(t, c, 100)
	require.NoError(t, closeWithin(t, c, 5*time.Second))
	require.GreaterOrEqual(t, gz.Load(), int64(1))
	require.LessOrEqual(t, gz.Load(), int64(4), "at most one gzip try per worker")
	requireExactlyOnce(t, f, 100, nil)
}

func TestRateLimitPacesSending(t *testing.T) {
	f := newFakeCollector(t, nil)
	cfg := testConfig(f.URL())
	cfg.RateLimit = 1000
	cfg.BatchEvents = 100
	c, err := New(cfg)
	require.NoError(t, err)
	captureN(t, c, 1500)
	start := time.Now()
	require.NoError(t, c.Flush(context.Background()))
	// The burst covers 1000 events; the remaining 500 take about 0.5s.
	require.GreaterOrEqual(t, time.Since(start), 350*time.Millisecond)
	require.NoError(t, closeWithin(t, c, 5*time.Second))
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no endpoint", Config{WriteKey: "k"}, "Endpoint"},
		{"bad endpoint", Config{Endpoint: "ftp://x", WriteKey: "k"}, "Endpoint"},
		{"no key", Config{Endpoint: "http://127.0.0.1:1"}, "WriteKey"},
		{"bad policy", Config{Endpoint: "http://127.0.0.1:1", WriteKey: "k", Policy: 9}, "Policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.ErrorIs(t, err, ErrConfig)
			require.Contains(t, err.Error(), tc.field)
		})
	}
}

// TestHammer captures from many goroutines while others flush and read
// stats; every event must arrive exactly once.
func TestHammer(t *testing.T) {
	f := newFakeCollector(t, func(req int, _ []wire.Event) action {
		if req%7 == 3 {
			return action{status: 503}
		}
		return action{}
	})
	cfg := testConfig(f.URL())
	cfg.QueueEvents = 1 << 20
	cfg.QueueBytes = 1 << 30
	c, err := New(cfg)
	require.NoError(t, err)
	const goroutines, each = 16, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				k := g*each + i
				var ev Event
				switch k % 4 {
				case 0:
					ev = Star("checkout", 1+k%5)
				case 1:
					ev = NPS("relationship", k%11)
				case 2:
					ev = Thumbs("answer", k%2 == 0)
				default:
					ev = Comment("support", "hammer "+itoa(k))
				}
				if err := c.Capture(ev.Target(target(k))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Add(2)
	go func() {
		defer side.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_ = c.Flush(ctx)
			cancel()
		}
	}()
	go func() {
		defer side.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			requireAccountedLoose(t, c.Stats())
			runtime.Gosched()
		}
	}()
	wg.Wait()
	close(stop)
	side.Wait()
	require.NoError(t, closeWithin(t, c, 20*time.Second))
	requireExactlyOnce(t, f, goroutines*each, nil)
	requireAccounted(t, c.Stats())
}

// requireAccountedLoose checks a live snapshot, whose counters are read at
// slightly different moments: nothing may be counted twice.
func requireAccountedLoose(t *testing.T, s Stats) {
	lost := s.Dropped.Total() - s.Dropped.QueueFull
	if s.Sent+s.Rejected+lost > s.Captured {
		t.Errorf("more events settled than captured: %+v", s)
	}
}

// TestNoGoroutineLeak checks that Close stops every goroutine the client
// started, in healthy and failing cases. It counts goroutines rather than
// using go.uber.org/goleak, to keep the module's dependencies lean.
func TestNoGoroutineLeak(t *testing.T) {
	f := newFakeCollector(t, func(req int, _ []wire.Event) action {
		if req%2 == 0 {
			return action{status: 503}
		}
		return action{delay: 10 * time.Millisecond}
	})
	for i := range 5 {
		cfg := testConfig(f.URL())
		if i%2 == 1 {
			cfg.OutboxDir = t.TempDir()
		}
		c, err := New(cfg)
		require.NoError(t, err)
		captureN(t, c, 120)
		_ = closeWithin(t, c, time.Duration(20+i*50)*time.Millisecond)
	}
	require.Eventually(t, func() bool { return leaked() == "" }, 5*time.Second, 10*time.Millisecond,
		"goroutines left behind:\n%s", leaked())
}

// leaked returns the stacks of goroutines running client code or holding
// client connections.
func leaked() string {
	var out []string
	for _, g := range strings.Split(goroutineDump(), "\n\n") {
		if strings.Contains(g, "goroutineDump") {
			continue
		}
		for _, sig := range []string{"sdk.(*Client)", "sdk.(*clock)", "sdk.(*sender)", "sdk.(*obBacklog)", "net/http.(*persistConn)"} {
			if strings.Contains(g, sig) {
				out = append(out, g)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}

func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

var _ = fmt.Sprint

func TestBatchesRespectTheByteLimit(t *testing.T) {
	const limit = 8 << 10
	var biggest atomic.Int64
	f := newFakeCollector(t, nil)
	inner := f.srv.Config.Handler
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		require.NoError(t, err)
		if n := int64(len(body)); n > biggest.Load() {
			biggest.Store(n)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.Header.Del("Content-Encoding")
		inner.ServeHTTP(w, r)
	})
	cfg := testConfig(f.URL())
	cfg.Limits = wire.Limits{MaxBatchBytes: limit}
	cfg.BatchEvents = 500
	c, err := New(cfg)
	require.NoError(t, err)
	text := strings.Repeat("é", 300) // 600 bytes, escaped as is
	for i := range 200 {
		require.NoError(t, c.Capture(Comment("support", text).Target(target(i))))
	}
	// An event bigger than a whole batch is dropped, not sent.
	huge := Comment("support", strings.Repeat("x", 4000))
	for _, k := range "abcdefghij" {
		huge = huge.Prop(string(k), strings.Repeat("y", 500))
	}
	require.NoError(t, c.Capture(huge))
	err = closeWithin(t, c, 5*time.Second)
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.EqualValues(t, 1, ce.Stats.Dropped.TooLarge)
	require.LessOrEqual(t, biggest.Load(), int64(limit))
	require.Greater(t, biggest.Load(), int64(limit/2), "batches are filled")
	requireExactlyOnce(t, f, 200, nil)
	requireAccounted(t, c.Stats())
}
