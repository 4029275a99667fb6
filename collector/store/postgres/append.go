package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mailru/easyjson"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
)

// columns are the columns of a trace row, in the order of a row's values.
var columns = []string{"id", "t", "kind", "touchpoint", "channel", "journey", "user_id", "agent_id",
	"score", "value", "sentiment", "nps_class", "body"}

const nColumns = 13

// stagingTable is the writer connection's temporary table: COPY fills it,
// one INSERT ... SELECT moves its rows into traces, and the commit empties
// it (ON COMMIT DELETE ROWS).
const stagingTable = "rastro_staging"

const createStaging = `CREATE TEMP TABLE IF NOT EXISTS rastro_staging (
	ord        integer NOT NULL,
	id         text COLLATE "C" NOT NULL,
	t          bigint NOT NULL,
	kind       text NOT NULL,
	touchpoint text NOT NULL,
	channel    text NOT NULL,
	journey    text NOT NULL,
	user_id    text NOT NULL,
	agent_id   text NOT NULL,
	score      double precision,
	value      double precision,
	sentiment  text NOT NULL,
	nps_class  text NOT NULL,
	body       bytea NOT NULL
) ON COMMIT DELETE ROWS`

// insertSQL moves the staged rows into traces. The inner SELECT draws the
// seqs in arrival order (ord); the outer one inserts in id order, so that
// two collectors inserting overlapping ids take the row locks of the
// unique index in the same order and wait for each other instead of
// deadlocking. RETURNING names the rows that were new: a conflicting row,
// stored by an earlier commit or by a concurrent transaction of another
// collector (which this one waits for), returns nothing.
const insertSQL = `INSERT INTO traces (seq, id, t, kind, touchpoint, channel, journey, user_id, agent_id, score, value, sentiment, nps_class, body)
SELECT seq, id, t, kind, touchpoint, channel, journey, user_id, agent_id, score, value, sentiment, nps_class, body
FROM (SELECT nextval(%s::regclass) AS seq, * FROM rastro_staging ORDER BY ord) AS s
ORDER BY id
ON CONFLICT (id) DO NOTHING
RETURNING id`

// insertQueuedSQL is insertSQL that also queues every new trace for the
// sinks in $1, in the same statement (store.Outbox).
const insertQueuedSQL = `WITH ins AS (%s),
queued AS (INSERT INTO sink_outbox (sink, trace_seq) SELECT s.sink, ins.seq FROM ins CROSS JOIN unnest($1::text[]) AS s(sink))
SELECT id FROM ins`

// commitTimeout bounds one group commit: a database that stops answering
// fails the waiting Append calls instead of holding them forever.
const commitTimeout = 30 * time.Second

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
	rows [][]any // one row of nColumns values per trace
	// inserted is written by the writer once it took the request and read
	// by the caller after the result.
	inserted []bool
	state    atomic.Int32
	res      chan result // buffered: the writer never blocks on a caller
}

type result struct {
	inserted []bool
	err      error
}

// Append stores traces and returns once the new ones are committed.
// Concurrent calls are committed together by one writer goroutine. A call
// whose ctx ends before the writer took it returns ctx.Err() and writes
// nothing; once taken, it waits for the commit.
func (db *DB) Append(ctx context.Context, traces []trace.Trace) ([]bool, error) {
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
		rows:     make([][]any, len(traces)),
		inserted: make([]bool, len(traces)),
		res:      make(chan result, 1),
	}
	// Encoding and checks happen here, in the callers' goroutines: a bad
	// trace fails its own call, never the commit it would share.
	vals := make([]any, nColumns*len(traces))
	for i := range traces {
		t := &traces[i]
		if err := store.CheckStorable(i, t); err != nil {
			return nil, fmt.Errorf("postgres: append: %w", err)
		}
		d := &t.Data
		texts := [...]string{t.ID, string(d.Kind), d.Touchpoint, string(d.Channel), d.Journey,
			d.UserID, d.AgentID, d.Sentiment, d.NPSClass}
		for _, s := range texts {
			// PostgreSQL text holds neither NUL nor invalid UTF-8.
			if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
				return nil, fmt.Errorf("postgres: append: trace %q: a field holds NUL or invalid UTF-8", t.ID)
			}
		}
		body, err := easyjson.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("postgres: append: encode trace %s: %w", t.ID, err)
		}
		req.ids[i] = t.ID
		row := vals[i*nColumns : (i+1)*nColumns : (i+1)*nColumns]
		row[0], row[1], row[2], row[3] = t.ID, store.UnixNanos(t.Time), texts[1], d.Touchpoint
		row[4], row[5], row[6], row[7] = texts[3], d.Journey, d.UserID, d.AgentID
		row[8], row[9], row[10], row[11], row[12] = d.Score, d.Value, d.Sentiment, d.NPSClass, body
		req.rows[i] = row
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

// rowRef points at one row of a request.
type rowRef struct {
	req *request
	i   int
}

// writer owns one connection of the pool, with its staging table. Its
// goroutine takes every pending request (up to MaxBatchRows rows), copies
// their rows to the staging table, moves them into traces and commits
// once: the commit's WAL flush and the round trips are shared by all the
// callers (group commit).
type writer struct {
	db   *DB
	conn *pgxpool.Conn // nil until the first commit, and after an error

	insert string // insertSQL with the seq sequence

	// Reused across commits.
	batch []*request
	rows  [][]any // staged rows: ord then the nColumns values
	refs  []rowRef
	seen  map[string]int // id -> index in rows
}

func newWriter(db *DB) *writer {
	return &writer{db: db, seen: make(map[string]int)}
}

func (w *writer) run() {
	defer close(w.db.done)
	defer w.release(false)
	for {
		req, ok := <-w.db.queue
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
	err := w.write()
	for _, req := range w.batch {
		if err != nil {
			req.res <- result{err: err}
			continue
		}
		req.res <- result{inserted: req.inserted}
	}
	clear(w.batch) // drop references to the requests
}

// connect acquires the writer's connection and prepares its staging table.
func (w *writer) connect(ctx context.Context) error {
	c, err := w.db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if _, err := c.Exec(ctx, createStaging); err != nil {
		c.Release()
		return err
	}
	var seq string
	if err := c.QueryRow(ctx, "SELECT pg_get_serial_sequence('traces', 'seq')").Scan(&seq); err != nil {
		c.Release()
		return err
	}
	w.insert = fmt.Sprintf(insertSQL, quote(seq))
	if len(w.db.opts.Sinks) > 0 {
		ins := strings.Replace(w.insert, "RETURNING id", "RETURNING id, seq", 1)
		w.insert = fmt.Sprintf(insertQueuedSQL, ins)
	}
	w.conn = c
	return nil
}

// release gives the connection back to the pool; broken closes it first,
// so that the pool does not hand out a connection in an unknown state.
func (w *writer) release(broken bool) {
	if w.conn == nil {
		return
	}
	if broken {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = w.conn.Conn().Close(ctx)
		cancel()
	}
	w.conn.Release()
	w.conn = nil
}

// write stages the rows of the batch not seen earlier in it, inserts them
// and marks the new ones in their request's inserted.
func (w *writer) write() error {
	clear(w.seen)
	w.rows = w.rows[:0]
	w.refs = w.refs[:0]
	for _, req := range w.batch {
		for i, id := range req.ids {
			if _, dup := w.seen[id]; dup {
				continue
			}
			w.seen[id] = len(w.rows)
			row := make([]any, 0, 1+nColumns)
			row = append(row, int32(len(w.rows)))
			w.rows = append(w.rows, append(row, req.rows[i]...))
			w.refs = append(w.refs, rowRef{req, i})
		}
	}
	defer clear(w.rows) // drop references to the bodies

	// One caller's ctx must not abort the others' commit.
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	if w.conn == nil {
		if err := w.connect(ctx); err != nil {
			return fmt.Errorf("postgres: append: connect: %w", err)
		}
	}
	if err := w.tx(ctx); err != nil {
		w.release(true)
		return fmt.Errorf("postgres: append: %w", err)
	}
	return nil
}

var stagingColumns = append([]string{"ord"}, columns...)

func (w *writer) tx(ctx context.Context) error {
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stagingTable}, stagingColumns, pgx.CopyFromRows(w.rows)); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	var args []any
	if len(w.db.opts.Sinks) > 0 {
		args = append(args, w.db.opts.Sinks)
	}
	rows, err := tx.Query(ctx, w.insert, args...)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	var newRows []int
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("insert: %w", err)
		}
		k, ok := w.seen[id]
		if !ok {
			rows.Close()
			return fmt.Errorf("insert: returned id %q was not staged", id)
		}
		newRows = append(newRows, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	// Only a committed row is reported new.
	for _, k := range newRows {
		r := w.refs[k]
		r.req.inserted[r.i] = true
	}
	return nil
}

// retentionSQL deletes a chunk of the traces before $1, keeping those still
// queued for a sink.
const retentionSQL = `DELETE FROM traces WHERE seq IN (SELECT seq FROM traces tr WHERE t < $1
	AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.trace_seq = tr.seq) LIMIT $2)`

// DeleteBefore removes the traces whose time is before t, in transactions
// of Options.DeleteChunkRows rows, so that retention never holds locks for
// long. It stops early, returning what it removed so far, when ctx ends.
// Several collectors may run it at once.
func (db *DB) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	before := store.UnixNanos(t)
	var total int64
	for {
		if db.isClosed() {
			return total, store.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
		tag, err := db.pool.Exec(ctx, retentionSQL,
			before, db.opts.DeleteChunkRows)
		if err != nil {
			return total, db.readErr("delete", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() == 0 {
			return total, nil
		}
	}
}
