package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rastrohq/rastro/sdk/wire"
)

// mountTmpfs mounts a tmpfs of size bytes on a new folder and unmounts it
// when the test ends (after the collector stopped: cleanups run last
// registered first). It skips the test where mounting is not allowed.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("disk full needs root to mount a small tmpfs (mount -t tmpfs -o size=8m): run make test-faults as root")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("disk full needs permission to mount a tmpfs on %s: %v (in a container: CAP_SYS_ADMIN)", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Logf("unmount %s: %v; detaching it", dir, err)
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// fill writes zeros to a new file in dir until the file system is full,
// and returns the file.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ballast")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{64 << 10, 4 << 10, 512} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Bavail != 0 {
		t.Fatalf("%d blocks still free after the fill", st.Bavail)
	}
	return path
}

// TestDiskFull runs the collector on a 32 MiB tmpfs, lets two SDK clients
// store a first lot, then fills the file system while they keep sending.
// The collector must keep running and refuse (503 with Retry-After, no
// acknowledgement) what it cannot store; the SDK must honour the
// Retry-After. The collector is then killed with SIGKILL, so that what it
// acknowledged while the disk filled up must have been durable; space is
// freed, it starts again, the clients deliver the rest, and one more
// SIGKILL and restart precede the count. (A start while the disk is still
// full is TestDiskFullRestart.)
func TestDiskFull(t *testing.T) {
	needProcesses(t)
	// A stored event takes ~1.5 KB with its indexes, and as much again in
	// the write-ahead log until a checkpoint: 32 MiB leave room for what
	// the clients send before, during and after the fault.
	dir := mountTmpfs(t, 32<<20)
	col := startCollector(t, dir)
	f := newFleet(t, 2, baseConfig(col.URL()))

	f.burst(500)
	f.flush(t, 20*time.Second)
	before := f.traffic()
	ackedBefore := len(f.acked())

	ballast := fill(t, dir)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	loaded := make(chan struct{})
	go func() { defer close(loaded); f.run(ctx, 200) }()

	// Wait for the collector to refuse, then keep the disk full a while.
	deadline := time.Now().Add(15 * time.Second)
	for f.traffic().Status[http.StatusServiceUnavailable] < 5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	full := f.traffic()
	refused := full.Answered(500, 599)
	ackedFull := len(f.acked()) - ackedBefore
	if exited, err := col.Exited(); exited {
		t.Fatalf("the collector exited on a full disk: %v\n%s", err, tail(col.Output(), 4096))
	}
	if refused == 0 {
		t.Fatalf("no 5xx in 17 s on a full disk (%s)", full)
	}
	storeErr := logErr(col.Output(), "store failed")

	col.Kill() // a crash on the full disk
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	restart(t, col)
	time.Sleep(2 * time.Second)
	stop()
	<-loaded
	f.close(t, 40*time.Second)
	col.Kill()
	restart(t, col)
	stored := export(t, col)
	sizes := fileSizes(dir, "traces.db", "traces.db-wal")

	tr := f.traffic()
	early := 0
	for _, c := range f.clients {
		early += len(c.ledger.EarlyRequests(100 * time.Millisecond))
	}
	faults := fmt.Sprintf("32 MiB tmpfs filled after %d events, 2 clients × 200 ev/s; SIGKILL while full; space freed, restart; SIGKILL + restart", ackedBefore)
	notes := fmt.Sprintf("while full: %d answers 5xx, %d events acknowledged before the WAL ran out (%s); %d requests early in a Retry-After; the collector logged %q; store at the end: %s",
		refused, ackedFull, subTraffic(full, before), early, storeErr, sizes)
	f.tally(t, "disk full", stored, faults, notes)
	if early > 0 {
		t.Errorf("%d requests started during a Retry-After of a 503", early)
	}
	if other := tr.Requests - tr.Answered(200, 299) - tr.Status[http.StatusServiceUnavailable] - tr.Errors; other != 0 {
		t.Errorf("%d answers other than 2xx and 503 (%s)", other, tr)
	}
}

// TestDiskFullRestart: a collector that crashed while its disk is full
// must start again on that full disk, serve what it stored and refuse new
// batches with 503 + Retry-After until space is freed, rather than exit.
// The collector stores one batch on a fresh 4 MiB tmpfs and is killed
// with SIGKILL right after acknowledging it, so that the write-ahead log
// holds frames not yet checkpointed; the disk is filled; it is started.
func TestDiskFullRestart(t *testing.T) {
	needProcesses(t)
	began := time.Now()
	dir := mountTmpfs(t, 4<<20)
	col := startCollector(t, dir)
	ids := newIDs(100)
	if status, _, err := postBatch(col.URL(), ids); err != nil || status != http.StatusOK {
		t.Fatalf("first batch: %d, %v", status, err)
	}
	col.Kill()
	ballast := fill(t, dir)

	row := Row{Scenario: "disk full: start on it after a crash", Sent: len(ids), Acked: len(ids),
		Faults: "SIGKILL right after a 200, disk filled, start"}
	defer func() { row.Took = time.Since(began); Record(row) }()
	if err := col.Start(context.Background()); err != nil {
		row.Notes = "the collector cannot start on the full disk: " + strings.ReplaceAll(firstLine(err, "rastro-collector:"), dir+"/", "")
		if err := os.Remove(ballast); err != nil {
			t.Fatal(err)
		}
		restart(t, col)
		stored := export(t, col)
		tallied := Tally(setOf(ids), setOf(ids), stored)
		row.Stored, row.Duplicates, row.Lost, row.Unknown = tallied.Stored, tallied.Duplicates, tallied.Lost, tallied.Unknown
		t.Fatalf("%s\n(after freeing space it starts and holds %d of the %d acknowledged events)", row.Notes, row.Stored, len(ids))
	}
	status, retry, err := postBatch(col.URL(), newIDs(10))
	if err != nil || status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("a batch on the full disk: %d, Retry-After %q, %v; want 503 with Retry-After", status, retry, err)
	}
	stored := export(t, col)
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	more := newIDs(10)
	if status, _, err := postBatch(col.URL(), more); err != nil || status != http.StatusOK {
		t.Errorf("a batch after space was freed: %d, %v", status, err)
	}
	tallied := Tally(setOf(ids), setOf(ids), stored)
	row.Stored, row.Duplicates, row.Lost, row.Unknown = tallied.Stored, tallied.Duplicates, tallied.Lost, tallied.Unknown
	row.Notes = fmt.Sprintf("started on the full disk; a batch got %d; after freeing space %d", status, len(export(t, col))-len(stored))
	for _, p := range tallied.Problems() {
		t.Error(p)
	}
	if row.Stored != len(ids) {
		t.Errorf("stored %d of %d acknowledged events", row.Stored, len(ids))
	}
}

// fileSizes says how large the named files of dir are, e.g.
// "traces.db 3.1 MiB, traces.db-wal 4.0 MiB".
func fileSizes(dir string, names ...string) string {
	var parts []string
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil {
			parts = append(parts, fmt.Sprintf("%s %.1f MiB", n, float64(fi.Size())/(1<<20)))
		}
	}
	return strings.Join(parts, ", ")
}

// newIDs returns n new event ids.
func newIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = wire.NewID()
	}
	return ids
}

func setOf(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// postBatch sends one batch of star ratings with ids straight to the
// collector and returns the status and Retry-After of the answer.
func postBatch(url string, ids []string) (int, string, error) {
	b := wire.Batch{SentAt: time.Now(), SDK: wire.SDKInfo{Name: "faults", Version: "1"}}
	v := 4.0
	for _, id := range ids {
		b.Events = append(b.Events, wire.Event{ID: id, Kind: wire.KindStar, Touchpoint: "checkout", Value: &v, OccurredAt: time.Now()})
	}
	var body bytes.Buffer
	if err := wire.WriteBatch(&body, &b); err != nil {
		return 0, "", err
	}
	req, err := http.NewRequest(http.MethodPost, url+wire.BatchPath, &body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+WriteKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// firstLine returns the first line of err's message that contains sub, or
// its first line.
func firstLine(err error, sub string) string {
	msg := err.Error()
	for l := range strings.Lines(msg) {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	l, _, _ := strings.Cut(msg, "\n")
	return l
}

// subTraffic returns the answers of a by status, less those of b.
func subTraffic(a, b Traffic) string {
	d := Traffic{Requests: a.Requests - b.Requests, Errors: a.Errors - b.Errors, Cut: a.Cut - b.Cut, Status: map[int]int{}}
	for s, n := range a.Status {
		if n -= b.Status[s]; n != 0 {
			d.Status[s] = n
		}
	}
	return d.String()
}
