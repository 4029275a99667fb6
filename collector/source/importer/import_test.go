package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/internal/cputime"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

type memStore struct {
	mu     sync.Mutex
	traces map[string]trace.Trace
}

func newMem() *memStore { return &memStore{traces: map[string]trace.Trace{}} }

func (s *memStore) Append(_ context.Context, ts []trace.Trace) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bool, len(ts))
	for i, t := range ts {
		if _, dup := s.traces[t.ID]; !dup {
			s.traces[t.ID] = t
			out[i] = true
		}
	}
	return out, nil
}

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestImport(t *testing.T) {
	csat := Mapping{Columns: map[string]string{"value": "csat_score", "occurred_at": "closed", "agent_id": "agent", "props.queue": "queue"},
		Defaults: map[string]string{"kind": "csat", "touchpoint": "support.call", "channel": "voice"}}
	tests := []struct {
		name    string
		mapping Mapping
		input   string
		want    Result
		check   func(t *testing.T, traces map[string]trace.Trace)
		fatal   string
	}{
		{name: "csv with mapping and defaults", mapping: csat,
			input: "ticket,agent,csat_score,closed,queue\n" +
				"1,ag1,5,2026-01-02T10:00:00Z,billing\n" +
				"2,ag2,1,2026-01-02T11:00:00Z,\n" +
				"3,ag2,9,2026-01-02T11:00:00Z,x\n" + // out of the 1..5 scale
				"4,ag3,abc,2026-01-02T11:00:00Z,x\n" +
				"5,ag3,3,yesterday,x\n" +
				"6,ag3\n" +
				"1,ag1,5,2026-01-02T10:00:00Z,billing\n", // the same row again
			want: Result{Rows: 7, Imported: 2, Duplicates: 1, Rejected: 4, Errors: []RowError{
				{Line: 4, Field: "value", Error: "must be between 1 and 5 for kind csat"},
				{Line: 5, Field: "value", Error: `"abc" is not a number`},
				{Line: 6, Field: "occurred_at", Error: `"yesterday" does not match the layout 2006-01-02T15:04:05.999999999Z07:00`},
				{Line: 7, Error: "has 2 fields, the header has 5"},
			}},
			check: func(t *testing.T, traces map[string]trace.Trace) {
				var got *trace.Trace
				for _, tr := range traces {
					if tr.Data.AgentID == "ag1" {
						got = &tr
					}
				}
				require.NotNil(t, got)
				require.Equal(t, wire.KindCSAT, got.Data.Kind)
				require.Equal(t, wire.ChannelVoice, got.Data.Channel)
				require.Equal(t, map[string]string{"queue": "billing"}, got.Data.Props)
				require.Equal(t, time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), got.Time)
				require.Equal(t, 1.0, *got.Data.Score)
				require.Equal(t, trace.OriginCSV, got.Data.Origin)
				require.Equal(t, "rastro://test", got.Source)
				require.True(t, strings.HasPrefix(got.ID, IDPrefix))
			}},
		{name: "columns named like fields map themselves", mapping: Mapping{},
			input: "kind,touchpoint,value,id,props.plan\nnps,survey,10,a,pro\nstar,app,4,b,\n",
			want:  Result{Rows: 2, Imported: 2},
			check: func(t *testing.T, traces map[string]trace.Trace) {
				require.Len(t, traces, 2)
			}},
		{name: "quoted multi-line field and a malformed row", mapping: Mapping{Defaults: map[string]string{"kind": "comment", "touchpoint": "t"}},
			input: "text\n\"line one\nline two\"\n\"bad \"quote\n\"fine\"\n",
			want:  Result{Rows: 3, Imported: 2, Rejected: 1, Errors: []RowError{{Line: 4, Error: `malformed CSV: extraneous or missing " in quoted-field`}}}},
		{name: "ndjson", mapping: Mapping{Format: NDJSON, Columns: map[string]string{"value": "score"}, Defaults: map[string]string{"kind": "qa", "touchpoint": "call"}},
			input: `{"score": 87.5, "agent_id": "a1", "scale_max": 100}` + "\n\n" + `{"score": "x"}` + "\n" + `[1]` + "\n" + `{"score": 50, "agent_id": null}`,
			want: Result{Rows: 4, Imported: 2, Rejected: 2, Errors: []RowError{
				{Line: 3, Field: "value", Error: `"x" is not a number`},
				{Line: 4, Error: "not a JSON object: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
			}},
			check: func(t *testing.T, traces map[string]trace.Trace) {
				for _, tr := range traces {
					require.Equal(t, trace.OriginNDJSON, tr.Data.Origin)
					require.Equal(t, wire.KindQA, tr.Data.Kind)
				}
			}},
		{name: "no kind", mapping: Mapping{}, input: "a,b\n1,2\n", fatal: "no kind"},
		{name: "empty", mapping: csat, input: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMem()
			cfg := Config{Source: "test", Mapping: tt.mapping, Appender: st, BatchRows: 2, now: func() time.Time { return fixedNow }}
			res, err := Import(context.Background(), strings.NewReader(tt.input), cfg)
			if tt.fatal != "" {
				require.ErrorContains(t, err, tt.fatal)
				return
			}
			require.NoError(t, err)
			res.Bytes = 0
			require.Equal(t, tt.want, res)
			if tt.check != nil {
				tt.check(t, st.traces)
			}
			// Idempotent: again, nothing new.
			again, err := Import(context.Background(), strings.NewReader(tt.input), cfg)
			require.NoError(t, err)
			require.Zero(t, again.Imported)
			require.Equal(t, res.Imported+res.Duplicates, again.Duplicates)
			require.Equal(t, res.Errors, again.Errors)
		})
	}
}

// TestImportStoreError: a failing Append stops the import with its error;
// the batches stored before it (and the one stored beside it) are counted,
// progress comes in order, and no Append is left running.
func TestImportStoreError(t *testing.T) {
	var in strings.Builder
	in.WriteString("kind,touchpoint,text\n")
	for i := range 40 {
		fmt.Fprintf(&in, "comment,home,%d\n", i)
	}
	boom := errors.New("disk full")
	var running atomic.Int32
	st := newMem()
	app := store.AppenderFunc(func(ctx context.Context, ts []trace.Trace) ([]bool, error) {
		running.Add(1)
		defer running.Add(-1)
		if ts[0].Data.Text == "8" { // the third batch
			return nil, boom
		}
		return st.Append(ctx, ts)
	})
	var progress []int
	res, err := Import(context.Background(), strings.NewReader(in.String()), Config{Source: "s", Appender: app, BatchRows: 4,
		now:      func() time.Time { return fixedNow },
		Progress: func(r Result) { progress = append(progress, r.Imported) }})
	require.ErrorIs(t, err, boom)
	require.Zero(t, running.Load())
	require.Equal(t, len(st.traces), res.Imported)
	require.GreaterOrEqual(t, res.Imported, 8)
	require.Equal(t, []int{4, 8}, progress)
}

// TestIDs pins the trace ids: a row with an id column, or without a time
// of its own, keeps the id earlier builds gave it (re-importing a file
// must add nothing); a timed row's id starts with its time.
func TestIDs(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{name: "id column", input: "id,kind,touchpoint,occurred_at\nT-1,click,home,2026-01-02T10:00:00Z\n",
			want: "imp-74608d12fd4ed59d0949fbd561954a1f"},
		{name: "timed row", input: "kind,touchpoint,occurred_at\nclick,home,2026-01-02T10:00:00Z\n",
			want: "imp-019b7e265500-61931e94207cadd5f5021eefe7610a7e"},
		{name: "row without time", input: "kind,touchpoint\nclick,home\n",
			want: "imp-862b2d52edbb01eb6dc9823752ad5b6d"},
		{name: "default time", input: "kind,touchpoint,occurred_at\nclick,home,\n",
			want: "imp-2c60b0aef4e0b07de6cf3d5ab65ca7bd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMem()
			cfg := Config{Source: "s", Appender: st, now: func() time.Time { return fixedNow },
				Mapping: Mapping{Defaults: map[string]string{"occurred_at": "2026-01-01T00:00:00Z"}}}
			res, err := Import(context.Background(), strings.NewReader(tt.input), cfg)
			require.NoError(t, err)
			require.Equal(t, 1, res.Imported, res.Errors)
			for id := range st.traces {
				require.Equal(t, tt.want, id)
			}
		})
	}

	// Rows in time order get ids in the same order, whatever the rest of
	// the row.
	var in strings.Builder
	in.WriteString("kind,touchpoint,occurred_at,text\n")
	for i := range 50 {
		fmt.Fprintf(&in, "comment,home,%s,%d\n", fixedNow.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), 50-i)
	}
	var ids []string
	_, err := Import(context.Background(), strings.NewReader(in.String()), Config{Source: "s", now: func() time.Time { return fixedNow },
		Appender: store.AppenderFunc(func(_ context.Context, ts []trace.Trace) ([]bool, error) {
			for _, tr := range ts {
				ids = append(ids, tr.ID)
			}
			return make([]bool, len(ts)), nil
		})})
	require.NoError(t, err)
	require.Len(t, ids, 50)
	require.True(t, slices.IsSorted(ids), ids)
}

// genCSV writes rows rows of a contact-centre export; every bad-th row is
// bad in one of three ways.
func genCSV(rows, bad int) ([]byte, int) {
	var b bytes.Buffer
	b.WriteString("interaction,agent,queue,closed_at,csat,qa,comment\n")
	rejected := 0
	for i := range rows {
		score := fmt.Sprint(1 + i%5)
		closed := fixedNow.Add(-time.Duration(i) * time.Second).Format("2006-01-02 15:04:05")
		if bad > 0 && i%bad == bad-1 {
			rejected++
			switch (i / bad) % 3 {
			case 0:
				score = "n/a"
			case 1:
				score = "7"
			case 2:
				closed = "someday"
			}
		}
		fmt.Fprintf(&b, "c-%d,agent-%d,%s,%s,%s,%d,\"thanks, %d\"\n", i, i%50, []string{"billing", "tech", "sales"}[i%3], closed, score, 50+i%50, i)
	}
	return b.Bytes(), rejected
}

var csatMapping = Mapping{
	TimeLayout: "2006-01-02 15:04:05",
	Columns: map[string]string{"interaction_id": "interaction", "agent_id": "agent", "occurred_at": "closed_at",
		"value": "csat", "text": "comment", "props.queue": "queue", "props.qa": "qa"},
	Defaults: map[string]string{"kind": "csat", "touchpoint": "support.call", "channel": "voice"},
}

// TestImport100k imports a 100,000-row CSV with bad rows into SQLite, then
// imports it again: nothing is added and the same rows are rejected. The
// store is the durable default, so the rows go through AppendNoSync with
// a Sync every 30,000 rows and at the end, and Progress reports only
// synced rows.
func TestImport100k(t *testing.T) {
	data, bad := genCSV(100_000, 997)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	var progress []int
	cfg := Config{Source: "cc-export", Mapping: csatMapping, Appender: st, now: func() time.Time { return fixedNow },
		BatchRows: 5000, SyncRows: 30_000, Progress: func(r Result) { progress = append(progress, r.Imported+r.Duplicates) }}

	start := time.Now()
	first, err := Import(context.Background(), bytes.NewReader(data), cfg)
	require.NoError(t, err)
	t.Logf("first import: %d rows in %v (%.0f rows/s)", first.Rows, time.Since(start), float64(first.Rows)/time.Since(start).Seconds())
	require.Equal(t, 100_000, first.Rows)
	require.Equal(t, bad, first.Rejected)
	require.Equal(t, 100_000-bad, first.Imported)
	require.Zero(t, first.Duplicates)
	require.Len(t, first.Errors, 100)
	require.Equal(t, RowError{Line: 998, Field: "value", Error: `"n/a" is not a number`}, first.Errors[0])
	// Batches of 5000 traces: a Sync each time 30,000 more are committed,
	// one at the end.
	require.Equal(t, []int{30_000, 60_000, 90_000, 100_000 - bad}, progress)
	progress = nil

	second, err := Import(context.Background(), bytes.NewReader(data), cfg)
	require.NoError(t, err)
	require.Equal(t, 100_000, second.Rows)
	require.Zero(t, second.Imported)
	require.Equal(t, 100_000-bad, second.Duplicates)
	require.Equal(t, first.Rejected, second.Rejected)
	require.Equal(t, first.Errors, second.Errors)

	stats, err := st.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(100_000-bad), stats.Traces)
}

func BenchmarkImport(b *testing.B) {
	const rows = 20_000
	data, _ := genCSV(rows, 0)
	for _, batch := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("sqlite/batch=%d", batch), func(b *testing.B) {
			st, err := sqlite.Open(filepath.Join(b.TempDir(), "traces.db"), sqlite.Options{})
			require.NoError(b, err)
			defer st.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			n := 0
			cpu0 := cputime.Process()
			for b.Loop() {
				// A new source each time, so every row is new.
				_, err := Import(context.Background(), bytes.NewReader(data), Config{
					Source: fmt.Sprint("bench-", n), Mapping: csatMapping, Appender: st, BatchRows: batch,
					now: func() time.Time { return fixedNow }})
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportRows(b, rows*n, cputime.Process()-cpu0)
		})
	}
	b.Run("decode-only", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		n := 0
		for b.Loop() {
			_, err := Import(context.Background(), bytes.NewReader(data), Config{Source: "bench", Mapping: csatMapping,
				Appender: store.AppenderFunc(func(_ context.Context, ts []trace.Trace) ([]bool, error) { return make([]bool, len(ts)), nil }),
				now:      func() time.Time { return fixedNow }})
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(rows*n)/b.Elapsed().Seconds(), "rows/s")
	})
}

// reportRows reports rows/s and the CPU time of the whole process (reader,
// importer and the store's writer) per row: on a shared machine it
// measures the cost of a row better than the wall clock does.
func reportRows(b *testing.B, rows int, cpu time.Duration) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(rows), "cpu-µs/row")
	}
}

func FuzzImport(f *testing.F) {
	f.Add([]byte("kind,touchpoint,value,text\nstar,t,4,hi\ncsat,t,9,\n\"a\"b,\n"), false)
	f.Add([]byte(`{"kind":"nps","touchpoint":"t","value":9}`+"\n"+`{"kind":"comment","touchpoint":"t","text":"x","props.a":1}`), true)
	f.Add([]byte("kind,touchpoint,id\nclick,t,1\nclick,t,1\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, ndjson bool) {
		mp := Mapping{Defaults: map[string]string{"kind": "comment", "touchpoint": "t", "text": "x"}}
		if ndjson {
			mp.Format = NDJSON
		}
		st := newMem()
		cfg := Config{Source: "fuzz", Mapping: mp, Appender: st, BatchRows: 3, now: func() time.Time { return fixedNow }}
		res, err := Import(context.Background(), bytes.NewReader(data), cfg)
		if err != nil {
			return
		}
		require.Equal(t, res.Rows, res.Imported+res.Duplicates+res.Rejected)
		require.Len(t, st.traces, res.Imported)
		for _, tr := range st.traces {
			require.True(t, strings.HasPrefix(tr.ID, IDPrefix))
		}
		again, err := Import(context.Background(), bytes.NewReader(data), cfg)
		require.NoError(t, err)
		require.Zero(t, again.Imported)
		require.Equal(t, res.Rejected, again.Rejected)
	})
}

// bulkMem is a store.BulkAppender in memory that tells the traces synced
// from those only committed, and fails the batch whose first trace has
// the text failOn, and Syncs after failSync successful ones.
type bulkMem struct {
	memStore
	synced   map[string]bool
	calls    []string
	failOn   string
	failSync int
}

func (s *bulkMem) AppendNoSync(ctx context.Context, ts []trace.Trace) ([]bool, error) {
	s.mu.Lock()
	s.calls = append(s.calls, fmt.Sprintf("nosync %d", len(ts)))
	s.mu.Unlock()
	if ts[0].Data.Text == s.failOn {
		return nil, errors.New("boom")
	}
	return s.memStore.Append(ctx, ts)
}

func (s *bulkMem) Sync(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "sync")
	if s.failSync == 0 {
		return errors.New("sync failed")
	}
	s.failSync--
	for id := range s.traces {
		s.synced[id] = true
	}
	return nil
}

// TestImportBulk checks an import into a store.BulkAppender: batches go
// through AppendNoSync, a Sync follows every SyncRows rows and the end,
// and only synced rows count as imported, in Progress and in the Result,
// even when the store fails.
func TestImportBulk(t *testing.T) {
	var in strings.Builder
	in.WriteString("kind,touchpoint,text\n")
	for i := range 10 {
		fmt.Fprintf(&in, "comment,home,%d\n", i)
	}
	for _, tc := range []struct {
		name     string
		failOn   string
		failSync int
		imported int
		progress []int
		syncs    int // Sync calls; 0: not checked
		err      string
	}{
		{name: "every 4 rows and the end", failSync: 99, imported: 10, progress: []int{4, 8, 10}, syncs: 3},
		{name: "store fails", failOn: "6", failSync: 99, progress: []int{4}, err: "boom"},
		{name: "sync fails", failSync: 1, imported: 4, progress: []int{4}, err: "sync failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &bulkMem{memStore: *newMem(), synced: map[string]bool{}, failOn: tc.failOn, failSync: tc.failSync}
			var progress []int
			res, err := Import(context.Background(), strings.NewReader(in.String()), Config{Source: "s", Appender: st,
				BatchRows: 2, SyncRows: 4, now: func() time.Time { return fixedNow },
				Progress: func(r Result) { progress = append(progress, r.Imported) }})
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			if tc.syncs > 0 {
				// A batch may be in flight while the rows before it are
				// synced, so only the counts and the last call are fixed.
				syncs := 0
				for _, c := range st.calls {
					if c == "sync" {
						syncs++
					}
				}
				require.Equal(t, tc.syncs, syncs, st.calls)
				require.Len(t, st.calls, tc.syncs+5, "5 batches")
				require.Equal(t, "sync", st.calls[len(st.calls)-1])
			}
			if tc.failOn != "" {
				// What was committed before the failure is synced at the
				// end and counted; nothing more.
				require.Equal(t, len(st.traces), res.Imported)
				require.GreaterOrEqual(t, res.Imported, 4)
				require.Equal(t, "sync", st.calls[len(st.calls)-1])
			} else {
				require.Equal(t, tc.imported, res.Imported)
			}
			require.Equal(t, tc.progress, progress[:min(len(progress), len(tc.progress))])
			// Every row counted is synced; a Sync may also cover a batch
			// still in flight when it was called, not yet counted.
			require.GreaterOrEqual(t, len(st.synced), res.Imported)
			if tc.err == "" {
				require.Len(t, st.synced, res.Imported)
			}
		})
	}
}
