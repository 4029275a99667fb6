package faults

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestRetryAfterStorm gives the collector's write key a rate of 400
// events/s (-write-key-rate) and has four SDK clients on that key capture
// 1,250 events each at once, ten times what the key may send in a second:
// most requests get 429 with Retry-After. The SDK must honour every
// Retry-After (no request of a client starts while one it received still
// runs) and deliver everything in the end.
func TestRetryAfterStorm(t *testing.T) {
	needProcesses(t)
	const (
		clients = 4
		each    = 1250
		rate    = 400
	)
	col := startCollector(t, t.TempDir(), "-write-key-rate", fmt.Sprint(rate))
	cfg := baseConfig(col.URL())
	cfg.RetryMax = time.Second
	f := newFleet(t, clients, cfg)

	f.burst(each)
	f.close(t, 50*time.Second)
	stored := export(t, col)

	tr := f.traffic()
	ok, throttled := tr.Answered(200, 299), tr.Status[http.StatusTooManyRequests]
	early := 0
	for i, c := range f.clients {
		// 100 ms of slack on each side: a request may leave just as
		// another worker's 429 arrives, and the SDK pauses a moment after
		// this ledger saw the answer.
		if e := c.ledger.EarlyRequests(100 * time.Millisecond); len(e) > 0 {
			early += len(e)
			t.Errorf("client %d started %d requests during a Retry-After, e.g. %v after the 429", i, len(e), e[0])
		}
	}
	faults := fmt.Sprintf("write key limited to %d ev/s (burst 800); %d × %d events captured at once", rate, clients, each)
	f.tally(t, "429 storm", stored, faults, fmt.Sprintf("%d answers 429 vs %d 2xx, %d requests early", throttled, ok, early))
	if throttled <= ok {
		t.Errorf("%d answers 429 and %d 2xx: want a storm, most requests throttled", throttled, ok)
	}
	if tr.NoWait > 0 {
		t.Errorf("%d answers 429/503 without a Retry-After", tr.NoWait)
	}
	if other := tr.Requests - ok - throttled; other != 0 {
		t.Errorf("%d requests got neither 2xx nor 429 (%s)", other, tr)
	}
}
