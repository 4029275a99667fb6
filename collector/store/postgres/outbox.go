package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/mailru/easyjson"

	"github.com/rastrohq/rastro/collector/store"
)

var _ store.Outbox = (*DB)(nil)

// claimSQL leases up to $2 unleased rows of sink $1 for $3 microseconds
// and returns them with their trace, oldest first. SKIP LOCKED lets the
// forwarders of several collectors claim at once, each a different batch.
// A trace gone (removed by hand: retention keeps queued traces) returns a
// NULL body.
const claimSQL = `WITH c AS (
	UPDATE sink_outbox o SET lease_until = now() + $3 * interval '1 microsecond'
	FROM (SELECT seq FROM sink_outbox
		WHERE sink = $1 AND lease_until < now()
		ORDER BY seq LIMIT $2
		FOR UPDATE SKIP LOCKED) AS pick
	WHERE o.sink = $1 AND o.seq = pick.seq
	RETURNING o.seq, o.trace_seq
)
SELECT c.seq, t.body FROM c LEFT JOIN traces t ON t.seq = c.trace_seq ORDER BY c.seq`

// Claim leases up to max pending entries of sink for lease.
func (db *DB) Claim(ctx context.Context, sink string, max int, lease time.Duration) ([]store.Pending, error) {
	if err := db.checkSink(sink); err != nil {
		return nil, err
	}
	if max <= 0 {
		return nil, fmt.Errorf("postgres: outbox: claim %d entries", max)
	}
	rows, err := db.pool.Query(ctx, claimSQL, sink, max, lease.Microseconds())
	if err != nil {
		return nil, db.readErr("outbox: claim", err)
	}
	defer rows.Close()
	var (
		batch []store.Pending
		gone  []store.Pending
	)
	for rows.Next() {
		var p store.Pending
		if err := rows.Scan(&p.Seq, &p.Body); err != nil {
			return nil, db.readErr("outbox: claim", err)
		}
		if p.Body == nil {
			gone = append(gone, p)
			continue
		}
		if err := easyjson.Unmarshal(p.Body, &p.Trace); err != nil {
			return nil, fmt.Errorf("postgres: outbox: claim: entry %d: %w", p.Seq, err)
		}
		batch = append(batch, p)
	}
	if err := rows.Err(); err != nil {
		return nil, db.readErr("outbox: claim", err)
	}
	if len(gone) > 0 {
		// Nothing left to send for them.
		if err := db.Done(ctx, sink, gone); err != nil {
			return nil, err
		}
	}
	return batch, nil
}

// Done deletes delivered entries.
func (db *DB) Done(ctx context.Context, sink string, entries []store.Pending) error {
	if err := db.checkSink(sink); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	seqs := make([]int64, len(entries))
	for i := range entries {
		seqs[i] = entries[i].Seq
	}
	if _, err := db.pool.Exec(ctx, "DELETE FROM sink_outbox WHERE sink = $1 AND seq = ANY($2)", sink, seqs); err != nil {
		return db.readErr("outbox: done", err)
	}
	return nil
}

// Backlog counts the entries of sink not yet done.
func (db *DB) Backlog(ctx context.Context, sink string) (int64, error) {
	if err := db.checkSink(sink); err != nil {
		return 0, err
	}
	var n int64
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM sink_outbox WHERE sink = $1", sink).Scan(&n); err != nil {
		return 0, db.readErr("outbox: backlog", err)
	}
	return n, nil
}

func (db *DB) checkSink(sink string) error {
	if db.isClosed() {
		return fmt.Errorf("postgres: outbox: %w", store.ErrClosed)
	}
	for _, s := range db.opts.Sinks {
		if s == sink {
			return nil
		}
	}
	return fmt.Errorf("postgres: outbox: sink %q is not in Options.Sinks", sink)
}
