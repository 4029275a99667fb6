package insights

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/sdk/wire"
)

// receiver is a real webhook receiver on 127.0.0.1 that fails the first
// failFirst requests with failStatus.
type receiver struct {
	*httptest.Server
	mu         sync.Mutex
	bodies     [][]byte
	calls      atomic.Int32
	failFirst  int32
	failStatus int
}

func newReceiver(t *testing.T, failFirst int32, failStatus int) *receiver {
	r := &receiver{failFirst: failFirst, failStatus: failStatus}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := r.calls.Add(1)
		b, _ := io.ReadAll(req.Body)
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if n <= r.failFirst {
			w.WriteHeader(r.failStatus)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte{}, r.bodies...)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// clock is an injected, settable now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time       { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)      { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration)  { c.set(c.now().Add(d)) }
func newClock(t time.Time) *clock     { return &clock{t: t} }
func (a *Alerter) withClock(c *clock) { a.now = c.now }

func newAlerter(t *testing.T, cfg AlertConfig, st store.Store, c *clock) *Alerter {
	t.Helper()
	cfg.Logger = quiet()
	a, err := NewAlerter(cfg, st)
	require.NoError(t, err)
	a.withClock(c)
	return a
}

func TestAlertCSATBelowFiresOncePerEpisode(t *testing.T) {
	ctx := context.Background()
	rec := newReceiver(t, 0, 0)
	st := openStore(t)
	c := newClock(mon.Add(12 * time.Hour))
	a := newAlerter(t, AlertConfig{WebhookURL: rec.URL, Rules: []Rule{
		{Name: "checkout-csat", Kind: RuleBelow, Touchpoint: "checkout", Last: 4, Below: 50},
	}}, st, c)
	add := func(vs ...float64) {
		for _, v := range vs {
			c.add(time.Minute)
			_, err := st.Append(ctx, traces(tr{at: c.now(), tp: "checkout", kind: wire.KindCSAT, v: v, lo: 1, hi: 5}))
			require.NoError(t, err)
		}
	}

	// 3 answers: fewer than N, quiet even though all are unhappy.
	add(1, 1, 1)
	require.NoError(t, a.Evaluate(ctx))
	s := a.State()[0]
	require.False(t, s.Firing)
	require.Nil(t, s.Value)
	require.Equal(t, 3, s.Traces)

	// last 4: 1 1 1 5 -> 1 satisfied of 4, CSAT 25 % < 50: fires.
	add(5)
	require.NoError(t, a.Evaluate(ctx))
	s = a.State()[0]
	require.True(t, s.Firing)
	requireNum(t, 25, s.Value, "csat")
	require.Equal(t, 1, s.Episodes)
	require.True(t, s.Delivered)
	require.Len(t, rec.got(), 1)
	var p Payload
	require.NoError(t, json.Unmarshal(rec.got()[0], &p))
	require.Equal(t, Payload{Rule: "checkout-csat", Kind: RuleBelow, Touchpoint: "checkout", Metric: MetricCSAT,
		Value: 25, Threshold: 50, Traces: 4, FiredAt: c.now().UTC(),
		Message: "Rastro alert checkout-csat: CSAT of touchpoint checkout over the last 4 traces is 25.0%, below 50%"}, p)

	// Still below: last 4 = 1 1 5 1 -> 25 %: no second post.
	add(1)
	require.NoError(t, a.Evaluate(ctx))
	require.True(t, a.State()[0].Firing)
	require.Len(t, rec.got(), 1, "one firing per episode")

	// last 4 = 5 1 4 5 -> 75 %: clears and re-arms.
	add(4, 5)
	require.NoError(t, a.Evaluate(ctx))
	require.False(t, a.State()[0].Firing)
	requireNum(t, 75, a.State()[0].Value, "csat")

	// last 4 = 4 5 1 1 -> 50 %: not below 50. Then 5 1 1 2 -> 25 %: fires again.
	add(1, 1)
	require.NoError(t, a.Evaluate(ctx))
	require.False(t, a.State()[0].Firing)
	add(2)
	require.NoError(t, a.Evaluate(ctx))
	require.True(t, a.State()[0].Firing)
	require.Equal(t, 2, a.State()[0].Episodes)
	require.Len(t, rec.got(), 2)
}

func TestAlertNegativesInWindow(t *testing.T) {
	ctx := context.Background()
	rec := newReceiver(t, 0, 0)
	st := openStore(t)
	c := newClock(mon.Add(12 * time.Hour))
	a := newAlerter(t, AlertConfig{WebhookURL: rec.URL, Slack: true, Rules: []Rule{
		{Name: "burst", Kind: RuleNegatives, Count: 3, Within: 10 * time.Minute},
	}}, st, c)
	neg := func(at time.Time, tp string) {
		_, err := st.Append(ctx, traces(tr{at: at, tp: tp, kind: wire.KindStar, v: 1, lo: 1, hi: 5}))
		require.NoError(t, err)
	}
	start := c.now()
	neg(start.Add(-20*time.Minute), "home") // outside the window
	neg(start.Add(-9*time.Minute), "home")
	neg(start.Add(-1*time.Minute), "checkout")
	_, err := st.Append(ctx, traces(tr{at: start.Add(-time.Minute), tp: "home", kind: wire.KindStar, v: 5, lo: 1, hi: 5}))
	require.NoError(t, err)
	require.NoError(t, a.Evaluate(ctx))
	requireNum(t, 2, a.State()[0].Value, "negatives")
	require.Equal(t, 3, a.State()[0].Traces)
	require.False(t, a.State()[0].Firing)

	neg(start, "support") // at now: inside
	require.NoError(t, a.Evaluate(ctx))
	require.True(t, a.State()[0].Firing)
	require.Len(t, rec.got(), 1)
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.got()[0], &body))
	require.Equal(t, map[string]any{"text": "Rastro alert burst: 3 negative traces on all touchpoints in the last 10m0s (threshold 3)"}, body)

	// 9 minutes later the first two have left the window: clears.
	c.add(9 * time.Minute)
	require.NoError(t, a.Evaluate(ctx))
	require.False(t, a.State()[0].Firing)
	require.Len(t, rec.got(), 1)
}

func TestAlertWebhookRetries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failFirst int32
		status    int
		delivered bool
		calls     int32
	}{
		{"5xx retried", 2, http.StatusServiceUnavailable, true, 3},
		{"429 retried", 1, http.StatusTooManyRequests, true, 2},
		{"4xx permanent", 100, http.StatusBadRequest, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rec := newReceiver(t, tc.failFirst, tc.status)
			c := newClock(mon.Add(time.Hour))
			st := openStore(t, traces(tr{at: mon, tp: "x", kind: wire.KindStar, v: 1, lo: 1, hi: 5})...)
			a := newAlerter(t, AlertConfig{WebhookURL: rec.URL, RetryFor: 5 * time.Second, Rules: []Rule{
				{Name: "any", Kind: RuleNegatives, Count: 1, Within: 2 * time.Hour},
			}}, st, c)
			err := a.Evaluate(ctx)
			s := a.State()[0]
			require.True(t, s.Firing)
			require.Equal(t, tc.delivered, s.Delivered)
			require.Equal(t, tc.calls, rec.calls.Load())
			if tc.delivered {
				require.NoError(t, err)
				require.Len(t, rec.got(), 1)
			} else {
				require.ErrorContains(t, err, "400")
				require.Contains(t, s.LastError, "400")
				// The episode is not re-sent on the next evaluation.
				require.NoError(t, a.Evaluate(ctx))
				require.Equal(t, tc.calls, rec.calls.Load())
			}
		})
	}
}

func TestAlertRun(t *testing.T) {
	rec := newReceiver(t, 0, 0)
	st := openStore(t, traces(tr{at: time.Now().Add(-time.Second), tp: "x", kind: wire.KindStar, v: 1, lo: 1, hi: 5})...)
	a, err := NewAlerter(AlertConfig{WebhookURL: rec.URL, Interval: 10 * time.Millisecond, Logger: quiet(), Rules: []Rule{
		{Name: "any", Kind: RuleNegatives, Count: 1},
	}}, st)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	require.Eventually(t, func() bool { return len(rec.got()) == 1 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // several more evaluations
	cancel()
	<-done
	require.Len(t, rec.got(), 1)
}

func TestAlertConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  AlertConfig
		want string
	}{
		{"no name", AlertConfig{Rules: []Rule{{Kind: RuleNegatives, Count: 1}}}, "name"},
		{"unknown kind", AlertConfig{Rules: []Rule{{Name: "a", Kind: "above"}}}, "kind"},
		{"below without touchpoint", AlertConfig{Rules: []Rule{{Name: "a", Kind: RuleBelow, Below: 50}}}, "touchpoint"},
		{"bad metric", AlertConfig{Rules: []Rule{{Name: "a", Kind: RuleBelow, Touchpoint: "x", Metric: "nps"}}}, "metric"},
		{"no count", AlertConfig{Rules: []Rule{{Name: "a", Kind: RuleNegatives}}}, "count"},
		{"twice", AlertConfig{Rules: []Rule{{Name: "a", Kind: RuleNegatives, Count: 1}, {Name: "a", Kind: RuleNegatives, Count: 1}}}, "twice"},
		{"bad webhook", AlertConfig{WebhookURL: "ftp://x"}, "webhook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAlerter(tc.cfg, nil)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
