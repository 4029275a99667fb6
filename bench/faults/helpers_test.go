package faults

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rastrohq/rastro/bench/ingest"
	"github.com/rastrohq/rastro/sdk"
	"github.com/rastrohq/rastro/sdk/wire"
)

// needProcesses skips scenarios under -short: they build and run the
// collector.
func needProcesses(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the fault scenarios build and run the collector")
	}
}

// startCollector starts the collector on a free 127.0.0.1 port and data,
// and stops it when the test ends.
func startCollector(t *testing.T, data string, flags ...string) *Collector {
	t.Helper()
	bin, err := CollectorBin()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := ingest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	c := &Collector{Bin: bin, Addr: addr, Data: data, Flags: flags}
	t.Cleanup(func() {
		if err := c.Stop(10 * time.Second); err != nil {
			t.Logf("collector did not stop cleanly: %v", err)
		}
		if t.Failed() {
			t.Logf("the collector's output (%d starts, %d kills):\n%s", c.Starts, c.Kills, tail(c.Output(), 8<<10))
		}
	})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// restart starts c again after a Kill, failing the test if it cannot.
func restart(t *testing.T, c *Collector) {
	t.Helper()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// export returns the stored ids of c.
func export(t *testing.T, c *Collector) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids, err := c.Export(ctx)
	if err != nil {
		t.Fatalf("%v\ncollector output:\n%s", err, tail(c.Output(), 4096))
	}
	return ids
}

// client is one SDK client of a fleet, sending through its own Ledger.
type client struct {
	sdk    *sdk.Client
	ledger *Ledger

	mu      sync.Mutex
	sent    map[string]bool
	refused int // Capture errors: nothing the scenarios expect
}

// fleet is several SDK clients sending at once, like several instances of
// a service.
type fleet struct {
	clients []*client
	started time.Time
}

// baseConfig is the SDK configuration of the scenarios: short timers so
// that faults show within seconds, Block so that no event is dropped for
// a full queue, and retries that outlast any fault of a scenario.
func baseConfig(endpoint string) sdk.Config {
	return sdk.Config{
		Endpoint:        endpoint,
		WriteKey:        WriteKey,
		QueueEvents:     50000,
		QueueBytes:      64 << 20,
		Policy:          sdk.Block,
		BatchEvents:     100,
		FlushInterval:   50 * time.Millisecond,
		Timeout:         5 * time.Second,
		RetryInitial:    20 * time.Millisecond,
		RetryMax:        500 * time.Millisecond,
		RetryMaxElapsed: 2 * time.Minute,
	}
}

// newFleet starts n clients with cfg (its HTTPClient replaced by one
// through each client's Ledger). They are closed when the test ends, if
// the test did not close them.
func newFleet(t *testing.T, n int, cfg sdk.Config) *fleet {
	t.Helper()
	f := &fleet{started: time.Now()}
	for range n {
		l := NewLedger(NewTransport(8))
		c := cfg
		c.HTTPClient = l.Client()
		if c.Logger == nil {
			c.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
		s, err := sdk.New(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Close(ctx) // idempotent: a no-op when the test closed it
		})
		f.clients = append(f.clients, &client{sdk: s, ledger: l, sent: map[string]bool{}})
	}
	return f
}

// event returns the i-th event of a fleet: every kind of rating, clicks
// and comments, with the given id.
func event(id string, i int) sdk.Event {
	var e sdk.Event
	switch i % 6 {
	case 0:
		e = sdk.Star("checkout.payment", 1+i%5)
	case 1:
		e = sdk.NPS("support.chat", i%11).Channel(sdk.Chat).Agent(fmt.Sprintf("agent-%d", i%7))
	case 2:
		e = sdk.CSAT("delivery", 1+i%5).Channel(sdk.Email)
	case 3:
		e = sdk.Click("home", "buy-button").Channel(sdk.Web)
	case 4:
		e = sdk.Comment("checkout.payment", "the card form forgot my address").Lang("en")
	default:
		e = sdk.Thumbs("faq.refunds", i%2 == 0)
	}
	return e.ID(id).User(fmt.Sprintf("u-%d", i%97)).Session(fmt.Sprintf("s-%d", i%31)).Journey("purchase")
}

// capture hands one new event to c, waiting for room up to 10 s.
func (c *client) capture(i int) {
	id := wire.NewID()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.sdk.CaptureContext(ctx, event(id, i))
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.refused++
		return
	}
	c.sent[id] = true
}

// run makes every client capture perSecond events a second, spread over
// 10 ms ticks, until ctx ends.
func (f *fleet) run(ctx context.Context, perSecond int) {
	var wg sync.WaitGroup
	for _, c := range f.clients {
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			start := time.Now()
			i := 0
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-tick.C:
					due := int(now.Sub(start).Seconds() * float64(perSecond))
					for ; i < due; i++ {
						c.capture(i)
					}
				}
			}
		})
	}
	wg.Wait()
}

// burst makes every client capture n events as fast as it takes them.
func (f *fleet) burst(n int) {
	var wg sync.WaitGroup
	for _, c := range f.clients {
		wg.Go(func() {
			for i := range n {
				c.capture(i)
			}
		})
	}
	wg.Wait()
}

// flush waits until every client delivered what it captured so far.
func (f *fleet) flush(t *testing.T, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, c := range f.clients {
		if err := c.sdk.Flush(ctx); err != nil {
			t.Fatalf("flush: %v (stats %+v)", err, c.sdk.Stats())
		}
	}
}

// close closes every client, which must deliver everything in time.
func (f *fleet) close(t *testing.T, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for _, c := range f.clients {
		if err := c.sdk.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Errorf("the SDK did not deliver everything: %v", err)
	}
}

// sent returns the ids of every event the fleet captured.
func (f *fleet) sent() map[string]bool {
	out := map[string]bool{}
	for _, c := range f.clients {
		c.mu.Lock()
		for id := range c.sent {
			out[id] = true
		}
		c.mu.Unlock()
	}
	return out
}

func (f *fleet) refused() int {
	n := 0
	for _, c := range f.clients {
		c.mu.Lock()
		n += c.refused
		c.mu.Unlock()
	}
	return n
}

// acked returns the ids the collector acknowledged to the fleet.
func (f *fleet) acked() map[string]bool {
	out := map[string]bool{}
	for _, c := range f.clients {
		for id := range c.ledger.Acked() {
			out[id] = true
		}
	}
	return out
}

func (f *fleet) traffic() Traffic {
	var t Traffic
	for _, c := range f.clients {
		t = t.Add(c.ledger.Traffic())
	}
	return t
}

// stats sums the SDK's own counters over the fleet.
func (f *fleet) stats() (sent, dups, retried uint64, drops sdk.Drops) {
	for _, c := range f.clients {
		s := c.sdk.Stats()
		sent += s.Sent
		dups += s.Duplicates
		retried += s.Retried
		d := s.Dropped
		drops.QueueFull += d.QueueFull
		drops.Evicted += d.Evicted
		drops.ClientError += d.ClientError
		drops.TooLarge += d.TooLarge
		drops.RetriesExhausted += d.RetriesExhausted
		drops.Shutdown += d.Shutdown
		drops.OutboxFull += d.OutboxFull
		drops.Expired += d.Expired
		drops.Corrupt += d.Corrupt
	}
	return
}

// tally counts a fleet's scenario against the store, checks the SDK's own
// counts against the ledgers', and requires that everything sent was
// acknowledged and stored exactly once. It records the row in the report.
func (f *fleet) tally(t *testing.T, name string, stored map[string]int, faults, notes string) Row {
	t.Helper()
	sent, acked := f.sent(), f.acked()
	row := Tally(sent, acked, stored)
	row.Scenario, row.Faults, row.Took = name, faults, time.Since(f.started)
	sdkSent, dups, retried, drops := f.stats()
	tr := f.traffic()
	extra := fmt.Sprintf("SDK: %d delivered (%d as duplicates), %d retries; %s", sdkSent, dups, retried, tr)
	if notes != "" {
		notes += "; " + extra
	} else {
		notes = extra
	}
	row.Notes = notes
	Record(row)
	t.Logf("%s: sent %d, acked %d, stored %d, duplicates %d, lost %d, unknown %d; %s; %s",
		name, row.Sent, row.Acked, row.Stored, row.Duplicates, row.Lost, row.Unknown, faults, notes)

	for _, p := range row.Problems() {
		t.Error(p)
	}
	if n := f.refused(); n > 0 {
		t.Errorf("Capture refused %d events", n)
	}
	if drops.Total() > 0 {
		t.Errorf("the SDK dropped events: %s", drops)
	}
	if int(sdkSent) != row.Acked {
		t.Errorf("the SDK counts %d events delivered, its answers acknowledged %d", sdkSent, row.Acked)
	}
	for _, c := range f.clients {
		for id, n := range c.ledger.Acked() {
			if n > 1 {
				t.Errorf("event %s acknowledged %d times: the SDK sent it again after a 2xx", id, n)
				break
			}
		}
	}
	if row.Acked != row.Sent || row.Stored != row.Sent {
		t.Errorf("sent %d, acknowledged %d, stored %d: want all equal", row.Sent, row.Acked, row.Stored)
	}
	if row.Sent == 0 {
		t.Error("nothing was sent")
	}
	return row
}

// jitter returns a duration uniformly in [lo, hi).
func jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rand.Int64N(int64(hi-lo)))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// logErr returns the err="..." of the first line of out that contains
// sub, or "none".
func logErr(out, sub string) string {
	for l := range strings.Lines(out) {
		if !strings.Contains(l, sub) {
			continue
		}
		if _, e, ok := strings.Cut(l, ` err="`); ok {
			e, _, _ = strings.Cut(e, `"`)
			return e
		}
		return strings.TrimSpace(l)
	}
	return "none"
}
