package sdk

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// DropReason says why events were given up without delivery.
type DropReason string

// The reasons events are dropped. Stats.Dropped counts each.
const (
	// ReasonQueueFull: Capture refused the event because the queue was full
	// (DropNewest, or Block when the context ended first).
	ReasonQueueFull DropReason = "queue_full"
	// ReasonEvicted: DropOldest evicted the event to make room for a newer one.
	ReasonEvicted DropReason = "evicted"
	// ReasonClientError: the collector refused the whole batch with a 4xx
	// other than 408, 413 and 429 (400 not a batch, 401 unknown key, 403
	// origin not allowed). Never retried.
	ReasonClientError DropReason = "client_error"
	// ReasonTooLarge: a single event is larger than the batch byte limit, or
	// the collector answered 413 to a batch of one.
	ReasonTooLarge DropReason = "too_large"
	// ReasonRetriesExhausted: the batch failed for longer than
	// Config.RetryMaxElapsed (memory-only clients).
	ReasonRetriesExhausted DropReason = "retries_exhausted"
	// ReasonShutdown: Close's context ended before the event was delivered
	// (memory-only clients; an outbox keeps such events for the next start).
	ReasonShutdown DropReason = "shutdown"
	// ReasonOutboxFull: the outbox went over Config.OutboxMaxBytes and its
	// oldest batches were deleted.
	ReasonOutboxFull DropReason = "outbox_full"
	// ReasonExpired: an outbox batch grew older than Config.OutboxMaxAge.
	ReasonExpired DropReason = "expired"
	// ReasonCorrupt: an outbox file could not be read back.
	ReasonCorrupt DropReason = "corrupt"
)

// Drops counts dropped events by reason.
type Drops struct {
	QueueFull, Evicted, ClientError, TooLarge, RetriesExhausted,
	Shutdown, OutboxFull, Expired, Corrupt uint64
}

// Total returns the sum of all drops.
func (d Drops) Total() uint64 {
	return d.QueueFull + d.Evicted + d.ClientError + d.TooLarge + d.RetriesExhausted +
		d.Shutdown + d.OutboxFull + d.Expired + d.Corrupt
}

// String lists the non-zero counts, e.g. "shutdown=3 evicted=1".
func (d Drops) String() string {
	var b strings.Builder
	for _, f := range [...]struct {
		r DropReason
		n uint64
	}{{ReasonQueueFull, d.QueueFull}, {ReasonEvicted, d.Evicted}, {ReasonClientError, d.ClientError},
		{ReasonTooLarge, d.TooLarge}, {ReasonRetriesExhausted, d.RetriesExhausted}, {ReasonShutdown, d.Shutdown},
		{ReasonOutboxFull, d.OutboxFull}, {ReasonExpired, d.Expired}, {ReasonCorrupt, d.Corrupt}} {
		if f.n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(f.r) + "=" + strconv.FormatUint(f.n, 10))
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// Stats is a snapshot of a Client's counters. Every event Capture accepted
// is, at any time, in exactly one of: Queued, InFlight, Outbox, Sent,
// Rejected, or Dropped (other than QueueFull, which counts events Capture
// refused).
type Stats struct {
	// Captured counts the events Capture accepted.
	Captured uint64
	// Invalid counts the events Capture refused with a *FieldError.
	Invalid uint64
	// Queued is the number of events waiting in memory now, and QueuedBytes
	// their estimated size.
	Queued, QueuedBytes int
	// InFlight is the number of events in batches being sent now (memory
	// mode) or being written to the outbox.
	InFlight int
	// Outbox is the number of events on disk not yet acknowledged, and
	// OutboxBytes the size of their files.
	Outbox      int
	OutboxBytes int64
	// Sent counts the events the collector acknowledged, Duplicates
	// included.
	Sent uint64
	// Duplicates counts the sent events the collector already had.
	Duplicates uint64
	// Rejected counts the events the collector refused as invalid.
	Rejected uint64
	// Retried counts the HTTP attempts that were retries.
	Retried uint64
	// Batches counts the HTTP requests answered 2xx.
	Batches uint64
	// Dropped counts the events given up, by reason.
	Dropped Drops
}

type counters struct {
	invalid, sent, dups, rejected, retried, batches atomic.Uint64
	drops                                           [9]atomic.Uint64
}

func reasonIndex(r DropReason) int {
	switch r {
	case ReasonQueueFull:
		return 0
	case ReasonEvicted:
		return 1
	case ReasonClientError:
		return 2
	case ReasonTooLarge:
		return 3
	case ReasonRetriesExhausted:
		return 4
	case ReasonShutdown:
		return 5
	case ReasonOutboxFull:
		return 6
	case ReasonExpired:
		return 7
	}
	return 8
}

func (c *counters) drops_() Drops {
	d := &c.drops
	return Drops{d[0].Load(), d[1].Load(), d[2].Load(), d[3].Load(), d[4].Load(), d[5].Load(), d[6].Load(), d[7].Load(), d[8].Load()}
}
