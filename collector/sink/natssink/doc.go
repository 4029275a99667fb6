// Package natssink is the NATS JetStream sink: it publishes each trace to
// a stream, on a subject per kind and touchpoint, and reports success
// only once JetStream has stored every trace of a batch.
//
// # Use
//
//	s, err := natssink.New(natssink.Config{
//		URLs:         []string{"nats://10.0.0.5:4222"},
//		CreateStream: true, // RASTRO_TRACES on rastro.traces.>, 2m duplicate window
//	})
//	...
//	fw, err := sink.NewForwarder(db, s, sink.ForwarderConfig{})
//	go fw.Run(ctx)
//
// # Subjects
//
// A trace goes to <SubjectPrefix>.<kind>.<touchpoint>, for instance
// rastro.traces.csat.checkout. The touchpoint is one subject token (see
// [Token]): '.', '*', '>' and whitespace become '_', so "app.settings"
// is rastro.traces.star.app_settings. Consumers filter with
// rastro.traces.nps.* (every touchpoint of a kind) or
// rastro.traces.*.checkout (every kind of a touchpoint).
//
// # Messages
//
// Every message carries the header Nats-Msg-Id with the trace id: a
// trace published again within the stream's duplicate window (a retried
// batch, another collector's retry) is stored once. It also carries
// Nats-Expected-Stream, so that a subject captured by another stream is
// refused instead of landing there. The body and the other headers follow
// the CloudEvents NATS protocol binding in the configured mode:
// structured (default), the stored CloudEvents JSON with Content-Type
// application/cloudevents+json; binary, the trace's data as the body and
// ce-specversion, ce-id, ce-source, ce-type, ce-time, ce-datacontenttype
// and ce-dataschema headers, percent-encoded.
//
// # Guarantees
//
// Publish sends a batch with asynchronous publishes, at most
// Config.MaxPending awaiting acknowledgement at once, then waits for every
// acknowledgement (a stored message, or a duplicate of one). Any refusal,
// disconnect or timeout (Config.AckTimeout) fails the whole batch, which
// the forwarder publishes again. A failed Publish may still have stored
// some of its messages (acknowledgements lost, or messages the client kept
// while disconnected and sent on reconnect): the retry's copies are
// dropped by the duplicate window when they come within it, which holds
// for any retry but those after an outage longer than the window (2m by
// default; the server keeps the window across its restarts). Beyond it a
// trace may be stored twice, and consumers dedupe on Nats-Msg-Id.
//
// A server that is unreachable at New is not an error: the connection
// keeps retrying and Publish fails until it is up. The stream is looked up
// (and created) at the first Publish that reaches the server.
package natssink
