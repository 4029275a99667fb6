// Command ceiling is the physical ceiling the collector is measured
// against: a bare net/http server whose POST /v1/batch reads the whole body
// (gunzipping it when Content-Encoding is gzip) and answers 204, nothing
// more. It runs as its own process, so that it and the collector are loaded
// alike by the same client (bench/ingest's BenchmarkIngest).
//
//	ceiling -addr 127.0.0.1:4390
//
// It prints one line when it is ready, "ceiling: ready on http://ADDR",
// answers GET /readyz with 200, and ends on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rastrohq/rastro/bench/ingest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4390", "`host:port` to listen on (port 0 picks a free one)")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: ingest.Ceiling(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("ceiling: ready on http://%s\n", l.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
