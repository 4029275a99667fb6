package insights

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
)

// Bucket is the width of one point of a trend: an hour, a UTC day or an ISO
// week (Monday to Sunday, UTC).
type Bucket string

// The bucket widths.
const (
	Hour Bucket = "hour"
	Day  Bucket = "day"
	Week Bucket = "week"
)

// Valid reports whether b is a known bucket width.
func (b Bucket) Valid() bool { return b == Hour || b == Day || b == Week }

// Start returns the start of the bucket holding t, in UTC.
func (b Bucket) Start(t time.Time) time.Time {
	t = t.UTC()
	switch b {
	case Hour:
		return t.Truncate(time.Hour)
	case Week:
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return d.AddDate(0, 0, -(int(d.Weekday())+6)%7)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ZCritical is the |z| from which a change counts as more than noise: the
// two-sided 5% level of the standard normal distribution.
const ZCritical = 1.96

// TrendsQuery asks for Trends.
type TrendsQuery struct {
	// Filter selects the traces; Limit and Cursor are ignored.
	Filter store.Filter
	// By is the dimension of the series: store.ByTouchpoint, ByChannel or
	// ByJourney. Defaults to store.ByTouchpoint.
	By store.GroupBy
	// Bucket is the width of a point. Defaults to Day.
	Bucket Bucket
}

// Trends are the quality numbers over time, one series per key of the
// dimension.
type Trends struct {
	By     store.GroupBy `json:"by"`
	Bucket Bucket        `json:"bucket"`
	// Series are ordered by mean score, lowest (worst) first; series
	// without scores come last, by key.
	Series []Series `json:"series"`
}

// Series is the trend of one touchpoint, channel or journey.
type Series struct {
	Key string `json:"key"`
	// Total summarizes every point of the series.
	Total store.Group `json:"total"`
	// Points are the buckets holding at least one trace, oldest first.
	Points []Point `json:"points"`
	// Change compares the last point with the points before it; nil when
	// the series has fewer than two points or nothing to compare.
	Change *Change `json:"change"`
}

// Point is the summary of one bucket. Its Key is the bucket start in RFC
// 3339.
type Point struct {
	Start time.Time `json:"start"`
	store.Group
}

// Proportion is successes out of n.
type Proportion struct {
	Successes int64   `json:"successes"`
	N         int64   `json:"n"`
	P         float64 `json:"p"`
}

// Change is a two-proportion z-test between the last bucket of a series
// and the baseline made of all the buckets before it.
type Change struct {
	// Metric is what the proportions count: "csat" (CSAT answers that are
	// satisfied) when both sides have CSAT answers, else "positive_share"
	// (scored traces with positive sentiment).
	Metric   string     `json:"metric"`
	Baseline Proportion `json:"baseline"`
	Recent   Proportion `json:"recent"`
	// Z is (p_recent - p_baseline) / sqrt(p(1-p)(1/n_recent + 1/n_baseline))
	// with p the pooled proportion; 0 when p is 0 or 1.
	Z float64 `json:"z"`
	// Significant is |Z| >= ZCritical.
	Significant bool `json:"significant"`
	// Direction is "up" or "down" when Significant, else "".
	Direction string `json:"direction,omitempty"`
}

// sums are the store.Sums of one bucket or series.
type sums struct {
	store.Sums
}

func (s *sums) add(d *trace.Data) { s.Sums.Add(d) }

func (s *sums) merge(o *sums) { s.Sums.Merge(&o.Sums) }

// key returns the value of dimension by in d.
func key(by store.GroupBy, d *trace.Data) string {
	switch by {
	case store.ByChannel:
		return string(d.Channel)
	case store.ByJourney:
		return d.Journey
	case store.ByAgent:
		return d.AgentID
	case store.ByKind:
		return string(d.Kind)
	}
	return d.Touchpoint
}

// ComputeTrends scans the traces of q.Filter once and returns their trends.
func ComputeTrends(ctx context.Context, st store.Store, q TrendsQuery) (*Trends, error) {
	if q.By == "" {
		q.By = store.ByTouchpoint
	}
	if q.Bucket == "" {
		q.Bucket = Day
	}
	switch q.By {
	case store.ByTouchpoint, store.ByChannel, store.ByJourney:
	default:
		return nil, &ParamError{Name: "by", Reason: fmt.Sprintf("%q is not one of touchpoint, channel, journey", q.By)}
	}
	if !q.Bucket.Valid() {
		return nil, &ParamError{Name: "bucket", Reason: fmt.Sprintf("%q is not one of hour, day, week", q.Bucket)}
	}
	f := q.Filter
	f.Limit, f.Cursor = 0, ""
	series := map[string]map[time.Time]*sums{}
	var err error
	if agg, ok := st.(store.Aggregator); ok {
		err = aggregateTrends(ctx, agg, q.By, q.Bucket, f, series)
	} else {
		err = scanTrends(ctx, st, q.By, q.Bucket, f, series)
	}
	if err != nil {
		return nil, fmt.Errorf("insights: trends: %w", err)
	}
	return buildTrends(q, series), nil
}

// aggregateTrends has the store sum each key and bucket.
func aggregateTrends(ctx context.Context, agg store.Aggregator, by store.GroupBy, b Bucket, f store.Filter, series map[string]map[time.Time]*sums) error {
	aq := store.AggregateQuery{GroupBy: by, Width: b.width(), Filter: f}
	if b == Week {
		aq.Offset = 4 * 24 * time.Hour // the Unix epoch was a Thursday
	}
	rows, err := agg.Aggregate(ctx, aq)
	if err != nil {
		return err
	}
	for _, r := range rows {
		m := series[r.Key]
		if m == nil {
			m = map[time.Time]*sums{}
			series[r.Key] = m
		}
		s := m[r.Start]
		if s == nil {
			s = &sums{}
			m[r.Start] = s
		}
		s.Merge(&r.Sums)
	}
	return nil
}

// width is the bucket width as a duration.
func (b Bucket) width() time.Duration {
	switch b {
	case Hour:
		return time.Hour
	case Week:
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// scanTrends reads every trace and sums it into its key and bucket.
func scanTrends(ctx context.Context, st store.Store, by store.GroupBy, b Bucket, f store.Filter, series map[string]map[time.Time]*sums) error {
	return st.Scan(ctx, f, func(t *trace.Trace) error {
		k := key(by, &t.Data)
		m := series[k]
		if m == nil {
			m = map[time.Time]*sums{}
			series[k] = m
		}
		start := b.Start(t.Time)
		s := m[start]
		if s == nil {
			s = &sums{}
			m[start] = s
		}
		s.add(&t.Data)
		return nil
	})
}

func buildTrends(q TrendsQuery, series map[string]map[time.Time]*sums) *Trends {
	out := &Trends{By: q.By, Bucket: q.Bucket, Series: make([]Series, 0, len(series))}
	for k, m := range series {
		starts := make([]time.Time, 0, len(m))
		for b := range m {
			starts = append(starts, b)
		}
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		var total, baseline sums
		sr := Series{Key: k, Points: make([]Point, len(starts))}
		for i, b := range starts {
			s := m[b]
			total.merge(s)
			if i < len(starts)-1 {
				baseline.merge(s)
			}
			sr.Points[i] = Point{Start: b, Group: s.Group(b.Format(time.RFC3339))}
		}
		sr.Total = total.Group(k)
		if len(starts) > 1 {
			sr.Change = changeTest(&baseline, m[starts[len(starts)-1]])
		}
		out.Series = append(out.Series, sr)
	}
	sortSeries(out.Series)
	return out
}

// sortSeries orders series worst mean score first, unscored last, ties by
// key.
func sortSeries(ss []Series) {
	slices.SortFunc(ss, func(a, b Series) int {
		am, bm := a.Total.MeanScore, b.Total.MeanScore
		switch {
		case am != nil && bm == nil:
			return -1
		case am == nil && bm != nil:
			return 1
		case am != nil && *am != *bm:
			if *am < *bm {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// changeTest runs the two-proportion z-test of recent against baseline; nil
// when a side has nothing to count.
func changeTest(baseline, recent *sums) *Change {
	c := &Change{Metric: "csat",
		Baseline: Proportion{Successes: baseline.CSATSatisfied, N: baseline.CSAT},
		Recent:   Proportion{Successes: recent.CSATSatisfied, N: recent.CSAT},
	}
	if c.Baseline.N == 0 || c.Recent.N == 0 {
		c = &Change{Metric: "positive_share",
			Baseline: Proportion{Successes: baseline.Positive, N: baseline.Scored},
			Recent:   Proportion{Successes: recent.Positive, N: recent.Scored},
		}
	}
	if c.Baseline.N == 0 || c.Recent.N == 0 {
		return nil
	}
	c.Z = TwoProportionZ(c.Recent.Successes, c.Recent.N, c.Baseline.Successes, c.Baseline.N)
	c.Baseline.P = float64(c.Baseline.Successes) / float64(c.Baseline.N)
	c.Recent.P = float64(c.Recent.Successes) / float64(c.Recent.N)
	if math.Abs(c.Z) >= ZCritical {
		c.Significant = true
		c.Direction = "up"
		if c.Z < 0 {
			c.Direction = "down"
		}
	}
	return c
}

// TwoProportionZ returns the z statistic of the difference between the
// proportions x1/n1 and x2/n2 under the pooled null hypothesis that they
// are equal:
//
//	p = (x1 + x2) / (n1 + n2)
//	z = (x1/n1 - x2/n2) / sqrt(p (1-p) (1/n1 + 1/n2))
//
// It returns 0 when n1 or n2 is 0, or when p is 0 or 1 (both samples
// agree completely, so there is no variance to measure a change against).
func TwoProportionZ(x1, n1, x2, n2 int64) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 0
	}
	p := float64(x1+x2) / float64(n1+n2)
	if p <= 0 || p >= 1 {
		return 0
	}
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n2)))
	return (float64(x1)/float64(n1) - float64(x2)/float64(n2)) / se
}
