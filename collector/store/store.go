package store

import (
	"context"
	"errors"

	"github.com/rastrohq/rastro/collector/trace"
)

// ErrClosed is returned by a Store used after Close.
var ErrClosed = errors.New("store: closed")

// Appender is the one pipeline contract between ingest and storage.
type Appender interface {
	// Append stores traces durably and reports, for each trace in order,
	// whether it was new (true) or a duplicate of an id already stored
	// (false). It returns only once every new trace is durable, so the
	// caller may acknowledge them; on error nothing may be acknowledged.
	Append(ctx context.Context, traces []trace.Trace) (inserted []bool, err error)
}

// Store keeps traces and answers queries about them.
type Store interface {
	Appender
	// Close flushes and releases the store. It is idempotent.
	Close() error
}
