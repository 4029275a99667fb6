package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/insights"
	"github.com/rastrohq/rastro/collector/plugin"
	"github.com/rastrohq/rastro/collector/query"
	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/collector/ui"
	"github.com/rastrohq/rastro/collector/widget"
	"github.com/rastrohq/rastro/sdk/wire"
)

// DefaultAddr is where the collector listens unless told otherwise.
const DefaultAddr = "127.0.0.1:4380"

// Config configures a Server. Its zero value, with one write key, serves on
// DefaultAddr.
type Config struct {
	// Addr is the TCP address to listen on. Defaults to DefaultAddr.
	Addr string
	// WriteKeys may send events. At least one is required.
	WriteKeys []ingest.WriteKey
	// ReadKeys may read traces, summaries and metrics. With none, the read
	// side answers loopback clients only.
	ReadKeys []string
	// Limits bound batches and events; zero fields take wire's defaults.
	Limits wire.Limits
	// MaxEventBytes bounds the JSON of one event. Defaults to 16 KiB.
	MaxEventBytes int
	// MaxInFlightBytes bounds the bytes of all batches being handled.
	// Defaults to 64 MiB.
	MaxInFlightBytes int64
	// Retention deletes traces older than this, checked hourly. Zero keeps
	// traces forever.
	Retention time.Duration
	// TLSCertFile and TLSKeyFile serve HTTPS when both are set.
	TLSCertFile, TLSKeyFile string
	// WidgetDir serves the browser bundle (make widget) under /widget/.
	// Empty serves none.
	WidgetDir string
	// ShutdownTimeout bounds how long in-flight batches may take to finish
	// on shutdown. Defaults to 30s.
	ShutdownTimeout time.Duration
	// Alerts are the alert rules, evaluated every Alerts.Interval while
	// serving, and the webhook they post to. The zero value watches
	// nothing. Alerts.Logger defaults to Logger.
	Alerts insights.AlertConfig
	// Sinks receive every new trace through the store's outbox: the store
	// must implement store.Outbox and have been opened naming them. Each
	// gets a forwarder while the server runs; Serve closes them.
	Sinks []sink.Sink
	// Forwarder tunes the forwarders of Sinks.
	Forwarder sink.ForwarderConfig
	// MaxSinkBacklog bounds the traces queued for one sink: at the bound,
	// ingest answers 503 with Retry-After until the sink catches up.
	// Defaults to DefaultMaxSinkBacklog; negative means no bound.
	MaxSinkBacklog int64
	// Plugins are the WebAssembly plugins to load (see package plugin):
	// source plugins answer POST /v1/sources/{name}, enrich plugins patch
	// every trace before it is stored. None by default.
	Plugins []plugin.Config
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Server is the collector: ingest, read side, operations endpoints, over
// one store.
type Server struct {
	cfg     Config
	store   store.Store
	ingest  *ingest.Handler
	metrics *metrics
	alerter *insights.Alerter
	sinks   *sinks // the Appender of every ingest endpoint
	plugins *plugin.Host
	sources *sources
	session *sessions
	handler http.Handler
	log     *slog.Logger
	ready   atomic.Bool
}

// New returns a Server over st, which it closes when Serve returns.
func New(cfg Config, st store.Store) (_ *Server, err error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("server: TLS needs both a certificate and a key file")
	}
	keys, err := ingest.NewKeys(cfg.WriteKeys, cfg.Limits.WithDefaults().MaxBatchEvents)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{cfg: cfg, store: st, log: cfg.Logger, metrics: newMetrics(st), session: newSessions(cfg.ReadKeys)}
	// One memory bound for every endpoint that takes batches.
	if cfg.MaxInFlightBytes <= 0 {
		cfg.MaxInFlightBytes = 64 << 20
	}
	budget := ingest.NewBudget(cfg.MaxInFlightBytes)
	if s.sinks, err = newSinks(cfg, st); err != nil {
		return nil, err
	}
	for _, f := range s.sinks.forwarders {
		if err := s.metrics.reg.Register(f); err != nil {
			return nil, fmt.Errorf("server: sink %s metrics: %w", f.Name(), err)
		}
	}
	if err := s.loadPlugins(cfg); err != nil {
		return nil, err
	}
	// From here a failure must release the plugins' runtimes.
	defer func() {
		if err != nil {
			_ = s.plugins.Close(context.Background())
		}
	}()
	s.ingest, err = ingest.New(ingest.Config{
		Keys: keys, Appender: s.appender(), Limits: cfg.Limits, MaxEventBytes: cfg.MaxEventBytes,
		Budget: budget, Metrics: s.metrics, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if s.sources, err = newSources(cfg, keys, s, budget); err != nil {
		return nil, err
	}
	if cfg.Alerts.Logger == nil {
		cfg.Alerts.Logger = cfg.Logger
	}
	if s.alerter, err = insights.NewAlerter(cfg.Alerts, st); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the collector's HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/batch", s.ingest)
	s.sources.register(mux)
	read := s.readAuth(query.New(s.store))
	mux.Handle("GET /v1/traces", read)
	mux.Handle("GET /v1/traces/export", read)
	mux.Handle("GET /v1/summary", read)
	mux.Handle("/v1/insights/", s.readAuth(insights.NewHandler(s.store, s.alerter)))
	dashboard := s.readAuth(ui.Handler(ui.Config{Store: s.store, Alerter: s.alerter, Logout: len(s.cfg.ReadKeys) > 0}))
	mux.Handle("/ui", dashboard)
	mux.Handle("/ui/", dashboard)
	mux.HandleFunc("GET /ui/login", s.session.loginForm)
	mux.HandleFunc("POST /ui/login", s.session.login)
	mux.HandleFunc("POST /ui/logout", s.session.logout)
	mux.HandleFunc("GET /v1/schema/trace", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/schema+json")
		_, _ = w.Write(trace.Schema)
	})
	mux.Handle("GET /metrics", s.readAuth(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.cfg.WidgetDir != "" {
		mux.Handle("GET /widget/", widget.Handler(widget.Config{Dir: s.cfg.WidgetDir}))
	}
	mux.HandleFunc("GET /{$}", s.index)
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		ingest.WriteError(w, http.StatusServiceUnavailable, "not ready")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Stats(ctx); err != nil {
		ingest.WriteError(w, http.StatusServiceUnavailable, "store: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}

// readAuth lets a request through with a read key, or a dashboard session
// cookie (GET only; see sessions.cookieReads), or from loopback when no
// read key is configured. A browser asking for a dashboard page without
// either is sent to /ui/login.
func (s *Server) readAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(s.cfg.ReadKeys) == 0 {
			if !isLoopback(r.RemoteAddr) {
				ingest.WriteError(w, http.StatusForbidden, "the read side answers loopback clients only until a read key is configured (-read-key)")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := s.session.match(bearerToken(r.Header.Get("Authorization"))); ok || s.session.cookieReads(r) {
			next.ServeHTTP(w, r)
			return
		}
		if wantsHTML(r) {
			http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="rastro"`)
		ingest.WriteError(w, http.StatusUnauthorized, "a read key is required: Authorization: Bearer <read key>")
	})
}

func bearerToken(h string) string {
	const p = "Bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ListenAndServe listens on cfg.Addr and serves until ctx is done; see
// Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		_ = s.store.Close()
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve answers on ln until ctx is done, then shuts down gracefully: it
// stops accepting, lets in-flight batches finish (so every acknowledged
// event is stored) within ShutdownTimeout, and closes the store.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if s.cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if err != nil {
			_ = s.store.Close()
			_ = ln.Close()
			return fmt.Errorf("server: TLS: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	retention := s.startRetention(ctx)
	fctx, stopSinks := context.WithCancel(context.Background())
	forwarders := s.sinks.run(fctx)
	actx, stopAlerts := context.WithCancel(ctx)
	alerts := make(chan struct{})
	go func() { defer close(alerts); s.alerter.Run(actx) }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.ready.Store(true)
	if len(s.cfg.ReadKeys) == 0 {
		s.log.Warn("no read key configured: traces, summaries and metrics answer loopback clients only")
	}
	s.log.Info("rastro-collector ready", "url", scheme+"://"+ln.Addr().String(), "write_keys", len(s.cfg.WriteKeys))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.ready.Store(false)
	s.log.Info("shutting down: finishing in-flight batches", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	<-retention
	stopAlerts()
	<-alerts
	// Forwarders stop after the last batch was stored; what they did not
	// send stays queued in the store for the next start.
	stopSinks()
	<-forwarders
	sinkErr := s.sinks.close()
	plugErr := s.plugins.Close(context.Background())
	closeErr := s.store.Close()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	if err := errors.Join(serveErr, shutErr, sinkErr, plugErr, closeErr); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// startRetention deletes expired traces hourly until ctx is done; the
// returned channel closes when it has stopped.
func (s *Server) startRetention(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if s.cfg.Retention <= 0 {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			n, err := s.store.DeleteBefore(ctx, time.Now().Add(-s.cfg.Retention))
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Error("retention", "err", err)
			case n > 0:
				s.log.Info("retention: deleted expired traces", "traces", n, "older_than", s.cfg.Retention)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, indexHTML, html.EscapeString(s.cfg.WriteKeys[0].Token), html.EscapeString(r.Host), html.EscapeString(r.Host))
}
