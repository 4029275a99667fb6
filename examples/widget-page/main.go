// Command widget-page serves a web page with the Rastro widget: one script
// tag from the collector, touchpoints marked with data attributes, a click
// capture and a call made before the module loads.
//
//	make run &                        # the collector on 127.0.0.1:4380 with wk_demo
//	go run ./examples/widget-page     # the page on http://127.0.0.1:8080/
//
// /?button=stars+comment adds the floating feedback button (data-button on
// the script tag); button-position and button-label set its other
// attributes.
//
// /csp.html serves the same page under a Content-Security-Policy without
// 'wasm-unsafe-eval': the module cannot compile there, and the loader
// delivers the answers itself (without the UI).
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"time"
)

var validKey = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

//go:embed index.html
var page string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		log.Fatal(err)
	}
}

// run serves the page until ctx is done; ready, when not nil, gets the
// address it listens on.
func run(ctx context.Context, args []string, out io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("widget-page", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve the page on")
	collector := fs.String("collector", "http://127.0.0.1:4380", "the collector's base URL (serves /widget/rastro.js)")
	key := fs.String("key", "wk_demo", "the write key (a page may ask for another with ?key=)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tmpl, err := template.New("page").Parse(page)
	if err != nil {
		return err
	}
	render := func(w http.ResponseWriter, r *http.Request) {
		lang := r.URL.Query().Get("lang")
		if lang == "" {
			lang = "en"
		}
		k := *key
		if q := r.URL.Query().Get("key"); validKey.MatchString(q) {
			k = q // try another write key: /?key=wk_other
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		dir := r.URL.Query().Get("dir") // try a right-to-left page: /?dir=rtl&lang=ar
		if dir != "rtl" && dir != "ltr" {
			dir = ""
		}
		dnt := "" // honour Do-Not-Track and Global Privacy Control: /?dnt=1
		if r.URL.Query().Get("dnt") == "1" {
			dnt = "1"
		}
		q := r.URL.Query() // the floating feedback button: /?button=stars+comment[&button-position=bottom-left][&button-label=...]
		_ = tmpl.Execute(w, map[string]any{"Collector": *collector, "Key": k, "Lang": lang, "Dir": dir, "DNT": dnt, "Load": q.Get("load"),
			"Button": q.Has("button"), "Ask": q.Get("button"), "Position": q.Get("button-position"), "Label": q.Get("button-label")})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", render)
	mux.HandleFunc("GET /csp.html", func(w http.ResponseWriter, r *http.Request) {
		// Scripts from the collector and inline ones are allowed, but no
		// WebAssembly: 'wasm-unsafe-eval' is missing.
		w.Header().Set("Content-Security-Policy", "script-src 'self' 'unsafe-inline' "+*collector+"; connect-src *")
		render(w, r)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(out, "widget page on http://%s/ (collector %s, key %s)\n", ln.Addr(), *collector, *key)
	if ready != nil {
		ready(ln.Addr().String())
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
