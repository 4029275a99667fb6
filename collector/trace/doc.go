// Package trace is the one definition of Rastro's common trace format v1:
// what the collector stores, answers queries with and hands to sinks.
//
// A [Trace] is a CloudEvents 1.0 event in structured-mode JSON, so any
// CloudEvents-aware consumer can read it. Its data is the normalized trace:
// who, where, the raw rating and one comparable satisfaction score in [0,1].
// The JSON Schema of the format ships as schema.json in this package
// ([Schema]) and is tested against real output.
//
// Consumers of a sink (NATS, Kafka, NDJSON export) may import this package
// to decode traces; it depends only on the wire package and easyjson.
package trace
