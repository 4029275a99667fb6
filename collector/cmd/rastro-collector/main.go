// Command rastro-collector receives customer-feedback events, stores them as
// traces of the common trace format and answers queries about them.
//
//	rastro-collector serve -addr 127.0.0.1:4380 -data DIR [-config FILE] [-write-key KEY ...] [-read-key KEY ...]
//	rastro-collector serve -store postgres://user:pass@host/db ...   (several collectors sharing PostgreSQL)
//	rastro-collector serve ... -nats nats://127.0.0.1:4222 [-kafka host:9092]  (hand every trace on)
//	rastro-collector import -data DIR -source NAME [-preset NAME] [-map FILE] [-col field=column ...] [-set field=value ...] FILE...
//
// serve is the default subcommand. Run rastro-collector serve -h for every
// flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/insights"
	"github.com/rastrohq/rastro/collector/internal/demo"
	"github.com/rastrohq/rastro/collector/server"
	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/postgres"
	"github.com/rastrohq/rastro/collector/store/sqlite"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rastro-collector:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr)
	case "import":
		return importCmd(ctx, args, stderr)
	case "version":
		fmt.Fprintln(stderr, "rastro-collector", version)
		return nil
	}
	return fmt.Errorf("unknown command %q (commands: serve, import, version)", cmd)
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr      = fs.String("addr", "", "address to listen on (default "+server.DefaultAddr+")")
		data      = fs.String("data", "", "folder of the embedded store (default .rastro-data)")
		config    = fs.String("config", "", "YAML config file; flags override it")
		keyRate   = fs.Float64("write-key-rate", 0, "events/s each -write-key may send; -1 unlimited (default 10000)")
		retention = fs.Duration("retention", 0, "delete traces older than this, e.g. 8760h (default keep forever)")
		syncMode  = fs.String("sync", "", "store durability: full (fsync every commit, default) or normal")
		storeDSN  = fs.String("store", "", "shared store: a postgres://... URL (default the embedded store in -data)")
		natsURL   = fs.String("nats", "", "hand every trace to NATS JetStream at these servers (comma-separated nats:// URLs; creates the stream RASTRO_TRACES)")
		kafka     = fs.String("kafka", "", "hand every trace to Kafka: seed brokers, comma-separated host:port (topic rastro.traces)")
		tlsCert   = fs.String("tls-cert", "", "TLS certificate file (with -tls-key: serve HTTPS)")
		tlsKey    = fs.String("tls-key", "", "TLS key file")
		widgetDir = fs.String("widget-dir", "", "serve the browser bundle (make widget) from this folder under /widget/")
		logLevel  = fs.String("log-level", "info", "debug, info, warn or error")
		logJSON   = fs.Bool("log-json", false, "log JSON lines instead of text")
		memLimit  = fs.Int64("memory-limit-mib", 384, "soft memory limit for the Go runtime in MiB (GOMEMLIMIT overrides; 0 none)")
		demoData  = fs.Bool("demo", false, "load two weeks of demonstration traces when the store is empty (make run does)")
		writeKeys listFlag
		readKeys  listFlag
	)
	fs.Var(&writeKeys, "write-key", "a write key, named after itself, any origin (repeatable; also RASTRO_WRITE_KEYS, comma-separated)")
	fs.Var(&readKeys, "read-key", "a read key for traces, summaries and metrics (repeatable; also RASTRO_READ_KEYS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var log *slog.Logger
	if *logJSON {
		log = slog.New(slog.NewJSONHandler(stderr, opts))
	} else {
		log = slog.New(slog.NewTextHandler(stderr, opts))
	}

	// A soft limit makes the garbage collector work harder as the heap
	// nears it, so an overload costs CPU, not memory; the in-flight bound
	// keeps the live heap well under it.
	if os.Getenv("GOMEMLIMIT") == "" && *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 20)
	}

	fc := &fileConfig{}
	if *config != "" {
		var err error
		if fc, err = loadConfig(*config); err != nil {
			return err
		}
	}
	cfg := server.Config{
		Addr:             first(*addr, fc.Addr),
		ReadKeys:         append(fc.ReadKeys, readKeys...),
		Retention:        time.Duration(fc.Retention),
		TLSCertFile:      first(*tlsCert, fc.TLS.Cert),
		TLSKeyFile:       first(*tlsKey, fc.TLS.Key),
		WidgetDir:        first(*widgetDir, fc.WidgetDir),
		MaxEventBytes:    fc.Limits.MaxEventBytes,
		MaxInFlightBytes: fc.Limits.MaxInFlightBytes,
		Logger:           log,
		WriteKeys:        fc.WriteKeys,
		Plugins:          fc.Plugins,
		Alerts: insights.AlertConfig{
			Rules: fc.Alerts.Rules, WebhookURL: fc.Alerts.Webhook, Slack: fc.Alerts.Slack,
			Interval: time.Duration(fc.Alerts.Interval),
		},
	}
	cfg.Limits.MaxBatchBytes = fc.Limits.MaxBatchBytes
	cfg.Limits.MaxBatchEvents = fc.Limits.MaxBatchEvents
	cfg.Limits.MaxTextBytes = fc.Limits.MaxTextBytes
	if *retention != 0 {
		cfg.Retention = *retention
	}
	cfg.ReadKeys = append(cfg.ReadKeys, splitEnv("RASTRO_READ_KEYS")...)
	for _, k := range append(writeKeys, splitEnv("RASTRO_WRITE_KEYS")...) {
		cfg.WriteKeys = append(cfg.WriteKeys, ingest.WriteKey{Token: k, Rate: *keyRate})
	}
	if len(cfg.WriteKeys) == 0 {
		return errors.New("serve: no write key: pass -write-key KEY, set RASTRO_WRITE_KEYS, or list write_keys in -config")
	}

	sinks, err := openSinks(fc.Sinks, *natsURL, *kafka, log)
	if err != nil {
		return err
	}
	cfg.Sinks, cfg.MaxSinkBacklog = sinks, fc.Sinks.MaxBacklog
	cfg.Forwarder = sink.ForwarderConfig{Batch: fc.Sinks.Batch, Lease: time.Duration(fc.Sinks.Lease),
		PublishTimeout: time.Duration(fc.Sinks.PublishTimeout)}
	closeSinks := func() {
		for _, s := range sinks {
			_ = s.Close()
		}
	}

	var st store.Store
	if dsn := first(*storeDSN, fc.Store.Postgres); dsn != "" {
		if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
			return errors.New("-store: not a postgres:// URL")
		}
		db, err := postgres.Open(ctx, dsn, postgres.Options{Sinks: sinkNames(sinks)})
		if err != nil {
			closeSinks()
			return err
		}
		st = db
		log.Info("store open", "postgres", redactDSN(dsn), "version", version)
	} else {
		dir := first(*data, fc.Data, ".rastro-data")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("data folder: %w", err)
		}
		sopts := sqlite.Options{Sinks: sinkNames(sinks)}
		switch first(*syncMode, fc.Sync, "full") {
		case "full":
		case "normal":
			sopts.Sync = sqlite.SyncNormal
		default:
			return fmt.Errorf("-sync: %q is not full or normal", *syncMode)
		}
		db, err := sqlite.Open(filepath.Join(dir, "traces.db"), sopts)
		if err != nil {
			closeSinks()
			return err
		}
		st = db
		log.Info("store open", "path", filepath.Join(dir, "traces.db"), "version", version)
	}
	if *demoData {
		if err := loadDemo(ctx, st, log); err != nil {
			_ = st.Close()
			return err
		}
	}
	srv, err := server.New(cfg, st)
	if err != nil {
		closeSinks()
		_ = st.Close()
		return err
	}
	return srv.ListenAndServe(ctx)
}

// loadDemo appends the demonstration traces to an empty store.
func loadDemo(ctx context.Context, st store.Store, log *slog.Logger) error {
	s, err := st.Stats(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if s.Traces > 0 {
		log.Info("demo: the store has traces already; loading none")
		return nil
	}
	ts := demo.Traces(time.Now(), 3000)
	for lo := 0; lo < len(ts); lo += 1000 {
		if _, err := st.Append(ctx, ts[lo:min(lo+1000, len(ts))]); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	log.Info("demo: loaded demonstration traces", "traces", len(ts), "source", "rastro://"+demo.Source)
	return nil
}

// redactDSN returns dsn without its password, for the log.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://?"
	}
	return u.Redacted()
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func splitEnv(name string) []string {
	var out []string
	for _, v := range strings.Split(os.Getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
