package core

// The module imports neither bytes nor strings: either brings in the
// init of package unicode and the tables it sets up, about 3 kB brotli.

// Queue holds encoded events, oldest first, until the collector
// acknowledges them. It is bounded by MaxEvents and MaxBytes: a full queue
// refuses new events (Push returns false) and counts them in Dropped, so
// that events already waiting, perhaps for hours offline, are not lost to
// newer ones.
//
// The first InFlight events are being sent; Ack removes them and Nack
// returns them to the queue for a retry.
type Queue struct {
	// MaxEvents and MaxBytes bound the queue. Zero means no bound.
	MaxEvents, MaxBytes int
	// Dropped counts events refused because the queue was full.
	Dropped int

	items    [][]byte
	bytes    int
	inFlight int
}

// Push appends one encoded event; false when the queue is full.
func (q *Queue) Push(ev []byte) bool {
	if (q.MaxEvents > 0 && len(q.items) >= q.MaxEvents) || (q.MaxBytes > 0 && q.bytes+len(ev)+1 > q.MaxBytes) {
		q.Dropped++
		return false
	}
	q.items = append(q.items, ev)
	q.bytes += len(ev) + 1
	return true
}

// Len is the number of events queued, in flight included.
func (q *Queue) Len() int { return len(q.items) }

// InFlight is the number of events being sent.
func (q *Queue) InFlight() int { return q.inFlight }

// Waiting is the number of events not in flight.
func (q *Queue) Waiting() int { return len(q.items) - q.inFlight }

// Take marks up to max events (and maxBytes of them) in flight and
// returns them. It returns nil while a batch is in flight.
func (q *Queue) Take(max, maxBytes int) [][]byte {
	if q.inFlight > 0 {
		return nil
	}
	size, n := 0, 0
	for n < len(q.items) && n < max && (n == 0 || size+len(q.items[n])+1 <= maxBytes) {
		size += len(q.items[n]) + 1
		n++
	}
	q.inFlight = n
	return q.items[:n:n]
}

// Ack removes the events in flight.
func (q *Queue) Ack() {
	for _, it := range q.items[:q.inFlight] {
		q.bytes -= len(it) + 1
	}
	q.items = append(q.items[:0:0], q.items[q.inFlight:]...)
	q.inFlight = 0
}

// Nack returns the events in flight to the queue.
func (q *Queue) Nack() { q.inFlight = 0 }

// Clear drops every event.
func (q *Queue) Clear() {
	q.items, q.bytes, q.inFlight = nil, 0, 0
}

// Snapshot returns the queue as one event per line, the format kept in
// localStorage (and read by the loader). Encoded events never contain a
// raw newline.
func (q *Queue) Snapshot() []byte {
	var out []byte
	for i, it := range q.items {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, it...)
	}
	return out
}

// Restore adds the events of a snapshot, skipping lines that are not
// events and events already queued (same id). It returns how many it added.
func (q *Queue) Restore(snapshot []byte) int {
	seen := make(map[string]bool, len(q.items))
	for _, it := range q.items {
		seen[string(eventID(it))] = true
	}
	added := 0
	for len(snapshot) > 0 {
		line := snapshot
		if i := indexByte(snapshot, '\n'); i >= 0 {
			line, snapshot = snapshot[:i], snapshot[i+1:]
		} else {
			snapshot = nil
		}
		id := eventID(line)
		if id == nil || line[len(line)-1] != '}' || seen[string(id)] {
			continue
		}
		seen[string(id)] = true
		if q.Push(append([]byte(nil), line...)) {
			added++
		}
	}
	return added
}

// eventID returns the id of an encoded event, which AppendEvent writes
// first (and so does the loader), or nil.
func eventID(ev []byte) []byte {
	const prefix = `{"id":"`
	if len(ev) < len(prefix) || string(ev[:len(prefix)]) != prefix {
		return nil
	}
	rest := ev[len(prefix):]
	end := indexByte(rest, '"')
	if end <= 0 {
		return nil
	}
	return rest[:end]
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
