package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jlexer"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// where appends the conditions of f to b and their arguments to args.
// The condition on user_id repeats the WHERE of its partial index so that
// SQLite may use it.
func where(b *strings.Builder, args []any, f *store.Filter) []any {
	b.WriteString(" WHERE 1")
	if !f.From.IsZero() {
		b.WriteString(" AND t >= ?")
		args = append(args, store.UnixNanos(f.From))
	}
	if !f.To.IsZero() {
		b.WriteString(" AND t < ?")
		args = append(args, store.UnixNanos(f.To))
	}
	eq := func(cond, v string) {
		if v != "" {
			b.WriteString(cond)
			args = append(args, v)
		}
	}
	eq(" AND touchpoint = ?", f.Touchpoint)
	eq(" AND channel = ?", string(f.Channel))
	eq(" AND kind = ?", string(f.Kind))
	eq(" AND journey = ?", f.Journey)
	eq(" AND user_id = ? AND user_id <> ''", f.UserID)
	eq(" AND agent_id = ? AND agent_id <> ''", f.AgentID)
	return args
}

// querySQL returns the SELECT of a Query page, its arguments and the page
// size. It asks for one row more than the page to learn whether a next
// page exists.
func querySQL(f *store.Filter) (query string, args []any, limit int, err error) {
	limit = f.PageSize()
	var b strings.Builder
	b.WriteString("SELECT seq, t, body FROM traces")
	args = where(&b, make([]any, 0, 12), f)
	if f.Cursor != "" {
		t, seq, err := store.DecodeCursor(f.Cursor)
		if err != nil {
			return "", nil, 0, err
		}
		b.WriteString(" AND t >= ? AND (t > ? OR seq > ?)")
		args = append(args, t, t, seq)
	}
	b.WriteString(" ORDER BY t, seq LIMIT ?")
	args = append(args, limit+1)
	return b.String(), args, limit, nil
}

// Query returns one page of the traces matching f, ordered by time and
// arrival. Page.Next continues after the page (keyset pagination: a page
// costs the same however deep it is).
func (db *DB) Query(ctx context.Context, f store.Filter) (store.Page, error) {
	if db.isClosed() {
		return store.Page{}, store.ErrClosed
	}
	query, args, limit, err := querySQL(&f)
	if err != nil {
		return store.Page{}, fmt.Errorf("sqlite: query: cursor %q: %w", f.Cursor, err)
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return store.Page{}, db.readErr("query", err)
	}
	defer rows.Close()
	page := store.Page{Traces: make([]trace.Trace, 0, min(limit, 64))}
	var lastT, lastSeq int64
	for rows.Next() {
		if len(page.Traces) == limit {
			page.Next = store.EncodeCursor(lastT, lastSeq)
			break
		}
		var body sql.RawBytes
		if err := rows.Scan(&lastSeq, &lastT, &body); err != nil {
			return store.Page{}, db.readErr("query", err)
		}
		page.Traces = append(page.Traces, trace.Trace{})
		if err := easyjson.Unmarshal(body, &page.Traces[len(page.Traces)-1]); err != nil {
			return store.Page{}, fmt.Errorf("sqlite: query: decode trace %d: %w", lastSeq, err)
		}
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, db.readErr("query", err)
	}
	return page, nil
}

func scanSQL(f *store.Filter) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT seq, body FROM traces")
	args := where(&b, make([]any, 0, 8), f)
	b.WriteString(" ORDER BY t, seq")
	return b.String(), args
}

// Scan calls fn for each trace matching f, in the order of Query, reading
// them one by one from a single read transaction. Each call gets a new
// Trace, which fn may keep.
func (db *DB) Scan(ctx context.Context, f store.Filter, fn func(*trace.Trace) error) error {
	if db.isClosed() {
		return store.ErrClosed
	}
	query, args := scanSQL(&f)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return db.readErr("scan", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var body sql.RawBytes
		if err := rows.Scan(&seq, &body); err != nil {
			return db.readErr("scan", err)
		}
		t := new(trace.Trace)
		if err := easyjson.Unmarshal(body, t); err != nil {
			return fmt.Errorf("sqlite: scan: decode trace %d: %w", seq, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return db.readErr("scan", err)
	}
	return nil
}

// readErr wraps an error of a read. A read racing with Close fails inside
// database/sql; it reports store.ErrClosed instead.
func (db *DB) readErr(op string, err error) error {
	if db.isClosed() {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrClosed)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// dayNanos is a UTC day in nanoseconds.
const dayNanos = int64(24 * time.Hour)

// groupKeys are the SQL expressions of the summary dimensions. A day is
// the floor of t / dayNanos (SQLite's / truncates toward zero).
var groupKeys = map[store.GroupBy]string{
	store.ByTouchpoint: "touchpoint",
	store.ByChannel:    "channel",
	store.ByJourney:    "journey",
	store.ByAgent:      "agent_id",
	store.ByKind:       "kind",
	store.ByDay:        fmt.Sprintf("(t / %[1]d - (t %% %[1]d < 0))", dayNanos),
}

// sumsSQL computes store.Sums per group, in the order of its fields, with
// the same rules as store.Sums.Add.
var sumsSQL = strings.NewReplacer(
	"$csat", quote(string(wire.KindCSAT)),
	"$nps", quote(string(wire.KindNPS)),
	"$ces", quote(string(wire.KindCES)),
	"$negative", quote(trace.Negative),
	"$positive", quote(trace.Positive),
	"$promoter", quote(trace.Promoter),
	"$detractor", quote(trace.Detractor),
	"$satisfied", strconv.FormatFloat(store.CSATSatisfied, 'g', -1, 64),
).Replace(`count(*), count(score), total(score),
	count(CASE WHEN score IS NOT NULL AND sentiment = $negative THEN 1 END),
	count(CASE WHEN kind = $csat AND score IS NOT NULL THEN 1 END),
	count(CASE WHEN kind = $csat AND score >= $satisfied THEN 1 END),
	count(CASE WHEN kind = $nps AND value IS NOT NULL THEN 1 END),
	count(CASE WHEN kind = $nps AND value IS NOT NULL AND nps_class = $promoter THEN 1 END),
	count(CASE WHEN kind = $nps AND value IS NOT NULL AND nps_class = $detractor THEN 1 END),
	count(CASE WHEN kind = $ces AND value IS NOT NULL THEN 1 END),
	total(CASE WHEN kind = $ces THEN value END),
	count(CASE WHEN score IS NOT NULL AND sentiment = $positive THEN 1 END)`)

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func summarySQL(q *store.SummaryQuery) (string, []any, error) {
	key, ok := groupKeys[q.GroupBy]
	if !ok {
		return "", nil, fmt.Errorf("sqlite: summary: unknown group by %q", q.GroupBy)
	}
	var b strings.Builder
	b.WriteString("SELECT " + key + " AS k, " + sumsSQL + " FROM traces")
	args := where(&b, make([]any, 0, 8), &q.Filter)
	b.WriteString(" GROUP BY k ORDER BY k")
	return b.String(), args, nil
}

// Summary aggregates the traces matching q.Filter per q.GroupBy; the
// groups are ordered by key. It reads the rollups when the filter allows
// (see rollup.go), else it runs one GROUP BY query over the traces.
func (db *DB) Summary(ctx context.Context, q store.SummaryQuery) ([]store.Group, error) {
	if db.isClosed() {
		return nil, store.ErrClosed
	}
	query, args, err := summarySQL(&q)
	if err != nil {
		return nil, err
	}
	var width int64
	if q.GroupBy == store.ByDay {
		width = dayNanos
	}
	if rq, ok := newRolledQuery(q.GroupBy, &q.Filter, width, 0); ok {
		rows, err := rq.run(ctx, db, "summary")
		if err != nil {
			return nil, err
		}
		groups := make([]store.Group, len(rows))
		for i, r := range rows {
			k := r.key
			if q.GroupBy == store.ByDay {
				k = time.Unix(r.bucket*(dayNanos/int64(time.Second)), 0).UTC().Format(time.DateOnly)
			}
			groups[i] = r.sums.Group(k)
		}
		return groups, nil
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.readErr("summary", err)
	}
	defer rows.Close()
	var groups []store.Group
	for rows.Next() {
		var (
			s    store.Sums
			k    string
			day  int64
			kptr any = &k
		)
		if q.GroupBy == store.ByDay {
			kptr = &day
		}
		if err := rows.Scan(kptr, &s.Count, &s.Scored, &s.ScoreSum, &s.Negative, &s.CSAT, &s.CSATSatisfied,
			&s.NPS, &s.Promoters, &s.Detractors, &s.CES, &s.CESSum, &s.Positive); err != nil {
			return nil, db.readErr("summary", err)
		}
		if q.GroupBy == store.ByDay {
			k = time.Unix(day*(dayNanos/int64(time.Second)), 0).UTC().Format(time.DateOnly)
		}
		groups = append(groups, s.Group(k))
	}
	if err := rows.Err(); err != nil {
		return nil, db.readErr("summary", err)
	}
	return groups, nil
}

var _ store.Aggregator = (*DB)(nil)

// Aggregate sums the traces matching q.Filter per key and time bucket,
// ordered by key and bucket. It reads the rollups when the buckets are
// whole hours and the filter allows (see rollup.go), else it runs one
// GROUP BY query over the traces; grouped by touchpoint over a time range
// that reads only the covering index traces_touchpoint.
func (db *DB) Aggregate(ctx context.Context, q store.AggregateQuery) ([]store.Aggregate, error) {
	if db.isClosed() {
		return nil, store.ErrClosed
	}
	key, ok := groupKeys[q.GroupBy]
	if !ok || q.GroupBy == store.ByDay {
		return nil, fmt.Errorf("sqlite: aggregate: cannot group by %q", q.GroupBy)
	}
	if q.Width < time.Second || q.Width%time.Second != 0 {
		return nil, fmt.Errorf("sqlite: aggregate: width %v is not a whole number of seconds", q.Width)
	}
	w, off := int64(q.Width), int64(q.Offset)
	if rq, ok := newRolledQuery(q.GroupBy, &q.Filter, w, off); ok {
		rows, err := rq.run(ctx, db, "aggregate")
		if err != nil {
			return nil, err
		}
		out := make([]store.Aggregate, len(rows))
		for i, r := range rows {
			out[i] = store.Aggregate{Key: r.key, Start: time.Unix(0, r.bucket*w+off).UTC(), Sums: r.sums}
		}
		return out, nil
	}
	var b strings.Builder
	b.WriteString("SELECT " + key + " AS k, " + bucketSQL("t", w, off) + " AS b, " + sumsSQL + " FROM traces")
	args := where(&b, make([]any, 0, 8), &q.Filter)
	b.WriteString(" GROUP BY k, b ORDER BY k, b")
	rows, err := db.read.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, db.readErr("aggregate", err)
	}
	defer rows.Close()
	var out []store.Aggregate
	for rows.Next() {
		var (
			a store.Aggregate
			n int64
		)
		s := &a.Sums
		if err := rows.Scan(&a.Key, &n, &s.Count, &s.Scored, &s.ScoreSum, &s.Negative, &s.CSAT, &s.CSATSatisfied,
			&s.NPS, &s.Promoters, &s.Detractors, &s.CES, &s.CESSum, &s.Positive); err != nil {
			return nil, db.readErr("aggregate", err)
		}
		a.Start = time.Unix(0, n*w+off).UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, db.readErr("aggregate", err)
	}
	return out, nil
}

// judgementsSQL returns the query of ScanJudgements. The body is read only
// for rows written before schema version 2 (interaction_id is NULL) and for
// times clamped to the ends of int64, whose true time only the body holds.
func judgementsSQL(f *store.Filter) (string, []any) {
	var b strings.Builder
	b.WriteString(fmt.Sprintf(`SELECT t, kind, agent_id, interaction_id, score, value, scale_min, scale_max, props,
	CASE WHEN interaction_id IS NULL OR t IN (%d, %d) THEN body END FROM traces`, int64(math.MinInt64), int64(math.MaxInt64)))
	args := where(&b, make([]any, 0, 8), f)
	b.WriteString(" AND (score IS NOT NULL OR kind = " + quote(string(wire.KindQA)) + ") ORDER BY t, seq")
	return b.String(), args
}

// ScanJudgements calls fn, in the order of Scan, for each trace matching f
// that carries a judgement: a score, or kind qa. Only what an alignment of
// internal QA with customers reads is set: Time, and in Data Kind, AgentID,
// InteractionID, Value, Min, Max, Score and Props. It reads columns rather
// than decoding whole traces, which makes it several times cheaper than
// Scan. Unlike Scan it reuses one Trace: fn must not keep it, nor any of
// its pointers or its Props, after it returns.
func (db *DB) ScanJudgements(ctx context.Context, f store.Filter, fn func(*trace.Trace) error) error {
	if db.isClosed() {
		return store.ErrClosed
	}
	query, args := judgementsSQL(&f)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return db.readErr("scan judgements", err)
	}
	defer rows.Close()
	var (
		t                                int64
		kind, agent                      string
		interaction, props               sql.NullString
		score, value, scaleMin, scaleMax sql.NullFloat64
		body                             sql.RawBytes
		tr                               trace.Trace
		propsMap                         = map[string]string{}
	)
	for rows.Next() {
		if err := rows.Scan(&t, &kind, &agent, &interaction, &score, &value, &scaleMin, &scaleMax, &props, &body); err != nil {
			return db.readErr("scan judgements", err)
		}
		tr = trace.Trace{}
		if body != nil {
			if err := easyjson.Unmarshal(body, &tr); err != nil {
				return fmt.Errorf("sqlite: scan judgements: decode trace at %d: %w", t, err)
			}
		} else {
			d := &tr.Data
			tr.Time = time.Unix(0, t).UTC()
			d.Kind, d.AgentID, d.InteractionID = wire.Kind(kind), agent, interaction.String
			d.Score, d.Value, d.Min, d.Max = floatPtr(&score), floatPtr(&value), floatPtr(&scaleMin), floatPtr(&scaleMax)
			if props.Valid {
				clear(propsMap)
				if err := decodeProps(props.String, propsMap); err != nil {
					return fmt.Errorf("sqlite: scan judgements: props of the trace at %d: %w", t, err)
				}
				d.Props = propsMap
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&tr); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return db.readErr("scan judgements", err)
	}
	return nil
}

func floatPtr(v *sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

// decodeProps decodes the props column, which propsJSON wrote, into m.
func decodeProps(s string, m map[string]string) error {
	l := jlexer.Lexer{Data: []byte(s)}
	l.Delim('{')
	for !l.IsDelim('}') {
		k := l.String()
		l.WantColon()
		m[k] = l.String()
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	return l.Error()
}
