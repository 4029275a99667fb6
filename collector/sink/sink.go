package sink

import (
	"context"
	"fmt"

	"github.com/rastrohq/rastro/collector/store"
)

// Sink hands traces to a distributed engine.
type Sink interface {
	// Name names the sink: the outbox queue it drains and the sink label of
	// its metrics.
	Name() string
	// Publish sends every entry of batch. It returns nil only when the
	// engine has durably acknowledged every entry (a JetStream PubAck, a
	// Kafka produce acknowledgement from all in-sync replicas); on error
	// some entries may have been delivered, and the caller sends the whole
	// batch again, which the trace id carried along lets the engine or the
	// consumer dedupe.
	Publish(ctx context.Context, batch []store.Pending) error
	// Close releases the sink's connections. It is idempotent.
	Close() error
}

// Mode is the CloudEvents content mode in which a sink sends traces.
type Mode string

// The content modes. The zero value is Structured.
const (
	// Structured sends the stored CloudEvents JSON as the message body
	// with the content type application/cloudevents+json.
	Structured Mode = "structured"
	// Binary sends the trace's data as the message body and every other
	// CloudEvents attribute as a message header, as the protocol binding
	// of the engine says.
	Binary Mode = "binary"
)

// ParseMode returns the Mode named s; "" is Structured.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", Structured:
		return Structured, nil
	case Binary:
		return Binary, nil
	}
	return "", fmt.Errorf("sink: unknown content mode %q (want structured or binary)", s)
}
