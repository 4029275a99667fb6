package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailru/easyjson"

	"github.com/rastrohq/rastro/collector/store"
)

var _ store.Outbox = (*DB)(nil)

// The embedded store is its own outbox at no cost to Append: traces get
// their seq in arrival order and are never updated, so what a sink has yet
// to receive is every trace after the seq it last confirmed. One cursor row
// per sink is all the outbox writes, once per delivered batch.
//
// Two rules keep "after the cursor" exact. Retention never deletes a trace
// a sink has not confirmed. And it never deletes the trace with the
// highest seq: SQLite gives a new row the highest seq plus one, so if the
// highest row were deleted a new trace could get a seq at or below a
// cursor and never be sent.
const cursorSchema = `
CREATE TABLE IF NOT EXISTS sink_cursors (
	sink TEXT    PRIMARY KEY,
	seq  INTEGER NOT NULL
) WITHOUT ROWID;
`

// outbox is the claim state of the configured sinks.
type outbox struct {
	mu    sync.Mutex
	sinks map[string]*sinkState
}

// sinkState is one sink's position. cursor is durable (sink_cursors);
// the lease lives in memory: one process owns the file, and a lease that
// a crash loses needs no expiry.
type sinkState struct {
	cursor     int64     // every seq <= cursor is delivered
	claimedTo  int64     // the last seq handed out by the current lease
	leaseUntil time.Time // zero when no lease
}

func checkSinkNames(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" {
			return fmt.Errorf("sqlite: Options.Sinks: a sink name is empty")
		}
		if seen[n] {
			return fmt.Errorf("sqlite: Options.Sinks: %q is named twice", n)
		}
		seen[n] = true
	}
	return nil
}

// initOutbox creates the cursors of new sinks at the current last seq: a
// sink added to a running store receives the traces stored from then on,
// not the history.
func (db *DB) initOutbox(ctx context.Context) error {
	db.outbox.sinks = make(map[string]*sinkState, len(db.opts.Sinks))
	if len(db.opts.Sinks) == 0 {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, cursorSchema); err != nil {
		return fmt.Errorf("sink cursors: %w", err)
	}
	for _, name := range db.opts.Sinks {
		if _, err := db.write.ExecContext(ctx,
			"INSERT OR IGNORE INTO sink_cursors(sink, seq) SELECT ?, coalesce(max(seq), 0) FROM traces", name); err != nil {
			return fmt.Errorf("sink cursor %s: %w", name, err)
		}
		var cursor int64
		if err := db.write.QueryRowContext(ctx, "SELECT seq FROM sink_cursors WHERE sink = ?", name).Scan(&cursor); err != nil {
			return fmt.Errorf("sink cursor %s: %w", name, err)
		}
		db.outbox.sinks[name] = &sinkState{cursor: cursor}
	}
	return nil
}

// retentionGuard is the condition retention adds when sinks are
// configured (see cursorSchema).
func retentionGuard(sinks []string) string {
	if len(sinks) == 0 {
		return ""
	}
	quoted := make([]string, len(sinks))
	for i, s := range sinks {
		quoted[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return " AND seq <= (SELECT min(seq) FROM sink_cursors WHERE sink IN (" + strings.Join(quoted, ", ") + "))" +
		" AND seq < (SELECT max(seq) FROM traces)"
}

func (db *DB) sinkState(sink string) (*sinkState, error) {
	if db.isClosed() {
		return nil, store.ErrClosed
	}
	s, ok := db.outbox.sinks[sink]
	if !ok {
		return nil, fmt.Errorf("sqlite: outbox: sink %q is not in Options.Sinks", sink)
	}
	return s, nil
}

// Claim returns up to max traces after the sink's cursor, or after the
// entries already leased while the lease lasts. The claimer must mark its
// batches done in the order it claimed them.
func (db *DB) Claim(ctx context.Context, sink string, max int, lease time.Duration) ([]store.Pending, error) {
	s, err := db.sinkState(sink)
	if err != nil {
		return nil, err
	}
	if max <= 0 {
		return nil, fmt.Errorf("sqlite: outbox: claim %d entries", max)
	}
	db.outbox.mu.Lock()
	defer db.outbox.mu.Unlock()
	after := s.cursor
	now := time.Now()
	if now.Before(s.leaseUntil) && s.claimedTo > after {
		after = s.claimedTo
	}
	rows, err := db.read.QueryContext(ctx, "SELECT seq, body FROM traces WHERE seq > ? ORDER BY seq LIMIT ?", after, max)
	if err != nil {
		return nil, fmt.Errorf("sqlite: outbox: claim: %w", err)
	}
	defer rows.Close()
	var batch []store.Pending
	for rows.Next() {
		var p store.Pending
		if err := rows.Scan(&p.Seq, &p.Body); err != nil {
			return nil, fmt.Errorf("sqlite: outbox: claim: %w", err)
		}
		if err := easyjson.Unmarshal(p.Body, &p.Trace); err != nil {
			return nil, fmt.Errorf("sqlite: outbox: claim: trace seq %d: %w", p.Seq, err)
		}
		batch = append(batch, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: outbox: claim: %w", err)
	}
	if len(batch) > 0 {
		s.claimedTo = batch[len(batch)-1].Seq
		s.leaseUntil = now.Add(lease)
	}
	return batch, nil
}

// Done moves the sink's cursor past the last entry: with Claim order kept,
// every entry before it was delivered too.
func (db *DB) Done(ctx context.Context, sink string, entries []store.Pending) error {
	s, err := db.sinkState(sink)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	last := slices.MaxFunc(entries, func(a, b store.Pending) int { return cmp.Compare(a.Seq, b.Seq) }).Seq
	db.outbox.mu.Lock()
	defer db.outbox.mu.Unlock()
	if last <= s.cursor {
		return nil
	}
	// The side connection, not the writer: a cursor update is one small
	// transaction per delivered batch and must not queue behind appends.
	if _, err := db.ckpt.ExecContext(ctx, "UPDATE sink_cursors SET seq = ? WHERE sink = ?", last, sink); err != nil {
		return fmt.Errorf("sqlite: outbox: done: %w", err)
	}
	s.cursor = last
	if s.claimedTo <= last {
		s.leaseUntil = time.Time{}
	}
	return nil
}

// Backlog counts the traces after the sink's cursor.
func (db *DB) Backlog(ctx context.Context, sink string) (int64, error) {
	s, err := db.sinkState(sink)
	if err != nil {
		return 0, err
	}
	db.outbox.mu.Lock()
	cursor := s.cursor
	db.outbox.mu.Unlock()
	var n int64
	if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM traces WHERE seq > ?", cursor).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: outbox: backlog: %w", err)
	}
	return n, nil
}
