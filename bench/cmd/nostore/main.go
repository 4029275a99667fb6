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
// With -fsync it does the least a store that acknowledges only durable
// traces must do: it appends the encoded traces to DIR/log and answers
// once an fdatasync covered them, one goroutine writing and syncing for
// every call waiting (group commit), still without dedupe or indexes.
//
//	nostore -addr 127.0.0.1:4391 -data DIR -write-key wk_bench [-fsync]
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
	fsync := flag.Bool("fsync", false, "append the encoded traces to DIR/log and fdatasync before answering")
	flag.Parse()
	if err := run(*addr, *data, *key, *fsync); err != nil {
		fmt.Fprintln(os.Stderr, "nostore:", err)
		os.Exit(1)
	}
}

func run(addr, data, key string, fsync bool) error {
	if data == "" {
		return fmt.Errorf("-data is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := sqlite.Open(filepath.Join(data, "traces.db"), sqlite.Options{})
	if err != nil {
		return err
	}
	st := discard{Store: db}
	if fsync {
		f, err := os.OpenFile(filepath.Join(data, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			_ = db.Close()
			return err
		}
		defer f.Close()
		st.log = make(chan logCall, 1024)
		go writeLog(f, st.log)
	}
	srv, err := server.New(server.Config{
		Addr:      addr,
		WriteKeys: []ingest.WriteKey{{Token: key, Rate: -1}},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, st)
	if err != nil {
		_ = db.Close()
		return err
	}
	return srv.ListenAndServe(ctx) // closes the store
}

// discard is a store whose Append does the encoding work of
// sqlite.DB.Append and keeps nothing, or, with log set, hands the
// encoded traces to writeLog and waits until they are synced.
type discard struct {
	store.Store
	log chan logCall
}

// logCall is one Append's encoded traces, and where writeLog answers.
type logCall struct {
	data []byte
	done chan error
}

func (d discard) Append(_ context.Context, traces []trace.Trace) ([]bool, error) {
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
	data := w.Buffer.BuildBytes()
	if d.log != nil {
		c := logCall{data: data, done: make(chan error, 1)}
		d.log <- c
		if err := <-c.done; err != nil {
			return nil, err
		}
	}
	inserted := make([]bool, len(traces))
	for i := range inserted {
		inserted[i] = true
	}
	return inserted, nil
}

// writeLog appends the data of every call waiting in calls to f with one
// write, fdatasyncs f and then answers them all.
func writeLog(f *os.File, calls chan logCall) {
	var batch []logCall
	var buf []byte
	for c := range calls {
		batch, buf = append(batch[:0], c), append(buf[:0], c.data...)
	more:
		for {
			select {
			case c := <-calls:
				batch, buf = append(batch, c), append(buf, c.data...)
			default:
				break more
			}
		}
		_, err := f.Write(buf)
		if err == nil {
			err = syscall.Fdatasync(int(f.Fd()))
		}
		for _, c := range batch {
			c.done <- err
		}
	}
}
