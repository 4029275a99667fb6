package faults

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestKill9UnderLoad kills the collector with SIGKILL every 2-3 s while
// four SDK clients send, and starts it again on the same port and data
// folder after 50-300 ms. Once the clients have delivered everything it
// kills it once more, so that the export comes from a crashed store:
// every acknowledged event must have been durable when it was
// acknowledged.
func TestKill9UnderLoad(t *testing.T) {
	needProcesses(t)
	const (
		clients   = 4
		perSecond = 400 // per client
		loadFor   = 15 * time.Second
	)
	col := startCollector(t, t.TempDir())
	f := newFleet(t, clients, baseConfig(col.URL()))

	ctx, stop := context.WithTimeout(context.Background(), loadFor)
	defer stop()
	loaded := make(chan struct{})
	go func() { defer close(loaded); f.run(ctx, perSecond) }()

	var downtime time.Duration
	for {
		wait := jitter(2*time.Second, 3*time.Second)
		if time.Since(f.started)+wait > loadFor {
			break
		}
		time.Sleep(wait)
		col.Kill()
		t0 := time.Now()
		time.Sleep(jitter(50*time.Millisecond, 300*time.Millisecond))
		restart(t, col)
		downtime += time.Since(t0)
	}
	<-loaded
	f.close(t, 45*time.Second)

	col.Kill() // the export comes from a store that crashed
	restart(t, col)
	stored := export(t, col)

	tr := f.traffic()
	faults := fmt.Sprintf("%d SIGKILLs under load + 1 after, %.1f s down in all", col.Kills-1, downtime.Seconds())
	f.tally(t, "kill -9 collector under load", stored, faults, fmt.Sprintf("%d clients × %d ev/s for %v", clients, perSecond, loadFor))
	if under := col.Kills - 1; under < 4 {
		t.Errorf("only %d kills under load, want at least 4", under)
	}
	if tr.Errors == 0 && tr.Cut == 0 {
		t.Error("no request failed: the kills did not hit the traffic")
	}
}
