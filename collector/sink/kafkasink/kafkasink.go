package kafkasink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/store"
)

// Key says what a record's key is, and so which partition it goes to.
type Key string

// The record keys.
const (
	// KeyTouchpoint keys records by touchpoint: the traces of one
	// touchpoint stay in order on one partition.
	KeyTouchpoint Key = "touchpoint"
	// KeyUser keys records by user id, or by anonymous id for traces
	// without one: a customer's traces stay in order on one partition.
	// Traces with neither have no key and are spread over partitions.
	KeyUser Key = "user"
)

// TraceIDHeader is the header that carries the trace id on every record,
// whatever the content mode.
const TraceIDHeader = "rastro-trace-id"

// Config configures a Sink. Brokers is required.
type Config struct {
	// Name names the sink: its outbox queue and metrics label. Defaults
	// to "kafka".
	Name string
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string
	// Topic is the topic the traces go to. It must exist, unless the
	// brokers create topics on first use. Defaults to "rastro.traces".
	Topic string
	// Key is the record key. Defaults to KeyTouchpoint.
	Key Key
	// Mode is the CloudEvents content mode. Defaults to sink.Structured.
	Mode sink.Mode
	// ClientID identifies the producer to the brokers. Defaults to
	// "rastro-collector".
	ClientID string
	// TLS, when set, secures the connections. Defaults to nil: plain TCP.
	TLS *tls.Config
	// SASL, when set, authenticates the connections (franz-go's
	// pkg/sasl/plain, scram, oauth or aws). Defaults to nil: none.
	SASL sasl.Mechanism
}

func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = "kafka"
	}
	if len(c.Brokers) == 0 {
		return c, errors.New("kafkasink: Config.Brokers: at least one broker is required")
	}
	if c.Topic == "" {
		c.Topic = "rastro.traces"
	}
	switch c.Key {
	case "":
		c.Key = KeyTouchpoint
	case KeyTouchpoint, KeyUser:
	default:
		return c, fmt.Errorf("kafkasink: Config.Key %q: want touchpoint or user", string(c.Key))
	}
	mode, err := sink.ParseMode(string(c.Mode))
	if err != nil {
		return c, fmt.Errorf("kafkasink: Config.Mode: %w", err)
	}
	c.Mode = mode
	if c.ClientID == "" {
		c.ClientID = "rastro-collector"
	}
	return c, nil
}

// Sink produces traces to a Kafka topic. It is safe for concurrent use.
type Sink struct {
	cfg Config
	cl  *kgo.Client

	closeOnce sync.Once
}

var _ sink.Sink = (*Sink)(nil)

// New returns a sink producing to cfg.Brokers. It does not wait for a
// broker to answer: a cluster that is down makes Publish fail until it is
// up.
func New(cfg Config) (*Sink, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.DefaultProduceTopic(cfg.Topic),
		// The defaults, said out loud: idempotent writes (never disabled
		// here), acknowledged by every in-sync replica, records with a key
		// hashed to a partition as the Java client does.
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		// Without it a record in flight to a broker that stopped answering
		// holds Publish past its context, without end: the forwarder would
		// neither count the failure nor retry. With it, the context fails
		// the record; the retried batch may then store it twice, which the
		// trace id lets consumers dedupe, as for any retried batch.
		kgo.AllowIdempotentProduceCancellation(),
	}
	if cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg.TLS))
	}
	if cfg.SASL != nil {
		opts = append(opts, kgo.SASL(cfg.SASL))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkasink: %w", err)
	}
	return &Sink{cfg: cfg, cl: cl}, nil
}

// Name returns Config.Name.
func (s *Sink) Name() string { return s.cfg.Name }

// Publish produces every trace of batch and waits until the brokers have
// acknowledged all of them. Any failure fails the call; the forwarder then
// produces the whole batch again, so consumers may see a trace twice and
// dedupe on the rastro-trace-id header (ce_id in binary mode, the id of
// the CloudEvents body in structured mode). When ctx ends first, the
// client fails the records not yet acknowledged, in flight ones included,
// at its next safe point, and Publish returns: with the brokers
// unreachable, measured here, some 6s after ctx ended.
func (s *Sink) Publish(ctx context.Context, batch []store.Pending) error {
	if len(batch) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, len(batch))
	for i := range batch {
		r, err := s.record(&batch[i])
		if err != nil {
			return err
		}
		recs[i] = r
	}
	for _, res := range s.cl.ProduceSync(ctx, recs...) {
		if res.Err != nil {
			return fmt.Errorf("kafkasink: producing trace %q to %s: %w",
				batch[indexOf(recs, res.Record)].Trace.ID, s.cfg.Topic, res.Err)
		}
	}
	return nil
}

func indexOf(recs []*kgo.Record, r *kgo.Record) int {
	for i := range recs {
		if recs[i] == r {
			return i
		}
	}
	return 0
}

// record builds the Kafka record of p.
func (s *Sink) record(p *store.Pending) (*kgo.Record, error) {
	m, err := sink.Encode(sink.Kafka, s.cfg.Mode, p)
	if err != nil {
		return nil, fmt.Errorf("kafkasink: %w", err)
	}
	hs := make([]kgo.RecordHeader, 0, len(m.Headers)+1)
	hs = append(hs, kgo.RecordHeader{Key: TraceIDHeader, Value: []byte(p.Trace.ID)})
	for _, h := range m.Headers {
		hs = append(hs, kgo.RecordHeader{Key: h.Key, Value: []byte(h.Value)})
	}
	return &kgo.Record{Topic: s.cfg.Topic, Key: s.key(p), Value: m.Value, Headers: hs}, nil
}

func (s *Sink) key(p *store.Pending) []byte {
	d := &p.Trace.Data
	switch s.cfg.Key {
	case KeyUser:
		switch {
		case d.UserID != "":
			return []byte(d.UserID)
		case d.AnonymousID != "":
			return []byte(d.AnonymousID)
		}
		return nil
	default:
		return []byte(d.Touchpoint)
	}
}

// Close flushes nothing (Publish waits for its records) and closes the
// client. It is idempotent.
func (s *Sink) Close() error {
	s.closeOnce.Do(s.cl.Close)
	return nil
}
