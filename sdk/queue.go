package sdk

import "sync"

// queue is the bounded FIFO between Capture and the dispatcher: a ring of
// events that grows on demand up to maxEvents and keeps the sum of their
// estimated sizes under maxBytes. It also tracks the batches taken out of
// it until they are settled, so that Flush can tell when every event
// captured before it has been dealt with.
type queue struct {
	mu                  sync.Mutex
	buf                 []Event
	head, n             int
	bytes               int
	maxEvents, maxBytes int

	pushed, popped uint64 // sequence numbers: event i was pushed as pushed==i

	space          chan struct{} // closed when room is made, for Block waiters
	progress       chan struct{} // closed when events are popped or batches settle
	inflight       map[*batch]struct{}
	inflightEvents int
	outboxEvents   int
	outboxBytes    int64
}

func (q *queue) init(maxEvents, maxBytes int) {
	q.maxEvents, q.maxBytes = maxEvents, maxBytes
	q.inflight = make(map[*batch]struct{})
	start := 1024
	if start > maxEvents {
		start = maxEvents
	}
	q.buf = make([]Event, start)
}

// fits reports whether an event of size bytes can be pushed now.
func (q *queue) fits(size int) bool {
	if q.n >= q.maxEvents {
		return false
	}
	return q.n == 0 || q.bytes+size <= q.maxBytes
}

func (q *queue) push(e *Event) {
	if q.n == len(q.buf) {
		q.grow()
	}
	i := q.head + q.n
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	q.buf[i] = *e
	q.n++
	q.bytes += int(e.size)
	q.pushed++
}

func (q *queue) grow() {
	size := 2 * len(q.buf)
	if size > q.maxEvents {
		size = q.maxEvents
	}
	nb := make([]Event, size)
	k := copy(nb, q.buf[q.head:])
	copy(nb[k:], q.buf[:q.head])
	q.buf, q.head = nb, 0
}

// popOne removes the oldest event into *dst.
func (q *queue) popOne(dst *Event) {
	*dst = q.buf[q.head]
	q.buf[q.head] = Event{} // let the strings go
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	q.bytes -= int(dst.size)
	q.popped++
	if q.n == 0 {
		q.head = 0 // start over at the front of the ring, still in cache
	}
}

// popBatch moves up to max events (and no more than limit in sequence
// numbers) into b. The caller holds mu.
func (q *queue) popBatch(b *batch, max int, limit uint64) {
	b.minSeq = q.popped
	for q.n > 0 && len(b.events) < max && q.popped < limit {
		b.events = append(b.events, batched{})
		q.popOne(&b.events[len(b.events)-1].Event)
	}
	b.n = len(b.events)
	q.inflight[b] = struct{}{}
	q.inflightEvents += b.n
	q.notify()
	q.wakeSpace()
}

func (q *queue) wakeSpace() {
	if q.space != nil {
		close(q.space)
		q.space = nil
	}
}

// notify wakes Flush waiters. The caller holds mu.
func (q *queue) notify() {
	if q.progress != nil {
		close(q.progress)
		q.progress = nil
	}
}

func (q *queue) progressCh() chan struct{} {
	if q.progress == nil {
		q.progress = make(chan struct{})
	}
	return q.progress
}

// settledBefore reports whether every event with a sequence number below w
// has left the queue and its batch has settled; with durableOnly, a batch
// written to the outbox counts as settled.
func (q *queue) settledBefore(w uint64, durableOnly bool) bool {
	if q.popped < w {
		return false
	}
	for b := range q.inflight {
		if b.minSeq < w && !(durableOnly && b.entry.Name != "") {
			return false
		}
	}
	return true
}
