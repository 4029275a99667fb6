// Package kafkasink is the Kafka sink: it produces each trace as a record
// of one topic, with an idempotent producer, and reports success only once
// every in-sync replica has the whole batch.
//
// # Use
//
//	s, err := kafkasink.New(kafkasink.Config{
//		Brokers: []string{"10.0.0.7:9092"},
//		Topic:   "rastro.traces", // the default
//		Key:     kafkasink.KeyUser,
//	})
//	...
//	fw, err := sink.NewForwarder(db, s, sink.ForwarderConfig{})
//	go fw.Run(ctx)
//
// # Records
//
// The key is the touchpoint (the default) or the user id (Config.Key), and
// the partition is the key's murmur2 hash, as the Java client computes it,
// so the traces of one key keep their order on one partition. Every record
// has the header rastro-trace-id with the trace id. The value and the other
// headers follow the CloudEvents Kafka protocol binding in the configured
// mode: structured (default), the stored CloudEvents JSON with
// content-type application/cloudevents+json; binary, the trace's data as
// the value, content-type set to its datacontenttype, and ce_specversion,
// ce_id, ce_source, ce_type, ce_time and ce_dataschema headers.
//
// # Guarantees
//
// The producer is idempotent and waits for acks from all in-sync replicas
// (acks=all), so the brokers drop the copies of a request the client sends
// again itself. Publish produces the batch and waits for every record's
// acknowledgement; a failure fails the whole batch, which the forwarder
// produces again: a trace may then reach the topic twice, and consumers
// dedupe on rastro-trace-id. Publish honours its context even for records
// in flight to a broker that stopped answering (franz-go's
// AllowIdempotentProduceCancellation): without that, one silent broker
// would hold the forwarder without end, its failure neither counted nor
// retried; the price is the same possible copy as any retry's. The sink
// creates no topic.
package kafkasink
