// Package sink hands stored traces to distributed engines (NATS
// JetStream in sink/natssink, Kafka in sink/kafkasink) without stalling
// ingest and without losing a trace that was acknowledged to its sender.
//
// # The outbox
//
// The store is the durable hand-off: a store that implements
// [store.Outbox] queues every new trace for each configured sink in the
// transaction that stores it. A [Forwarder] per sink drains that queue:
//
//	fw, err := sink.NewForwarder(db, natsSink, sink.ForwarderConfig{})
//	...
//	go fw.Run(ctx)          // claim -> Publish -> Done, until ctx ends
//	registry.MustRegister(fw)
//	// after each Append that stored new traces:
//	fw.Kick()
//
// A sink that is down only makes its queue grow (rastro_sink_backlog); the
// forwarder retries with exponential backoff and jitter, from
// ForwarderConfig.MinBackoff up to MaxBackoff, and never gives up while
// it runs. Failures are logged at most once per ForwarderConfig.LogEvery.
//
// # Guarantees
//
// Delivery is at least once. An entry leaves the queue only after the
// engine has durably acknowledged it ([Sink.Publish] returned nil); a
// batch that failed is published again whole, and a batch claimed by a
// forwarder that crashed is claimed again when its lease ends (and a
// batch still being retried when its lease ends may be claimed by
// another collector sharing the store: both deliver it). Every
// message carries the trace id (Nats-Msg-Id for JetStream's duplicate
// window, a Kafka header) so that the engine or the consumer drops the
// repeats. Order follows the queue within a batch; retries can reorder
// across batches.
//
// A trace that an engine refuses for good (larger than its message
// limit, say) is retried without end and holds back its sink's queue: it
// shows as a backlog that does not shrink, a growing
// rastro_sink_failures_total and a stale
// rastro_sink_last_success_timestamp_seconds.
//
// # CloudEvents
//
// A stored trace is a CloudEvents 1.0 event in the JSON format. In
// [Structured] mode (the default) the message body is that stored JSON,
// byte for byte, with the content type [StructuredContentType]. In
// [Binary] mode the body is the trace's data and each context attribute
// is a header, as the protocol binding of the engine says ([Kafka]:
// ce_id, ce_source, ..., content-type; [NATS]: ce-id, ce-source, ...,
// percent-encoded). [Encode] builds both from the stored body, so the
// two modes carry the same values.
//
// # Metrics
//
// A Forwarder is a prometheus.Collector of, each labelled sink:
//
//	rastro_sink_backlog                          traces queued, not yet acknowledged
//	rastro_sink_published_total                  traces acknowledged by the engine
//	rastro_sink_failures_total                   failed attempts (claim, publish, done)
//	rastro_sink_publish_seconds                  histogram of one batch's publish
//	rastro_sink_last_success_timestamp_seconds   last delivered batch or empty queue
package sink
