package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/rastrohq/rastro/sdk/internal/outbox"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Errors returned by Capture.
var (
	// ErrClosed is returned by Capture and Flush after Close.
	ErrClosed = errors.New("sdk: client closed")
	// ErrQueueFull is returned by Capture when the queue is full and the
	// policy refuses the new event.
	ErrQueueFull = errors.New("sdk: queue full")
)

// placeholderID stands in for the id Capture makes when an event with
// rarely set fields is checked in its wire form, so that an invalid event
// costs no id.
const placeholderID = "0"

// Client captures events and delivers them to a collector in the
// background. It is safe for concurrent use. Create it with New and end it
// with Close.
type Client struct {
	cfg Config
	url string
	log *slog.Logger

	q    queue
	kick chan struct{} // wakes the dispatcher
	work chan *batch   // memory mode: dispatcher -> workers

	ob      *outbox.Outbox // nil without an outbox
	backlog obBacklog
	dsender *sender // the dispatcher's, to write the outbox

	limiter    *rate.Limiter
	pauseUntil atomic.Int64 // unix nanos before which no request is sent
	noGzip     atomic.Bool  // set after a 415

	runCtx   context.Context // canceled when Close gives up
	cancel   context.CancelFunc
	closedCh chan struct{} // closed when Close starts
	stopCh   chan struct{} // tells the dispatcher to drain and exit

	flushReq atomic.Int32
	closing  atomic.Bool

	dispatchDone chan struct{}
	workersWG    sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	st    counters
	clock *clock
}

// wallNow is the time for everything but Capture.
func (c *Client) wallNow() time.Time {
	if c.cfg.now != nil {
		return c.cfg.now()
	}
	return time.Now()
}

// batch is a group of events on its way. In memory mode it holds the
// events; in outbox mode, once written, the entry of its file.
type batch struct {
	events []batched
	minSeq uint64
	n      int
	entry  outbox.Entry
}

var batchPool = sync.Pool{New: func() any { return new(batch) }}

// New checks cfg, fills in its defaults and starts the client's goroutines.
// With Config.OutboxDir set, it opens the outbox and schedules what an
// earlier process left there for sending.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:          cfg,
		url:          cfg.Endpoint + wire.BatchPath,
		log:          cfg.Logger,
		kick:         make(chan struct{}, 1),
		work:         make(chan *batch),
		closedCh:     make(chan struct{}),
		stopCh:       make(chan struct{}),
		dispatchDone: make(chan struct{}),
	}
	c.q.init(cfg.QueueEvents, cfg.QueueBytes)
	c.backlog.init()
	if cfg.RateLimit > 0 {
		burst := cfg.BatchEvents
		if int(cfg.RateLimit) > burst {
			burst = int(cfg.RateLimit)
		}
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), burst)
	}
	if cfg.OutboxDir != "" {
		ob, entries, err := outbox.Open(cfg.OutboxDir)
		if err != nil {
			return nil, fmt.Errorf("sdk: open outbox: %w", err)
		}
		c.ob = ob
		c.dsender = newSender(c)
		c.loadOutbox(entries)
	}
	c.runCtx, c.cancel = context.WithCancel(context.Background())
	c.clock = newClock()
	go c.clock.run()
	go c.dispatchLoop()
	c.workersWG.Add(cfg.Workers)
	for range cfg.Workers {
		go c.workerLoop()
	}
	return c, nil
}

// Capture validates e, gives it an id (unless it has one) and the current
// time (unless At set one), and queues it for delivery. It never blocks and
// never does I/O. It returns a *FieldError for an invalid event,
// ErrQueueFull when the queue is full and the policy refuses the event,
// and ErrClosed after Close.
func (c *Client) Capture(e Event) error {
	//lint:ignore SA1012 a nil ctx is how capture knows it must never block
	return c.capture(nil, &e)
}

// CaptureContext is Capture, except that under the Block policy it waits
// for room in the queue until ctx is done, and then returns an error
// wrapping both ErrQueueFull and ctx.Err().
func (c *Client) CaptureContext(ctx context.Context, e Event) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return c.capture(ctx, &e)
}

func (c *Client) capture(ctx context.Context, e *Event) error {
	if c.closing.Load() {
		return ErrClosed
	}
	var now time.Time
	if c.cfg.now != nil {
		now = c.cfg.now()
	} else {
		now = c.clock.now()
	}
	timed := !e.at.IsZero()
	if !timed {
		e.at = now
	}
	// An event without an id gets one when the dispatcher takes it into a
	// batch (assignIDs): making a UUIDv7 costs about a quarter of Capture,
	// and off the caller's goroutine it runs on another core. The queue is
	// FIFO and one goroutine dispatches, so ids still increase in capture
	// order.
	if err := c.validate(e, now, timed); err != nil {
		c.st.invalid.Add(1)
		return err
	}
	e.size = int32(e.estimateSize())
	return c.enqueue(ctx, e)
}

// validate checks e by wire's rules; timed says whether the caller set its
// time (a time Capture set cannot lie in the future).
//
// An event without the rarely set fields (Event.x) is checked field by
// field with wire's checks, in the order of wire.Event.Check: that takes
// about half the time of building its wire form and checking that, which
// is what happens to the others. TestValidateAgrees and
// FuzzValidateAgrees hold the two paths to the same answers.
func (c *Client) validate(e *Event, now time.Time, timed bool) error {
	l := &c.cfg.Limits
	if e.x != nil {
		return e.checkWire(l, now)
	}
	// A kind with a scale is a kind of the protocol; CheckKind judges the
	// others (a call less for the rated kinds, most events).
	def, rated := e.kind.DefaultScale()
	if !rated {
		if _, _, err := wire.CheckKind(e.kind); err != nil {
			return err
		}
	}
	if err := wire.CheckTouchpoint(e.touchpoint, l.MaxNameBytes); err != nil {
		return err
	}
	if err := wire.CheckChannel(e.channel); err != nil {
		return err
	}
	if err := wire.CheckName("anonymous_id", e.anonID, l.MaxNameBytes); err != nil {
		return err
	}
	if err := wire.CheckName("user_id", e.userID, l.MaxNameBytes); err != nil {
		return err
	}
	if err := wire.CheckName("session_id", e.sessionID, l.MaxNameBytes); err != nil {
		return err
	}
	detail := own(e.kind)
	switch detail {
	case ownEmoji:
		if err := wire.CheckName("emoji", e.detail, l.MaxNameBytes); err != nil {
			return err
		}
	case ownTarget:
		if err := wire.CheckName("target", e.detail, l.MaxNameBytes); err != nil {
			return err
		}
	}
	if timed {
		if err := wire.CheckOccurredAt(e.at, now, l.MaxFuture); err != nil {
			return err
		}
	}
	var v *float64
	if e.hasValue {
		v = &e.value
	}
	if err := wire.CheckValue(e.kind, v, def, rated); err != nil {
		return err
	}
	if detail == ownText {
		return wire.CheckText(e.kind, e.detail, l.MaxTextBytes)
	}
	return nil
}

// checkWire checks e in its wire form with wire.Event.Check, as Capture
// sees it: no id made yet (the placeholder stands in).
func (e *Event) checkWire(l *wire.Limits, now time.Time) error {
	var w wire.Event
	e.fill(&w)
	if w.ID == "" {
		w.ID = placeholderID
	}
	if e.hasValue {
		w.Value = num(e.value) // not &e.value: e would escape to the heap
	}
	return w.Check(l, now)
}

func (c *Client) enqueue(ctx context.Context, e *Event) error {
	q := &c.q
	evicted := 0
	q.mu.Lock()
	for !q.fits(int(e.size)) {
		switch {
		case c.cfg.Policy == DropOldest && q.n > 0:
			var old Event
			q.popOne(&old)
			evicted++
			continue
		case c.cfg.Policy == Block && ctx != nil:
			ch := q.space
			if ch == nil {
				ch = make(chan struct{})
				q.space = ch
			}
			q.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				c.drop(ReasonQueueFull, 1, ctx.Err())
				return errors.Join(ErrQueueFull, ctx.Err())
			case <-c.closedCh:
				return ErrClosed
			}
			q.mu.Lock()
			continue
		}
		q.mu.Unlock()
		c.drop(ReasonQueueFull, 1, nil)
		return ErrQueueFull
	}
	q.push(e)
	n := q.n
	q.mu.Unlock()
	if evicted > 0 {
		c.drop(ReasonEvicted, evicted, nil)
	}
	if n >= c.cfg.BatchEvents {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

func (c *Client) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// drop counts n events dropped for reason and reports them.
func (c *Client) drop(reason DropReason, n int, err error) {
	if n <= 0 {
		return
	}
	c.st.drops[reasonIndex(reason)].Add(uint64(n))
	if reason != ReasonQueueFull && reason != ReasonEvicted {
		c.log.Warn("rastro: events dropped", "reason", string(reason), "events", n, "err", err)
	}
	if c.cfg.OnResult != nil {
		c.cfg.OnResult(Result{Dropped: n, Reason: reason, Err: err})
	}
}

// Flush sends every event captured before the call and waits until each is
// delivered, rejected or dropped, or until ctx is done. In outbox mode it
// waits for delivery too; see Sync for durability only.
func (c *Client) Flush(ctx context.Context) error {
	if c.closing.Load() {
		return ErrClosed
	}
	return c.waitSettled(ctx, false)
}

// Sync writes every event captured before the call to the outbox and
// fsyncs it, without waiting for delivery. When Sync returns nil, those
// events survive a crash. Without an outbox it is Flush.
func (c *Client) Sync(ctx context.Context) error {
	if c.ob == nil {
		return c.Flush(ctx)
	}
	if c.closing.Load() {
		return ErrClosed
	}
	return c.waitSettled(ctx, true)
}

func (c *Client) waitSettled(ctx context.Context, durableOnly bool) error {
	c.q.mu.Lock()
	w := c.q.pushed
	c.q.mu.Unlock()
	c.flushReq.Add(1)
	defer c.flushReq.Add(-1)
	c.wake()
	for {
		c.q.mu.Lock()
		done := c.q.settledBefore(w, durableOnly)
		ch := c.q.progressCh()
		c.q.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.dispatchDone:
			c.q.mu.Lock()
			done := c.q.settledBefore(w, durableOnly)
			c.q.mu.Unlock()
			if done {
				return nil
			}
			return ErrClosed
		}
	}
}

// CloseError is returned by Close when not every captured event was
// delivered. Stats holds the client's final counts.
type CloseError struct {
	Stats Stats
	// Err is the context's error when Close ran out of time, or nil.
	Err error
}

func (e *CloseError) Error() string {
	s := e.Stats
	msg := fmt.Sprintf("sdk: close: %d delivered, %d rejected, %d dropped (%s), %d left in outbox",
		s.Sent, s.Rejected, s.Dropped.Total(), s.Dropped, s.Outbox)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *CloseError) Unwrap() error { return e.Err }

// Close stops accepting events, sends what is queued and retries until
// every event is delivered or ctx is done, whichever comes first; it never
// waits past ctx. Events still undelivered then are dropped and counted
// (ReasonShutdown), or, with an outbox, kept on disk for the next start.
// Close returns nil when nothing was lost, else a *CloseError with the
// exact counts. It is idempotent: later calls return the first result.
func (c *Client) Close(ctx context.Context) error {
	c.closeOnce.Do(func() { c.closeErr = c.close(ctx) })
	return c.closeErr
}

func (c *Client) close(ctx context.Context) error {
	c.closing.Store(true)
	close(c.closedCh)
	close(c.stopCh)
	done := make(chan struct{})
	go func() {
		<-c.dispatchDone
		c.workersWG.Wait()
		close(done)
	}()
	var ctxErr error
	select {
	case <-done:
	case <-ctx.Done():
		ctxErr = ctx.Err()
		c.cancel()
		<-done // prompt: every wait selects on runCtx
	}
	c.cancel()
	c.clock.stop()
	if c.cfg.HTTPClient != nil {
		c.cfg.HTTPClient.CloseIdleConnections()
	}
	s := c.Stats()
	lost := s.Dropped.Total() - s.Dropped.QueueFull
	c.log.Info("rastro: client closed", "captured", s.Captured, "delivered", s.Sent, "rejected", s.Rejected,
		"dropped", s.Dropped.Total(), "drops", s.Dropped.String(), "outbox", s.Outbox)
	if ctxErr != nil || lost > 0 || s.Outbox > 0 || s.Rejected > 0 {
		return &CloseError{Stats: s, Err: ctxErr}
	}
	return nil
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	c.q.mu.Lock()
	s := Stats{
		Captured:    c.q.pushed,
		Queued:      c.q.n,
		QueuedBytes: c.q.bytes,
		InFlight:    c.q.inflightEvents,
		Outbox:      c.q.outboxEvents,
		OutboxBytes: c.q.outboxBytes,
	}
	c.q.mu.Unlock()
	s.Invalid = c.st.invalid.Load()
	s.Sent = c.st.sent.Load()
	s.Duplicates = c.st.dups.Load()
	s.Rejected = c.st.rejected.Load()
	s.Retried = c.st.retried.Load()
	s.Batches = c.st.batches.Load()
	s.Dropped = c.st.drops_()
	return s
}

// dispatchLoop moves events from the queue into batches: when a batch is
// full, every FlushInterval, on Flush and on Close.
func (c *Client) dispatchLoop() {
	defer close(c.dispatchDone)
	t := time.NewTicker(c.cfg.FlushInterval)
	defer t.Stop()
	for {
		force := false
		select {
		case <-c.kick:
		case <-t.C:
			force = true
			c.expireOutbox()
		case <-c.stopCh:
			c.dispatch(true)
			close(c.work)
			c.backlog.close()
			return
		}
		c.dispatch(force || c.flushReq.Load() > 0)
	}
}

// dispatch pops full batches, or with force everything queued now, and
// hands them on.
func (c *Client) dispatch(force bool) {
	// A forced flush sends what was queued when it began, so steady
	// captures cannot keep it going; otherwise every full batch leaves,
	// also those filled while this runs (their kick may have been
	// coalesced with the one that woke us).
	limit := uint64(math.MaxUint64)
	if force {
		c.q.mu.Lock()
		limit = c.q.pushed
		c.q.mu.Unlock()
	}
	for {
		b := batchPool.Get().(*batch)
		c.q.mu.Lock()
		if c.q.n == 0 || c.q.popped >= limit || (!force && c.q.n < c.cfg.BatchEvents) {
			c.q.mu.Unlock()
			batchPool.Put(b)
			return
		}
		c.q.popBatch(b, c.cfg.BatchEvents, limit)
		c.q.mu.Unlock()
		assignIDs(b.events)
		if c.ob != nil {
			c.persist(b)
			continue
		}
		select {
		case c.work <- b:
		case <-c.runCtx.Done():
			c.drop(ReasonShutdown, b.n, c.runCtx.Err())
			c.settle(b)
		}
	}
}

// assignIDs gives each event captured without an id a UUIDv7 for the time
// it is batched, before anything encodes, persists or sends it.
func assignIDs(events []batched) {
	var now time.Time
	for i := range events {
		e := &events[i]
		if e.id() != "" || e.hasUID {
			continue
		}
		if now.IsZero() {
			now = time.Now()
		}
		e.uid = wire.NewUUIDAt(now)
		e.hasUID = true
	}
}

// settle forgets a finished batch and wakes Flush.
func (c *Client) settle(b *batch) {
	c.q.mu.Lock()
	if _, ok := c.q.inflight[b]; ok {
		delete(c.q.inflight, b)
		if b.entry.Name != "" {
			c.q.outboxEvents -= b.n
			c.q.outboxBytes -= b.entry.Bytes
		} else {
			c.q.inflightEvents -= b.n
		}
	}
	c.q.notify()
	c.q.mu.Unlock()
	clear(b.events)
	*b = batch{events: b.events[:0]}
	batchPool.Put(b)
}

func (c *Client) workerLoop() {
	defer c.workersWG.Done()
	s := newSender(c)
	for {
		var b *batch
		if c.ob != nil {
			var ok bool
			if b, ok = c.backlog.next(c.runCtx); !ok {
				return
			}
			s.sendFile(b)
			continue
		}
		b, ok := <-c.work
		if !ok {
			return
		}
		s.sendEvents(b)
	}
}
