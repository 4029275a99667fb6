package store

import (
	"context"
	"time"

	"github.com/rastrohq/rastro/collector/trace"
)

// Outbox is implemented by stores that double as the durable hand-off to
// sinks (NATS JetStream, Kafka): every new trace is queued for each sink
// named when the store was opened, in the same transaction that stores it,
// so a trace acknowledged to its sender is never lost to a sink that is
// down or to a crash. A forwarder per sink drains the queue:
//
//	for {
//		batch, _ := ob.Claim(ctx, "nats", 1000, time.Minute)
//		publish(batch)                 // at least once
//		ob.Done(ctx, "nats", batch)    // only after every entry is acknowledged
//	}
//
// Delivery is at least once: an entry claimed and not marked done before
// its lease ends (the forwarder crashed) is claimed again, so sinks carry
// the trace id for downstream dedupe.
type Outbox interface {
	// Claim leases up to max pending entries of sink, oldest first, for
	// lease. Entries leased to another claimer whose lease has not ended
	// are skipped. It returns an empty slice when nothing is pending.
	Claim(ctx context.Context, sink string, max int, lease time.Duration) ([]Pending, error)
	// Done removes delivered entries from the queue of sink. A claimer
	// marks a claimed batch done as a whole, after every entry of it was
	// delivered, and its batches in the order it claimed them.
	Done(ctx context.Context, sink string, entries []Pending) error
	// Backlog counts the entries of sink not yet marked done.
	Backlog(ctx context.Context, sink string) (int64, error)
}

// Pending is one trace queued for a sink.
type Pending struct {
	// Seq orders the entries of one sink.
	Seq int64
	// Trace is the stored trace; Body its CloudEvents JSON as stored.
	Trace trace.Trace
	Body  []byte
}
