package sdk

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rastrohq/rastro/sdk/wire"
)

// Policy says what Capture does when the queue is full.
type Policy int

const (
	// DropNewest refuses the new event: Capture returns ErrQueueFull and
	// counts it in Stats.Dropped.QueueFull. The default.
	DropNewest Policy = iota
	// DropOldest evicts the oldest queued event to make room, counted in
	// Stats.Dropped.Evicted.
	DropOldest
	// Block makes CaptureContext wait for room until its context is done.
	// Capture itself never blocks: under Block it behaves as DropNewest.
	Block
)

func (p Policy) String() string {
	switch p {
	case DropNewest:
		return "drop_newest"
	case DropOldest:
		return "drop_oldest"
	case Block:
		return "block"
	}
	return "unknown"
}

// Compression says how batch bodies are encoded on the wire.
type Compression int

const (
	// Gzip compresses every body with gzip at BestSpeed. The default.
	Gzip Compression = iota
	// NoCompression sends plain JSON, which costs less CPU on both sides
	// when the collector is on the same host or network.
	NoCompression
)

// Result describes what became of one batch, or of events dropped without a
// batch. It is passed to Config.OnResult.
type Result struct {
	// Delivered counts the events the collector acknowledged (stored or
	// already stored).
	Delivered int
	// Duplicates counts the delivered events the collector already had.
	Duplicates int
	// Rejected lists the events the collector refused as invalid; they are
	// never sent again.
	Rejected []wire.Rejection
	// Dropped counts the events given up without delivery, for Reason.
	Dropped int
	// Reason says why events were dropped; empty when none were.
	Reason DropReason
	// Err is the error that caused the drop or the last retry, if any.
	Err error
}

// Config configures a Client. Its zero value, with Endpoint and WriteKey
// set, is a good default.
type Config struct {
	// Endpoint is the collector's base URL, e.g. "http://127.0.0.1:4380".
	// Batches go to Endpoint + "/v1/batch". Required.
	Endpoint string
	// WriteKey is the public write key sent as "Authorization: Bearer".
	// Required.
	WriteKey string

	// QueueEvents bounds the events waiting in memory. Defaults to 10000.
	QueueEvents int
	// QueueBytes bounds the estimated JSON size of the events waiting in
	// memory. Defaults to 8 MiB.
	QueueBytes int
	// Policy says what happens when the queue is full. Defaults to DropNewest.
	Policy Policy

	// BatchEvents is how many events make a batch worth sending at once.
	// Defaults to, and is capped at, Limits.MaxBatchEvents (500).
	BatchEvents int
	// FlushInterval is the longest an event waits in the queue before its
	// batch is sent (or, with an outbox, written to disk). Defaults to 1s.
	FlushInterval time.Duration
	// Workers bounds the batches in flight at once. Defaults to 4.
	Workers int
	// Compression of batch bodies. Defaults to Gzip.
	Compression Compression
	// RateLimit paces sending, in events per second. Defaults to 0, no limit.
	RateLimit float64

	// Timeout bounds one HTTP request. Defaults to 10s.
	Timeout time.Duration
	// RetryInitial is the first backoff delay. Defaults to 100ms.
	RetryInitial time.Duration
	// RetryMax caps one backoff delay. Defaults to 10s.
	RetryMax time.Duration
	// RetryMaxElapsed is how long a batch is retried before it is dropped
	// (or, with an outbox, left on disk for later). Close ignores it and
	// retries until its own context ends. Defaults to 2m.
	RetryMaxElapsed time.Duration
	// MaxPause clamps the Retry-After of a 429 or 503, during which the
	// whole client pauses sending. Defaults to 60s.
	MaxPause time.Duration

	// OutboxDir, when set, makes delivery durable: batches are written to
	// files in this directory, fsynced, and deleted only once the collector
	// has answered them. Events left there by a crash or an outage are sent
	// by the next Client that opens the directory. Defaults to "", memory only.
	OutboxDir string
	// OutboxMaxBytes bounds the outbox on disk; the oldest batches are
	// dropped beyond it. Defaults to 256 MiB.
	OutboxMaxBytes int64
	// OutboxMaxAge drops outbox batches older than this. Defaults to 7 days.
	OutboxMaxAge time.Duration

	// Limits are the event and batch limits, the same as the collector's.
	// Defaults to wire.DefaultLimits().
	Limits wire.Limits
	// HTTPClient sends the batches; Timeout bounds each request on top of
	// its own settings. Defaults to a client with its own transport keeping
	// Workers idle connections.
	HTTPClient *http.Client
	// Logger receives the client's logs. Defaults to slog.Default().
	Logger *slog.Logger
	// OnResult, when set, is called after each batch the collector answered
	// (from a sender goroutine) and for each drop (from the goroutine that
	// dropped: Capture's own for ReasonQueueFull and ReasonEvicted). It must
	// be quick and safe for concurrent use. Defaults to nil.
	OnResult func(Result)
	// SDK names the library in each batch. Defaults to "rastro-go" and the
	// SDK version.
	SDK wire.SDKInfo

	now func() time.Time // test seam; nil means the client's clock
}

// Version is the version of this SDK, sent in every batch.
const Version = "0.1.0"

// ErrConfig is wrapped by New's errors for a bad Config.
var ErrConfig = errors.New("sdk: bad config")

type configError struct{ field, reason string }

func (e *configError) Error() string    { return "sdk: config " + e.field + ": " + e.reason }
func (e *configError) Is(t error) bool  { return t == ErrConfig }
func cfgErr(field, reason string) error { return &configError{field, reason} }

func (c Config) withDefaults() (Config, error) {
	if c.Endpoint == "" {
		return c, cfgErr("Endpoint", "is required")
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, cfgErr("Endpoint", "must be an http(s) URL, got "+c.Endpoint)
	}
	if c.WriteKey == "" {
		return c, cfgErr("WriteKey", "is required")
	}
	c.Endpoint = strings.TrimRight(c.Endpoint, "/")
	c.Limits = limitsWithDefaults(c.Limits)
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt(&c.QueueEvents, 10000)
	defInt(&c.QueueBytes, 8<<20)
	defInt(&c.BatchEvents, c.Limits.MaxBatchEvents)
	if c.BatchEvents > c.Limits.MaxBatchEvents {
		c.BatchEvents = c.Limits.MaxBatchEvents
	}
	defInt(&c.Workers, 4)
	defDur(&c.FlushInterval, time.Second)
	defDur(&c.Timeout, 10*time.Second)
	defDur(&c.RetryInitial, 100*time.Millisecond)
	defDur(&c.RetryMax, 10*time.Second)
	defDur(&c.RetryMaxElapsed, 2*time.Minute)
	defDur(&c.MaxPause, 60*time.Second)
	defDur(&c.OutboxMaxAge, 7*24*time.Hour)
	if c.OutboxMaxBytes <= 0 {
		c.OutboxMaxBytes = 256 << 20
	}
	if c.Policy < DropNewest || c.Policy > Block {
		return c, cfgErr("Policy", "unknown policy")
	}
	if c.RateLimit < 0 {
		return c, cfgErr("RateLimit", "must not be negative")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SDK.Name == "" {
		c.SDK = wire.SDKInfo{Name: "rastro-go", Version: Version}
	}
	if c.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = c.Workers
		t.DisableCompression = true
		c.HTTPClient = &http.Client{Transport: t}
	}
	return c, nil
}

// limitsWithDefaults fills the zero fields of l with wire's defaults.
func limitsWithDefaults(l wire.Limits) wire.Limits {
	d := wire.DefaultLimits()
	for _, f := range [...]struct {
		v *int
		d int
	}{
		{&l.MaxIDBytes, d.MaxIDBytes}, {&l.MaxNameBytes, d.MaxNameBytes}, {&l.MaxTextBytes, d.MaxTextBytes},
		{&l.MaxProps, d.MaxProps}, {&l.MaxPropBytes, d.MaxPropBytes}, {&l.MaxContextBytes, d.MaxContextBytes},
		{&l.MaxBatchEvents, d.MaxBatchEvents}, {&l.MaxBatchBytes, d.MaxBatchBytes},
	} {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	if l.MaxFuture <= 0 {
		l.MaxFuture = d.MaxFuture
	}
	return l
}
