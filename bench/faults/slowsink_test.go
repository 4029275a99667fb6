package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rastrohq/rastro/bench/faults/proxy"
)

// natsServer starts nats-server with JetStream in a temporary folder, or
// skips the test when it is not installed.
func natsServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nats-server"); serr != nil {
			t.Skip("nats-server not installed (scripts/install-deps.sh installs it)")
		}
		bin = "/usr/sbin/nats-server"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(bin, "-js", "-sd", t.TempDir(), "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamIDs reads every trace id on the collector's stream.
func streamIDs(t *testing.T, url string, want int) map[string]int {
	t.Helper()
	ctx := context.Background()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, "RASTRO_TRACES")
	if err != nil {
		t.Fatal(err)
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	read := 0
	for read < want {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var tr struct{ ID string }
			if err := json.Unmarshal(m.Data(), &tr); err != nil {
				t.Fatal(err)
			}
			ids[tr.ID]++
		}
		if n == 0 {
			break
		}
		read += n
	}
	return ids
}

// TestSlowSink hands every trace to NATS JetStream through a proxy that
// delays every chunk by 100 ms, then blackholes the link for a while: the
// sink falls behind, ingest must not (every batch acknowledged at the
// store's pace, no 503), and once the link is healthy again every stored
// trace reaches the stream exactly once.
func TestSlowSink(t *testing.T) {
	needProcesses(t)
	natsAddr := natsServer(t)
	px, err := proxy.New(natsAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	px.Set(proxy.Delay, 100*time.Millisecond)
	col := startCollector(t, t.TempDir(), "-nats", "nats://"+px.Addr())

	const clients, perSecond = 3, 400
	f := newFleet(t, clients, baseConfig(col.URL()))
	ctx, stop := context.WithTimeout(context.Background(), 6*time.Second)
	defer stop()
	loaded := make(chan struct{})
	go func() { defer close(loaded); f.run(ctx, perSecond) }()
	time.Sleep(2 * time.Second)
	px.Set(proxy.Blackhole, 0)
	time.Sleep(2 * time.Second)
	px.Set(proxy.Delay, 100*time.Millisecond)
	<-loaded
	f.close(t, 30*time.Second)
	stored := export(t, col)

	tr := f.traffic()
	if n := tr.Answered(500, 600); n > 0 {
		t.Errorf("%d batches answered 5xx: a slow sink held ingest back", n)
	}
	px.Set(proxy.Pass, 0)
	var onStream map[string]int
	deadline := time.Now().Add(60 * time.Second)
	for {
		onStream = streamIDs(t, "nats://"+natsAddr, len(stored))
		if len(onStream) >= len(stored) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	missing, twice := 0, 0
	for id := range stored {
		switch onStream[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	st := px.Stats()
	f.tally(t, "slow sink: NATS behind a 100 ms delay and a 2 s blackhole", stored,
		fmt.Sprintf("sink link delayed (%d chunks), then blackholed (%d connections stalled)", st.Delayed, st.Stalled),
		fmt.Sprintf("stream: %d of %d stored traces, %d missing, %d more than once", len(onStream), len(stored), missing, twice))
	if missing > 0 || twice > 0 {
		t.Errorf("stream holds %d of %d stored traces: %d missing, %d more than once", len(onStream), len(stored), missing, twice)
	}
	if st.Delayed == 0 || st.Stalled == 0 {
		t.Errorf("the faults did not touch the sink's link: %+v", st)
	}
}
