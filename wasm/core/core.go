package core

import (
	"strconv"

	"github.com/rastrohq/rastro/sdk/wire"
)

// SDKName and SDKVersion name the widget in every batch.
const (
	SDKName    = "rastro-web"
	SDKVersion = "0.1.0"
)

// Core is the widget's state apart from the page: who the visitor is, the
// options of init, and the queue of encoded events. The wasm main feeds it
// calls and sends what it hands out; nothing in Core touches the DOM or
// the network, so it runs under wazero in tests.
type Core struct {
	Key, Endpoint string
	Lang          string
	Channel       string
	Journey       string
	AnonymousID   string
	UserID        string
	SessionID     string
	// URL, Referrer and UserAgent fill each event's context.
	URL, Referrer, UserAgent string
	// Consent false stops capture. Defaults to true.
	Consent bool
	// BatchEvents is the batch size that triggers an immediate send.
	// Defaults to 20.
	BatchEvents int
	// FlushInterval is how long, in milliseconds, an event may wait for
	// more to batch with. Defaults to 1000.
	FlushInterval int
	// Queue holds the encoded events not yet acknowledged.
	Queue Queue

	// Now is a seam for tests: the time in Unix milliseconds. Defaults to
	// the platform's clock (Date.now in a browser).
	Now func() int64

	attempt int // failed sends in a row
}

// New returns a Core with defaults filled in.
func New() *Core {
	return &Core{Channel: "web", Consent: true, BatchEvents: 20, FlushInterval: 1000,
		Queue: Queue{MaxEvents: 1000, MaxBytes: 256 << 10}}
}

func (c *Core) now() int64 {
	if c.Now != nil {
		return c.Now()
	}
	return clock()
}

// ID returns a new UUIDv7 for the current time (wire.NewIDAt).
func (c *Core) ID() string { return wire.NewIDAt(wire.UnixMilli(c.now())) }

// MaxBeaconBytes keeps one beacon under the browsers' 64 KiB limit for
// sendBeacon and keepalive fetches.
const MaxBeaconBytes = 63 << 10

// Batch returns the body of the next batch: the first events, up to
// BatchEvents of them and MaxBeaconBytes, marked in flight. n is how many
// it took; nil when nothing is waiting or a batch is already in flight.
func (c *Core) Batch() (body []byte, n int) {
	items := c.Queue.Take(c.BatchEvents, MaxBeaconBytes-batchOverhead)
	if len(items) == 0 {
		return nil, 0
	}
	return AppendBatch(nil, c.now(), items), len(items)
}

// Beacons returns every queued event (in flight or not) as batches of at
// most MaxBeaconBytes each, for navigator.sendBeacon when the page goes
// away. The events stay queued (and stored) until a fetch acknowledges
// them: a beacon's fate is unknown, and the event ids make a resend safe.
func (c *Core) Beacons() [][]byte {
	var out [][]byte
	items := c.Queue.items
	for len(items) > 0 {
		size, k := batchOverhead, 0
		for k < len(items) && k < 500 && (k == 0 || size+len(items[k])+1 <= MaxBeaconBytes) {
			size += len(items[k]) + 1
			k++
		}
		out = append(out, AppendBatch(nil, c.now(), items[:k]))
		items = items[k:]
	}
	return out
}

// Done reports the answer to the batch in flight. status 0 means a network
// error. It returns how long to wait before the next send: 0 when the
// batch was taken (acknowledged or refused for good), else the backoff.
// rnd is a random number for the jitter. wait is in milliseconds.
func (c *Core) Done(status int, retryAfter string, rnd uint64) (wait int64, warn string) {
	if status == 200 || (status >= 400 && !Retryable(status)) {
		n := c.Queue.InFlight()
		c.Queue.Ack()
		c.attempt = 0
		if status != 200 {
			return 0, "rastro: the collector refused " + strconv.Itoa(n) + " events with status " + strconv.Itoa(status) + "; they are dropped"
		}
		return 0, ""
	}
	c.Queue.Nack()
	c.attempt++
	return Backoff(c.attempt, retryAfter, c.now(), rnd), ""
}

// ResetBackoff forgets failed sends, e.g. when the browser comes back
// online.
func (c *Core) ResetBackoff() { c.attempt = 0 }
