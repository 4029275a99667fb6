package natssink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
)

// Config configures a Sink. The zero value publishes to the stream
// RASTRO_TRACES, which must exist, on a server at nats://127.0.0.1:4222.
type Config struct {
	// Name names the sink: its outbox queue and metrics label. Defaults
	// to "nats".
	Name string
	// URLs are the servers of the cluster. Defaults to
	// nats://127.0.0.1:4222.
	URLs []string
	// Stream is the JetStream stream the traces go to. Defaults to
	// "RASTRO_TRACES".
	Stream string
	// SubjectPrefix starts every subject: a trace goes to
	// <SubjectPrefix>.<kind>.<touchpoint> (see [Token]). Defaults to
	// "rastro.traces".
	SubjectPrefix string
	// CreateStream creates the stream when it does not exist, with file
	// storage, the subjects <SubjectPrefix>.>, the duplicate window
	// Duplicates and Replicas replicas. An existing stream is used as it
	// is. Defaults to false: the stream must exist.
	CreateStream bool
	// Duplicates is the duplicate window of a stream created here: a
	// trace published again within it (a retry) is stored once. Defaults
	// to 2m.
	Duplicates time.Duration
	// Replicas is the replica count of a stream created here. Defaults
	// to 1.
	Replicas int
	// MaxPending bounds the publishes awaiting their acknowledgement;
	// Publish waits (up to AckTimeout) for room beyond it. Defaults to
	// 4096.
	MaxPending int
	// AckTimeout bounds the wait for one publish's acknowledgement.
	// Defaults to 10s.
	AckTimeout time.Duration
	// Mode is the CloudEvents content mode. Defaults to sink.Structured.
	Mode sink.Mode
	// Credentials: at most one of Token, User (with Password) and
	// CredsFile (a .creds file with a user JWT and an nkey seed). All
	// empty by default.
	Token          string
	User, Password string
	CredsFile      string
	// TLS, when set, secures the connection. Defaults to nil: plain TCP,
	// unless a URL says tls://.
	TLS *tls.Config
	// Logger receives the connection's disconnects and reconnects.
	// Defaults to slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = "nats"
	}
	if len(c.URLs) == 0 {
		c.URLs = []string{nats.DefaultURL}
	}
	if c.Stream == "" {
		c.Stream = "RASTRO_TRACES"
	}
	if strings.ContainsAny(c.Stream, " \t\r\n.*>/\\") {
		return c, fmt.Errorf("natssink: Config.Stream %q: a stream name cannot hold whitespace or . * > / \\", c.Stream)
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "rastro.traces"
	}
	for _, tok := range strings.Split(c.SubjectPrefix, ".") {
		if tok == "" || tok != Token(tok) {
			return c, fmt.Errorf("natssink: Config.SubjectPrefix %q is not a subject of literal tokens", c.SubjectPrefix)
		}
	}
	if c.Duplicates < 0 || c.Replicas < 0 || c.MaxPending < 0 || c.AckTimeout < 0 {
		return c, errors.New("natssink: Config: Duplicates, Replicas, MaxPending and AckTimeout cannot be negative")
	}
	if c.Duplicates == 0 {
		c.Duplicates = 2 * time.Minute
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxPending == 0 {
		c.MaxPending = 4096
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = 10 * time.Second
	}
	mode, err := sink.ParseMode(string(c.Mode))
	if err != nil {
		return c, fmt.Errorf("natssink: Config.Mode: %w", err)
	}
	c.Mode = mode
	n := 0
	for _, set := range []bool{c.Token != "", c.User != "", c.CredsFile != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return c, errors.New("natssink: Config: set at most one of Token, User and CredsFile")
	}
	if c.Password != "" && c.User == "" {
		return c, errors.New("natssink: Config.Password needs User")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Sink publishes traces to a JetStream stream. It is safe for concurrent
// use.
type Sink struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream

	mu         sync.Mutex
	ready      bool      // the stream was found or created
	lastForced time.Time // the last reconnection reconnectStalled forced

	closeOnce sync.Once
}

var _ sink.Sink = (*Sink)(nil)

// New returns a sink connected to cfg.URLs. A server that cannot be
// reached is not an error: the connection keeps trying in the background
// and Publish fails until it succeeds, so that a collector starts while
// NATS is down.
func New(cfg Config) (*Sink, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("sink", cfg.Name)
	opts := []nats.Option{
		nats.Name("rastro-collector"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("natssink: disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("natssink: reconnected", "url", nc.ConnectedUrlRedacted())
		}),
	}
	switch {
	case cfg.Token != "":
		opts = append(opts, nats.Token(cfg.Token))
	case cfg.User != "":
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	case cfg.CredsFile != "":
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.TLS != nil {
		opts = append(opts, nats.Secure(cfg.TLS))
	}
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("natssink: connecting to %s: %w", strings.Join(cfg.URLs, ","), err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.MaxPending),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natssink: %w", err)
	}
	return &Sink{cfg: cfg, nc: nc, js: js}, nil
}

// Name returns Config.Name.
func (s *Sink) Name() string { return s.cfg.Name }

// Publish publishes every trace of batch asynchronously and waits for
// all their acknowledgements. Each message carries Nats-Msg-Id = the
// trace id, so the stream's duplicate window drops the copies of a
// retried batch. Any refusal or timeout fails the whole call.
func (s *Sink) Publish(ctx context.Context, batch []store.Pending) error {
	if len(batch) == 0 {
		return nil
	}
	err := s.publish(ctx, batch)
	if err != nil && timedOut(ctx, err) {
		s.reconnectStalled()
	}
	return err
}

// timedOut reports whether err is a wait that ran out: no answer from the
// server, rather than a refusal.
func timedOut(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrAsyncPublishTimeout)
}

// stalledAfter is the least time between two forced reconnections.
const stalledAfter = 5 * time.Second

// reconnectStalled drops a connection that stopped answering and dials
// again. A link that silently stopped carrying packets (a dead peer, a
// stalled proxy, a NAT that forgot the flow) keeps the connection
// "connected" until the client's pings fail, two minutes by default;
// every publish until then would time out.
func (s *Sink) reconnectStalled() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.lastForced) < stalledAfter || !s.nc.IsConnected() {
		return
	}
	s.lastForced = time.Now()
	if err := s.nc.ForceReconnect(); err == nil {
		s.cfg.Logger.Warn("natssink: no acknowledgement in time: reconnecting", "sink", s.cfg.Name)
	}
}

func (s *Sink) publish(ctx context.Context, batch []store.Pending) error {
	if err := s.ensureStream(ctx); err != nil {
		return err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(batch))
	for i := range batch {
		msg, err := s.message(&batch[i])
		if err != nil {
			return err
		}
		f, err := s.js.PublishMsgAsync(msg,
			jetstream.WithMsgID(batch[i].Trace.ID),
			jetstream.WithExpectStream(s.cfg.Stream),
			jetstream.WithStallWait(s.cfg.AckTimeout),
		)
		if err != nil {
			return fmt.Errorf("natssink: publishing trace %q to %s: %w", batch[i].Trace.ID, msg.Subject, err)
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("natssink: trace %q not acknowledged: %w", batch[i].Trace.ID, err)
		case <-ctx.Done():
			return fmt.Errorf("natssink: waiting for %d acknowledgements: %w", len(futures)-i, ctx.Err())
		}
	}
	return nil
}

// message builds the NATS message of p.
func (s *Sink) message(p *store.Pending) (*nats.Msg, error) {
	m, err := sink.Encode(sink.NATS, s.cfg.Mode, p)
	if err != nil {
		return nil, fmt.Errorf("natssink: %w", err)
	}
	h := make(nats.Header, len(m.Headers)+2)
	for _, kv := range m.Headers {
		h[kv.Key] = []string{kv.Value}
	}
	return &nats.Msg{Subject: Subject(s.cfg.SubjectPrefix, &p.Trace), Header: h, Data: m.Value}, nil
}

// ensureStream finds the stream, or creates it when so configured, once.
func (s *Sink) ensureStream(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	_, err := s.js.Stream(ctx, s.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) && s.cfg.CreateStream {
		_, err = s.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        s.cfg.Stream,
			Description: "Rastro traces (CloudEvents)",
			Subjects:    []string{s.cfg.SubjectPrefix + ".>"},
			Storage:     jetstream.FileStorage,
			Duplicates:  s.cfg.Duplicates,
			Replicas:    s.cfg.Replicas,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			err = nil // another collector created it first
		}
	}
	if err != nil {
		return fmt.Errorf("natssink: stream %s: %w", s.cfg.Stream, err)
	}
	s.ready = true
	return nil
}

// Close closes the connection. It is idempotent.
func (s *Sink) Close() error {
	s.closeOnce.Do(s.nc.Close)
	return nil
}

// Subject returns the subject of t: prefix.<kind>.<touchpoint>, each of
// kind and touchpoint made one subject token by [Token].
func Subject(prefix string, t *trace.Trace) string {
	kind, tp := Token(string(t.Data.Kind)), Token(t.Data.Touchpoint)
	var b strings.Builder
	b.Grow(len(prefix) + len(kind) + len(tp) + 2)
	b.WriteString(prefix)
	b.WriteByte('.')
	b.WriteString(kind)
	b.WriteByte('.')
	b.WriteString(tp)
	return b.String()
}

// Token makes s one literal subject token: '.', '*', '>', whitespace and
// the other ASCII control characters each become '_'; the empty string
// becomes "_". Everything else, UTF-8 included, is kept. A touchpoint
// "app.settings" is thus the token "app_settings", so that
// prefix.<kind>.* matches every touchpoint of a kind and prefix.*.<token>
// every kind of a touchpoint. The mapping is many to one ("a b" and
// "a_b" share a subject); the message itself carries the exact
// touchpoint.
func Token(s string) string {
	if s == "" {
		return "_"
	}
	i := 0
	for ; i < len(s) && !unsafeByte(s[i]); i++ {
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if unsafeByte(b[i]) {
			b[i] = '_'
		}
	}
	return string(b)
}

func unsafeByte(c byte) bool {
	return c <= ' ' || c == 0x7f || c == '.' || c == '*' || c == '>'
}
