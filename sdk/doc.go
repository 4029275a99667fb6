// Package sdk is the Go SDK of Rastro: it captures the traces customers
// leave at your touchpoints (a click, a star, an emoji, a thumbs up, an NPS,
// CSAT or CES answer, a comment, an internal QA score) and delivers them to
// a Rastro collector in the background.
//
// # Quick start
//
//	c, err := sdk.New(sdk.Config{Endpoint: "http://127.0.0.1:4380", WriteKey: "wk_demo"})
//	if err != nil {
//		return err
//	}
//	defer c.Close(ctx) // flushes; never waits past ctx
//
//	err = c.Capture(sdk.Star("checkout.payment", 4).User("u-42").Channel(sdk.Web))
//
// # Events
//
// Each kind has a constructor: [Click], [Star], [Emoji], [Thumbs], [NPS],
// [CSAT], [CES], [Comment] and [QA]. Chainable methods add the rest
// ([Event.User], [Event.Session], [Event.Agent], [Event.Journey],
// [Event.Channel], [Event.Text], [Event.Prop], ...). An [Event] is a value:
// keep one as a template and derive others from it. The constructors and
// the methods for the fields most events set (User, Anonymous, Session,
// Channel, At) allocate nothing; each call of a method for a rarer field
// (ID, Journey, Agent, Interaction, Lang, Scale, Context, URL, Prop, and
// Text or Target on a kind they are not the point of) allocates once.
//
// # Capture
//
// [Client.Capture] validates the event with the same rules and limits as the
// collector ([wire.Event.Validate]) and returns a [*FieldError] naming the
// bad field, so mistakes show up at once in your tests:
//
//	var fe *sdk.FieldError
//	if errors.As(err, &fe) {
//		log.Printf("bad %s: %s", fe.Field, fe.Reason)
//	}
//
// It then gives the event the current time, unless the event has one, and
// queues it; an event without an id gets a UUIDv7 when it is taken into a
// batch, in capture order. Capture never blocks and never does I/O; it costs
// about as much as a map lookup and allocates nothing.
//
// # Queue and delivery
//
// The queue is bounded by events and bytes ([Config.QueueEvents],
// [Config.QueueBytes]). When it is full, [Config.Policy] decides: drop the
// new event ([DropNewest], the default), evict the oldest ([DropOldest]), or
// wait for room ([Block], with [Client.CaptureContext]). Every drop is
// counted by reason in [Client.Stats].
//
// A pool of [Config.Workers] sends batches of up to [Config.BatchEvents]
// events, gzip-compressed and split to fit the batch byte limit (and split
// again if the collector answers 413), paced by [Config.RateLimit]. Network
// errors, 408, 429 and 5xx are retried with exponential backoff and jitter;
// a 429 or 503 with Retry-After pauses the whole client. A batch refused with
// another 4xx is dropped, never retried; events the collector rejects one by
// one are reported, never resent. [Config.OnResult] hears about each batch and
// each drop, and [Config.Logger] receives the client's log.
//
// # Flush and Close
//
// [Client.Flush] waits until every event captured before it is delivered or
// dropped. [Client.Close] stops capture, keeps retrying until its context
// ends, then reports the exact counts: it returns nil when nothing was lost,
// else a [*CloseError] whose Stats say how many events were delivered,
// rejected and dropped.
//
// # Durable outbox
//
// With [Config.OutboxDir] set, batches are written to files there and
// deleted only when the collector has answered them, so events survive a
// crash or a long outage and are sent by the next client that opens the
// directory. The outbox is bounded by [Config.OutboxMaxBytes] and
// [Config.OutboxMaxAge].
//
// The fsync point: an event is durable once the batch holding it has been
// written, fsynced and renamed into the outbox. The client does that at the
// latest [Config.FlushInterval] after Capture (when the dispatcher wakes),
// at once when a batch fills, and for every event captured so far when
// [Client.Sync], [Client.Flush] or [Client.Close] is called. A crash loses at
// most the events captured since the last such point; call Sync after
// events you cannot afford to lose.
package sdk
