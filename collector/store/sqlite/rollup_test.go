package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// rated returns a trace with a rating of kind on [lo, hi], its score
// (value-lo)/(hi-lo) and the sentiment and NPS class of that score.
func rated(id string, at time.Time, kind wire.Kind, v, lo, hi float64, dims ...string) trace.Trace {
	tr := click(id, at)
	tr.Type = trace.TypePrefix + string(kind)
	d := &tr.Data
	d.Kind, d.Value, d.Min, d.Max = kind, &v, &lo, &hi
	if kind != wire.KindQA {
		s := (v - lo) / (hi - lo)
		d.Score = &s
		d.Sentiment = trace.Neutral
		switch {
		case s < 0.4:
			d.Sentiment = trace.Negative
		case s > 0.6:
			d.Sentiment = trace.Positive
		}
	}
	if kind == wire.KindNPS {
		d.NPSClass = trace.Passive
		switch {
		case v <= 6:
			d.NPSClass = trace.Detractor
		case v >= 9:
			d.NPSClass = trace.Promoter
		}
	}
	for i, v := range dims {
		switch i {
		case 0:
			d.Touchpoint = v
		case 1:
			d.Channel = wire.Channel(v)
		case 2:
			d.Journey = v
		case 3:
			d.AgentID = v
		case 4:
			d.InteractionID = v
		}
	}
	return tr
}

// randomTraces returns n traces spread over days days from start, on a few
// touchpoints, channels, journeys and agents, of every kind.
func randomTraces(prefix string, n int, start time.Time, days int, seed uint64) []trace.Trace {
	r := rand.New(rand.NewPCG(seed, 7))
	kinds := []wire.Kind{wire.KindStar, wire.KindCSAT, wire.KindNPS, wire.KindCES, wire.KindQA, wire.KindClick}
	out := make([]trace.Trace, n)
	for i := range out {
		at := start.Add(time.Duration(r.Int64N(int64(days) * int64(24*time.Hour))))
		k := kinds[r.IntN(len(kinds))]
		dims := []string{fmt.Sprintf("tp%d", r.IntN(4)), []string{"web", "chat", "voice"}[r.IntN(3)],
			[]string{"", "buy", "help"}[r.IntN(3)], []string{"", "ana", "bob"}[r.IntN(3)], fmt.Sprintf("i%d", r.IntN(n/3+1))}
		id := fmt.Sprintf("%s%05d", prefix, i)
		switch k {
		case wire.KindClick:
			out[i] = click(id, at)
			out[i].Data.Touchpoint = dims[0]
		case wire.KindNPS:
			out[i] = rated(id, at, k, float64(r.IntN(11)), 0, 10, dims...)
		case wire.KindCES:
			out[i] = rated(id, at, k, float64(1+r.IntN(7)), 1, 7, dims...)
		case wire.KindQA:
			out[i] = rated(id, at, k, float64(r.IntN(101)), 0, 100, dims...)
		default:
			out[i] = rated(id, at, k, float64(1+r.IntN(5)), 1, 5, dims...)
		}
		if r.IntN(5) == 0 {
			out[i].Data.Props = map[string]string{"team": []string{"north", "south"}[r.IntN(2)], "say \"hi\"": "ünï\n"}
		}
	}
	return out
}

// requireRollupsMatch recomputes the rollups from the traces rows with the
// GROUP BY of Summary and requires the table to hold exactly that: the
// same rows, counts equal, float sums to 1e-9, no empty row left.
func requireRollupsMatch(t *testing.T, db *DB) {
	t.Helper()
	type row struct {
		dim         string
		width, b    int64
		key         string
		ints        [10]int64
		score, cess float64
	}
	read := func(query string, args ...any) map[string]row {
		rows, err := db.read.Query(query, args...)
		require.NoError(t, err)
		defer rows.Close()
		out := map[string]row{}
		for rows.Next() {
			var r row
			i := &r.ints
			require.NoError(t, rows.Scan(&r.dim, &r.width, &r.b, &r.key, &i[0], &i[1], &r.score, &i[2], &i[3], &i[4],
				&i[5], &i[6], &i[7], &i[8], &r.cess, &i[9]))
			out[fmt.Sprintf("%s/%d/%d/%q", r.dim, r.width, r.b, r.key)] = r
		}
		require.NoError(t, rows.Err())
		return out
	}
	got := read(`SELECT dim, width, bucket, key, n, scored, score_sum, negative, csat, csat_satisfied, nps,
		promoters, detractors, ces, ces_sum, positive FROM rollups`)
	sealed, err := readSealed(context.Background(), db.read)
	require.NoError(t, err)
	want := map[string]row{}
	for _, g := range rollupDims {
		for li, l := range levels {
			days := "" // day rows exist for the sealed days only
			if li == dayLevel {
				days = fmt.Sprintf(" WHERE t < %d", max(sealed, firstDay+1)*l.nanos)
			}
			maps := read(fmt.Sprintf("SELECT '%s', %d, %s AS b, %s AS k, %s FROM traces%s GROUP BY b, k",
				g, l.secs, bucketSQL("t", l.nanos, 0), groupKeys[g], sumsSQL, days))
			for k, r := range maps {
				want[k] = r
			}
		}
	}
	require.Equal(t, len(want), len(got), "rollup rows")
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "missing rollup row %s", k)
		require.Equal(t, w.ints, g.ints, k)
		require.InDelta(t, w.score, g.score, 1e-9, k)
		require.InDelta(t, w.cess, g.cess, 1e-9, k)
	}
}

// TestRollupsMatchTraces keeps the rollups equal to what the traces rows
// give through appends with duplicates, retention through the middle of
// hours (in small chunks, and held back by a sink that has not confirmed
// everything), and times clamped to the ends of int64.
func TestRollupsMatchTraces(t *testing.T) {
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		opts Options
		step func(t *testing.T, db *DB)
	}{
		{"appends with duplicates", Options{MaxBatchRows: 50}, func(t *testing.T, db *DB) {
			traces := randomTraces("a", 600, start, 3, 1)
			for lo := 0; lo < len(traces); lo += 100 {
				batch := append(traces[lo:lo+100:lo+100], traces[lo/2:lo/2+30]...) // stored ones and in-call repeats
				_, err := db.Append(context.Background(), batch)
				require.NoError(t, err)
			}
		}},
		{"retention in chunks", Options{DeleteChunkRows: 7}, func(t *testing.T, db *DB) {
			_, err := db.Append(context.Background(), randomTraces("r", 500, start, 3, 2))
			require.NoError(t, err)
			requireRollupsMatch(t, db)
			n, err := db.DeleteBefore(context.Background(), start.Add(29*time.Hour+17*time.Minute+3*time.Second))
			require.NoError(t, err)
			require.Positive(t, n)
		}},
		{"retention held back by a sink", Options{Sinks: []string{"s"}, DeleteChunkRows: 11}, func(t *testing.T, db *DB) {
			ctx := context.Background()
			_, err := db.Append(ctx, randomTraces("s", 300, start, 2, 3))
			require.NoError(t, err)
			p, err := db.Claim(ctx, "s", 120, time.Minute)
			require.NoError(t, err)
			require.NoError(t, db.Done(ctx, "s", p))
			n, err := db.DeleteBefore(ctx, start.Add(36*time.Hour+time.Second))
			require.NoError(t, err)
			require.Positive(t, n)
			st, err := db.Stats(ctx)
			require.NoError(t, err)
			require.Greater(t, st.Traces, int64(300)-n-1, "some traces stay for the sink")
		}},
		{"far times", Options{}, func(t *testing.T, db *DB) {
			var batch []trace.Trace
			for i, at := range []time.Time{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1677, 9, 21, 1, 0, 0, 0, time.UTC),
				time.Date(1969, 12, 31, 23, 30, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)} {
				batch = append(batch, rated(fmt.Sprintf("f%d", i), at, wire.KindCSAT, 4, 1, 5, "far"))
			}
			_, err := db.Append(context.Background(), batch)
			require.NoError(t, err)
		}},
		{"everything deleted", Options{}, func(t *testing.T, db *DB) {
			_, err := db.Append(context.Background(), randomTraces("e", 200, start, 2, 4))
			require.NoError(t, err)
			_, err = db.DeleteBefore(context.Background(), start.AddDate(0, 0, 3))
			require.NoError(t, err)
			var n int
			require.NoError(t, db.read.QueryRow("SELECT count(*) FROM rollups").Scan(&n))
			require.Zero(t, n, "no empty rollup row is left")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t, "", tc.opts)
			tc.step(t, db)
			requireRollupsMatch(t, db)
		})
	}
}

// TestRollupPieces checks that the pieces of a range cover it exactly,
// each on the boundaries of its level, with days only when buckets are
// made of days.
func TestRollupPieces(t *testing.T) {
	hour, day := int64(time.Hour), int64(24*time.Hour)
	base := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC).UnixNano()
	r := rand.New(rand.NewPCG(9, 9))
	check := func(t *testing.T, q *rolledQuery, sealedAt int64) {
		t.Helper()
		ps := q.pieces(sealedAt)
		slices.SortFunc(ps, func(a, b piece) int {
			switch {
			case !a.hasFrom:
				return -1
			case !b.hasFrom:
				return 1
			}
			return int(min(max(a.from-b.from, -1), 1))
		})
		require.NotEmpty(t, ps)
		require.Equal(t, q.hasFrom, ps[0].hasFrom)
		require.Equal(t, q.hasTo, ps[len(ps)-1].hasTo)
		if q.hasFrom {
			require.Equal(t, q.from, ps[0].from)
		}
		if q.hasTo {
			require.Equal(t, q.to, ps[len(ps)-1].to)
		}
		for i, p := range ps {
			if i > 0 {
				require.True(t, ps[i-1].hasTo && p.hasFrom)
				require.Equal(t, ps[i-1].to, p.from, "pieces are contiguous")
			}
			if p.hasFrom && p.hasTo {
				require.Less(t, p.from, p.to, "pieces are not empty")
			}
			if p.level >= 0 {
				w := levels[p.level].nanos
				require.True(t, !p.hasFrom || p.from%w == 0, "aligned start")
				require.True(t, !p.hasTo || p.to%w == 0, "aligned end")
			} else {
				require.LessOrEqual(t, p.to-p.from, hour, "edges are under an hour")
			}
			if p.level == dayLevel {
				require.True(t, q.width == 0 || q.width%day == 0)
				require.LessOrEqual(t, p.to, sealedAt, "days from the sealed ones only")
			}
		}
	}
	for i := range 2000 {
		for _, w := range []int64{0, hour, 3 * hour, day, 7 * day} {
			q := &rolledQuery{width: w, from: base + r.Int64N(10*day), hasFrom: i%7 != 0, hasTo: i%5 != 0}
			q.to = q.from + r.Int64N(10*day)
			if q.hasFrom && q.hasTo && ceilTo(q.from, hour) >= floorTo(q.to, hour) {
				continue // newRolledQuery sends it to the traces
			}
			check(t, q, base+day*r.Int64N(12))
		}
	}
}

// TestRolledQueries lists which queries the rollups answer.
func TestRolledQueries(t *testing.T) {
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	h, d := int64(time.Hour), int64(24*time.Hour)
	for _, tc := range []struct {
		name          string
		by            store.GroupBy
		f             store.Filter
		width, offset int64
		dim           store.GroupBy
		key           string
		ok            bool
	}{
		{"summary by touchpoint", store.ByTouchpoint, store.Filter{}, 0, 0, store.ByTouchpoint, "", true},
		{"summary by day reads kinds", store.ByDay, store.Filter{}, d, 0, store.ByKind, "", true},
		{"by day of one channel", store.ByDay, store.Filter{Channel: wire.ChannelChat}, d, 0, store.ByChannel, "chat", true},
		{"touchpoint of one touchpoint", store.ByTouchpoint, store.Filter{Touchpoint: "x"}, h, 0, store.ByTouchpoint, "x", true},
		{"journey in weeks", store.ByJourney, store.Filter{From: day}, 7 * d, 4 * d, store.ByJourney, "", true},
		{"agents are not rolled up", store.ByAgent, store.Filter{}, h, 0, "", "", false},
		{"nor filtered on", store.ByDay, store.Filter{AgentID: "a"}, d, 0, "", "", false},
		{"a filter on another dimension", store.ByTouchpoint, store.Filter{Kind: wire.KindCSAT}, h, 0, "", "", false},
		{"two filters", store.ByDay, store.Filter{Kind: wire.KindCSAT, Journey: "j"}, d, 0, "", "", false},
		{"a user", store.ByTouchpoint, store.Filter{UserID: "u"}, h, 0, "", "", false},
		{"minutes", store.ByTouchpoint, store.Filter{}, int64(time.Minute), 0, "", "", false},
		{"hours from the half hour", store.ByTouchpoint, store.Filter{}, h, h / 2, "", "", false},
		{"under an hour", store.ByTouchpoint, store.Filter{From: day.Add(time.Minute), To: day.Add(time.Hour)}, h, 0, "", "", false},
		{"a far bound", store.ByTouchpoint, store.Filter{From: time.Date(2, 1, 1, 0, 0, 0, 0, time.UTC)}, h, 0, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, ok := newRolledQuery(tc.by, &tc.f, tc.width, tc.offset)
			require.Equal(t, tc.ok, ok)
			if ok {
				require.Equal(t, tc.dim, q.dim)
				require.Equal(t, tc.key, q.key)
				require.Equal(t, tc.key != "", q.keyed)
			}
		})
	}
}

// downgrade turns the database at path into a schema version 1 file: no
// rollups, no columns of version 2.
func downgrade(t *testing.T, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.Exec(`DROP TABLE rollups;
		ALTER TABLE traces DROP COLUMN interaction_id; ALTER TABLE traces DROP COLUMN scale_min;
		ALTER TABLE traces DROP COLUMN scale_max; ALTER TABLE traces DROP COLUMN props;
		PRAGMA user_version = 1`)
	require.NoError(t, err)
}

// TestMigrateV1 opens a version 1 file: Open adds the columns and builds
// the rollups of the stored traces; those read their body where a column
// is missing.
func TestMigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traces.db")
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	old := randomTraces("o", 400, start, 3, 5)
	db, err := Open(path, Options{})
	require.NoError(t, err)
	_, err = db.Append(context.Background(), old)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	downgrade(t, path)

	// backfillFlush is larger than this store: flush in the middle too.
	db = openDB(t, path, Options{})
	var version int
	require.NoError(t, db.read.QueryRow("PRAGMA user_version").Scan(&version))
	require.Equal(t, SchemaVersion, version)
	requireRollupsMatch(t, db)
	var legacy int
	require.NoError(t, db.read.QueryRow("SELECT count(*) FROM traces WHERE interaction_id IS NULL").Scan(&legacy))
	require.Equal(t, len(old), legacy, "old rows keep NULL columns")

	_, err = db.Append(context.Background(), randomTraces("n", 100, start, 3, 6))
	require.NoError(t, err)
	requireRollupsMatch(t, db)
	requireJudgementsLikeScan(t, db, store.Filter{})

	// A second open finds version 2: nothing to do.
	require.NoError(t, db.Close())
	db = openDB(t, path, Options{})
	requireRollupsMatch(t, db)
}

// TestOpenNewerVersion refuses a file of a later build.
func TestOpenNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traces.db")
	db, err := Open(path, Options{})
	require.NoError(t, err)
	_, err = db.write.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = Open(path, Options{})
	require.ErrorContains(t, err, "newer than this build")
}

// judgementOf is what ScanJudgements promises of a trace.
type judgementOf struct {
	Time                   time.Time
	Kind                   wire.Kind
	AgentID, InteractionID string
	Value, Min, Max, Score *float64
	Props                  map[string]string
}

func project(tr *trace.Trace) judgementOf {
	d := &tr.Data
	cp := func(p *float64) *float64 {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	var props map[string]string
	if len(d.Props) > 0 {
		props = make(map[string]string, len(d.Props))
		for k, v := range d.Props {
			props[k] = v
		}
	}
	return judgementOf{tr.Time.UTC(), d.Kind, d.AgentID, d.InteractionID, cp(d.Value), cp(d.Min), cp(d.Max), cp(d.Score), props}
}

// requireJudgementsLikeScan requires ScanJudgements to give, in order,
// the judgements of Scan.
func requireJudgementsLikeScan(t *testing.T, db *DB, f store.Filter) {
	t.Helper()
	var want, got []judgementOf
	require.NoError(t, db.Scan(context.Background(), f, func(tr *trace.Trace) error {
		if tr.Data.Score != nil || tr.Data.Kind == wire.KindQA {
			want = append(want, project(tr))
		}
		return nil
	}))
	require.NoError(t, db.ScanJudgements(context.Background(), f, func(tr *trace.Trace) error {
		got = append(got, project(tr))
		return nil
	}))
	require.NotEmpty(t, want)
	require.Equal(t, want, got)
}

func TestScanJudgements(t *testing.T) {
	db := openDB(t, "", Options{})
	ctx := context.Background()
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	traces := randomTraces("j", 300, start, 2, 8)
	far := rated("far", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), wire.KindQA, 3, 1, 5, "tp0", "web", "", "ana", "i-far")
	noScale := rated("noscale", start, wire.KindQA, 3, 1, 5, "tp0")
	noScale.Data.Min, noScale.Data.Max = nil, nil
	_, err := db.Append(ctx, append(traces, far, noScale))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		f    store.Filter
	}{
		{"all", store.Filter{}},
		{"a time range", store.Filter{From: start.Add(7 * time.Hour), To: start.Add(30 * time.Hour)}},
		{"a touchpoint", store.Filter{Touchpoint: "tp1"}},
		{"an agent's qa", store.Filter{AgentID: "ana", Kind: wire.KindQA}},
	} {
		t.Run(tc.name, func(t *testing.T) { requireJudgementsLikeScan(t, db, tc.f) })
	}

	n := 0
	stop := fmt.Errorf("stop")
	err = db.ScanJudgements(ctx, store.Filter{}, func(*trace.Trace) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.NoError(t, db.Close())
	require.ErrorIs(t, db.ScanJudgements(ctx, store.Filter{}, func(*trace.Trace) error { return nil }), store.ErrClosed)
}

func TestProps(t *testing.T) {
	// One scratch buffer for all, as for the rows of an Append call: a
	// longer text after a shorter one, and the other way round.
	var scratch []byte
	for _, props := range []map[string]string{
		{"team": "north"},
		{"": "", "a\"b": "c\\d", "ü": "\u2028\x01", "k": "}{,:"},
		{"long": strings.Repeat("x", 5000)},
		{"team": "south"},
	} {
		m := map[string]string{}
		require.NoError(t, decodeProps(propsJSON(&scratch, props).(string), m))
		require.Equal(t, props, m)
	}
	require.Nil(t, propsJSON(&scratch, nil))
	require.Error(t, decodeProps(`{"a":1}`, map[string]string{}))
}

// TestRollupPlans checks that a piece of the rollups reads only its range
// of the primary key, and an edge only its range of the traces.
func TestRollupPlans(t *testing.T) {
	db := openDB(t, "", Options{})
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	f := store.Filter{From: day.Add(90 * time.Minute), To: day.AddDate(0, 0, 3).Add(30 * time.Minute)}
	q, ok := newRolledQuery(store.ByTouchpoint, &f, int64(24*time.Hour), 0)
	require.True(t, ok)
	sealed, err := readSealed(context.Background(), db.read)
	require.NoError(t, err)
	levelsSeen := map[int]bool{}
	for _, p := range q.pieces(sealed * int64(24*time.Hour)) {
		levelsSeen[p.level] = true
		query, args := q.sql(p)
		rows, err := db.read.Query("EXPLAIN QUERY PLAN "+query, args...)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Close())
		want := "SEARCH rollups USING PRIMARY KEY (width=? AND bucket>? AND bucket<?)"
		if p.level < 0 {
			want = "SEARCH traces USING INDEX traces_t (t>? AND t<?)" // under an hour of rows
		}
		require.Contains(t, plan, want, "piece %+v", p)
	}
	require.Equal(t, map[int]bool{-1: true, hourLevel: true, dayLevel: true}, levelsSeen)
}

// requireSumsMatchScan checks Summary and Aggregate, over the rollups,
// against the sums computed in Go from Scan, for every filter.
func requireSumsMatchScan(t *testing.T, db *DB, filters ...store.Filter) {
	t.Helper()
	ctx := context.Background()
	for _, f := range filters {
		var traces []*trace.Trace
		require.NoError(t, db.Scan(ctx, f, func(tr *trace.Trace) error {
			traces = append(traces, tr)
			return nil
		}))
		for _, by := range []store.GroupBy{store.ByTouchpoint, store.ByAgent, store.ByDay} {
			key := func(tr *trace.Trace) string {
				if by == store.ByDay {
					return tr.Time.UTC().Format(time.DateOnly)
				}
				return dimValue(by, &tr.Data)
			}
			want := map[string]store.Sums{}
			for _, tr := range traces {
				s := want[key(tr)]
				s.Add(&tr.Data)
				want[key(tr)] = s
			}
			groups, err := db.Summary(ctx, store.SummaryQuery{GroupBy: by, Filter: f})
			require.NoError(t, err)
			require.Len(t, groups, len(want), "summary by %s of %+v", by, f)
			for _, g := range groups {
				w := want[g.Key]
				require.Equal(t, w.Count, g.Count, "summary by %s of %+v: %s", by, f, g.Key)
				require.Equal(t, w.CSAT, g.CSAT)
				if w.Scored > 0 {
					require.InDelta(t, w.ScoreSum/float64(w.Scored), *g.MeanScore, 1e-9)
				}
			}
			if by == store.ByDay {
				continue
			}
			for _, q := range []store.AggregateQuery{{Width: time.Hour}, {Width: 24 * time.Hour},
				{Width: 7 * 24 * time.Hour, Offset: 4 * 24 * time.Hour}} {
				q.GroupBy, q.Filter = by, f
				want := map[string]store.Sums{}
				for _, tr := range traces {
					k := key(tr) + "|" + q.BucketStart(tr.Time).Format(time.RFC3339)
					s := want[k]
					s.Add(&tr.Data)
					want[k] = s
				}
				rows, err := db.Aggregate(ctx, q)
				require.NoError(t, err)
				require.Len(t, rows, len(want), "aggregate by %s per %v of %+v", by, q.Width, f)
				for _, r := range rows {
					k := r.Key + "|" + r.Start.Format(time.RFC3339)
					w, g := want[k], r.Sums
					require.InDelta(t, w.ScoreSum, g.ScoreSum, 1e-9, k)
					require.InDelta(t, w.CESSum, g.CESSum, 1e-9, k)
					w.ScoreSum, g.ScoreSum, w.CESSum, g.CESSum = 0, 0, 0, 0
					require.Equal(t, w, g, k)
				}
			}
		}
	}
}

// TestRollupSealing moves the clock across days: the day rollups exist
// for the days it left, late traces and retention keep them right, and
// the sums stay those of the traces whichever rows answer.
func TestRollupSealing(t *testing.T) {
	day := time.Date(2030, 1, 10, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(day.Add(10 * time.Hour).UnixNano())
	timeNow = func() time.Time { return time.Unix(0, clock.Load()) }
	t.Cleanup(func() { timeNow = time.Now })
	dayNum := func(t time.Time) int64 { return floorDiv(t.UnixNano(), int64(24*time.Hour)) }
	sealed := func(t *testing.T, db *DB) int64 {
		s, err := readSealed(context.Background(), db.read)
		require.NoError(t, err)
		return s
	}
	filters := []store.Filter{{}, {From: day.Add(-22*time.Hour - 30*time.Minute), To: day.Add(29*time.Hour + 5*time.Minute)},
		{Touchpoint: "tp1", From: day.AddDate(0, 0, -2)}, {AgentID: "ana", To: day.Add(30 * time.Hour)}}

	path := filepath.Join(t.TempDir(), "traces.db")
	db := openDB(t, path, Options{DeleteChunkRows: 13})
	ctx := context.Background()
	require.Equal(t, dayNum(day), sealed(t, db), "a new file seals up to today")
	_, err := db.Append(ctx, randomTraces("a", 400, day.AddDate(0, 0, -2), 4, 11))
	require.NoError(t, err)
	requireRollupsMatch(t, db)
	requireSumsMatchScan(t, db, filters...)

	clock.Store(day.Add(50 * time.Hour).UnixNano()) // two days later
	late := randomTraces("late", 50, day.AddDate(0, 0, -1), 2, 12)
	_, err = db.Append(ctx, late)
	require.NoError(t, err)
	require.Equal(t, dayNum(day)+2, sealed(t, db), "the first commit of a new day seals the days before")
	requireRollupsMatch(t, db)
	requireSumsMatchScan(t, db, filters...)

	_, err = db.Append(ctx, randomTraces("later", 50, day.AddDate(0, 0, -1), 2, 13)) // into sealed days
	require.NoError(t, err)
	_, err = db.DeleteBefore(ctx, day.Add(12*time.Hour+7*time.Minute))
	require.NoError(t, err)
	requireRollupsMatch(t, db)
	requireSumsMatchScan(t, db, filters...)

	require.NoError(t, db.Close())
	clock.Store(day.Add(5 * 24 * time.Hour).UnixNano())
	db = openDB(t, path, Options{})
	_, err = db.Append(ctx, randomTraces("reopened", 10, day, 1, 14))
	require.NoError(t, err)
	require.Equal(t, dayNum(day)+5, sealed(t, db), "days that ended while the file was closed are sealed")
	requireRollupsMatch(t, db)
	requireSumsMatchScan(t, db, filters...)
}
