package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/storetest"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func TestStore(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"defaults", Options{}},
		// Tiny bounds reach the paths the defaults rarely take: a full
		// queue, a batch cut short, many delete chunks.
		{"small", Options{Sync: SyncNormal, ReadConns: 1, MaxBatchRows: 3, QueueLen: 1, DeleteChunkRows: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, dir string) store.Store {
				db, err := Open(filepath.Join(dir, "traces.db"), tc.opts)
				require.NoError(t, err)
				return db
			})
		})
	}
}

func TestOutbox(t *testing.T) {
	storetest.RunOutbox(t, func(t *testing.T, dir string, sinks []string) store.Store {
		db, err := Open(filepath.Join(dir, "traces.db"), Options{Sinks: sinks})
		require.NoError(t, err)
		return db
	})
}

func openDB(t *testing.T, path string, opts Options) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "traces.db")
	}
	db, err := Open(path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func click(id string, at time.Time) trace.Trace {
	return trace.Trace{
		SpecVersion: trace.SpecVersion, ID: id, Source: "rastro://test", Type: trace.TypePrefix + "click",
		Time: at, DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
		Data: trace.Data{Kind: wire.KindClick, Touchpoint: "page", Channel: wire.ChannelWeb, ReceivedAt: at, Origin: trace.OriginWire},
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  Options
		sync  int // PRAGMA synchronous: 1 NORMAL, 2 FULL
		error string
	}{
		{"zero is full", Options{}, 2, ""},
		{"normal", Options{Sync: SyncNormal}, 1, ""},
		{"unknown sync", Options{Sync: 7}, 0, "Options.Sync"},
		{"negative read conns", Options{ReadConns: -1}, 0, "Options.ReadConns"},
		{"negative batch", Options{MaxBatchRows: -1}, 0, "Options.MaxBatchRows"},
		{"negative timeout", Options{BusyTimeout: -time.Second}, 0, "Options.BusyTimeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(filepath.Join(t.TempDir(), "traces.db"), tc.opts)
			if tc.error != "" {
				require.ErrorContains(t, err, tc.error)
				return
			}
			require.NoError(t, err)
			defer db.Close()
			var sync int
			var mode string
			require.NoError(t, db.write.QueryRow("PRAGMA synchronous").Scan(&sync))
			require.NoError(t, db.write.QueryRow("PRAGMA journal_mode").Scan(&mode))
			require.Equal(t, tc.sync, sync)
			require.Equal(t, "wal", mode)
			_, err = db.read.Exec("DELETE FROM traces")
			require.Error(t, err, "read connections are query only")
		})
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing", "traces.db"), Options{})
	require.Error(t, err, "the folder must exist")

	path := filepath.Join(t.TempDir(), "garbage.db")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("not a database "), 1000), 0o600))
	_, err = Open(path, Options{})
	require.Error(t, err)
}

// TestPathEscaping opens a path with URI characters in it.
func TestPathEscaping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%d e")
	require.NoError(t, os.Mkdir(dir, 0o700))
	db := openDB(t, filepath.Join(dir, "traces.db"), Options{})
	_, err := db.Append(context.Background(), []trace.Trace{click("x", time.Now())})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = os.Stat(filepath.Join(dir, "traces.db"))
	require.NoError(t, err)
}

func TestStatsBytes(t *testing.T) {
	db := openDB(t, "", Options{})
	st, err := db.Stats(context.Background())
	require.NoError(t, err)
	require.Positive(t, st.Bytes)
	empty := st.Bytes
	var batch []trace.Trace
	for i := range 500 {
		batch = append(batch, click(fmt.Sprintf("s%03d", i), time.Unix(int64(i), 0)))
	}
	_, err = db.Append(context.Background(), batch)
	require.NoError(t, err)
	st, err = db.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(500), st.Traces)
	require.Greater(t, st.Bytes, empty)
}

func TestAppendNotFinite(t *testing.T) {
	db := openDB(t, "", Options{})
	nan := math.NaN()
	bad := click("nan", time.Now())
	bad.Data.Score = &nan
	_, err := db.Append(context.Background(), []trace.Trace{click("ok", time.Now()), bad})
	require.ErrorContains(t, err, "not finite")
	st, err := db.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Traces, "a call with a bad trace stores nothing")
}

// TestReadBack mixes new and stored ids within multi-row inserts, so that
// the writer must read back which rows of a chunk are new.
func TestReadBack(t *testing.T) {
	db := openDB(t, "", Options{})
	ctx := context.Background()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var first []trace.Trace
	for i := 0; i < 300; i += 3 {
		first = append(first, click(fmt.Sprintf("r%03d", i), at))
	}
	_, err := db.Append(ctx, first)
	require.NoError(t, err)

	var second []trace.Trace
	var want []bool
	for i := range 300 {
		second = append(second, click(fmt.Sprintf("r%03d", i), at))
		want = append(want, i%3 != 0)
	}
	second = append(second, click("r001", at))
	want = append(want, false)
	got, err := db.Append(ctx, second)
	require.NoError(t, err)
	require.Equal(t, want, got)
	st, err := db.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(300), st.Traces)
}

// TestAppendCancel holds the writer in a commit to check both sides of the
// ctx contract: a call cancelled while queued writes nothing, a call
// cancelled after the writer took it waits and is committed.
func TestAppendCancel(t *testing.T) {
	db := openDB(t, "", Options{})
	entered := make(chan int32)
	release := make(chan struct{})
	var commits atomic.Int32
	db.testHookCommit = func() {
		if n := commits.Add(1); n <= 2 {
			entered <- n
			<-release
		}
	}
	at := time.Now()
	type res struct {
		ins []bool
		err error
	}
	appendAsync := func(ctx context.Context, id string) chan res {
		c := make(chan res, 1)
		go func() {
			ins, err := db.Append(ctx, []trace.Trace{click(id, at)})
			c <- res{ins, err}
		}()
		return c
	}

	a := appendAsync(context.Background(), "a")
	require.Equal(t, int32(1), <-entered, "the writer holds a's commit")

	ctxB, cancelB := context.WithCancel(context.Background())
	b := appendAsync(ctxB, "b")
	require.Eventually(t, func() bool { return len(db.queue) == 1 }, 5*time.Second, time.Millisecond)
	cancelB()
	rb := <-b
	require.ErrorIs(t, rb.err, context.Canceled, "b was cancelled while queued")

	ctxC, cancelC := context.WithCancel(context.Background())
	defer cancelC()
	c := appendAsync(ctxC, "c")
	require.Eventually(t, func() bool { return len(db.queue) == 2 }, 5*time.Second, time.Millisecond)

	release <- struct{}{} // a commits; the writer skips b, takes c
	ra := <-a
	require.NoError(t, ra.err)
	require.Equal(t, []bool{true}, ra.ins)
	require.Equal(t, int32(2), <-entered, "the writer holds c's commit")
	cancelC()
	select {
	case r := <-c:
		t.Fatalf("c returned %v before its commit", r)
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{}
	rc := <-c
	require.NoError(t, rc.err, "c was taken before it was cancelled")
	require.Equal(t, []bool{true}, rc.ins)

	var got []string
	require.NoError(t, db.Scan(context.Background(), store.Filter{}, func(tr *trace.Trace) error {
		got = append(got, tr.ID)
		return nil
	}))
	require.Equal(t, []string{"a", "c"}, got)
}

// TestCloseCommitsQueued closes the store under a load of appends: every
// call that succeeded is stored, the others got ErrClosed and stored
// nothing.
func TestCloseCommitsQueued(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traces.db")
	db := openDB(t, path, Options{QueueLen: 4})
	var (
		wg    sync.WaitGroup
		acked atomic.Int64
		mu    sync.Mutex
		ok    []string
	)
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				var batch []trace.Trace
				for j := range 10 {
					batch = append(batch, click(fmt.Sprintf("g%02d-%04d-%d", g, i, j), time.Now()))
				}
				_, err := db.Append(context.Background(), batch)
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if !assertNoError(t, err) {
					return
				}
				mu.Lock()
				ok = append(ok, ids(batch)...)
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	require.Eventually(t, func() bool { return acked.Load() >= 50 }, 10*time.Second, time.Millisecond)
	require.NoError(t, db.Close())
	wg.Wait()

	db = openDB(t, path, Options{})
	got := map[string]int{}
	require.NoError(t, db.Scan(context.Background(), store.Filter{}, func(tr *trace.Trace) error {
		got[tr.ID]++
		return nil
	}))
	require.Len(t, got, len(ok), "exactly the acknowledged calls are stored")
	for _, id := range ok {
		require.Equal(t, 1, got[id], id)
	}
}

func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

func ids(ts []trace.Trace) []string {
	out := make([]string, len(ts))
	for i := range ts {
		out[i] = ts[i].ID
	}
	return out
}

// TestNoLeak checks that Close stops every goroutine the store started.
func TestNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	db, err := Open(filepath.Join(t.TempDir(), "traces.db"), Options{})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = db.Append(ctx, []trace.Trace{click("a", time.Now())})
	require.NoError(t, err)
	_, err = db.Query(ctx, store.Filter{})
	require.NoError(t, err)
	_, err = db.DeleteBefore(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	// Not require.Eventually: it polls from a goroutine of its own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines after Close")
}

// TestQueryPlans checks that the queries use the indexes meant for them.
func TestQueryPlans(t *testing.T) {
	db := openDB(t, "", Options{})
	plan := func(query string, args ...any) string {
		t.Helper()
		rows, err := db.read.Query("EXPLAIN QUERY PLAN "+query, args...)
		require.NoError(t, err)
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			lines = append(lines, detail)
		}
		require.NoError(t, rows.Err())
		return strings.Join(lines, "\n")
	}
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	cursor := store.EncodeCursor(day.UnixNano(), 7)
	for _, tc := range []struct {
		name string
		f    store.Filter
		want string
	}{
		{"all", store.Filter{}, "SCAN traces USING INDEX traces_t"},
		{"time", store.Filter{From: day, To: day.Add(time.Hour)}, "SEARCH traces USING INDEX traces_t (t>? AND t<?)"},
		{"cursor", store.Filter{Cursor: cursor}, "SEARCH traces USING INDEX traces_t (t>?)"},
		// Ties of t are sorted by seq after the index: a cheap partial sort.
		{"touchpoint", store.Filter{Touchpoint: "x", From: day}, "SEARCH traces USING INDEX traces_touchpoint (touchpoint=? AND t>?)\nUSE TEMP B-TREE FOR LAST TERM OF ORDER BY"},
		{"user", store.Filter{UserID: "u"}, "SEARCH traces USING INDEX traces_user (user_id=?)"},
		{"agent (no index: reads the time range)", store.Filter{AgentID: "a", From: day}, "SEARCH traces USING INDEX traces_t (t>?)"},
	} {
		t.Run("query/"+tc.name, func(t *testing.T) {
			q, args, _, err := querySQL(&tc.f)
			require.NoError(t, err)
			p := plan(q, args...)
			require.Contains(t, p, tc.want)
			require.NotContains(t, strings.ReplaceAll(p, "TEMP B-TREE FOR LAST TERM", ""), "TEMP B-TREE", "rows come in order from the index")
		})
	}
	q, args, err := summarySQL(&store.SummaryQuery{GroupBy: store.ByTouchpoint})
	require.NoError(t, err)
	require.Contains(t, plan(q, args...), "SCAN traces USING COVERING INDEX traces_touchpoint")
	q, args, err = summarySQL(&store.SummaryQuery{GroupBy: store.ByTouchpoint, Filter: store.Filter{From: day}})
	require.NoError(t, err)
	require.Contains(t, plan(retentionSQL(nil), 1, 10), "USING COVERING INDEX traces_t (t<?)")

	// Once the writer's PRAGMA optimize has statistics showing few
	// touchpoints, a summary of recent traces skip-scans the index: it
	// reads only the time range of each touchpoint.
	var batch []trace.Trace
	for i := range 2000 {
		tr := click(fmt.Sprintf("o%04d", i), day.Add(time.Duration(i)*time.Minute))
		tr.Data.Touchpoint = fmt.Sprintf("tp%d", i%4)
		batch = append(batch, tr)
	}
	_, err = db.Append(context.Background(), batch)
	require.NoError(t, err)
	_, err = db.write.Exec(optimizeSQL) // what the writer runs every optimizeEvery
	require.NoError(t, err)
	// A connection loads statistics when it opens; the pool renews its
	// connections every readConnLifetime, this test at once.
	db.read.SetMaxIdleConns(0)
	db.read.SetMaxIdleConns(1)
	require.Contains(t, plan(q, args...), "SEARCH traces USING COVERING INDEX traces_touchpoint (ANY(touchpoint) AND t>?)")
}

func TestCursor(t *testing.T) {
	for _, tc := range []struct{ t, seq int64 }{{0, 1}, {-1, 1}, {1 << 62, 1 << 40}, {-1 << 63, 1<<63 - 1}} {
		c := store.EncodeCursor(tc.t, tc.seq)
		gt, gseq, err := store.DecodeCursor(c)
		require.NoError(t, err)
		require.Equal(t, tc, struct{ t, seq int64 }{gt, gseq})
	}
	for _, c := range []string{"", "AAAAAAAAAAAAAAAAAAAAAAA", store.EncodeCursor(1, 0), "AQAAAAAAAAAAAAAAAAAAAAA=", "AQAAAAAAAAAAAAAAAAAAAAB"} {
		_, _, err := store.DecodeCursor(c)
		require.ErrorIs(t, err, store.ErrBadCursor, "%q", c)
	}
}

// TestFarTimes stores times outside the range of Unix nanoseconds; they
// are clamped, so they keep their order.
func TestFarTimes(t *testing.T) {
	db := openDB(t, "", Options{})
	ctx := context.Background()
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var batch []trace.Trace
	for i := len(times) - 1; i >= 0; i-- {
		batch = append(batch, click(fmt.Sprintf("t%d", i), times[i]))
	}
	_, err := db.Append(ctx, batch)
	require.NoError(t, err)
	p, err := db.Query(ctx, store.Filter{})
	require.NoError(t, err)
	require.Equal(t, []string{"t0", "t1", "t2", "t3", "t4"}, ids(p.Traces))
	p, err = db.Query(ctx, store.Filter{From: times[1], To: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	require.Equal(t, []string{"t1", "t2", "t3"}, ids(p.Traces))
	g, err := db.Summary(ctx, store.SummaryQuery{GroupBy: store.ByDay, Filter: store.Filter{From: times[1]}})
	require.NoError(t, err)
	require.Equal(t, []string{"1900-01-01", "1969-12-31", "2025-01-01", "2262-04-11"}, []string{g[0].Key, g[1].Key, g[2].Key, g[3].Key})
}

// crashEnv, when set, makes TestCrash the child: it appends to the
// database at that path until it is killed.
const crashEnv = "RASTRO_SQLITE_CRASH_DB"

// TestCrash kills a process appending to the store with SIGKILL, three
// times on the same database, then requires that every id a process saw
// acknowledged (printed after Append returned) is stored exactly once and
// that the file is intact.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path, os.Getenv(crashEnv+"_ROUND"))
		return
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs a child process killed with SIGKILL")
	}
	want := 4000
	if testing.Short() {
		want = 1000
	}
	path := filepath.Join(t.TempDir(), "traces.db")
	var acked []string
	for round := range 3 {
		acked = append(acked, crashRound(t, path, round, want)...)
	}

	db := openDB(t, path, Options{})
	var check string
	require.NoError(t, db.read.QueryRow("PRAGMA integrity_check").Scan(&check))
	require.Equal(t, "ok", check)
	stored := map[string]int{}
	require.NoError(t, db.Scan(context.Background(), store.Filter{}, func(tr *trace.Trace) error {
		stored[tr.ID]++
		return nil
	}))
	for _, id := range acked {
		require.Equal(t, 1, stored[id], "acknowledged id %s", id)
	}
	st, err := db.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(len(stored)), st.Traces)
	t.Logf("%d acknowledged before the kills, %d stored", len(acked), len(stored))
}

// crashRound runs a child appending to path until it printed want
// acknowledged ids, kills it and returns the ids it printed.
func crashRound(t *testing.T, path string, round, want int) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("%s_ROUND=%d", crashEnv, round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var (
		acks  atomic.Int64
		lines []string
		eof   = make(chan error, 1)
	)
	go func() {
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				eof <- err // a line cut by the kill has no newline: dropped
				return
			}
			if id, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ack "); ok {
				lines = append(lines, id)
				acks.Add(1)
			}
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for acks.Load() < int64(want) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred code, no Close
	require.ErrorIs(t, <-eof, io.EOF)
	_ = cmd.Wait()
	require.GreaterOrEqual(t, len(lines), want, "round %d: child stderr:\n%s", round, stderr.String())
	return lines
}

// crashChild appends batches from 4 goroutines and prints each id once
// Append has returned, until it is killed. Two of them call AppendNoSync:
// a kill -9 of the process must not lose what it acknowledged either
// (only an OS crash or a power loss may, until the next fsync), and their
// calls share group commits with the durable ones.
func crashChild(path, round string) {
	db, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	for g := range 4 {
		go func() {
			for i := 0; ; i++ {
				var batch []trace.Trace
				for j := range 1 + (i*7+g)%40 {
					batch = append(batch, click(fmt.Sprintf("c%s-%d-%06d-%02d", round, g, i, j), time.Now()))
				}
				appendBatch := db.Append
				if g%2 == 1 {
					appendBatch = db.AppendNoSync
				}
				if _, err := appendBatch(context.Background(), batch); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				var b bytes.Buffer
				for _, tr := range batch {
					b.WriteString("ack " + tr.ID + "\n")
				}
				mu.Lock()
				_, _ = os.Stdout.Write(b.Bytes())
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Minute)
	fmt.Fprintln(os.Stderr, "not killed within a minute")
	os.Exit(4)
}

// TestAppendNoSync checks what AppendNoSync and Sync store and when the
// writer commits with or without an fsync: a batch of AppendNoSync calls
// alone commits with synchronous NORMAL, and the next durable commit (an
// Append, even of duplicates only, or a Sync) with FULL.
func TestAppendNoSync(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	type step struct {
		call     string // append, nosync or sync
		ids      []string
		inserted []bool
	}
	for _, tc := range []struct {
		name   string
		opts   Options
		steps  []step
		levels []string // the synchronous level of each commit
	}{
		{"no sync then sync", Options{}, []step{
			{"nosync", []string{"a", "b"}, []bool{true, true}},
			{"nosync", []string{"b", "c", "c"}, []bool{false, true, false}},
			{"sync", nil, nil},
			{"sync", nil, nil}, // nothing left to sync: no commit
		}, []string{"NORMAL", "NORMAL", "FULL"}},
		{"append of duplicates syncs", Options{}, []step{
			{"nosync", []string{"a"}, []bool{true}},
			{"append", []string{"a"}, []bool{false}},
			{"sync", nil, nil},
		}, []string{"NORMAL", "FULL"}},
		{"append after sync", Options{}, []step{
			{"nosync", []string{"a"}, []bool{true}},
			{"sync", nil, nil},
			{"append", []string{"b"}, []bool{true}},
		}, []string{"NORMAL", "FULL", "FULL"}},
		{"sync on a new store", Options{}, []step{{"sync", nil, nil}}, nil},
		{"store without fsync", Options{Sync: SyncNormal}, []step{
			{"nosync", []string{"a"}, []bool{true}},
			{"sync", nil, nil},
			{"append", []string{"a", "b"}, []bool{false, true}},
		}, []string{"NORMAL", "NORMAL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t, "", tc.opts)
			var levels []string
			db.testSyncs = &levels
			ctx := context.Background()
			want := map[string]bool{}
			for _, s := range tc.steps {
				var batch []trace.Trace
				for _, id := range s.ids {
					batch = append(batch, click(id, at))
					want[id] = true
				}
				var inserted []bool
				var err error
				switch s.call {
				case "append":
					inserted, err = db.Append(ctx, batch)
				case "nosync":
					inserted, err = db.AppendNoSync(ctx, batch)
				case "sync":
					err = db.Sync(ctx)
				}
				require.NoError(t, err)
				require.Equal(t, s.inserted, inserted, s.call)
			}
			require.Equal(t, tc.levels, levels)
			// The connection is back at its own level.
			var sync int
			require.NoError(t, db.write.QueryRow("PRAGMA synchronous").Scan(&sync))
			require.Equal(t, map[SyncMode]int{SyncFull: 2, SyncNormal: 1}[tc.opts.Sync], sync)
			st, err := db.Stats(ctx)
			require.NoError(t, err)
			require.Equal(t, int64(len(want)), st.Traces)
			require.NoError(t, db.Close())
			require.ErrorIs(t, db.Sync(ctx), store.ErrClosed)
			_, err = db.AppendNoSync(ctx, []trace.Trace{click("z", at)})
			require.ErrorIs(t, err, store.ErrClosed)
		})
	}
}
