// Command nostore is the collector without its store, to measure how much
// of the gap between the collector and the ceiling (cmd/ceiling) is the
// store's: the real collector/server (keys, limits, decoding, validation,
// normalization, metrics, the same net/http settings) whose Append encodes
// each trace as the SQLite store does in its caller's goroutine
// (store.CheckStorable, then the trace's JSON) and then keeps nothing,
// reporting every trace new. Everything else a store does (SQLite's
// inserts, indexes, rollups, commits, fsyncs, checkpoints, dedupe) is
// left out. It is a measuring instrument, not a collector: what it
// acknowledges is lost.
//
//	nostore -addr 127.0.0.1:4391 -data DIR -write-key wk_bench
//
// The queries, summaries and /readyz are those of a real SQLite store in
// -data, which stays empty. It answers GET /readyz with 200 when ready and
// ends on SIGINT or SIGTERM. bench/ingest's BenchmarkIngest loads it like
// the ceiling and the collector.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mailru/easyjson/jwriter"
	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/server"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4391", "`host:port` to listen on")
	data := flag.String("data", "", "folder of the (empty) SQLite store that answers reads; required")
	key := flag.String("write-key", "wk_bench", "the write key, with no rate limit")
	flag.Parse()
	if err := run(*addr, *data, *key); err != nil {
		fmt.Fprintln(os.Stderr, "nostore:", err)
		os.Exit(1)
	}
}

func run(addr, data, key string) error {
	if data == "" {
		return fmt.Errorf("-data is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := sqlite.Open(filepath.Join(data, "traces.db"), sqlite.Options{})
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		Addr:      addr,
		WriteKeys: []ingest.WriteKey{{Token: key, Rate: -1}},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, discard{db})
	if err != nil {
		_ = db.Close()
		return err
	}
	return srv.ListenAndServe(ctx) // closes the store
}

// discard is a store whose Append does the encoding work of
// sqlite.DB.Append and keeps nothing.
type discard struct{ store.Store }

func (discard) Append(_ context.Context, traces []trace.Trace) ([]bool, error) {
	var w jwriter.Writer
	for i := range traces {
		if err := store.CheckStorable(i, &traces[i]); err != nil {
			return nil, err
		}
		traces[i].MarshalEasyJSON(&w)
	}
	if w.Error != nil {
		return nil, w.Error
	}
	_ = w.Buffer.BuildBytes()
	inserted := make([]bool, len(traces))
	for i := range inserted {
		inserted[i] = true
	}
	return inserted, nil
}
