package sdk

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk/wire"
)

func always503(int, []wire.Event) action { return action{status: 503} }

func TestOutboxKeepsEventsThroughAnOutage(t *testing.T) {
	dir := t.TempDir()
	down := newFakeCollector(t, always503)
	cfg := testConfig(down.URL())
	cfg.OutboxDir = dir
	c, err := New(cfg)
	require.NoError(t, err)
	captureN(t, c, 1000)
	require.NoError(t, c.Sync(context.Background()))
	err = closeWithin(t, c, 200*time.Millisecond)
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 1000, ce.Stats.Outbox, "%s", ce)
	require.Zero(t, ce.Stats.Dropped.Total())
	requireAccounted(t, ce.Stats)

	up := newFakeCollector(t, nil)
	cfg.Endpoint = up.URL()
	c2, err := New(cfg)
	require.NoError(t, err)
	require.Equal(t, 1000, c2.Stats().Outbox)
	require.NoError(t, c2.Flush(context.Background()))
	require.NoError(t, closeWithin(t, c2, 5*time.Second))
	requireExactlyOnce(t, up, 1000, nil)
	require.EqualValues(t, 1000, c2.Stats().Sent)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	require.Empty(t, files, "delivered batches are deleted")
}

func TestOutboxBounds(t *testing.T) {
	t.Run("bytes", func(t *testing.T) {
		down := newFakeCollector(t, always503)
		cfg := testConfig(down.URL())
		cfg.OutboxDir = t.TempDir()
		cfg.OutboxMaxBytes = 32 << 10
		cfg.Workers = 1
		c, err := New(cfg)
		require.NoError(t, err)
		captureN(t, c, 2000)
		require.NoError(t, c.Sync(context.Background()))
		s := c.Stats()
		require.Positive(t, s.Dropped.OutboxFull)
		// One batch may be held by the worker beyond the bound.
		require.LessOrEqual(t, s.OutboxBytes, int64(32<<10)+20<<10)
		_ = closeWithin(t, c, 50*time.Millisecond)
		requireAccounted(t, c.Stats())
	})
	t.Run("age", func(t *testing.T) {
		dir := t.TempDir()
		down := newFakeCollector(t, always503)
		cfg := testConfig(down.URL())
		cfg.OutboxDir = dir
		c, err := New(cfg)
		require.NoError(t, err)
		captureN(t, c, 100)
		require.NoError(t, c.Sync(context.Background()))
		_ = closeWithin(t, c, 50*time.Millisecond)

		up := newFakeCollector(t, nil)
		cfg.Endpoint = up.URL()
		cfg.OutboxMaxAge = time.Hour
		cfg.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		c2, err := New(cfg)
		require.NoError(t, err)
		var ce *CloseError
		require.ErrorAs(t, closeWithin(t, c2, 5*time.Second), &ce)
		require.EqualValues(t, 100, ce.Stats.Dropped.Expired)
		_, requests := up.snapshot()
		require.Zero(t, requests)
	})
}

// TestOutboxSurvivesSIGKILL runs a child process (this test binary, in
// TestCrashChild) that captures numbered events into an outbox while the
// collector is down, and calls Sync every 50 events, printing the last
// number synced. The parent kills it with SIGKILL mid-capture, then opens
// the outbox against a healthy collector: every event up to the last Sync
// the child reported must arrive, each under one id.
func TestOutboxSurvivesSIGKILL(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	dir := t.TempDir()
	down := newFakeCollector(t, always503)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RASTRO_CRASH_DIR="+dir, "RASTRO_CRASH_URL="+down.URL())
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	synced := -1
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "synced "); ok {
			synced, _ = strconv.Atoi(n)
			if synced >= 3000 {
				break
			}
		}
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	require.GreaterOrEqual(t, synced, 3000, "child reported no sync")

	up := newFakeCollector(t, nil)
	cfg := testConfig(up.URL())
	cfg.OutboxDir = dir
	c, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, c.Flush(context.Background()))
	require.NoError(t, closeWithin(t, c, 10*time.Second))
	up.mu.Lock()
	defer up.mu.Unlock()
	for i := 0; i <= synced; i++ {
		require.Len(t, up.targets[target(i)], 1, "event %d (synced up to %d) lost or duplicated", i, synced)
	}
	t.Logf("synced up to %d; %d events recovered in all", synced, len(up.targets))
}

// TestCrashChild is the child of TestOutboxSurvivesSIGKILL.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("RASTRO_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestOutboxSurvivesSIGKILL")
	}
	cfg := testConfig(os.Getenv("RASTRO_CRASH_URL"))
	cfg.OutboxDir = dir
	cfg.FlushInterval = 2 * time.Millisecond // the dispatcher writes batches all the time
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		if err := c.Capture(Click("crash", target(i))); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			if err := c.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			w.WriteString("synced " + strconv.Itoa(i) + "\n")
			w.Flush()
		}
	}
}

// TestMemoryStaysBoundedWhileTheCollectorIsDown captures far more events
// than the queue holds while every request fails, and samples the heap.
func TestMemoryStaysBoundedWhileTheCollectorIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	down := newFakeCollector(t, always503)
	cfg := testConfig(down.URL())
	cfg.Policy = DropOldest
	cfg.QueueEvents = 20000
	cfg.QueueBytes = 4 << 20
	c, err := New(cfg)
	require.NoError(t, err)
	peak, stop := sampleHeap()
	for i := range 300000 {
		_ = c.Capture(Comment("support.chat", "the agent solved it in one call").User("u-" + itoa(i%1000)).Channel(Chat))
	}
	base, max := stop()
	s := c.Stats()
	require.LessOrEqual(t, s.Queued, 20000)
	require.LessOrEqual(t, s.QueuedBytes, 4<<20)
	require.Positive(t, s.Dropped.Evicted)
	_ = closeWithin(t, c, 50*time.Millisecond)
	requireAccounted(t, c.Stats())
	grow := int64(max) - int64(base)
	t.Logf("heap before %.1f MiB, peak %.1f MiB (+%.1f MiB) for 300k events with a 20k-event/4-MiB queue",
		mib(base), mib(max), float64(grow)/(1<<20))
	// The queue's ring (20k events of ~340 B), the in-flight batches and
	// the senders' buffers (about 12 MiB live), whatever the event count.
	// GC slack (garbage of evicted events) and the race detector's
	// shadow memory come on top.
	require.Less(t, grow, int64(64<<20))
	_ = peak
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// sampleHeap samples HeapInuse every millisecond until stop is called,
// which returns the first sample and the largest.
func sampleHeap() (peak *atomic.Uint64, stop func() (base, max uint64)) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	peak = new(atomic.Uint64)
	peak.Store(base)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	return peak, func() (uint64, uint64) {
		close(done)
		<-finished
		return base, peak.Load()
	}
}
