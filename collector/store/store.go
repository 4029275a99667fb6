package store

import (
	"context"
	"errors"
	"time"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// ErrClosed is returned by a Store used after Close.
var ErrClosed = errors.New("store: closed")

// ErrBadCursor is returned by Query for a cursor it did not make.
var ErrBadCursor = errors.New("store: bad cursor")

// ErrBackpressure is returned by an Appender that refuses traces for a
// while, stored nothing, and wants its caller to ask the sender to retry
// later: the backlog of a sink that is down reached its bound.
var ErrBackpressure = errors.New("store: a sink's backlog is full")

// Appender is the one pipeline contract between ingest and storage.
type Appender interface {
	// Append stores traces durably and reports, for each trace in order,
	// whether it was new (true) or a duplicate of an id already stored, or
	// of an earlier trace in the same call (false). It returns only once
	// every new trace is durable, so the caller may acknowledge them; on
	// error nothing may be acknowledged (a later retry is deduped).
	Append(ctx context.Context, traces []trace.Trace) (inserted []bool, err error)
}

// A BulkAppender is an Appender that can also store without waiting for
// the disk, for bulk loads (imports) that confirm many batches at once:
// an fsync per batch costs them more than the batch itself.
type BulkAppender interface {
	Appender
	// AppendNoSync stores traces and reports what Append reports, but may
	// return before the new traces are durable: they are stored (a later
	// call finds them as duplicates, queries read them) and become durable
	// when a later Sync returns. An OS crash or a power loss before then
	// may lose them.
	AppendNoSync(ctx context.Context, traces []trace.Trace) (inserted []bool, err error)
	// Sync returns once the traces of every AppendNoSync call that
	// returned before it are durable.
	Sync(ctx context.Context) error
}

// AppenderFunc adapts a function to an Appender.
type AppenderFunc func(ctx context.Context, traces []trace.Trace) ([]bool, error)

// Append calls f.
func (f AppenderFunc) Append(ctx context.Context, traces []trace.Trace) ([]bool, error) {
	return f(ctx, traces)
}

// Store keeps traces and answers queries about them.
type Store interface {
	Appender
	// Query returns one page of the traces matching f, ordered by trace
	// time and then arrival, oldest first.
	Query(ctx context.Context, f Filter) (Page, error)
	// Scan calls fn for every trace matching f in the order of Query,
	// ignoring f.Limit and f.Cursor, until fn returns an error, which Scan
	// returns. It streams: memory does not grow with the result.
	Scan(ctx context.Context, f Filter, fn func(*trace.Trace) error) error
	// Summary aggregates the traces matching q.Filter per q.GroupBy.
	Summary(ctx context.Context, q SummaryQuery) ([]Group, error)
	// DeleteBefore removes the traces whose time is before t (retention)
	// and returns how many it removed.
	DeleteBefore(ctx context.Context, t time.Time) (int64, error)
	// Stats reports the size of the store.
	Stats(ctx context.Context) (Stats, error)
	// Close flushes and releases the store. It is idempotent.
	Close() error
}

// Filter selects traces. The zero value selects every trace.
type Filter struct {
	// From and To bound the trace time: From <= time < To. Zero means
	// unbounded.
	From, To time.Time
	// Equality filters; empty means any.
	Touchpoint string
	Channel    wire.Channel
	Kind       wire.Kind
	Journey    string
	UserID     string
	AgentID    string
	// Limit bounds a Query page. Defaults to 100; at most 1000.
	Limit int
	// Cursor continues a Query after the page that returned it.
	Cursor string
}

// Page is one page of a Query.
type Page struct {
	Traces []trace.Trace
	// Next is the cursor of the following page; empty on the last page.
	Next string
}

// GroupBy names the dimension a Summary aggregates over.
type GroupBy string

// The dimensions of a Summary.
const (
	ByTouchpoint GroupBy = "touchpoint"
	ByChannel    GroupBy = "channel"
	ByJourney    GroupBy = "journey"
	ByAgent      GroupBy = "agent"
	ByKind       GroupBy = "kind"
	ByDay        GroupBy = "day" // UTC calendar day of the trace time, "2006-01-02"
)

// Valid reports whether g is a known dimension.
func (g GroupBy) Valid() bool {
	switch g {
	case ByTouchpoint, ByChannel, ByJourney, ByAgent, ByKind, ByDay:
		return true
	}
	return false
}

// SummaryQuery asks for a Summary.
type SummaryQuery struct {
	// GroupBy is the dimension. Required.
	GroupBy GroupBy
	// Filter selects the traces; Limit and Cursor are ignored.
	Filter Filter
}

// Group is the summary of the traces sharing one key. Ratios are nil when
// no trace of the group carries what they are computed from.
type Group struct {
	// Key is the value of the dimension; "" for traces without it.
	Key string `json:"key"`
	// Count counts every trace of the group.
	Count int64 `json:"count"`
	// Scored counts the traces with a score; MeanScore is their mean.
	Scored    int64    `json:"scored"`
	MeanScore *float64 `json:"mean_score"`
	// CSAT counts kind csat traces; CSATPercent is the share of them
	// that are satisfied (score >= 0.75: 4 or 5 of 5), times 100.
	CSAT        int64    `json:"csat"`
	CSATPercent *float64 `json:"csat_percent"`
	// NPSCount counts kind nps traces; NPS is promoters % - detractors %.
	NPSCount int64    `json:"nps_count"`
	NPS      *float64 `json:"nps"`
	// CES counts kind ces traces; CESMean is the mean of their raw value.
	CES     int64    `json:"ces"`
	CESMean *float64 `json:"ces_mean"`
	// NegativeShare is the share of scored traces whose sentiment is
	// negative, in [0,1].
	NegativeShare *float64 `json:"negative_share"`
}

// Stats is the size of a store.
type Stats struct {
	Traces int64 // rows kept
	Bytes  int64 // bytes on disk, 0 where unknown
}

// Sums are the running sums a Group's numbers come from. A store may fill
// them in SQL (SUM/COUNT per group) or in Go with Add; Group turns them into
// ratios. They are the one definition of the summary numbers, so every
// store computes them alike.
type Sums struct {
	Count         int64
	Scored        int64
	ScoreSum      float64
	Negative      int64 // scored traces with sentiment negative
	CSAT          int64 // kind csat traces
	CSATSatisfied int64 // of which score >= CSATSatisfied
	NPS           int64 // kind nps traces
	Promoters     int64
	Detractors    int64
	CES           int64 // kind ces traces
	CESSum        float64
	Positive      int64 // scored traces with sentiment positive
}

// Merge adds the sums of o to s.
func (s *Sums) Merge(o *Sums) {
	s.Count += o.Count
	s.Scored += o.Scored
	s.ScoreSum += o.ScoreSum
	s.Negative += o.Negative
	s.CSAT += o.CSAT
	s.CSATSatisfied += o.CSATSatisfied
	s.NPS += o.NPS
	s.Promoters += o.Promoters
	s.Detractors += o.Detractors
	s.CES += o.CES
	s.CESSum += o.CESSum
	s.Positive += o.Positive
}

// Aggregator is implemented by stores that can sum traces per key and time
// bucket themselves, in one query over their indexes, instead of handing
// every trace to Go through Scan. Insights use it when a store has it and
// Scan otherwise; both give the same numbers (storetest checks it).
type Aggregator interface {
	Aggregate(ctx context.Context, q AggregateQuery) ([]Aggregate, error)
}

// AggregateQuery asks for Sums per key of GroupBy and time bucket.
type AggregateQuery struct {
	// GroupBy is the dimension; ByDay is not allowed (use Width).
	GroupBy GroupBy
	// Width is the bucket width, Offset where buckets start relative to
	// the Unix epoch: a trace at t falls in the bucket starting at
	// floor((t-Offset)/Width)*Width + Offset. Hours and UTC days take
	// Offset 0; ISO weeks (Monday, UTC) take Width 7 days, Offset 4 days
	// (the epoch was a Thursday). Width must be a whole number of seconds.
	Width, Offset time.Duration
	// Filter selects the traces; Limit and Cursor are ignored.
	Filter Filter
}

// Aggregate is the Sums of one key and bucket.
type Aggregate struct {
	Key   string
	Start time.Time // UTC
	Sums  Sums
}

// BucketStart returns the start of the bucket of q holding t, in UTC.
func (q *AggregateQuery) BucketStart(t time.Time) time.Time {
	x := t.UnixNano() - int64(q.Offset)
	w := int64(q.Width)
	b := x / w
	if x%w < 0 {
		b--
	}
	return time.Unix(0, b*w+int64(q.Offset)).UTC()
}

// CSATSatisfied is the score from which a CSAT answer counts as satisfied:
// 4 or 5 on the default 1..5 scale.
const CSATSatisfied = 0.75

// Add counts one trace.
func (s *Sums) Add(d *trace.Data) {
	s.Count++
	if d.Score != nil {
		s.Scored++
		s.ScoreSum += *d.Score
		switch d.Sentiment {
		case trace.Negative:
			s.Negative++
		case trace.Positive:
			s.Positive++
		}
	}
	switch d.Kind {
	case wire.KindCSAT:
		if d.Score != nil {
			s.CSAT++
			if *d.Score >= CSATSatisfied {
				s.CSATSatisfied++
			}
		}
	case wire.KindNPS:
		if d.Value != nil {
			s.NPS++
			switch d.NPSClass {
			case trace.Promoter:
				s.Promoters++
			case trace.Detractor:
				s.Detractors++
			}
		}
	case wire.KindCES:
		if d.Value != nil {
			s.CES++
			s.CESSum += *d.Value
		}
	}
}

// Group returns the group with key and its ratios computed from s.
func (s Sums) Group(key string) Group {
	ratio := func(num float64, den int64) *float64 {
		if den == 0 {
			return nil
		}
		r := num / float64(den)
		return &r
	}
	return Group{
		Key:           key,
		Count:         s.Count,
		Scored:        s.Scored,
		MeanScore:     ratio(s.ScoreSum, s.Scored),
		CSAT:          s.CSAT,
		CSATPercent:   ratio(100*float64(s.CSATSatisfied), s.CSAT),
		NPSCount:      s.NPS,
		NPS:           ratio(100*float64(s.Promoters-s.Detractors), s.NPS),
		CES:           s.CES,
		CESMean:       ratio(s.CESSum, s.CES),
		NegativeShare: ratio(float64(s.Negative), s.Scored),
	}
}
