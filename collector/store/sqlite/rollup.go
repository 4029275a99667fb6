package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// The rollups hold the store.Sums of every (dimension, key) per hour and
// per UTC day. The writer keeps the hours in the transaction that inserts
// the traces, retention subtracts what it deletes in the transaction that
// deletes it, and a database made before them gets them on Open. Summary
// and Aggregate read them when a query allows it and the traces rows
// otherwise (see query.go).
//
// Day rows exist for the days before rollup_days.sealed (a day number),
// and only for them: the writer seals each day once the clock has left it,
// summing its hour rows into day rows, and from then on a late trace of a
// sealed day updates its day rows along with its hours. So the rows a
// commit writes are those of the current hour alone, and a reader takes
// the days before sealed from the day rows and the later ones from the
// hours.
//
// bucket is floor(t / width) with width in seconds (3600 or 86400) and t
// in Unix nanoseconds. The key order puts the rows the writer touches, those
// of the current hour of every dimension, side by side at the end of the
// hours: a commit dirties a page or two of the table (keyed by dimension
// first, it dirtied one or two per dimension).
const rollupSchema = `
CREATE TABLE IF NOT EXISTS rollups (
	dim            TEXT    NOT NULL,
	width          INTEGER NOT NULL,
	bucket         INTEGER NOT NULL,
	key            TEXT    NOT NULL,
	n              INTEGER NOT NULL,
	scored         INTEGER NOT NULL,
	score_sum      REAL    NOT NULL,
	negative       INTEGER NOT NULL,
	csat           INTEGER NOT NULL,
	csat_satisfied INTEGER NOT NULL,
	nps            INTEGER NOT NULL,
	promoters      INTEGER NOT NULL,
	detractors     INTEGER NOT NULL,
	ces            INTEGER NOT NULL,
	ces_sum        REAL    NOT NULL,
	positive       INTEGER NOT NULL,
	PRIMARY KEY (width, bucket, dim, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_days (
	sealed INTEGER NOT NULL
);
`

// rollupDims are the dimensions rolled up, in the order of the key of
// their rows. Not agents: they have the most keys (200 in the insights
// benchmark: 389k of its 528k hour rows, 2.6 traces each), and rolled up
// they made most of the rows a commit writes (12% of the writer's CPU with
// 200 agents, 5% without). Per-agent sums read the traces.
var rollupDims = [...]store.GroupBy{store.ByChannel, store.ByJourney, store.ByKind, store.ByTouchpoint}

// rollupDim returns the index of g in rollupDims.
func rollupDim(g store.GroupBy) (int, bool) {
	i := slices.Index(rollupDims[:], g)
	return i, i >= 0
}

// A level is a bucket width of the rollups.
type level struct {
	secs  int64 // the width column
	nanos int64
}

const (
	hourLevel = iota
	dayLevel
)

var levels = [...]level{
	hourLevel: {3600, int64(time.Hour)},
	dayLevel:  {86400, int64(24 * time.Hour)},
}

// dimValue returns the key of trace data d in dimension g.
func dimValue(g store.GroupBy, d *trace.Data) string {
	switch g {
	case store.ByTouchpoint:
		return d.Touchpoint
	case store.ByChannel:
		return string(d.Channel)
	case store.ByJourney:
		return d.Journey
	case store.ByAgent:
		return d.AgentID
	case store.ByKind:
		return string(d.Kind)
	}
	return ""
}

// floorDiv is x/y rounded toward minus infinity, for y > 0.
func floorDiv(x, y int64) int64 {
	q := x / y
	if x%y < 0 {
		q--
	}
	return q
}

// rollKey is one row of the rollups.
type rollKey struct {
	dim    uint8 // index in rollupDims
	level  uint8
	bucket int64
	key    string
}

// rollup accumulates the sums of traces per row of the rollups, to be
// added to (or subtracted from) the table in one statement per row.
type rollup struct {
	sums map[rollKey]*store.Sums
	keys []rollKey
	args []any
	free []store.Sums // reused Sums, handed out from the end
	// last holds the row of each level and dimension that add counted a
	// trace in last: the traces of a commit mostly share their hour and
	// keys (an import's above all), and a comparison costs less than a
	// lookup in sums, which hashes the key.
	last [len(levels)][len(rollupDims)]lastSums
}

// lastSums is the row of one level and dimension that rollup.add counted
// its last trace in.
type lastSums struct {
	key  rollKey
	sums *store.Sums
}

func newRollup() *rollup { return &rollup{sums: make(map[rollKey]*store.Sums)} }

func (r *rollup) len() int { return len(r.sums) }

func (r *rollup) reset() {
	clear(r.sums)
	r.free = r.free[:0]
	r.last = [len(levels)][len(rollupDims)]lastSums{}
}

// add counts the trace at t (Unix nanoseconds) with data d in every
// dimension, in its hour, and in its day when that day is before sealed.
func (r *rollup) add(t int64, d *trace.Data, sealed int64) {
	var one store.Sums
	one.Add(d)
	for li := range levels {
		b := floorDiv(t, levels[li].nanos)
		if li == dayLevel && b >= sealed {
			break
		}
		for di, g := range rollupDims {
			k := rollKey{uint8(di), uint8(li), b, dimValue(g, d)}
			last := &r.last[li][di]
			if last.sums == nil || last.key != k {
				last.key, last.sums = k, r.sums[k]
				if last.sums == nil {
					last.sums = r.alloc()
					r.sums[k] = last.sums
				}
			}
			last.sums.Merge(&one)
		}
	}
}

func (r *rollup) alloc() *store.Sums {
	if len(r.free) == cap(r.free) {
		// A new slab; the old one stays referenced by the map until reset.
		r.free = make([]store.Sums, 0, max(64, 2*cap(r.free)))
	}
	r.free = r.free[:len(r.free)+1]
	s := &r.free[len(r.free)-1]
	*s = store.Sums{}
	return s
}

// rollupUpsertSQL adds rows of sums to the rollups. A sum whose count
// falls to zero is set to zero, so that subtracting leaves no rounding
// residue behind.
func rollupUpsertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO rollups(width, bucket, dim, key, n, scored, score_sum, negative, csat,
	csat_satisfied, nps, promoters, detractors, ces, ces_sum, positive) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(`
ON CONFLICT(width, bucket, dim, key) DO UPDATE SET
	n = n + excluded.n,
	scored = scored + excluded.scored,
	score_sum = CASE WHEN scored + excluded.scored = 0 THEN 0.0 ELSE score_sum + excluded.score_sum END,
	negative = negative + excluded.negative,
	csat = csat + excluded.csat,
	csat_satisfied = csat_satisfied + excluded.csat_satisfied,
	nps = nps + excluded.nps,
	promoters = promoters + excluded.promoters,
	detractors = detractors + excluded.detractors,
	ces = ces + excluded.ces,
	ces_sum = CASE WHEN ces + excluded.ces = 0 THEN 0.0 ELSE ces_sum + excluded.ces_sum END,
	positive = positive + excluded.positive`)
	return b.String()
}

// rollupArgs is the number of arguments of one row of rollupUpsertSQL.
const rollupArgs = 16

// maxUpsertLog2 sets the largest upsert: 1<<maxUpsertLog2 rows.
const maxUpsertLog2 = 5

// rollupEmptySQL removes a row that retention emptied.
const rollupEmptySQL = "DELETE FROM rollups WHERE width = ? AND bucket = ? AND dim = ? AND key = ? AND n = 0"

// rollupStmts are the statements that write the rollups.
type rollupStmts struct {
	upserts [maxUpsertLog2 + 1]*sql.Stmt // upserts[k] writes 1<<k rows
	empty   *sql.Stmt
}

func prepareRollup(ctx context.Context, p interface {
	PrepareContext(context.Context, string) (*sql.Stmt, error)
}) (rollupStmts, error) {
	var s rollupStmts
	var err error
	for k := range s.upserts {
		if s.upserts[k], err = p.PrepareContext(ctx, rollupUpsertSQL(1<<k)); err != nil {
			s.close()
			return s, fmt.Errorf("prepare rollup: %w", err)
		}
	}
	if s.empty, err = p.PrepareContext(ctx, rollupEmptySQL); err != nil {
		s.close()
		return s, fmt.Errorf("prepare rollup: %w", err)
	}
	return s, nil
}

func (s rollupStmts) close() {
	for _, st := range append(s.upserts[:], s.empty) {
		if st != nil {
			_ = st.Close()
		}
	}
}

// apply adds the accumulated sums to the rollups in tx, or subtracts them
// (and drops the rows left empty) when subtract is set, then resets r.
// Rows are written in key order, up to 1<<maxUpsertLog2 per statement.
func (r *rollup) apply(ctx context.Context, tx *sql.Tx, stmts rollupStmts, subtract bool) error {
	defer r.reset()
	if len(r.sums) == 0 {
		return nil
	}
	r.keys = r.keys[:0]
	for k := range r.sums {
		r.keys = append(r.keys, k)
	}
	slices.SortFunc(r.keys, func(a, b rollKey) int {
		return cmp.Or(cmp.Compare(a.level, b.level), cmp.Compare(a.bucket, b.bucket),
			strings.Compare(string(rollupDims[a.dim]), string(rollupDims[b.dim])), strings.Compare(a.key, b.key))
	})
	sign := int64(1)
	if subtract {
		sign = -1
	}
	r.args = r.args[:0]
	for _, k := range r.keys {
		s := r.sums[k]
		r.args = append(r.args, levels[k.level].secs, k.bucket, string(rollupDims[k.dim]), k.key,
			sign*s.Count, sign*s.Scored, float64(sign)*s.ScoreSum, sign*s.Negative, sign*s.CSAT,
			sign*s.CSATSatisfied, sign*s.NPS, sign*s.Promoters, sign*s.Detractors, sign*s.CES,
			float64(sign)*s.CESSum, sign*s.Positive)
	}
	defer clear(r.args)
	for lo := 0; lo < len(r.keys); {
		k := maxUpsertLog2
		for 1<<k > len(r.keys)-lo {
			k--
		}
		hi := lo + 1<<k
		if _, err := tx.StmtContext(ctx, stmts.upserts[k]).ExecContext(ctx, r.args[lo*rollupArgs:hi*rollupArgs]...); err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
		lo = hi
	}
	if subtract {
		empty := tx.StmtContext(ctx, stmts.empty)
		for i := range r.keys {
			if _, err := empty.ExecContext(ctx, r.args[i*rollupArgs:i*rollupArgs+4]...); err != nil {
				return fmt.Errorf("rollup: %w", err)
			}
		}
	}
	return nil
}

// rolledColumns are the columns of a traces row that its rollups read, in
// the order scanRolled scans them.
const rolledColumns = "t, kind, touchpoint, channel, journey, agent_id, score, value, sentiment, nps_class"

// scanRolled scans the rolledColumns of a row into t and d.
func scanRolled(rows *sql.Rows, t *int64, d *trace.Data) error {
	var kind, channel string
	var score, value sql.NullFloat64
	if err := rows.Scan(t, &kind, &d.Touchpoint, &channel, &d.Journey, &d.AgentID, &score, &value,
		&d.Sentiment, &d.NPSClass); err != nil {
		return err
	}
	d.Kind, d.Channel = wire.Kind(kind), wire.Channel(channel)
	d.Score, d.Value = nil, nil
	if score.Valid {
		d.Score = &score.Float64
	}
	if value.Valid {
		d.Value = &value.Float64
	}
	return nil
}

// backfillFlush bounds the rows the backfill holds in memory before it
// writes them.
const backfillFlush = 100_000

// firstDay is the day of the earliest time a trace may have: no day is
// sealed before it.
var firstDay = floorDiv(math.MinInt64, levels[dayLevel].nanos)

// backfillRollups builds the rollups of every stored trace in one pass
// over the traces, within tx: their hours, then their days up to today.
func backfillRollups(ctx context.Context, tx *sql.Tx, today int64) error {
	stmts, err := prepareRollup(ctx, tx)
	if err != nil {
		return err
	}
	defer stmts.close()
	rows, err := tx.QueryContext(ctx, "SELECT "+rolledColumns+" FROM traces")
	if err != nil {
		return fmt.Errorf("rollup backfill: %w", err)
	}
	defer rows.Close()
	r := newRollup()
	for rows.Next() {
		var t int64
		var d trace.Data
		if err := scanRolled(rows, &t, &d); err != nil {
			return fmt.Errorf("rollup backfill: %w", err)
		}
		r.add(t, &d, firstDay)
		if r.len() >= backfillFlush {
			// SQLite lets a connection write another table while it
			// reads this one.
			if err := r.apply(ctx, tx, stmts, false); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup backfill: %w", err)
	}
	if err := r.apply(ctx, tx, stmts, false); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM rollup_days"); err != nil {
		return fmt.Errorf("rollup backfill: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO rollup_days(sealed) VALUES (?)", firstDay); err != nil {
		return fmt.Errorf("rollup backfill: %w", err)
	}
	return seal(ctx, tx, firstDay, today)
}

// sealSQL sums the hour rows of the days [?1, ?2) into their day rows,
// which do not exist yet: a plain INSERT, so that a day row found there
// fails the seal rather than counting twice.
var sealSQL = `INSERT INTO rollups(width, bucket, dim, key, n, scored, score_sum, negative, csat,
	csat_satisfied, nps, promoters, detractors, ces, ces_sum, positive)
SELECT 86400, ` + bucketSQL("bucket", 24, 0) + ` AS day, dim, key, ` + rollupSums + `
FROM rollups WHERE width = 3600 AND bucket >= ?1 * 24 AND bucket < ?2 * 24
GROUP BY day, dim, key`

// seal writes the day rows of the days from sealed to today and moves
// rollup_days.sealed to today, within tx.
func seal(ctx context.Context, tx *sql.Tx, sealed, today int64) error {
	if today <= sealed {
		return nil
	}
	if _, err := tx.ExecContext(ctx, sealSQL, sealed, today); err != nil {
		return fmt.Errorf("rollup seal: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE rollup_days SET sealed = ?", today); err != nil {
		return fmt.Errorf("rollup seal: %w", err)
	}
	return nil
}

// readSealed returns rollup_days.sealed.
func readSealed(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var sealed int64
	if err := q.QueryRowContext(ctx, "SELECT sealed FROM rollup_days").Scan(&sealed); err != nil {
		return 0, fmt.Errorf("rollup days: %w", err)
	}
	return sealed, nil
}

// rolledQuery is an aggregate that the rollups can answer.
type rolledQuery struct {
	dim   store.GroupBy // the rolled dimension read
	group bool          // one result per key of dim; else one over every key
	// key, when set, keeps only that key of dim: a filter on dim.
	key           string
	keyed         bool
	width, offset int64 // bucket, in nanoseconds; width 0 makes one bucket
	filter        store.Filter
	// from and to bound the time when hasFrom and hasTo.
	from, to       int64
	hasFrom, hasTo bool
}

// filteredDim returns the one rolled dimension f filters on and its value.
// ok is false when f filters on something the rollups do not hold or on
// more than one dimension.
func filteredDim(f *store.Filter) (g store.GroupBy, v string, ok bool) {
	if f.UserID != "" {
		return "", "", false
	}
	n := 0
	for _, c := range []struct {
		g store.GroupBy
		v string
	}{
		{store.ByTouchpoint, f.Touchpoint},
		{store.ByChannel, string(f.Channel)},
		{store.ByJourney, f.Journey},
		{store.ByKind, string(f.Kind)},
		{store.ByAgent, f.AgentID},
	} {
		if c.v != "" {
			g, v = c.g, c.v
			n++
		}
	}
	if _, rolled := rollupDim(g); n > 0 && !rolled {
		return "", "", false
	}
	return g, v, n <= 1
}

// rollupBound is how far from the ends of int64 a time bound may be for
// the rollups to answer: the edges are rounded to days.
const rollupBound = math.MaxInt64 - 2*24*int64(time.Hour)

// newRolledQuery returns the rollup query of an aggregate over f grouped
// by g (a rolled dimension, or store.ByDay for sums over every key) in
// buckets of width and offset nanoseconds (width 0: one bucket), and
// whether the rollups can answer it.
func newRolledQuery(g store.GroupBy, f *store.Filter, width, offset int64) (*rolledQuery, bool) {
	fd, v, ok := filteredDim(f)
	if !ok {
		return nil, false
	}
	q := &rolledQuery{width: width, offset: offset, filter: *f}
	q.filter.Limit, q.filter.Cursor = 0, ""
	switch _, rolled := rollupDim(g); {
	case rolled:
		if fd != "" && fd != g {
			return nil, false
		}
		q.dim, q.group = g, true
	case g == store.ByDay:
		q.dim = cmp.Or(fd, store.ByKind) // every trace has a kind
	default:
		return nil, false
	}
	q.key, q.keyed = v, fd != ""
	hour := levels[hourLevel].nanos
	if width < 0 || width%hour != 0 || offset%hour != 0 {
		return nil, false
	}
	if !f.From.IsZero() {
		q.from, q.hasFrom = store.UnixNanos(f.From), true
	}
	if !f.To.IsZero() {
		q.to, q.hasTo = store.UnixNanos(f.To), true
	}
	for _, b := range []struct {
		v   int64
		has bool
	}{{q.from, q.hasFrom}, {q.to, q.hasTo}} {
		if b.has && (b.v > rollupBound || b.v < -rollupBound) {
			return nil, false
		}
	}
	// At least one whole hour in range.
	if q.hasFrom && q.hasTo && ceilTo(q.from, hour) >= floorTo(q.to, hour) {
		return nil, false
	}
	return q, true
}

func floorTo(x, w int64) int64 { return floorDiv(x, w) * w }
func ceilTo(x, w int64) int64  { return -floorTo(-x, w) }

// piece is a time range read from one source: the traces rows (level -1)
// or the rollups of a level. from and to are Unix nanoseconds, aligned to
// the level's width.
type piece struct {
	level          int
	from, to       int64
	hasFrom, hasTo bool
}

// pieces splits the range of q: the whole days before sealedAt (Unix
// nanoseconds) from the day rollups when the buckets are made of days, the
// whole hours around them from the hour rollups, and the partial hours at
// the edges from the traces.
func (q *rolledQuery) pieces(sealedAt int64) []piece {
	hour, day := levels[hourLevel].nanos, levels[dayLevel].nanos
	var out []piece
	a, b := q.from, q.to
	if q.hasFrom {
		a = ceilTo(q.from, hour)
		if q.from < a {
			out = append(out, piece{level: -1, from: q.from, to: a, hasFrom: true, hasTo: true})
		}
	}
	if q.hasTo {
		b = floorTo(q.to, hour)
		if b < q.to {
			out = append(out, piece{level: -1, from: b, to: q.to, hasFrom: true, hasTo: true})
		}
	}
	hours := piece{level: hourLevel, from: a, to: b, hasFrom: q.hasFrom, hasTo: q.hasTo}
	if q.width != 0 && (q.width%day != 0 || q.offset%day != 0) {
		return append(out, hours)
	}
	// Days [c, e): from the first whole day to the last one, or to the
	// first day not sealed.
	e := sealedAt
	if q.hasTo {
		e = min(e, floorTo(b, day))
	}
	c := a
	if q.hasFrom {
		c = ceilTo(a, day)
		if c >= e {
			return append(out, hours)
		}
	}
	out = append(out, piece{level: dayLevel, from: c, to: e, hasFrom: q.hasFrom, hasTo: true})
	if q.hasFrom && a < c {
		out = append(out, piece{level: hourLevel, from: a, to: c, hasFrom: true, hasTo: true})
	}
	if !q.hasTo || e < b {
		out = append(out, piece{level: hourLevel, from: e, to: b, hasFrom: true, hasTo: q.hasTo})
	}
	return out
}

// rollupSums are the sums of rollup rows, in the order of store.Sums.
const rollupSums = `sum(n), sum(scored), total(score_sum), sum(negative), sum(csat), sum(csat_satisfied),
	sum(nps), sum(promoters), sum(detractors), sum(ces), total(ces_sum), sum(positive)`

// sql returns the query of piece p of q: key, bucket number and sums.
func (q *rolledQuery) sql(p piece) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 8)
	if p.level < 0 {
		key := "''"
		if q.group {
			key = groupKeys[q.dim]
		}
		f := q.filter
		f.From, f.To = time.Time{}, time.Time{}
		b.WriteString("SELECT " + key + " AS k, " + bucketSQL("t", q.width, q.offset) + " AS b, " + sumsSQL + " FROM traces")
		args = where(&b, args, &f)
		b.WriteString(" AND t >= ? AND t < ?")
		args = append(args, p.from, p.to)
		b.WriteString(" GROUP BY k, b")
		return b.String(), args
	}
	l := levels[p.level]
	key := "''"
	if q.group {
		key = "key"
	}
	// The bucket of a rollup row in q's buckets, in units of the level.
	bucket := "0"
	if q.width != 0 {
		bucket = bucketSQL("bucket", q.width/l.nanos, q.offset/l.nanos)
	}
	b.WriteString("SELECT " + key + " AS k, " + bucket + " AS b, " + rollupSums + " FROM rollups WHERE dim = ? AND width = ?")
	args = append(args, string(q.dim), l.secs)
	if p.hasFrom {
		b.WriteString(" AND bucket >= ?")
		args = append(args, floorDiv(p.from, l.nanos))
	}
	if p.hasTo {
		b.WriteString(" AND bucket < ?")
		args = append(args, floorDiv(p.to, l.nanos))
	}
	if q.keyed {
		b.WriteString(" AND key = ?")
		args = append(args, q.key)
	}
	b.WriteString(" GROUP BY k, b")
	return b.String(), args
}

// bucketSQL is floor((col - off) / w) in SQL, whose / truncates toward
// zero; 0 when w is 0.
func bucketSQL(col string, w, off int64) string {
	if w == 0 {
		return "0"
	}
	return fmt.Sprintf("((%[3]s - %[2]d) / %[1]d - ((%[3]s - %[2]d) %% %[1]d < 0))", w, off, col)
}

// rolledRow is the sums of one key and bucket number.
type rolledRow struct {
	key    string
	bucket int64
	sums   store.Sums
}

// run answers q from the rollups and the traces at its edges, all read in
// one transaction so that they see the same commit. The rows are ordered
// by key and bucket.
func (q *rolledQuery) run(ctx context.Context, db *DB, op string) ([]rolledRow, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, db.readErr(op, err)
	}
	defer func() { _ = tx.Rollback() }()
	sealed, err := readSealed(ctx, tx)
	if err != nil {
		return nil, db.readErr(op, err)
	}
	var out []rolledRow
	// Days before firstDay+1 would overflow int64 nanoseconds.
	for _, p := range q.pieces(max(sealed, firstDay+1) * levels[dayLevel].nanos) {
		query, args := q.sql(p)
		rows, err := sumsRows(ctx, tx, query+" ORDER BY k, b", args)
		if err != nil {
			return nil, db.readErr(op, err)
		}
		out = mergeRows(out, rows)
	}
	return out, nil
}

// mergeRows merges two lists ordered by key and bucket into one, adding
// the sums of rows with the same key and bucket.
func mergeRows(a, b []rolledRow) []rolledRow {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]rolledRow, 0, max(len(a), len(b)))
	for len(a) > 0 && len(b) > 0 {
		switch c := cmp.Or(strings.Compare(a[0].key, b[0].key), cmp.Compare(a[0].bucket, b[0].bucket)); {
		case c < 0:
			out = append(out, a[0])
			a = a[1:]
		case c > 0:
			out = append(out, b[0])
			b = b[1:]
		default:
			r := a[0]
			r.sums.Merge(&b[0].sums)
			out = append(out, r)
			a, b = a[1:], b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// sumsRows runs a query whose rows are a key, a bucket number and the
// sums, in the order of store.Sums.
func sumsRows(ctx context.Context, tx *sql.Tx, query string, args []any) ([]rolledRow, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rolledRow
	for rows.Next() {
		out = append(out, rolledRow{})
		r := &out[len(out)-1]
		s := &r.sums
		if err := rows.Scan(&r.key, &r.bucket, &s.Count, &s.Scored, &s.ScoreSum, &s.Negative, &s.CSAT, &s.CSATSatisfied,
			&s.NPS, &s.Promoters, &s.Detractors, &s.CES, &s.CESSum, &s.Positive); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}
