package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rastrohq/rastro/bench/faults/proxy"
)

// TestNetworkFaults puts a proxy between three SDK clients and the
// collector and switches it, while they send, through added latency,
// blackholes (the request is taken, no answer ever comes: the SDK's 1 s
// timeout fires, and a batch the collector did store is sent again) and
// resets (RST mid-request or mid-answer). Every phase must have hit the
// traffic; in the end everything sent is stored exactly once.
func TestNetworkFaults(t *testing.T) {
	needProcesses(t)
	const (
		clients   = 3
		perSecond = 400
	)
	col := startCollector(t, t.TempDir())
	px, err := proxy.New(col.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })

	cfg := baseConfig("http://" + px.Addr())
	cfg.Timeout = time.Second
	f := newFleet(t, clients, cfg)

	phases := []struct {
		mode  proxy.Mode
		delay time.Duration
		dur   time.Duration
	}{
		{proxy.Pass, 0, time.Second},
		{proxy.Delay, 150 * time.Millisecond, 2 * time.Second},
		{proxy.Blackhole, 0, 2 * time.Second},
		{proxy.Pass, 0, time.Second},
		{proxy.Reset, 0, 1500 * time.Millisecond},
		{proxy.Delay, 40 * time.Millisecond, time.Second},
		{proxy.Blackhole, 0, 1500 * time.Millisecond},
		{proxy.Reset, 0, time.Second},
		{proxy.Pass, 0, time.Second},
	}
	var total time.Duration
	for _, p := range phases {
		total += p.dur
	}
	ctx, stop := context.WithTimeout(context.Background(), total)
	defer stop()
	loaded := make(chan struct{})
	go func() { defer close(loaded); f.run(ctx, perSecond) }()

	var (
		did  []string
		miss []string
	)
	for _, p := range phases {
		before := px.Stats()
		px.Set(p.mode, p.delay)
		time.Sleep(p.dur)
		after := px.Stats()
		var hit int64
		switch p.mode {
		case proxy.Pass:
			hit = after.Forwarded - before.Forwarded
		case proxy.Delay:
			hit = after.Delayed - before.Delayed
		case proxy.Blackhole:
			hit = after.Dropped - before.Dropped
		case proxy.Reset:
			hit = after.Resets - before.Resets
		}
		what := fmt.Sprintf("%s %v", p.mode, p.dur)
		if p.mode == proxy.Delay {
			what = fmt.Sprintf("delay %v for %v", p.delay, p.dur)
		}
		if hit == 0 {
			miss = append(miss, what)
		}
		did = append(did, what)
	}
	px.Set(proxy.Pass, 0)
	<-loaded
	f.close(t, 45*time.Second)
	stored := export(t, col)

	st := px.Stats()
	faults := fmt.Sprintf("%s; proxy: %d connections, %d chunks delayed, %d connections stalled (%d chunks dropped), %d reset",
		strings.Join(did, ", "), st.Conns, st.Delayed, st.Stalled, st.Dropped, st.Resets)
	f.tally(t, "network: delay, blackhole, reset", stored, faults, fmt.Sprintf("%d clients × %d ev/s, SDK timeout 1 s", clients, perSecond))
	if len(miss) > 0 {
		t.Errorf("phases that touched no traffic: %s", strings.Join(miss, ", "))
	}
	if tr := f.traffic(); tr.Errors == 0 {
		t.Error("no request failed: the faults did not reach the SDK")
	}
	if exited, err := col.Exited(); exited {
		t.Errorf("the collector exited: %v", err)
	}
}
