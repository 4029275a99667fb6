package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rastrohq/rastro/collector/store"
)

var _ store.Store = (*DB)(nil)

// Options configure a DB. The zero value is a good default.
type Options struct {
	// MaxConns bounds the connections of the DB's pool, the writer's
	// included. Defaults to 8, or to pool_max_conns when the DSN sets it.
	MaxConns int
	// MaxBatchRows bounds the rows the writer commits in one transaction
	// (group commit). One Append call is never split, so a transaction may
	// exceed it by one call. Defaults to 5000.
	MaxBatchRows int
	// QueueLen bounds the Append calls waiting for the writer; when it is
	// full Append waits for room (or for its context). Defaults to 1024.
	QueueLen int
	// DeleteChunkRows is how many rows DeleteBefore removes per
	// transaction. Defaults to 5000.
	DeleteChunkRows int
	// Sinks names the sinks the store queues every new trace for, in the
	// transaction that inserts it (store.Outbox). Every collector sharing
	// the database must name the same sinks: a trace is queued for the
	// sinks of the collector that stored it. While a sink has not
	// confirmed a trace, retention keeps it.
	Sinks []string
}

func (o Options) withDefaults() (Options, error) {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"MaxConns", o.MaxConns},
		{"MaxBatchRows", o.MaxBatchRows},
		{"QueueLen", o.QueueLen},
		{"DeleteChunkRows", o.DeleteChunkRows},
	} {
		if f.v < 0 {
			return o, fmt.Errorf("postgres: Options.%s: %d is negative", f.name, f.v)
		}
	}
	seen := make(map[string]bool, len(o.Sinks))
	for _, n := range o.Sinks {
		if n == "" || seen[n] {
			return o, fmt.Errorf("postgres: Options.Sinks: %q is empty or named twice", n)
		}
		seen[n] = true
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MaxBatchRows, 5000)
	def(&o.QueueLen, 1024)
	def(&o.DeleteChunkRows, 5000)
	return o, nil
}

// DB is a store.Store in a PostgreSQL database, which several collectors
// may share. It is safe for concurrent use.
type DB struct {
	opts Options
	pool *pgxpool.Pool

	// mu guards closed and sends on queue: Append sends under RLock, Close
	// takes the write lock, so no send can follow close(queue).
	mu     sync.RWMutex
	closed bool
	queue  chan *request
	done   chan struct{} // closed when the writer goroutine returns

	// testHookCommit, when set before the first Append, is called by the
	// writer before each commit.
	testHookCommit func()

	closeOnce sync.Once
}

// Open connects to the database of dsn (a postgres:// URL or a libpq
// key=value string), brings its schema up to date and starts the writer.
// The tables live in the first schema of the connection's search_path,
// which the DSN may set (options=-csearch_path=rastro).
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: say what is wrong, not the DSN.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = int32(opts.MaxConns)
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = 8
	}
	if cfg.MaxConns < 2 {
		cfg.MaxConns = 2 // the writer holds one
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := &DB{
		opts:  opts,
		pool:  pool,
		queue: make(chan *request, opts.QueueLen),
		done:  make(chan struct{}),
	}
	go newWriter(db).run()
	return db, nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one file of migrations/, named NNNN_what.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name is not NNNN_what.sql", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, base, string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build migrates to: the number
// of its last migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrationLock is the key of the transaction-level advisory lock that
// serializes migrations: collectors starting at once take turns, and the
// later ones find the schema up to date.
const migrationLock = 0x72617374726f // "rastro"

// migrate applies the migrations the database lacks, in order, in one
// transaction holding migrationLock, and records each in schema_version.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
			return fmt.Errorf("migrate: schema_version: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&current); err != nil {
			return fmt.Errorf("migrate: schema_version: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("migrate: schema version %d is newer than this build's %d", current, len(ms))
		}
		for _, m := range ms[current:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migrate: %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("migrate: %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// Stats counts the traces (an exact count(*): it reads the whole table, or
// its smallest index, so it costs a few milliseconds per 100,000 traces)
// and reports the bytes of the table with its indexes.
func (db *DB) Stats(ctx context.Context) (store.Stats, error) {
	if db.isClosed() {
		return store.Stats{}, store.ErrClosed
	}
	var s store.Stats
	err := db.pool.QueryRow(ctx, "SELECT count(*), pg_total_relation_size('traces') FROM traces").Scan(&s.Traces, &s.Bytes)
	if err != nil {
		return store.Stats{}, db.readErr("stats", err)
	}
	return s, nil
}

func (db *DB) isClosed() bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.closed
}

// readErr wraps an error of a read. A read racing with Close fails inside
// the pool; it reports store.ErrClosed instead.
func (db *DB) readErr(op string, err error) error {
	if db.isClosed() {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrClosed)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// Close waits for the Append calls already queued to be committed, stops
// the writer and closes the pool. It is idempotent; afterwards every
// method returns store.ErrClosed.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true
		close(db.queue)
		db.mu.Unlock()
		<-db.done
		db.pool.Close()
	})
	return nil
}
