package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Run runs the conformance suite against the store open returns. open
// opens the store kept in dir, creating it when dir is empty; it is called
// again with the same dir to test restarts, after the previous store was
// closed. Run closes every store it opens.
func Run(t *testing.T, open func(t *testing.T, dir string) store.Store) {
	s := suite{open: open}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"Append/Dedupe", s.appendDedupe},
		{"Append/Empty", s.appendEmpty},
		{"Append/NoID", s.appendNoID},
		{"Append/ContextCancelled", s.appendCancelled},
		{"Append/Hammer", s.hammer},
		{"Reopen/Durable", s.reopenDurable},
		{"Reopen/Dedupe", s.reopenDedupe},
		{"Query/Filter", s.filter},
		{"Query/Pages", s.pages},
		{"Query/Limit", s.limit},
		{"Query/BadCursor", s.badCursor},
		{"Scan/Order", s.scanOrder},
		{"Scan/Stop", s.scanStop},
		{"Summary", s.summary},
		{"Summary/Filter", s.summaryFilter},
		{"Summary/Empty", s.summaryEmpty},
		{"Summary/BadGroupBy", s.summaryBadGroupBy},
		{"Aggregate", s.aggregate},
		{"Aggregate/Bounds", s.aggregateBounds},
		{"DeleteBefore", s.deleteBefore},
		{"DeleteBefore/Aggregates", s.deleteBeforeAggregates},
		{"Close", s.close},
	} {
		t.Run(tc.name, tc.fn)
	}
}

type suite struct {
	open func(t *testing.T, dir string) store.Store
}

// store opens a store in dir and closes it at the end of the test.
func (s suite) store(t *testing.T, dir string) store.Store {
	t.Helper()
	st := s.open(t, dir)
	require.NotNil(t, st)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// withFixture opens a store in a new folder and appends the fixture.
func (s suite) withFixture(t *testing.T) store.Store {
	t.Helper()
	st := s.store(t, t.TempDir())
	ins, err := st.Append(context.Background(), fixture())
	require.NoError(t, err)
	require.Len(t, ins, len(fixture()))
	for i, ok := range ins {
		require.True(t, ok, "fixture trace %d", i)
	}
	return st
}

// all returns every trace of f through Query, page by page.
func all(t *testing.T, st store.Store, f store.Filter) []trace.Trace {
	t.Helper()
	var out []trace.Trace
	for {
		p, err := st.Query(context.Background(), f)
		require.NoError(t, err)
		out = append(out, p.Traces...)
		if p.Next == "" {
			return out
		}
		f.Cursor = p.Next
	}
}

func ids(ts []trace.Trace) []string {
	out := make([]string, len(ts))
	for i := range ts {
		out[i] = ts[i].ID
	}
	return out
}

func (s suite) appendDedupe(t *testing.T) {
	ctx := context.Background()
	st := s.store(t, t.TempDir())
	at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	a, b, c := click("a", at), click("b", at.Add(time.Second)), click("c", at.Add(2*time.Second))

	ins, err := st.Append(ctx, []trace.Trace{a, b, a})
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, false}, ins, "the second a of one call is a duplicate")

	ins, err = st.Append(ctx, []trace.Trace{b, c, c})
	require.NoError(t, err)
	require.Equal(t, []bool{false, true, false}, ins, "b is stored already")

	got := all(t, st, store.Filter{})
	require.Equal(t, []trace.Trace{a, b, c}, got, "each id once, traces unchanged")
	stats, err := st.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(3), stats.Traces)
}

func (s suite) appendEmpty(t *testing.T) {
	st := s.store(t, t.TempDir())
	ins, err := st.Append(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, ins)
}

func (s suite) appendNoID(t *testing.T) {
	st := s.store(t, t.TempDir())
	_, err := st.Append(context.Background(), []trace.Trace{click("", day0)})
	require.Error(t, err, "a trace without id cannot be deduped")
}

func (s suite) appendCancelled(t *testing.T) {
	st := s.store(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := st.Append(ctx, fixture())
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, all(t, st, store.Filter{}), "nothing of a cancelled call is written")

	ins, err := st.Append(context.Background(), fixture()[:2])
	require.NoError(t, err)
	require.Equal(t, []bool{true, true}, ins)
}

// hammer appends overlapping ids from 8 goroutines at once: every id must
// be stored once and reported new by exactly one call.
func (s suite) hammer(t *testing.T) {
	const (
		goroutines = 8
		distinct   = 400
		window     = 150 // ids per goroutine: each id is sent by about 3 goroutines
	)
	st := s.store(t, t.TempDir())
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var (
		mu      sync.Mutex
		newByID = map[string]int{}
		wg      sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			var mine []trace.Trace
			for i := range window {
				n := (g*distinct/goroutines + i) % distinct
				mine = append(mine, click(fmt.Sprintf("h%03d", n), base.Add(time.Duration(n)*time.Millisecond)))
			}
			rng.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
			for len(mine) > 0 {
				n := min(1+rng.IntN(20), len(mine))
				batch := append([]trace.Trace(nil), mine[:n]...)
				if rng.IntN(4) == 0 {
					batch = append(batch, batch[0]) // an in-call duplicate
				}
				mine = mine[n:]
				ins, err := st.Append(context.Background(), batch)
				if !assertNoError(t, err) {
					return
				}
				mu.Lock()
				for i, ok := range ins {
					if ok {
						newByID[batch[i].ID]++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	got := all(t, st, store.Filter{Limit: 1000})
	require.Len(t, got, distinct)
	seen := map[string]bool{}
	for _, tr := range got {
		require.False(t, seen[tr.ID], "id %s stored twice", tr.ID)
		seen[tr.ID] = true
	}
	require.Len(t, newByID, distinct, "every id reported new by some call")
	for id, n := range newByID {
		require.Equal(t, 1, n, "id %s reported new %d times", id, n)
	}
	stats, err := st.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(distinct), stats.Traces)
}

// assertNoError is require.NoError for goroutines other than the test's.
func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

func (s suite) reopenDurable(t *testing.T) {
	dir := t.TempDir()
	st := s.store(t, dir)
	_, err := st.Append(context.Background(), fixture())
	require.NoError(t, err)
	require.NoError(t, st.Close())

	st = s.store(t, dir)
	byID := map[string]trace.Trace{}
	for _, tr := range fixture() {
		byID[tr.ID] = tr
	}
	var want []trace.Trace
	for _, id := range fixtureByTime {
		want = append(want, byID[id])
	}
	require.Equal(t, want, all(t, st, store.Filter{}), "every trace back, field for field")
	stats, err := st.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(len(want)), stats.Traces)
}

func (s suite) reopenDedupe(t *testing.T) {
	dir := t.TempDir()
	st := s.store(t, dir)
	_, err := st.Append(context.Background(), fixture()[:5])
	require.NoError(t, err)
	require.NoError(t, st.Close())

	st = s.store(t, dir)
	ins, err := st.Append(context.Background(), fixture())
	require.NoError(t, err)
	for i, ok := range ins {
		require.Equal(t, i >= 5, ok, "trace %d: the first 5 were stored before the restart", i)
	}
	require.Len(t, all(t, st, store.Filter{}), len(fixture()))
}

func (s suite) filter(t *testing.T) {
	st := s.withFixture(t)
	for _, tc := range []struct {
		name string
		f    store.Filter
		want []string
	}{
		{"all", store.Filter{}, fixtureByTime},
		{"from", store.Filter{From: day1}, []string{"f03", "f04", "f07", "f08", "f10", "f11", "f13"}},
		{"to", store.Filter{To: day1}, []string{"f01", "f02", "f05", "f06", "f09", "f12"}},
		// From is inclusive (f05 at 11:00), To exclusive (f04 at 10:01).
		{"from to", store.Filter{From: at(day0, 11, 0), To: at(day1, 10, 1)}, []string{"f05", "f06", "f09", "f12", "f03"}},
		{"touchpoint", store.Filter{Touchpoint: "checkout"}, []string{"f01", "f02", "f03", "f04"}},
		{"channel", store.Filter{Channel: wire.ChannelChat}, []string{"f05", "f06", "f09", "f07", "f10", "f11"}},
		{"kind", store.Filter{Kind: wire.KindNPS}, []string{"f05", "f06", "f07", "f08"}},
		{"journey", store.Filter{Journey: "help"}, []string{"f05", "f06", "f09", "f07", "f08", "f10", "f11"}},
		{"user", store.Filter{UserID: "u1"}, []string{"f01", "f03", "f08"}},
		{"agent", store.Filter{AgentID: "ana"}, []string{"f05", "f06", "f09", "f11"}},
		{"combined", store.Filter{Touchpoint: "support", AgentID: "bob", From: day1}, []string{"f07", "f08", "f10"}},
		{"none", store.Filter{Touchpoint: "nowhere"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(all(t, st, tc.f))
			if tc.want == nil {
				require.Empty(t, got)
				return
			}
			require.Equal(t, tc.want, got)

			var scanned []string
			require.NoError(t, st.Scan(context.Background(), tc.f, func(tr *trace.Trace) error {
				scanned = append(scanned, tr.ID)
				return nil
			}))
			require.Equal(t, tc.want, scanned, "Scan filters as Query")
		})
	}
}

// pages walks 21 traces (with equal times, appended out of time order)
// with a page size of 3: 7 full pages, each trace exactly once, in order.
func (s suite) pages(t *testing.T) {
	st := s.store(t, t.TempDir())
	base := time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)
	type item struct {
		id      string
		t       time.Time
		arrival int
	}
	var (
		traces []trace.Trace
		items  []item
	)
	for i := range 21 {
		// Times i*5 mod 7 minutes: 3 traces share each minute.
		tm := base.Add(time.Duration(i*5%7) * time.Minute)
		id := fmt.Sprintf("p%02d", i)
		traces = append(traces, click(id, tm))
		items = append(items, item{id, tm, i})
	}
	// Two calls: arrival order is the order of the calls.
	_, err := st.Append(context.Background(), traces[:10])
	require.NoError(t, err)
	_, err = st.Append(context.Background(), traces[10:])
	require.NoError(t, err)
	sort.SliceStable(items, func(i, j int) bool { return items[i].t.Before(items[j].t) })
	var want []string
	for _, it := range items {
		want = append(want, it.id)
	}

	for _, tc := range []struct {
		name  string
		f     store.Filter
		want  []string
		pages int
	}{
		{"all", store.Filter{Limit: 3}, want, 7},
		{"from", store.Filter{Limit: 3, From: base.Add(5 * time.Minute)}, want[15:], 2},
		{"to", store.Filter{Limit: 3, To: base.Add(2 * time.Minute)}, want[:6], 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			f := tc.f
			pages := 0
			for {
				p, err := st.Query(context.Background(), f)
				require.NoError(t, err)
				pages++
				require.LessOrEqual(t, len(p.Traces), 3)
				got = append(got, ids(p.Traces)...)
				if p.Next == "" {
					break
				}
				require.Len(t, p.Traces, 3, "only the last page is short")
				require.Less(t, pages, 100, "pagination does not end")
				f.Cursor = p.Next
			}
			require.Equal(t, tc.want, got, "every trace exactly once, by time then arrival")
			require.Equal(t, tc.pages, pages)
		})
	}
}

// limit checks the default page size (100) and the maximum (1000).
func (s suite) limit(t *testing.T) {
	st := s.store(t, t.TempDir())
	base := time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)
	var traces []trace.Trace
	for i := range 1001 {
		traces = append(traces, click(fmt.Sprintf("l%04d", i), base.Add(time.Duration(i)*time.Second)))
	}
	for lo := 0; lo < len(traces); lo += 500 {
		_, err := st.Append(context.Background(), traces[lo:min(lo+500, len(traces))])
		require.NoError(t, err)
	}
	ctx := context.Background()
	p, err := st.Query(ctx, store.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Traces, 100, "default limit")
	require.NotEmpty(t, p.Next)

	p, err = st.Query(ctx, store.Filter{Limit: 5000})
	require.NoError(t, err)
	require.Len(t, p.Traces, 1000, "maximum limit")
	require.Equal(t, "l0999", p.Traces[999].ID)
	p, err = st.Query(ctx, store.Filter{Limit: 5000, Cursor: p.Next})
	require.NoError(t, err)
	require.Equal(t, []string{"l1000"}, ids(p.Traces))
	require.Empty(t, p.Next)
}

func (s suite) badCursor(t *testing.T) {
	st := s.withFixture(t)
	for _, c := range []string{"x", "not a cursor", "%%%", "AAAA", "////////////////////////////////////////"} {
		_, err := st.Query(context.Background(), store.Filter{Cursor: c})
		require.ErrorIs(t, err, store.ErrBadCursor, "cursor %q", c)
	}
}

func (s suite) scanOrder(t *testing.T) {
	st := s.withFixture(t)
	var got []*trace.Trace
	// Scan ignores Limit and Cursor.
	err := st.Scan(context.Background(), store.Filter{Limit: 2, Cursor: "ignored"}, func(tr *trace.Trace) error {
		got = append(got, tr)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, got, len(fixtureByTime))
	byID := map[string]trace.Trace{}
	for _, tr := range fixture() {
		byID[tr.ID] = tr
	}
	for i, id := range fixtureByTime {
		require.Equal(t, byID[id], *got[i], "trace %d may be kept by fn and is unchanged", i)
	}
}

func (s suite) scanStop(t *testing.T) {
	st := s.withFixture(t)
	errStop := errors.New("stop")
	var got []string
	err := st.Scan(context.Background(), store.Filter{}, func(tr *trace.Trace) error {
		got = append(got, tr.ID)
		if len(got) == 3 {
			return errStop
		}
		return nil
	})
	require.ErrorIs(t, err, errStop)
	require.Equal(t, fixtureByTime[:3], got, "no call after the error")

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = st.Scan(ctx, store.Filter{}, func(*trace.Trace) error {
		n++
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled, "Scan stops when its context ends")
	require.Less(t, n, len(fixtureByTime))
}

// want is an expected group; nil ratios must be nil.
type want = store.Group

// summary checks every dimension on the fixture. The expected numbers are
// computed by hand from the table of fixture; the arithmetic is in the
// comments.
func (s suite) summary(t *testing.T) {
	st := s.withFixture(t)
	for _, tc := range []struct {
		by   store.GroupBy
		want []want
	}{
		{store.ByTouchpoint, []want{
			// f01 f02 f03 f04: csat 5,4,2 scores 1,0.75,0.25; a click.
			{Key: "checkout", Count: 4, Scored: 3,
				MeanScore:     f(2.0 / 3),   // (1+0.75+0.25)/3
				CSAT:          3,            // f01 f02 f03
				CSATPercent:   f(200.0 / 3), // 2 of 3 >= 0.75: 66.666…%
				NegativeShare: f(1.0 / 3)},  // f03
			// f12 f13: a comment, a star 4 of 5 (0.75).
			{Key: "home", Count: 2, Scored: 1, MeanScore: f(0.75), NegativeShare: f(0)},
			// f05..f11: nps 10,9,7,3 and ces 7,1,4.
			{Key: "support", Count: 7, Scored: 7,
				MeanScore:     f(4.4 / 7),  // (1+0.9+0.7+0.3+1+0+0.5)/7
				NPSCount:      4,           // f05..f08
				NPS:           f(25),       // (2 promoters - 1 detractor)/4 = 25
				CES:           3,           // f09 f10 f11
				CESMean:       f(4),        // (7+1+4)/3
				NegativeShare: f(2.0 / 7)}, // f08 0.3, f10 0
		}},
		{store.ByDay, []want{
			// day0: f01 f02 f05 f06 f09 f12
			{Key: "2025-03-10", Count: 6, Scored: 5,
				MeanScore:     f(4.65 / 5), // (1+0.75+1+0.9+1)/5 = 0.93
				CSAT:          2,
				CSATPercent:   f(100), // 5 and 4 both satisfied
				NPSCount:      2,
				NPS:           f(100), // 10 and 9: (2-0)/2
				CES:           1,
				CESMean:       f(7),
				NegativeShare: f(0)}, // 0 of 5
			// day1: f03 f04 f07 f08 f10 f11 f13
			{Key: "2025-03-11", Count: 7, Scored: 6,
				MeanScore:     f(2.5 / 6), // (0.25+0.7+0.3+0+0.5+0.75)/6
				CSAT:          1,
				CSATPercent:   f(0), // 2 of 5 is not satisfied
				NPSCount:      2,
				NPS:           f(-50), // 7 passive, 3 detractor: (0-1)/2
				CES:           2,
				CESMean:       f(2.5),  // (1+4)/2
				NegativeShare: f(0.5)}, // f03 f08 f10: 3 of 6
		}},
		{store.ByAgent, []want{
			// no agent: f01 f02 f03 f04 f12 f13
			{Key: "", Count: 6, Scored: 4,
				MeanScore:     f(2.75 / 4), // (1+0.75+0.25+0.75)/4 = 0.6875
				CSAT:          3,
				CSATPercent:   f(200.0 / 3), // 5,4,2: 2 of 3
				NegativeShare: f(0.25)},     // f03: 1 of 4
			// ana: f05 f06 f09 f11
			{Key: "ana", Count: 4, Scored: 4,
				MeanScore:     f(3.4 / 4), // (1+0.9+1+0.5)/4 = 0.85
				NPSCount:      2,
				NPS:           f(100), // 10 and 9: (2-0)/2
				CES:           2,
				CESMean:       f(5.5), // (7+4)/2
				NegativeShare: f(0)},
			// bob: f07 f08 f10
			{Key: "bob", Count: 3, Scored: 3,
				MeanScore:     f(1.0 / 3), // (0.7+0.3+0)/3
				NPSCount:      2,
				NPS:           f(-50), // 7 passive, 3 detractor: (0-1)/2
				CES:           1,
				CESMean:       f(1),
				NegativeShare: f(2.0 / 3)}, // f08 f10
		}},
		{store.ByKind, []want{
			// f09 f10 f11: 7,1,4 of 1..7 -> scores 1,0,0.5
			{Key: "ces", Count: 3, Scored: 3, MeanScore: f(0.5), CES: 3, CESMean: f(4), NegativeShare: f(1.0 / 3)},
			{Key: "click", Count: 1},
			{Key: "comment", Count: 1},
			{Key: "csat", Count: 3, Scored: 3, MeanScore: f(2.0 / 3), CSAT: 3, CSATPercent: f(200.0 / 3), NegativeShare: f(1.0 / 3)},
			// f05..f08: (1+0.9+0.7+0.3)/4 = 0.725
			{Key: "nps", Count: 4, Scored: 4, MeanScore: f(0.725), NPSCount: 4, NPS: f(25), NegativeShare: f(0.25)},
			{Key: "star", Count: 1, Scored: 1, MeanScore: f(0.75), NegativeShare: f(0)},
		}},
		{store.ByChannel, []want{
			// f03 (csat 2) f04 (click)
			{Key: "app", Count: 2, Scored: 1, MeanScore: f(0.25), CSAT: 1, CSATPercent: f(0), NegativeShare: f(1)},
			// f05 f06 f07 f09 f10 f11: (1+0.9+0.7+1+0+0.5)/6; nps 10,9,7: (2-0)/3
			{Key: "chat", Count: 6, Scored: 6, MeanScore: f(4.1 / 6), NPSCount: 3, NPS: f(200.0 / 3),
				CES: 3, CESMean: f(4), NegativeShare: f(1.0 / 6)},
			// f08: nps 3, a detractor: (0-1)/1
			{Key: "email", Count: 1, Scored: 1, MeanScore: f(0.3), NPSCount: 1, NPS: f(-100), NegativeShare: f(1)},
			// f01 f02 f12 f13: (1+0.75+0.75)/3
			{Key: "web", Count: 4, Scored: 3, MeanScore: f(2.5 / 3), CSAT: 2, CSATPercent: f(100), NegativeShare: f(0)},
		}},
		{store.ByJourney, []want{
			// f12 f13, as home
			{Key: "", Count: 2, Scored: 1, MeanScore: f(0.75), NegativeShare: f(0)},
			// f01..f04, as checkout
			{Key: "buy", Count: 4, Scored: 3, MeanScore: f(2.0 / 3), CSAT: 3, CSATPercent: f(200.0 / 3), NegativeShare: f(1.0 / 3)},
			// f05..f11, as support
			{Key: "help", Count: 7, Scored: 7, MeanScore: f(4.4 / 7), NPSCount: 4, NPS: f(25),
				CES: 3, CESMean: f(4), NegativeShare: f(2.0 / 7)},
		}},
	} {
		t.Run(string(tc.by), func(t *testing.T) {
			got, err := st.Summary(context.Background(), store.SummaryQuery{GroupBy: tc.by})
			require.NoError(t, err)
			requireGroups(t, tc.want, got)
		})
	}
}

func (s suite) summaryFilter(t *testing.T) {
	st := s.withFixture(t)
	got, err := st.Summary(context.Background(), store.SummaryQuery{
		GroupBy: store.ByTouchpoint,
		Filter:  store.Filter{From: day1, Limit: 1, Cursor: "ignored"},
	})
	require.NoError(t, err)
	requireGroups(t, []want{
		// f03 (csat 2) f04 (click)
		{Key: "checkout", Count: 2, Scored: 1, MeanScore: f(0.25), CSAT: 1, CSATPercent: f(0), NegativeShare: f(1)},
		// f13 (star 4)
		{Key: "home", Count: 1, Scored: 1, MeanScore: f(0.75), NegativeShare: f(0)},
		// f07 f08 f10 f11: (0.7+0.3+0+0.5)/4; nps 7,3: (0-1)/2; ces 1,4
		{Key: "support", Count: 4, Scored: 4, MeanScore: f(0.375), NPSCount: 2, NPS: f(-50),
			CES: 2, CESMean: f(2.5), NegativeShare: f(0.5)},
	}, got)

	got, err = st.Summary(context.Background(), store.SummaryQuery{
		GroupBy: store.ByAgent,
		Filter:  store.Filter{Kind: wire.KindNPS, UserID: "u1"},
	})
	require.NoError(t, err)
	// f08 only: nps 3 by bob.
	requireGroups(t, []want{{Key: "bob", Count: 1, Scored: 1, MeanScore: f(0.3), NPSCount: 1, NPS: f(-100), NegativeShare: f(1)}}, got)
}

func (s suite) summaryEmpty(t *testing.T) {
	st := s.withFixture(t)
	got, err := st.Summary(context.Background(), store.SummaryQuery{GroupBy: store.ByDay, Filter: store.Filter{Touchpoint: "nowhere"}})
	require.NoError(t, err)
	require.Empty(t, got)
}

func (s suite) summaryBadGroupBy(t *testing.T) {
	st := s.withFixture(t)
	for _, g := range []store.GroupBy{"", "touchpoint; DROP TABLE traces", "user"} {
		_, err := st.Summary(context.Background(), store.SummaryQuery{GroupBy: g})
		require.Error(t, err, "group by %q", g)
	}
	require.Len(t, all(t, st, store.Filter{}), len(fixtureByTime))
}

// requireGroups compares groups: keys and counts exactly, ratios to 1e-9
// (SQL may sum in another order than the hand arithmetic).
func requireGroups(t *testing.T, want, got []store.Group) {
	t.Helper()
	require.Equal(t, keys(want), keys(got), "group keys, in order")
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, [4]int64{w.Count, w.Scored, w.CSAT, w.NPSCount}, [4]int64{g.Count, g.Scored, g.CSAT, g.NPSCount},
			"group %q: count, scored, csat, nps count", w.Key)
		require.Equal(t, w.CES, g.CES, "group %q: ces", w.Key)
		for _, r := range []struct {
			name string
			w, g *float64
		}{
			{"mean score", w.MeanScore, g.MeanScore},
			{"csat percent", w.CSATPercent, g.CSATPercent},
			{"nps", w.NPS, g.NPS},
			{"ces mean", w.CESMean, g.CESMean},
			{"negative share", w.NegativeShare, g.NegativeShare},
		} {
			if r.w == nil {
				require.Nil(t, r.g, "group %q: %s", w.Key, r.name)
				continue
			}
			require.NotNil(t, r.g, "group %q: %s", w.Key, r.name)
			require.InDelta(t, *r.w, *r.g, 1e-9, "group %q: %s", w.Key, r.name)
		}
	}
}

func keys(gs []store.Group) []string {
	out := make([]string, len(gs))
	for i := range gs {
		out[i] = gs[i].Key
	}
	return out
}

func (s suite) deleteBefore(t *testing.T) {
	st := s.withFixture(t)
	ctx := context.Background()
	n, err := st.DeleteBefore(ctx, day0)
	require.NoError(t, err)
	require.Zero(t, n)

	n, err = st.DeleteBefore(ctx, day1)
	require.NoError(t, err)
	require.Equal(t, int64(6), n, "the 6 traces of day0")
	require.Equal(t, fixtureByTime[6:], ids(all(t, st, store.Filter{})))
	stats, err := st.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(7), stats.Traces)

	n, err = st.DeleteBefore(ctx, at(day1, 11, 1)) // f03 f04 f07; f08 at 11:01 stays
	require.NoError(t, err)
	require.Equal(t, int64(3), n)
	require.Equal(t, fixtureByTime[9:], ids(all(t, st, store.Filter{})))

	// Many traces, so that a store deleting in chunks needs several.
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var old []trace.Trace
	for i := range 2500 {
		old = append(old, click(fmt.Sprintf("old%04d", i), base.Add(time.Duration(i)*time.Minute)))
	}
	for lo := 0; lo < len(old); lo += 500 {
		_, err = st.Append(ctx, old[lo:lo+500])
		require.NoError(t, err)
	}
	n, err = st.DeleteBefore(ctx, day0)
	require.NoError(t, err)
	require.Equal(t, int64(2500), n)
	stats, err = st.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(4), stats.Traces)
}

func (s suite) close(t *testing.T) {
	st := s.withFixture(t)
	require.NoError(t, st.Close())
	require.NoError(t, st.Close(), "Close is idempotent")

	ctx := context.Background()
	_, err := st.Append(ctx, fixture())
	require.ErrorIs(t, err, store.ErrClosed, "Append")
	_, err = st.Query(ctx, store.Filter{})
	require.ErrorIs(t, err, store.ErrClosed, "Query")
	err = st.Scan(ctx, store.Filter{}, func(*trace.Trace) error { return nil })
	require.ErrorIs(t, err, store.ErrClosed, "Scan")
	_, err = st.Summary(ctx, store.SummaryQuery{GroupBy: store.ByTouchpoint})
	require.ErrorIs(t, err, store.ErrClosed, "Summary")
	_, err = st.DeleteBefore(ctx, day1)
	require.ErrorIs(t, err, store.ErrClosed, "DeleteBefore")
	_, err = st.Stats(ctx)
	require.ErrorIs(t, err, store.ErrClosed, "Stats")
}

// aggregate checks a store.Aggregator, when the store is one, against the
// same sums computed in Go from Scan: per touchpoint, channel and agent,
// in hours, days and ISO weeks, with and without a filter.
func (s suite) aggregate(t *testing.T) {
	st := s.withFixture(t)
	agg, ok := st.(store.Aggregator)
	if !ok {
		t.Skip("the store computes no aggregates; insights use Scan")
	}
	ctx := context.Background()
	week := store.AggregateQuery{Width: 7 * 24 * time.Hour, Offset: 4 * 24 * time.Hour}
	for _, by := range []store.GroupBy{store.ByTouchpoint, store.ByChannel, store.ByAgent} {
		for _, q := range []store.AggregateQuery{{Width: time.Hour}, {Width: 24 * time.Hour}, week} {
			for _, f := range []store.Filter{{}, {Kind: wire.KindCSAT}} {
				q.GroupBy, q.Filter = by, f
				t.Run(fmt.Sprintf("%s/%v/%s", by, q.Width, f.Kind), func(t *testing.T) {
					want := map[string]store.Sums{}
					require.NoError(t, st.Scan(ctx, f, func(tr *trace.Trace) error {
						k := map[store.GroupBy]string{store.ByTouchpoint: tr.Data.Touchpoint,
							store.ByChannel: string(tr.Data.Channel), store.ByAgent: tr.Data.AgentID}[by]
						start := q.BucketStart(tr.Time)
						if q.Width == 7*24*time.Hour {
							require.Equal(t, time.Monday, start.Weekday(), "weeks start on Monday")
						}
						key := k + "|" + start.Format(time.RFC3339)
						sums := want[key]
						sums.Add(&tr.Data)
						want[key] = sums
						return nil
					}))
					rows, err := agg.Aggregate(ctx, q)
					require.NoError(t, err)
					got := map[string]store.Sums{}
					for _, r := range rows {
						require.Equal(t, time.UTC, r.Start.Location())
						got[r.Key+"|"+r.Start.Format(time.RFC3339)] = r.Sums
					}
					require.Equal(t, len(want), len(got))
					for k, w := range want {
						g, ok := got[k]
						require.True(t, ok, "missing %s", k)
						require.InDelta(t, w.ScoreSum, g.ScoreSum, 1e-9, k)
						require.InDelta(t, w.CESSum, g.CESSum, 1e-9, k)
						w.ScoreSum, g.ScoreSum, w.CESSum, g.CESSum = 0, 0, 0, 0
						require.Equal(t, w, g, k)
					}
				})
			}
		}
	}
	_, err := agg.Aggregate(ctx, store.AggregateQuery{GroupBy: store.ByDay, Width: time.Hour})
	require.Error(t, err, "day is a width, not a dimension")
}

// boundFilters are time ranges with bounds on and off the hour and the day
// of the fixture, crossed with filters on one dimension or two: they take
// every path a store may have for sums (whole days, whole hours and the
// partial hours at the edges of a range, or the rows themselves).
func boundFilters() []store.Filter {
	day2 := day1.AddDate(0, 0, 1)
	ranges := []struct{ from, to time.Time }{
		{},
		{at(day0, 10, 1), at(day1, 11, 2)}, // partial hours at both ends
		{day0.AddDate(0, 0, -2), day2.AddDate(0, 0, 2)}, // whole days
		{at(day0, 10, 1), at(day2, 11, 2)},              // an edge, hours, days, hours, an edge
		{at(day0, 11, 1), time.Time{}},                  // an edge, hours, days to the end
		{time.Time{}, at(day1, 10, 1)},                  // days from the start, hours, an edge
		{day0, time.Time{}},
		{time.Time{}, day1.Add(11*time.Hour + 90*time.Second)},
		{at(day0, 10, 0), at(day0, 11, 0)},  // one whole hour
		{at(day0, 10, 1), at(day0, 10, 59)}, // less than an hour
		{at(day1, 11, 1), at(day1, 11, 1)},  // empty
	}
	dims := []store.Filter{{}, {Touchpoint: "support"}, {Channel: wire.ChannelChat}, {Kind: wire.KindNPS},
		{Journey: "help"}, {AgentID: "ana"}, {Touchpoint: "support", Kind: wire.KindCES}, {UserID: "u1"}}
	var out []store.Filter
	for _, r := range ranges {
		for _, d := range dims {
			d.From, d.To = r.from, r.to
			out = append(out, d)
		}
	}
	return out
}

func filterName(f store.Filter) string {
	var parts []string
	for _, p := range []struct{ name, v string }{
		{"from", fmtTime(f.From)}, {"to", fmtTime(f.To)}, {"touchpoint", f.Touchpoint}, {"channel", string(f.Channel)},
		{"kind", string(f.Kind)}, {"journey", f.Journey}, {"agent", f.AgentID}, {"user", f.UserID},
	} {
		if p.v != "" {
			parts = append(parts, p.name+"="+p.v)
		}
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, ",")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("01-02T15:04:05")
}

// dimOf returns the key of a trace in dimension by.
func dimOf(by store.GroupBy, tr *trace.Trace) string {
	switch by {
	case store.ByTouchpoint:
		return tr.Data.Touchpoint
	case store.ByChannel:
		return string(tr.Data.Channel)
	case store.ByJourney:
		return tr.Data.Journey
	case store.ByAgent:
		return tr.Data.AgentID
	case store.ByKind:
		return string(tr.Data.Kind)
	}
	return tr.Time.UTC().Format(time.DateOnly)
}

// requireSumsLikeScan checks Summary for every dimension, and Aggregate
// when the store has it in hours, 6 hours, days and ISO weeks, against
// the sums computed in Go from Scan, for every filter of boundFilters.
func requireSumsLikeScan(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	agg, isAgg := st.(store.Aggregator)
	week := store.AggregateQuery{Width: 7 * 24 * time.Hour, Offset: 4 * 24 * time.Hour}
	for _, f := range boundFilters() {
		t.Run(filterName(f), func(t *testing.T) {
			var traces []*trace.Trace
			require.NoError(t, st.Scan(ctx, f, func(tr *trace.Trace) error {
				traces = append(traces, tr)
				return nil
			}))
			for _, by := range []store.GroupBy{store.ByTouchpoint, store.ByChannel, store.ByJourney, store.ByAgent, store.ByKind, store.ByDay} {
				sums := map[string]*store.Sums{}
				for _, tr := range traces {
					k := dimOf(by, tr)
					if sums[k] == nil {
						sums[k] = &store.Sums{}
					}
					sums[k].Add(&tr.Data)
				}
				var want []store.Group
				for k, s := range sums {
					want = append(want, s.Group(k))
				}
				sort.Slice(want, func(i, j int) bool { return want[i].Key < want[j].Key })
				got, err := st.Summary(ctx, store.SummaryQuery{GroupBy: by, Filter: f})
				require.NoError(t, err, "summary by %s", by)
				requireGroups(t, want, got)
				if !isAgg || by == store.ByDay {
					continue
				}
				for _, q := range []store.AggregateQuery{{Width: time.Hour}, {Width: 6 * time.Hour}, {Width: 24 * time.Hour}, week} {
					q.GroupBy, q.Filter = by, f
					want := map[string]store.Sums{}
					for _, tr := range traces {
						k := dimOf(by, tr) + "|" + q.BucketStart(tr.Time).Format(time.RFC3339)
						s := want[k]
						s.Add(&tr.Data)
						want[k] = s
					}
					rows, err := agg.Aggregate(ctx, q)
					require.NoError(t, err)
					requireAggregates(t, want, rows, fmt.Sprintf("by %s per %v", by, q.Width))
				}
			}
		})
	}
}

// requireAggregates compares Aggregate rows with sums keyed key|start:
// counts exactly, float sums to 1e-9.
func requireAggregates(t *testing.T, want map[string]store.Sums, rows []store.Aggregate, msg string) {
	t.Helper()
	got := map[string]store.Sums{}
	for _, r := range rows {
		require.Equal(t, time.UTC, r.Start.Location(), msg)
		k := r.Key + "|" + r.Start.Format(time.RFC3339)
		_, dup := got[k]
		require.False(t, dup, "%s: %s twice", msg, k)
		got[k] = r.Sums
	}
	require.Equal(t, len(want), len(got), msg)
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "%s: missing %s", msg, k)
		require.InDelta(t, w.ScoreSum, g.ScoreSum, 1e-9, "%s: %s", msg, k)
		require.InDelta(t, w.CESSum, g.CESSum, 1e-9, "%s: %s", msg, k)
		w.ScoreSum, g.ScoreSum, w.CESSum, g.CESSum = 0, 0, 0, 0
		require.Equal(t, w, g, "%s: %s", msg, k)
	}
}

// aggregateBounds checks Summary and Aggregate over ranges whose bounds
// fall on and off the hour and the day, with filters.
func (s suite) aggregateBounds(t *testing.T) {
	st := s.withFixture(t)
	ctx := context.Background()
	// Duplicates of stored traces change nothing.
	ins, err := st.Append(ctx, fixture()[:4])
	require.NoError(t, err)
	require.Equal(t, []bool{false, false, false, false}, ins)
	// The fixture again a day later, and two days and a half hour later,
	// so that every piece of the ranges above holds traces.
	for _, shift := range []time.Duration{24 * time.Hour, 48*time.Hour + 30*time.Minute} {
		var more []trace.Trace
		for _, tr := range fixture() {
			tr.ID = fmt.Sprintf("%s+%v", tr.ID, shift)
			tr.Time = tr.Time.Add(shift)
			more = append(more, tr)
		}
		_, err := st.Append(ctx, more)
		require.NoError(t, err)
	}
	requireSumsLikeScan(t, st)
}

// deleteBeforeAggregates checks the sums after retention removed part of
// an hour and part of a day, and after it removed everything.
func (s suite) deleteBeforeAggregates(t *testing.T) {
	st := s.withFixture(t)
	ctx := context.Background()
	// More traces in the hours retention cuts through.
	var more []trace.Trace
	for i, tr := range fixture() {
		tr.ID = "more-" + tr.ID
		tr.Time = tr.Time.Add(time.Duration(i) * 7 * time.Second)
		more = append(more, tr)
	}
	_, err := st.Append(ctx, more)
	require.NoError(t, err)
	n, err := st.DeleteBefore(ctx, at(day1, 11, 1)) // in the middle of day1 11:00
	require.NoError(t, err)
	require.Positive(t, n)
	t.Run("partial", func(t *testing.T) { requireSumsLikeScan(t, st) })

	_, err = st.DeleteBefore(ctx, day1.AddDate(0, 0, 1))
	require.NoError(t, err)
	require.Empty(t, all(t, st, store.Filter{}))
	for _, by := range []store.GroupBy{store.ByTouchpoint, store.ByDay, store.ByKind} {
		got, err := st.Summary(ctx, store.SummaryQuery{GroupBy: by})
		require.NoError(t, err)
		require.Empty(t, got, "summary by %s of an empty store", by)
	}
	if agg, ok := st.(store.Aggregator); ok {
		rows, err := agg.Aggregate(ctx, store.AggregateQuery{GroupBy: store.ByTouchpoint, Width: time.Hour})
		require.NoError(t, err)
		require.Empty(t, rows, "aggregate of an empty store")
	}
}
