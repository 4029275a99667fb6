package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailru/easyjson/jwriter"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// columns are the columns Append writes, in the order of a row's args.
const columns = "id, t, kind, touchpoint, channel, journey, user_id, agent_id, score, value, sentiment, nps_class, body, " +
	"interaction_id, scale_min, scale_max, props"

const nColumns = 17

// The positions in a row's args of the columns the rollups read.
const (
	argT = 1 + iota
	argKind
	argTouchpoint
	argChannel
	argJourney
	argUser
	argAgent
	argScore
	argValue
	argSentiment
	argNPSClass
	argBody
	argInteraction
	argMin
	argMax
)

// maxChunkLog2 sets the largest multi-row INSERT: 1<<maxChunkLog2 rows.
// The writer prepares one statement per power of two up to it and covers
// any number of rows with them (64+64+32+4+1 for 165).
const maxChunkLog2 = 6

// Request states: the writer and a cancelled caller race for a pending
// request with CompareAndSwap, so exactly one of them owns its outcome.
const (
	pending int32 = iota
	taken
	cancelled
)

// request is one Append call waiting for the writer.
type request struct {
	ctx  context.Context
	ids  []string
	args []any // nColumns per trace, in the order of columns
	// inserted is written by the writer once it took the request and read
	// by the caller after the result.
	inserted []bool
	// noSync (AppendNoSync) lets the commit skip the fsync; a commit
	// with any other request in it waits for the disk.
	noSync bool
	state  atomic.Int32
	res    chan result // buffered: the writer never blocks on a caller
}

type result struct {
	inserted []bool
	err      error
}

// Append stores traces and returns once the new ones are committed (and,
// with SyncFull, on disk). Concurrent calls are committed together by one
// writer goroutine. A call whose ctx ends before the writer took it
// returns ctx.Err() and writes nothing; once taken, it waits for the
// commit.
func (db *DB) Append(ctx context.Context, traces []trace.Trace) ([]bool, error) {
	return db.append(ctx, traces, false)
}

// AppendNoSync stores traces like Append, but with SyncFull it returns
// once they are committed, before they are on disk: queries and later
// calls see them (a retry is a duplicate), a crash of the process keeps
// them, but an OS crash or a power loss may lose them until a later
// Append or Sync returns, which makes durable everything committed
// before it. Bulk loads use it to skip an fsync per batch (see the
// package doc, "Imports").
func (db *DB) AppendNoSync(ctx context.Context, traces []trace.Trace) ([]bool, error) {
	return db.append(ctx, traces, true)
}

// Sync returns once every trace that an AppendNoSync call returned
// before it is durable, as Append would have made it.
func (db *DB) Sync(ctx context.Context) error {
	_, err := db.enqueue(ctx, &request{ctx: ctx, res: make(chan result, 1)})
	return err
}

func (db *DB) append(ctx context.Context, traces []trace.Trace, noSync bool) ([]bool, error) {
	if db.isClosed() {
		return nil, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(traces) == 0 {
		return []bool{}, nil
	}
	req := &request{
		ctx:      ctx,
		ids:      make([]string, len(traces)),
		args:     make([]any, 0, nColumns*len(traces)),
		inserted: make([]bool, len(traces)),
		noSync:   noSync,
		res:      make(chan result, 1),
	}
	// Encoding happens here, in the callers' goroutines, so that the
	// writer only binds and steps. The bodies are encoded one after the
	// other into one buffer, one allocation for the call instead of a few
	// per trace; ends[i] is where body i ends.
	var w jwriter.Writer
	ends := make([]int, len(traces))
	for i := range traces {
		t := &traces[i]
		if err := store.CheckStorable(i, t); err != nil {
			return nil, fmt.Errorf("sqlite: append: %w", err)
		}
		t.MarshalEasyJSON(&w)
		if w.Error != nil {
			return nil, fmt.Errorf("sqlite: append: encode trace %s: %w", t.ID, w.Error)
		}
		ends[i] = w.Size()
	}
	bodies := w.Buffer.BuildBytes()
	start := 0
	var box boxes
	var scratch []byte
	for i := range traces {
		t := &traces[i]
		body := bodies[start:ends[i]:ends[i]]
		start = ends[i]
		d := &t.Data
		req.ids[i] = t.ID
		req.args = append(req.args, t.ID, store.UnixNanos(t.Time), box.str(argKind, string(d.Kind)),
			box.str(argTouchpoint, d.Touchpoint), box.str(argChannel, string(d.Channel)), box.str(argJourney, d.Journey),
			box.str(argUser, d.UserID), box.str(argAgent, d.AgentID), box.float(argScore, d.Score), box.float(argValue, d.Value),
			box.str(argSentiment, d.Sentiment), box.str(argNPSClass, d.NPSClass), body, d.InteractionID,
			box.float(argMin, d.Min), box.float(argMax, d.Max), propsJSON(&scratch, d.Props))
	}
	return db.enqueue(ctx, req)
}

// enqueue hands req to the writer and waits for its result.
func (db *DB) enqueue(ctx context.Context, req *request) ([]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return nil, store.ErrClosed
	}
	select {
	case db.queue <- req:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return nil, ctx.Err()
	}

	select {
	case r := <-req.res:
		return r.inserted, r.err
	case <-ctx.Done():
		if req.state.CompareAndSwap(pending, cancelled) {
			return nil, ctx.Err()
		}
		r := <-req.res // taken: its rows are being committed
		return r.inserted, r.err
	}
}

// boxes hands out the args of one Append call's rows, reusing the
// previous row's interface value of a column when the value is the same:
// putting a string or a float64 in an interface allocates, and the rows
// of a batch (an import's above all) mostly share their kind,
// touchpoint, channel, sentiment, scale. In BenchmarkImport that was a
// fifth of the allocations.
type boxes struct {
	last [nColumns]any
}

func (b *boxes) str(col int, s string) any {
	if v, ok := b.last[col].(string); ok && v == s {
		return b.last[col]
	}
	b.last[col] = s
	return b.last[col]
}

// float boxes *p, or returns nil (NULL) when p is nil.
func (b *boxes) float(col int, p *float64) any {
	if p == nil {
		return nil
	}
	if v, ok := b.last[col].(float64); ok && v == *p {
		return b.last[col]
	}
	b.last[col] = *p
	return b.last[col]
}

// propsJSON encodes props as a JSON object for the props column; nil (NULL)
// when there are none.
func propsJSON(scratch *[]byte, props map[string]string) any {
	if len(props) == 0 {
		return nil
	}
	var w jwriter.Writer
	// The text is built in the scratch buffer of the Append call: the
	// string conversion below is then the one copy.
	w.Buffer.Buf = (*scratch)[:0]
	w.RawByte('{')
	first := true
	for k, v := range props {
		if !first {
			w.RawByte(',')
		}
		first = false
		w.String(k)
		w.RawByte(':')
		w.String(v)
	}
	w.RawByte('}')
	b := w.Buffer.BuildBytes()
	*scratch = b
	return string(b)
}

// rowData returns the time and the data the rollups read of a row's args.
// d's Score and Value point into floats, so that the writer allocates
// nothing per row.
func rowData(args []any, d *trace.Data, floats *[2]float64) (t int64) {
	float := func(v any, f *float64) *float64 {
		if x, ok := v.(float64); ok {
			*f = x
			return f
		}
		return nil
	}
	*d = trace.Data{
		Kind:       wire.Kind(args[argKind].(string)),
		Touchpoint: args[argTouchpoint].(string),
		Channel:    wire.Channel(args[argChannel].(string)),
		Journey:    args[argJourney].(string),
		AgentID:    args[argAgent].(string),
		Score:      float(args[argScore], &floats[0]),
		Value:      float(args[argValue], &floats[1]),
		Sentiment:  args[argSentiment].(string),
		NPSClass:   args[argNPSClass].(string),
	}
	return args[argT].(int64)
}

// rowRef points at one row of a request.
type rowRef struct {
	req *request
	i   int
}

// writer owns the write connection. Its goroutine takes every pending
// request (up to MaxBatchRows), inserts them in one transaction and
// commits once: the fsync, the dominant cost of a commit, is shared by all
// the callers (group commit).
type writer struct {
	db      *DB
	inserts [maxChunkLog2 + 1]*sql.Stmt // inserts[k] inserts 1<<k rows
	idRange *sql.Stmt                   // ids of a seq range
	rollups rollupStmts

	roll     *rollup // the rollups of the rows a commit inserts or deletes
	sealed   int64   // rollup_days.sealed
	lastSeal time.Time

	lastOptimize time.Time

	// unsynced is set while commits made without an fsync (AppendNoSync)
	// may not be on disk yet: the next durable commit must write (and so
	// fsync) the log even when it inserts nothing.
	unsynced bool
	// normal is set while the write connection is at synchronous = NORMAL
	// for AppendNoSync, not at its own level (FULL).
	normal bool

	// Reused across commits.
	batch  []*request
	rows   []rowRef
	args   []any
	seen   map[string]struct{}
	newIDs map[string]struct{}
}

func newWriter(db *DB) (*writer, error) {
	w := &writer{
		db:           db,
		lastOptimize: time.Now(), // Open ran it
		seen:         make(map[string]struct{}),
		newIDs:       make(map[string]struct{}),
		roll:         newRollup(),
	}
	for k := range w.inserts {
		s, err := db.write.Prepare(insertSQL(1 << k))
		if err != nil {
			w.close()
			return nil, fmt.Errorf("prepare insert: %w", err)
		}
		w.inserts[k] = s
	}
	s, err := db.write.Prepare("SELECT id FROM traces WHERE seq BETWEEN ? AND ?")
	if err != nil {
		w.close()
		return nil, fmt.Errorf("prepare select: %w", err)
	}
	w.idRange = s
	if w.rollups, err = prepareRollup(context.Background(), db.write); err != nil {
		w.close()
		return nil, err
	}
	if w.sealed, err = readSealed(context.Background(), db.write); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func insertSQL(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO traces(" + columns + ") VALUES ")
	row := "(" + strings.Repeat("?,", nColumns-1) + "?)"
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT(id) DO NOTHING")
	return b.String()
}

func (w *writer) close() {
	for _, s := range w.inserts {
		if s != nil {
			_ = s.Close()
		}
	}
	if w.idRange != nil {
		_ = w.idRange.Close()
	}
	w.rollups.close()
}

func (w *writer) run() {
	defer close(w.db.done)
	defer w.close()
	w.seal() // the days that ended while the file was closed
	for {
		select {
		case req, ok := <-w.db.queue:
			if !ok {
				return // closed and drained
			}
			w.batch = w.batch[:0]
			n := w.take(req)
		more:
			for n < w.db.opts.MaxBatchRows {
				select {
				case req, ok := <-w.db.queue:
					if !ok {
						break more
					}
					n += w.take(req)
				default:
					break more
				}
			}
			if len(w.batch) > 0 {
				w.commit()
			}
		case job := <-w.db.deletes:
			n, err := w.deleteChunk(job.before)
			job.res <- deleteResult{n, err}
		}
	}
}

// take adds req to the batch unless its caller gave up, and returns the
// rows it adds.
func (w *writer) take(req *request) int {
	if err := req.ctx.Err(); err != nil {
		if req.state.CompareAndSwap(pending, cancelled) {
			req.res <- result{err: err}
		}
		return 0
	}
	if !req.state.CompareAndSwap(pending, taken) {
		return 0
	}
	w.batch = append(w.batch, req)
	return len(req.ids)
}

// commit writes the batch in one transaction and answers every request.
func (w *writer) commit() {
	if w.db.testHookCommit != nil {
		w.db.testHookCommit()
	}
	w.seal()
	inserted, err := w.insert()
	if err == nil {
		w.db.count.Add(int64(inserted))
	}
	for _, req := range w.batch {
		if err != nil {
			req.res <- result{err: err}
			continue
		}
		req.res <- result{inserted: req.inserted}
	}
	clear(w.batch) // drop references to the requests
	if err == nil && time.Since(w.lastOptimize) > optimizeEvery {
		w.optimize()
	}
}

// sealRetry is how long the writer waits before it tries again to seal
// the days of the rollups after a failure.
const sealRetry = time.Minute

// seal writes the day rollups of the days the clock has left. Readers take
// unsealed days from the hour rows, so a failure costs only speed; it is
// tried again after sealRetry.
func (w *writer) seal() {
	today := floorDiv(store.UnixNanos(w.db.now()), levels[dayLevel].nanos)
	if today <= w.sealed || time.Since(w.lastSeal) < sealRetry {
		return
	}
	w.lastSeal = time.Now()
	ctx := context.Background()
	tx, err := w.db.write.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer func() { _ = tx.Rollback() }()
	if seal(ctx, tx, w.sealed, today) != nil || tx.Commit() != nil {
		return
	}
	w.sealed, w.lastSeal = today, time.Time{}
}

// optimizeEvery is how often the writer runs PRAGMA optimize, which
// re-analyzes the table when it grew tenfold since its last analysis.
const optimizeEvery = 5 * time.Minute

// optimizeSQL checks every table (0x10000), not only those this
// connection queried, and analyzes those that need it (0x02).
const optimizeSQL = "PRAGMA optimize = 0x10002"

func (w *writer) optimize() {
	w.lastOptimize = time.Now()
	// Only statistics: an error changes no data and nobody to tell.
	_, _ = w.db.write.Exec(optimizeSQL)
}

// insert inserts the rows of the batch not seen earlier in it, marks the
// new ones in their request's inserted and returns how many rows are new.
func (w *writer) insert() (int, error) {
	clear(w.seen)
	w.rows = w.rows[:0]
	w.args = w.args[:0]
	for _, req := range w.batch {
		for i, id := range req.ids {
			if _, dup := w.seen[id]; dup {
				continue
			}
			w.seen[id] = struct{}{}
			w.rows = append(w.rows, rowRef{req, i})
			w.args = append(w.args, req.args[i*nColumns:(i+1)*nColumns]...)
		}
	}
	defer clear(w.args) // drop references to the bodies

	ctx := context.Background() // one caller's ctx must not abort the others' commit
	// A batch of AppendNoSync calls alone commits with synchronous =
	// NORMAL: no fsync. In WAL mode that is still consistent, and the log
	// is one file written in commit order, so the fsync of a later durable
	// commit makes these commits durable too. The connection goes back to
	// its own level at once, for every other transaction.
	noSync := w.db.opts.Sync == SyncFull && len(w.rows) > 0
	for _, req := range w.batch {
		noSync = noSync && req.noSync
	}
	if len(w.rows) == 0 && !w.unsynced {
		return 0, nil // only Sync calls, and nothing to sync
	}
	// A durable commit fails rather than run at NORMAL when the level
	// cannot be set back.
	if err := w.setNormal(noSync); err != nil {
		return 0, fmt.Errorf("sqlite: append: %w", err)
	}
	if noSync {
		defer func() { _ = w.setNormal(false) }() // tried again before the next durable commit
	}
	if w.db.testSyncs != nil {
		level := "FULL"
		if noSync || w.db.opts.Sync != SyncFull {
			level = "NORMAL"
		}
		*w.db.testSyncs = append(*w.db.testSyncs, level)
	}
	tx, err := w.db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: append: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if w.unsynced && !noSync {
		// SQLite fsyncs the log only at a commit that writes to it, and
		// this one may insert nothing (a Sync, or only duplicates): an
		// update of the one row of rollup_days to itself makes it write.
		if _, err := tx.ExecContext(ctx, "UPDATE rollup_days SET sealed = sealed"); err != nil {
			return 0, fmt.Errorf("sqlite: append: sync: %w", err)
		}
	}
	total := 0
	for lo := 0; lo < len(w.rows); {
		k := maxChunkLog2
		for 1<<k > len(w.rows)-lo {
			k--
		}
		hi := lo + 1<<k
		n, err := w.insertChunk(ctx, tx, k, w.rows[lo:hi], w.args[lo*nColumns:hi*nColumns])
		if err != nil {
			return 0, err
		}
		total += n
		lo = hi
	}
	// The rollups of the rows inserted, not of the duplicates, in the
	// same transaction.
	var d trace.Data
	var floats [2]float64
	for _, r := range w.rows {
		if r.req.inserted[r.i] && !w.db.testNoRollups {
			t := rowData(r.req.args[r.i*nColumns:(r.i+1)*nColumns], &d, &floats)
			w.roll.add(t, &d, w.sealed)
		}
	}
	if err := w.roll.apply(ctx, tx, w.rollups, false); err != nil {
		return 0, fmt.Errorf("sqlite: append: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: append: commit: %w", err)
	}
	if w.db.opts.Sync == SyncFull {
		w.unsynced = noSync
	}
	return total, nil
}

// setNormal puts the write connection at synchronous = NORMAL, or back at
// its own level. Only a SyncFull store changes level.
func (w *writer) setNormal(normal bool) error {
	if w.db.opts.Sync != SyncFull || w.normal == normal {
		return nil
	}
	level := "FULL"
	if normal {
		level = "NORMAL"
	}
	if _, err := w.db.write.Exec("PRAGMA synchronous = " + level); err != nil {
		return err
	}
	w.normal = normal
	return nil
}

// insertChunk inserts 1<<k rows with one statement. When some ids were
// already stored it reads back which rows are new: one statement assigns
// its new rows consecutive seqs ending at the last insert rowid.
func (w *writer) insertChunk(ctx context.Context, tx *sql.Tx, k int, rows []rowRef, args []any) (int, error) {
	res, err := tx.StmtContext(ctx, w.inserts[k]).ExecContext(ctx, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: append: insert: %w", err)
	}
	affected, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: append: insert: %w", err)
	}
	n := int(affected)
	switch {
	case n == len(rows):
		for _, r := range rows {
			r.req.inserted[r.i] = true
		}
		return n, nil
	case n == 0:
		return 0, nil
	}
	last, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: append: insert: %w", err)
	}
	clear(w.newIDs)
	q, err := tx.StmtContext(ctx, w.idRange).QueryContext(ctx, last-affected+1, last)
	if err != nil {
		return 0, fmt.Errorf("sqlite: append: read back: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var id string
		if err := q.Scan(&id); err != nil {
			return 0, fmt.Errorf("sqlite: append: read back: %w", err)
		}
		w.newIDs[id] = struct{}{}
	}
	if err := q.Err(); err != nil {
		return 0, fmt.Errorf("sqlite: append: read back: %w", err)
	}
	if len(w.newIDs) != n {
		return 0, fmt.Errorf("sqlite: append: read back %d new rows, want %d", len(w.newIDs), n)
	}
	for _, r := range rows {
		if _, ok := w.newIDs[r.req.ids[r.i]]; ok {
			r.req.inserted[r.i] = true
		}
	}
	return n, nil
}

// DeleteBefore removes the traces whose time is before t, in transactions
// of Options.DeleteChunkRows rows queued with the appends, so that Append
// never waits long behind retention. It stops early, returning what it
// removed so far, when ctx ends.
func (db *DB) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	before := store.UnixNanos(t)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		job := &deleteJob{before: before, res: make(chan deleteResult, 1)}
		db.mu.RLock()
		if db.closed {
			db.mu.RUnlock()
			return total, store.ErrClosed
		}
		select {
		case db.deletes <- job:
			db.mu.RUnlock()
		case <-ctx.Done():
			db.mu.RUnlock()
			return total, ctx.Err()
		}
		r := <-job.res
		total += r.n
		if r.err != nil {
			return total, r.err
		}
		if r.n < int64(db.opts.DeleteChunkRows) {
			return total, nil
		}
	}
}

type deleteJob struct {
	before int64
	res    chan deleteResult
}

type deleteResult struct {
	n   int64
	err error
}

// retentionSQL deletes one chunk of the oldest traces, found through the
// index on t, keeping what the sinks have yet to receive.
func retentionSQL(sinks []string) string {
	return "DELETE FROM traces WHERE seq IN (SELECT seq FROM traces WHERE t < ?1" + retentionGuard(sinks) + " LIMIT ?2)"
}

// deleteChunk deletes one chunk of retention and subtracts the rows it
// deleted from the rollups, in one transaction.
func (w *writer) deleteChunk(before int64) (int64, error) {
	ctx := context.Background()
	tx, err := w.db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	n, err := w.deleteRows(ctx, tx, before)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete: %w", err)
	}
	if err := w.roll.apply(ctx, tx, w.rollups, true); err != nil {
		return 0, fmt.Errorf("sqlite: delete: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: delete: commit: %w", err)
	}
	w.db.count.Add(-n)
	return n, nil
}

// deleteRows runs the retention statement and adds the rows it deleted to
// w.roll.
func (w *writer) deleteRows(ctx context.Context, tx *sql.Tx, before int64) (int64, error) {
	w.roll.reset()
	rows, err := tx.QueryContext(ctx, w.db.deleteSQL+" RETURNING "+rolledColumns, before, w.db.opts.DeleteChunkRows)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var t int64
		var d trace.Data
		if err := scanRolled(rows, &t, &d); err != nil {
			return 0, err
		}
		w.roll.add(t, &d, w.sealed)
		n++
	}
	return n, rows.Err()
}
