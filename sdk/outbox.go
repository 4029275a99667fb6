package sdk

import (
	"context"
	"sync"

	"github.com/rastrohq/rastro/sdk/internal/outbox"
)

// obBacklog is the list of outbox batches waiting for a worker, oldest
// first. Only file names and counts are kept in memory.
type obBacklog struct {
	mu     sync.Mutex
	list   []*batch
	signal chan struct{} // closed when the list grows or closes
	closed bool
}

func (b *obBacklog) init() { b.signal = make(chan struct{}) }

func (b *obBacklog) push(x *batch) {
	b.mu.Lock()
	b.list = append(b.list, x)
	close(b.signal)
	b.signal = make(chan struct{})
	b.mu.Unlock()
}

// close says no more batches will come; workers exit once it is empty.
func (b *obBacklog) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.signal)
		b.signal = make(chan struct{})
	}
	b.mu.Unlock()
}

// next takes the oldest batch, waiting for one; false when closed and
// empty, or when ctx is done.
func (b *obBacklog) next(ctx context.Context) (*batch, bool) {
	for {
		b.mu.Lock()
		if len(b.list) > 0 {
			x := b.list[0]
			b.list[0] = nil
			b.list = b.list[1:]
			b.mu.Unlock()
			return x, true
		}
		if b.closed {
			b.mu.Unlock()
			return nil, false
		}
		ch := b.signal
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// takeOldest removes the oldest waiting batch if keep says no.
func (b *obBacklog) takeOldestIf(drop func(*batch) bool) *batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.list) == 0 || !drop(b.list[0]) {
		return nil
	}
	x := b.list[0]
	b.list[0] = nil
	b.list = b.list[1:]
	return x
}

// loadOutbox schedules the batches an earlier process left in the outbox.
func (c *Client) loadOutbox(entries []outbox.Entry) {
	n := 0
	for _, e := range entries {
		if e.Events < 0 {
			c.log.Error("rastro: corrupt outbox file removed", "file", e.Name)
			_ = c.ob.Remove(e)
			c.drop(ReasonCorrupt, 0, nil)
			continue
		}
		b := &batch{minSeq: 0, n: e.Events, entry: e}
		c.q.inflight[b] = struct{}{}
		c.q.outboxEvents += e.Events
		c.q.outboxBytes += e.Bytes
		c.backlog.push(b)
		n += e.Events
	}
	if n > 0 {
		c.log.Info("rastro: resending events from the outbox", "events", n, "batches", len(entries))
	}
	c.expireOutbox()
	c.trimOutbox()
}

// trimOutbox deletes the oldest waiting batches while the outbox is over
// its byte bound.
func (c *Client) trimOutbox() {
	if c.ob == nil {
		return
	}
	for {
		c.q.mu.Lock()
		over := c.q.outboxBytes > c.cfg.OutboxMaxBytes
		c.q.mu.Unlock()
		if !over {
			return
		}
		b := c.backlog.takeOldestIf(func(*batch) bool { return true })
		if b == nil {
			return
		}
		_ = c.ob.Remove(b.entry)
		c.drop(ReasonOutboxFull, b.n, nil)
		c.settle(b)
	}
}

// expireOutbox deletes waiting batches older than OutboxMaxAge.
func (c *Client) expireOutbox() {
	if c.ob == nil {
		return
	}
	cutoff := c.wallNow().Add(-c.cfg.OutboxMaxAge)
	for {
		b := c.backlog.takeOldestIf(func(b *batch) bool { return b.entry.Created.Before(cutoff) })
		if b == nil {
			return
		}
		_ = c.ob.Remove(b.entry)
		c.drop(ReasonExpired, b.n, nil)
		c.settle(b)
	}
}
