package insights

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/sdk/wire"
)

const eps = 1e-9

func requireNum(t *testing.T, want float64, got *float64, msg string) {
	t.Helper()
	require.NotNil(t, got, msg)
	require.InDelta(t, want, *got, eps, msg)
}

func TestBucketStart(t *testing.T) {
	at := time.Date(2025, 3, 9, 23, 59, 0, 0, time.UTC) // a Sunday
	for _, tc := range []struct {
		name string
		b    Bucket
		want time.Time
	}{
		{"hour", Hour, time.Date(2025, 3, 9, 23, 0, 0, 0, time.UTC)},
		{"day", Day, time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)},
		{"week of a sunday", Week, mon},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.b.Start(at))
		})
	}
	require.Equal(t, mon, Week.Start(mon), "a Monday starts its own week")
	require.Equal(t, mon, Week.Start(mon.In(time.FixedZone("BRT", -3*3600))), "weeks are UTC")
}

func TestTwoProportionZ(t *testing.T) {
	for _, tc := range []struct {
		name           string
		x1, n1, x2, n2 int64
		want           float64
	}{
		// p = 19/30; z = (.2 - .85) / sqrt(19/30 * 11/30 * (1/10 + 1/20))
		//   = -.65 / sqrt(.0348333...) = -.65 / .186636...
		{"csat drop", 2, 10, 17, 20, -3.482698178549328},
		// p = 4/6; z = (.5 - .75) / sqrt(2/3 * 1/3 * 3/4) = -.25 / sqrt(1/6)
		{"small samples", 1, 2, 3, 4, -0.6123724356957945},
		// p = 60/200 = .3; z = (.4 - .2)/sqrt(.3*.7*(2/100)) = .2/.0648074...
		{"textbook", 40, 100, 20, 100, 3.0860669992418384},
		{"all satisfied", 5, 5, 10, 10, 0},
		{"none satisfied", 0, 5, 0, 10, 0},
		{"empty side", 1, 0, 3, 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.InDelta(t, tc.want, TwoProportionZ(tc.x1, tc.n1, tc.x2, tc.n2), eps)
		})
	}
}

func TestTrends(t *testing.T) {
	st := openStore(t, trendFixture()...)
	tr, err := ComputeTrends(context.Background(), st, TrendsQuery{})
	require.NoError(t, err)
	require.Equal(t, store.ByTouchpoint, tr.By)
	require.Equal(t, Day, tr.Bucket)
	require.Len(t, tr.Series, 2)

	// checkout total: scores 7.25 + 8.5 + 3.5 = 19.25 over 30 -> .641666...
	// support total: nps scores 1 .9 .7 .3 .9 .6, ces 1 0 = 5.4 / 8 = .675
	// so checkout (worse) ranks first.
	co := tr.Series[0]
	require.Equal(t, "checkout", co.Key)
	require.EqualValues(t, 30, co.Total.Count)
	requireNum(t, 19.25/30, co.Total.MeanScore, "checkout mean")
	requireNum(t, 100*19.0/30, co.Total.CSATPercent, "checkout CSAT")
	require.Len(t, co.Points, 3)
	for i, want := range []struct {
		start      time.Time
		mean, csat float64
	}{
		{mon, 0.725, 80},
		{mon.AddDate(0, 0, 1), 0.85, 90},
		{mon.AddDate(0, 0, 2), 0.35, 20},
	} {
		p := co.Points[i]
		require.Equal(t, want.start, p.Start)
		require.Equal(t, want.start.Format(time.RFC3339), p.Key)
		require.EqualValues(t, 10, p.Count)
		require.EqualValues(t, 10, p.CSAT)
		requireNum(t, want.mean, p.MeanScore, "mean")
		requireNum(t, want.csat, p.CSATPercent, "csat")
		require.Nil(t, p.NPS)
	}
	// The last day against the two before: 2/10 against 17/20, z -3.4827.
	require.NotNil(t, co.Change)
	require.Equal(t, "csat", co.Change.Metric)
	require.Equal(t, Proportion{Successes: 17, N: 20, P: 0.85}, co.Change.Baseline)
	require.Equal(t, Proportion{Successes: 2, N: 10, P: 0.2}, co.Change.Recent)
	require.InDelta(t, -3.482698178549328, co.Change.Z, eps)
	require.True(t, co.Change.Significant)
	require.Equal(t, "down", co.Change.Direction)

	sp := tr.Series[1]
	require.Equal(t, "support", sp.Key)
	requireNum(t, 5.4/8, sp.Total.MeanScore, "support mean")
	// NPS over both days: 3 promoters, 2 detractors of 6 -> 100/6
	requireNum(t, 100.0/6, sp.Total.NPS, "support NPS")
	requireNum(t, 4, sp.Total.CESMean, "support CES")
	require.Nil(t, sp.Total.CSATPercent)
	require.Len(t, sp.Points, 2)
	requireNum(t, 25, sp.Points[0].NPS, "NPS day0")
	requireNum(t, 4, sp.Points[0].CESMean, "CES day0")
	requireNum(t, 0, sp.Points[1].NPS, "NPS day1")
	require.Nil(t, sp.Points[1].CESMean)
	// No CSAT: the positive share (score > .6) is tested instead. Baseline
	// day0: nps 1 .9 .7 .3 and ces 1 0 -> 4 positive of 6; recent day1:
	// .9 .6 -> 1 of 2 (.6 is neutral). p = 5/8,
	// z = (.5 - 4/6) / sqrt(5/8 * 3/8 * (1/2 + 1/6)) = -1/6 / .3952847...
	require.NotNil(t, sp.Change)
	require.Equal(t, "positive_share", sp.Change.Metric)
	require.Equal(t, int64(4), sp.Change.Baseline.Successes)
	require.Equal(t, int64(6), sp.Change.Baseline.N)
	require.InDelta(t, -0.42163702135578385, sp.Change.Z, eps)
	require.False(t, sp.Change.Significant)
	require.Empty(t, sp.Change.Direction)
}

func TestTrendsBucketsAndDimensions(t *testing.T) {
	st := openStore(t, trendFixture()...)
	ctx := context.Background()

	week, err := ComputeTrends(ctx, st, TrendsQuery{Bucket: Week})
	require.NoError(t, err)
	for _, s := range week.Series {
		require.Len(t, s.Points, 1, s.Key)
		require.Nil(t, s.Change, "one point: nothing to compare")
		require.Equal(t, s.Total.Count, s.Points[0].Count)
	}

	hour, err := ComputeTrends(ctx, st, TrendsQuery{Bucket: Hour, Filter: store.Filter{Touchpoint: "support"}})
	require.NoError(t, err)
	require.Len(t, hour.Series, 1)
	// day0 10h (4 nps), day0 11h (2 ces), day1 10h (2 nps)
	require.Len(t, hour.Series[0].Points, 3)
	require.EqualValues(t, []int64{4, 2, 2}, []int64{hour.Series[0].Points[0].Count, hour.Series[0].Points[1].Count, hour.Series[0].Points[2].Count})

	ch, err := ComputeTrends(ctx, st, TrendsQuery{By: store.ByChannel})
	require.NoError(t, err)
	require.Len(t, ch.Series, 2)
	require.ElementsMatch(t, []string{"web", "chat"}, []string{ch.Series[0].Key, ch.Series[1].Key})

	_, err = ComputeTrends(ctx, st, TrendsQuery{By: store.ByAgent})
	require.ErrorIs(t, err, ErrBadParam)
	_, err = ComputeTrends(ctx, st, TrendsQuery{Bucket: "month"})
	require.ErrorContains(t, err, "bucket")
}

func TestAlignment(t *testing.T) {
	st := openStore(t, alignmentFixture()...)
	a, err := ComputeAlignment(context.Background(), st, AlignmentQuery{})
	require.NoError(t, err)
	require.Equal(t, 0.7, a.QAThreshold)
	require.Equal(t, 0.7, a.CustomerThreshold)
	require.Equal(t, Week, a.Period)

	type want struct {
		agent, team, quadrant string
		qaN, custN, pairs     int64
		qa, cust              float64
	}
	wants := []want{
		{"ana", "north", AlignedHigh, 3, 2, 2, 0.8, 0.875},
		{"bob", "north", HighQALowCustomer, 2, 2, 2, 0.9, 0.125},
		{"cid", "south", LowQAHighCustomer, 2, 2, 2, 0.45, 0.875},
		{"dan", "south", AlignedLow, 1, 2, 1, 0.5, 0.375},
	}
	require.Len(t, a.Agents, len(wants))
	for i, w := range wants {
		got := a.Agents[i]
		t.Run(w.agent, func(t *testing.T) {
			require.Equal(t, w.agent, got.Agent)
			require.Equal(t, w.team, got.Team)
			require.Equal(t, w.quadrant, got.Quadrant)
			require.Equal(t, w.qaN, got.QACount)
			require.Equal(t, w.custN, got.CustomerCount)
			require.Equal(t, w.pairs, got.Pairs)
			requireNum(t, w.qa, got.QAMean, "qa mean")
			requireNum(t, w.cust, got.CustomerMean, "customer mean")
		})
	}

	require.Len(t, a.Pairs, 7)
	require.Equal(t, "i1", a.Pairs[0].Interaction)
	last := a.Pairs[6]
	require.Equal(t, "dan", last.Agent)
	require.Empty(t, last.Interaction)
	require.InDelta(t, 0.5, last.QA, eps)
	require.InDelta(t, 0.375, last.Customer, eps)

	// Whole range: all, north, south; then week 10: all, north, south.
	require.Len(t, a.Correlations, 6)
	for i, w := range []struct {
		team   string
		period bool
		n      int
		r      float64
	}{
		{TeamAll, false, 7, -0.3584077011651191},
		{"north", false, 4, -0.1414213562373095},
		{"south", false, 3, -0.8029550685469661},
		{TeamAll, true, 7, -0.3584077011651191},
		{"north", true, 4, -0.1414213562373095},
		{"south", true, 3, -0.8029550685469661},
	} {
		c := a.Correlations[i]
		require.Equal(t, w.team, c.Team)
		require.Equal(t, w.n, c.N)
		require.Equal(t, w.period, c.Period != nil)
		if w.period {
			require.Equal(t, mon, *c.Period)
		}
		requireNum(t, w.r, c.R, w.team)
	}
}

func TestAlignmentThresholds(t *testing.T) {
	st := openStore(t, alignmentFixture()...)
	// With both thresholds at .4 every agent's means are high except
	// dan's customer mean (.375): dan becomes high QA, low customer.
	a, err := ComputeAlignment(context.Background(), st, AlignmentQuery{QAThreshold: 0.4, CustomerThreshold: 0.4})
	require.NoError(t, err)
	got := map[string]string{}
	for _, ag := range a.Agents {
		got[ag.Agent] = ag.Quadrant
	}
	require.Equal(t, map[string]string{"ana": AlignedHigh, "bob": HighQALowCustomer, "cid": AlignedHigh, "dan": HighQALowCustomer}, got)

	_, err = ComputeAlignment(context.Background(), st, AlignmentQuery{QAThreshold: 2})
	require.ErrorContains(t, err, "qa_threshold")
}

func TestPearson(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xs, ys []float64
		want   *float64
	}{
		{"perfect", []float64{1, 2, 3}, []float64{2, 4, 6}, ptr(1)},
		{"inverse", []float64{1, 2, 3}, []float64{3, 2, 1}, ptr(-1)},
		{"one value", []float64{1}, []float64{1}, nil},
		{"no variance", []float64{1, 1, 1}, []float64{1, 2, 3}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Pearson(tc.xs, tc.ys)
			if tc.want == nil {
				require.Nil(t, got)
				return
			}
			requireNum(t, *tc.want, got, tc.name)
		})
	}
}

func TestJourney(t *testing.T) {
	day := mon.AddDate(0, 0, 3)
	st := openStore(t, traces(
		tr{at: day.Add(3 * time.Hour), tp: "support", ch: wire.ChannelChat, kind: wire.KindCSAT, v: 2, lo: 1, hi: 5, user: "u1", text: "slow"},
		tr{at: day.Add(1 * time.Hour), tp: "home", ch: wire.ChannelWeb, kind: wire.KindClick, noValue: true, user: "u1", anon: "a1"},
		tr{at: day.Add(2 * time.Hour), tp: "checkout", ch: wire.ChannelApp, kind: wire.KindStar, v: 5, lo: 1, hi: 5, user: "u1"},
		tr{at: day.Add(4 * time.Hour), tp: "checkout", ch: wire.ChannelApp, kind: wire.KindStar, v: 1, lo: 1, hi: 5, user: "u2"},
		tr{at: day.Add(5 * time.Hour), tp: "home", ch: wire.ChannelWeb, kind: wire.KindThumbs, v: 1, lo: 0, hi: 1, anon: "a1"},
	)...)
	ctx := context.Background()
	j, err := ComputeJourney(ctx, st, JourneyQuery{UserID: "u1"})
	require.NoError(t, err)
	require.Len(t, j.Steps, 3)
	require.Equal(t, []string{"home", "checkout", "support"}, []string{j.Steps[0].Touchpoint, j.Steps[1].Touchpoint, j.Steps[2].Touchpoint})
	require.Equal(t, []ScorePoint{{day.Add(2 * time.Hour), 1}, {day.Add(3 * time.Hour), 0.25}}, j.Scores)
	require.EqualValues(t, 3, j.Summary.Count)
	requireNum(t, 0.625, j.Summary.MeanScore, "journey mean")

	j, err = ComputeJourney(ctx, st, JourneyQuery{AnonymousID: "a1"})
	require.NoError(t, err)
	require.Len(t, j.Steps, 2)
	require.Equal(t, wire.KindThumbs, j.Steps[1].Kind)

	_, err = ComputeJourney(ctx, st, JourneyQuery{})
	require.ErrorIs(t, err, ErrBadParam)
}

func TestNegativeComments(t *testing.T) {
	var xs []tr
	for i := range 5 {
		xs = append(xs, tr{at: mon.Add(time.Duration(i) * time.Hour), tp: "support", kind: wire.KindCSAT, v: 1, lo: 1, hi: 5, text: string(rune('a' + i))})
	}
	xs = append(xs, tr{at: mon.Add(10 * time.Hour), tp: "support", kind: wire.KindCSAT, v: 5, lo: 1, hi: 5, text: "great"})
	st := openStore(t, traces(xs...)...)
	cs, err := NegativeComments(context.Background(), st, store.Filter{}, 3)
	require.NoError(t, err)
	require.Equal(t, []string{"e", "d", "c"}, []string{cs[0].Text, cs[1].Text, cs[2].Text})
	cs, err = NegativeComments(context.Background(), st, store.Filter{}, 10)
	require.NoError(t, err)
	require.Len(t, cs, 5)
	require.Equal(t, "e", cs[0].Text)
	require.Equal(t, "a", cs[4].Text)
}

// scanOnly hides a store's Aggregate, so insights take the Scan path.
type scanOnly struct{ store.Store }

// TestTrendsScanAndAggregateAgree: the store's own aggregation and the
// Scan path give the same trends, to the last field.
func TestTrendsScanAndAggregateAgree(t *testing.T) {
	st := openStore(t, trendFixture()...)
	_, isAgg := st.(store.Aggregator)
	require.True(t, isAgg, "the embedded store aggregates")
	ctx := context.Background()
	for _, q := range []TrendsQuery{
		{}, {Bucket: Hour}, {Bucket: Week}, {By: store.ByChannel}, {By: store.ByJourney, Bucket: Week},
		{Filter: store.Filter{Touchpoint: "support"}, Bucket: Hour},
	} {
		t.Run(fmt.Sprintf("%s/%s", q.By, q.Bucket), func(t *testing.T) {
			viaAgg, err := ComputeTrends(ctx, st, q)
			require.NoError(t, err)
			viaScan, err := ComputeTrends(ctx, scanOnly{st}, q)
			require.NoError(t, err)
			require.Equal(t, rounded(t, viaScan), rounded(t, viaAgg))
		})
	}
}

// TestAlignmentScanAndJudgementsAgree: the store's narrow scan of
// judgements and Scan give the same alignment, to the last field.
func TestAlignmentScanAndJudgementsAgree(t *testing.T) {
	st := openStore(t, append(alignmentFixture(), trendFixture()...)...)
	_, narrow := st.(judgementScanner)
	require.True(t, narrow, "the embedded store scans judgements")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    AlignmentQuery
	}{
		{"defaults", AlignmentQuery{}},
		{"hours", AlignmentQuery{Period: Hour}},
		{"days", AlignmentQuery{Period: Day, QAThreshold: 0.5}},
		{"from", AlignmentQuery{Filter: store.Filter{From: mon.Add(26 * time.Hour)}}},
		{"agent", AlignmentQuery{Filter: store.Filter{AgentID: "ana"}}},
	} {
		q := tc.q
		t.Run(tc.name, func(t *testing.T) {
			viaStore, err := ComputeAlignment(ctx, st, q)
			require.NoError(t, err)
			viaScan, err := ComputeAlignment(ctx, scanOnly{st}, q)
			require.NoError(t, err)
			require.NotEmpty(t, viaScan.Agents)
			require.Equal(t, viaScan, viaStore)
		})
	}
}

// rounded is v as generic JSON with every number rounded to 12 digits:
// SQLite sums floats in another order than Go.
func rounded(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var g any
	require.NoError(t, json.Unmarshal(b, &g))
	var walk func(any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case float64:
			f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
			return f
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		}
		return x
	}
	return walk(g)
}
