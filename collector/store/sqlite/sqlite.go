package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/rastrohq/rastro/collector/store"
)

var (
	_ store.Store        = (*DB)(nil)
	_ store.BulkAppender = (*DB)(nil)
)

// SyncMode is the SQLite synchronous level of the write connection: when
// a commit reaches the disk.
type SyncMode int

const (
	// SyncFull fsyncs the write-ahead log at every commit: an acknowledged
	// trace survives a crash of the process, of the OS, and a power loss.
	SyncFull SyncMode = iota
	// SyncNormal fsyncs only at checkpoints: an acknowledged trace survives
	// a crash of the process, but the last commits may be lost when the
	// OS crashes or the power fails. The database is never corrupted.
	SyncNormal
)

func (m SyncMode) pragma() (string, error) {
	switch m {
	case SyncFull:
		return "FULL", nil
	case SyncNormal:
		return "NORMAL", nil
	}
	return "", fmt.Errorf("sqlite: Options.Sync: unknown mode %d", int(m))
}

// Options configure a DB. The zero value is the durable default.
type Options struct {
	// Sync is the synchronous level of commits. Defaults to SyncFull.
	Sync SyncMode
	// BusyTimeout is how long a connection waits for a lock held by
	// another connection or process. Defaults to 5s.
	BusyTimeout time.Duration
	// ReadConns bounds the pool of read connections used by Query, Scan
	// and Summary. Defaults to 4.
	ReadConns int
	// MaxBatchRows bounds the rows the writer commits in one transaction
	// (group commit). One Append call is never split, so a transaction may
	// exceed it by one call. Defaults to 5000.
	MaxBatchRows int
	// QueueLen bounds the Append calls waiting for the writer; when it is
	// full Append waits for room (or for its context). Defaults to 1024.
	QueueLen int
	// DeleteChunkRows is how many rows DeleteBefore removes per
	// transaction, so that retention never holds the writer for long.
	// Defaults to 2000.
	DeleteChunkRows int
	// Sinks names the sinks the store queues traces for as their outbox
	// (store.Outbox). A sink named for the first time starts with the
	// traces stored from then on. While a sink has not confirmed a trace,
	// retention keeps it.
	Sinks []string
}

func (o Options) withDefaults() (Options, error) {
	if _, err := o.Sync.pragma(); err != nil {
		return o, err
	}
	if err := checkSinkNames(o.Sinks); err != nil {
		return o, err
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"BusyTimeout", int64(o.BusyTimeout)},
		{"ReadConns", int64(o.ReadConns)},
		{"MaxBatchRows", int64(o.MaxBatchRows)},
		{"QueueLen", int64(o.QueueLen)},
		{"DeleteChunkRows", int64(o.DeleteChunkRows)},
	} {
		if f.v < 0 {
			return o, fmt.Errorf("sqlite: Options.%s: %d is negative", f.name, f.v)
		}
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 5 * time.Second
	}
	def(&o.ReadConns, 4)
	def(&o.MaxBatchRows, 5000)
	def(&o.QueueLen, 1024)
	def(&o.DeleteChunkRows, 2000)
	return o, nil
}

// DB is a store.Store in one SQLite database file. It is safe for
// concurrent use.
type DB struct {
	path string
	opts Options

	write *sql.DB // one connection, used only by the writer goroutine
	read  *sql.DB // query_only connections
	ckpt  *sql.DB // one connection: checkpoints and sink cursors

	stopCkpt chan struct{} // closed by Close to stop the checkpointer
	ckptDone chan struct{} // closed when the checkpointer returns

	// mu guards closed and sends on queue: Append sends under RLock, Close
	// takes the write lock, so no send can follow close(queue).
	mu      sync.RWMutex
	closed  bool
	queue   chan *request
	deletes chan *deleteJob
	done    chan struct{} // closed when the writer goroutine returns

	count atomic.Int64 // rows in the table

	outbox    outbox
	deleteSQL string // retention, with the guard of the outbox

	// testHookCommit, when set before the first Append, is called by the
	// writer before each commit.
	testHookCommit func()
	// testNoRollups, when set before the first Append, makes the writer
	// skip the rollups, to measure what they cost.
	testNoRollups bool
	// testSyncs, when set before the first Append, gets the synchronous
	// level (FULL or NORMAL) of each transaction the writer commits for
	// Append, AppendNoSync and Sync.
	testSyncs *[]string

	// now is the clock that tells the writer which days of the rollups to
	// seal: timeNow when the DB was opened.
	now func() time.Time

	closeOnce sync.Once
	closeErr  error
}

// SchemaVersion is the version of the database layout this build writes,
// kept in PRAGMA user_version. Open migrates a file of an older version
// and refuses a newer one.
const SchemaVersion = 2

// schema creates the tables of SchemaVersion. interaction_id, scale_min,
// scale_max and props came with version 2, which fills them for the
// traces it appends; they are NULL in older rows (interaction_id IS NULL
// marks them), whose body holds them.
const schema = `
CREATE TABLE IF NOT EXISTS traces (
	seq            INTEGER PRIMARY KEY,
	id             TEXT    NOT NULL UNIQUE,
	t              INTEGER NOT NULL,
	kind           TEXT    NOT NULL,
	touchpoint     TEXT    NOT NULL,
	channel        TEXT    NOT NULL,
	journey        TEXT    NOT NULL,
	user_id        TEXT    NOT NULL,
	agent_id       TEXT    NOT NULL,
	score          REAL,
	value          REAL,
	sentiment      TEXT    NOT NULL,
	nps_class      TEXT    NOT NULL,
	body           BLOB    NOT NULL,
	interaction_id TEXT,
	scale_min      REAL,
	scale_max      REAL,
	props          TEXT
);
CREATE INDEX IF NOT EXISTS traces_t ON traces(t);
CREATE INDEX IF NOT EXISTS traces_touchpoint ON traces(touchpoint, t, kind, score, value, sentiment, nps_class);
CREATE INDEX IF NOT EXISTS traces_user ON traces(user_id, t) WHERE user_id <> '';
` + rollupSchema

// columnsV2 are the columns version 2 added to traces.
var columnsV2 = []string{"interaction_id TEXT", "scale_min REAL", "scale_max REAL", "props TEXT"}

// writeDriver and readDriver are the sqlite3 driver with the settings of
// the write and read connections that have no DSN parameter.
const (
	writeDriver = "rastro-sqlite3-write"
	readDriver  = "rastro-sqlite3-read"
)

// readMmapSize is how much of the file a read connection maps into
// memory (SQLite's default ceiling, 2 GB): a page read from the mapping
// costs no read system call and no copy into the connection's cache.
// A week of traces read for an alignment took 83 ms with reads, 38 ms
// mapped.
const readMmapSize = 0x7fff0000

var registerOnce sync.Once

func register() {
	sql.Register(writeDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			// journal_size_limit truncates a WAL that a long read made
			// grow; analysis_limit bounds the work of PRAGMA optimize.
			// wal_autocheckpoint = 0: the checkpointer goroutine copies
			// the log back on its own connection, so commits never wait
			// for a checkpoint.
			//
			// temp_store = MEMORY keeps the statement journal of each
			// multi-row INSERT in memory: SQLite saves there every page
			// the statement changes (so a failing row can undo it) and
			// spills it to a temporary file past 64 KiB, a write system
			// call per page, almost one a row (see doc.go, "Imports").
			// The writer's other temporary tables are small.
			_, err := c.Exec("PRAGMA journal_size_limit = 67108864; PRAGMA analysis_limit = 1000; PRAGMA wal_autocheckpoint = 0; PRAGMA temp_store = MEMORY", nil)
			return err
		},
	})
	sql.Register(readDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA mmap_size = "+strconv.Itoa(readMmapSize), nil)
			return err
		},
	})
}

// readConnLifetime renews the read connections: a connection loads the
// planner's statistics, which the writer refreshes every optimizeEvery,
// only when it opens.
const readConnLifetime = 2 * optimizeEvery

// timeNow is the clock of the DBs opened from now on; tests replace it.
var timeNow = time.Now

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Open opens the database at path, creating it (but not its folder) when
// it does not exist, and starts its writer.
func Open(path string, opts Options) (*DB, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	syncPragma, _ := opts.Sync.pragma()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: abs}
	base := u.String() + "?_busy_timeout=" + strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)

	registerOnce.Do(register)
	write, err := sql.Open(writeDriver, base+"&_journal_mode=WAL&_synchronous="+syncPragma+"&_txlock=immediate&_cache_size=-65536")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	db := &DB{path: abs, opts: opts, write: write, now: timeNow}
	if err := db.init(); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read, err := sql.Open(readDriver, base+"&_query_only=1&_cache_size=-16384")
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(opts.ReadConns)
	read.SetMaxIdleConns(opts.ReadConns)
	read.SetConnMaxLifetime(readConnLifetime)
	db.read = read

	ckpt, err := sql.Open("sqlite3", base)
	if err != nil {
		_ = read.Close()
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	db.ckpt = ckpt
	db.stopCkpt = make(chan struct{})
	db.ckptDone = make(chan struct{})

	db.queue = make(chan *request, opts.QueueLen)
	db.deletes = make(chan *deleteJob)
	db.done = make(chan struct{})
	w, err := newWriter(db)
	if err != nil {
		_ = read.Close()
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	go w.run()
	go db.checkpointer()
	return db, nil
}

// checkpointInterval is how often the checkpointer copies committed pages
// from the write-ahead log back into the database file.
const checkpointInterval = 100 * time.Millisecond

// checkpointer runs PASSIVE checkpoints beside the writer. SQLite's
// automatic checkpoint would run inside the commit that crosses 1000
// pages, on the writer's connection: every Append of that group commit
// would wait for the copy and its fsync. Measured with every index: 22k
// rows/s with automatic checkpoints, 32k with this goroutine. A PASSIVE
// checkpoint never blocks the writer or readers; when it falls behind it
// runs again at once.
func (db *DB) checkpointer() {
	defer close(db.ckptDone)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-db.stopCkpt:
			return
		case <-t.C:
		}
		for {
			var busy, logPages, done int
			err := db.ckpt.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &done)
			// Behind by more than a checkpoint's worth: go again now.
			if err != nil || logPages-done < 1000 {
				break
			}
			select {
			case <-db.stopCkpt:
				return
			default:
			}
		}
	}
}

func (db *DB) init() error {
	ctx := context.Background()
	var mode string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not wal", mode)
	}
	var version int
	if err := db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this build's %d", version, SchemaVersion)
	}
	if version < SchemaVersion {
		if err := db.migrate(ctx); err != nil {
			return fmt.Errorf("schema version %d to %d: %w", version, SchemaVersion, err)
		}
	}
	// Statistics let the planner skip-scan the touchpoint index for a
	// summary of recent traces; the writer refreshes them now and then.
	// Only statistics: a store on a full disk must still open, serve reads
	// and answer 503 to writes rather than not start at all.
	_, _ = db.write.ExecContext(ctx, optimizeSQL)
	// Counted once here; Append and DeleteBefore keep it current.
	var n int64
	if err := db.write.QueryRowContext(ctx, "SELECT count(*) FROM traces").Scan(&n); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	db.count.Store(n)
	db.deleteSQL = retentionSQL(db.opts.Sinks)
	return db.initOutbox(ctx)
}

// today is the day number of the clock.
func (db *DB) today() int64 {
	return floorDiv(store.UnixNanos(db.now()), levels[dayLevel].nanos)
}

// migrate brings the file to SchemaVersion in one transaction: it creates
// what is missing, adds the columns of version 2 to a version 1 table and
// builds the rollups of the traces already stored, in one pass over them.
func (db *DB) migrate(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	for _, c := range columnsV2 {
		name, _, _ := strings.Cut(c, " ")
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info('traces') WHERE name = ?", name).Scan(&n); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE traces ADD COLUMN "+c); err != nil {
				return fmt.Errorf("schema: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM rollups"); err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	if err := backfillRollups(ctx, tx, db.today()); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(SchemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// Stats reports the traces kept and the bytes of the database and its
// write-ahead log.
func (db *DB) Stats(ctx context.Context) (store.Stats, error) {
	if db.isClosed() {
		return store.Stats{}, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return store.Stats{}, err
	}
	var size int64
	for _, p := range []string{db.path, db.path + "-wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return store.Stats{}, fmt.Errorf("sqlite: stats: %w", err)
		}
		size += fi.Size()
	}
	return store.Stats{Traces: db.count.Load(), Bytes: size}, nil
}

func (db *DB) isClosed() bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.closed
}

// Close waits for the Append calls already queued to be committed, stops
// the writer and closes the database. It is idempotent; afterwards every
// method returns store.ErrClosed.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true
		close(db.queue)
		db.mu.Unlock()
		<-db.done
		close(db.stopCkpt)
		<-db.ckptDone
		err := db.ckpt.Close()
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
		if werr := db.write.Close(); err == nil {
			err = werr
		}
		if err != nil {
			db.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return db.closeErr
}
