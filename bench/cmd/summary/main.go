// Command summary reads the raw output of a bench run (go test -bench lines,
// and the widget sizes cmd/widgetsize appends) and writes the report's
// headline: Rastro against each peer and against the net/http ceiling as
// ratios of medians, as a Markdown table on stdout and, with -svg, as a bar
// chart (hand-written SVG). With -what ready it prints the medians of
// BenchmarkWidgetReady instead. run.sh calls it:
//
//	go run ./cmd/summary -svg results/STAMP.svg results/STAMP.txt
//	go run ./cmd/summary -what ready results/STAMP.txt
//
// Every ratio is oriented so that above 1 means Rastro does better: a
// peer's cost over Rastro's (ns per capture, bytes downloaded), Rastro's
// throughput over the peer's (events/s). Collector over ceiling is the
// share of the bare net/http server's events/s the collector reaches: at
// most 1.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

func main() {
	svg := flag.String("svg", "", "write the chart to this file")
	title := flag.String("title", "Rastro benchmarks", "the chart's title")
	what := flag.String("what", "headline", "what to print: headline (the ratios; -svg writes them as a chart) or ready (BenchmarkWidgetReady's table)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: summary [-what headline|ready] [-svg FILE] [-title T] results/STAMP.txt ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	d := newData()
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fatal(err)
		}
		err = d.read(f, name)
		f.Close()
		if err != nil {
			fatal(err)
		}
	}
	if *what == "ready" {
		d.writeReady(os.Stdout)
		return
	}
	groups := d.headline()
	writeMarkdown(os.Stdout, groups)
	if *svg != "" {
		var buf bytes.Buffer
		writeSVG(&buf, *title, groups)
		if err := os.WriteFile(*svg, buf.Bytes(), 0o644); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "summary:", err)
	os.Exit(1)
}

// data holds every value of every unit, by benchmark: its package, its base
// name without "Benchmark", and its sub-benchmark keys (sdk=rastro, ...).
type data struct {
	vals  map[string]map[string][]float64 // id -> unit -> values
	order []string                        // ids, first seen first
}

func newData() *data { return &data{vals: map[string]map[string][]float64{}} }

// id names a benchmark: "pkg base k1=v1 k2=v2", keys in name order.
func id(pkg, base string, kv ...string) string {
	return strings.Join(append([]string{pkg, base}, kv...), " ")
}

const (
	pkgBench  = "github.com/rastrohq/rastro/bench"
	pkgIngest = "github.com/rastrohq/rastro/bench/ingest"
	pkgWidget = "github.com/rastrohq/rastro/bench/widget"
	pkgSize   = "github.com/rastrohq/rastro/bench/cmd/widgetsize"
)

func (d *data) read(r io.Reader, name string) error {
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		base, parts := res.Name.Parts()
		kv := []string{}
		for _, p := range parts {
			if s, ok := bytes.CutPrefix(p, []byte("/")); ok {
				kv = append(kv, string(s))
			}
		}
		k := id(string(res.GetConfig("pkg")), strings.TrimPrefix(string(base), "Benchmark"), kv...)
		if d.vals[k] == nil {
			d.vals[k] = map[string][]float64{}
			d.order = append(d.order, k)
		}
		for _, v := range res.Values {
			d.vals[k][v.Unit] = append(d.vals[k][v.Unit], v.Value)
		}
	}
	return br.Err()
}

// median returns the median of a unit's values of a benchmark, and
// whether there are any.
func (d *data) median(k, unit string) (float64, bool) {
	v := slices.Clone(d.vals[k][unit])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// row is one ratio: Rastro's figure next to the other's.
type row struct {
	label        string
	ratio        float64 // above 1: Rastro does better
	rastro, peer string  // the two medians, formatted
	atLeast      bool    // the ratio is a lower bound (the peer's figure misses a part)
}

// group is one figure: a heading and its rows.
type group struct {
	title, what string // what: how the ratio is made
	rows        []row
}

var peers = []struct{ key, name string }{
	{"segment", "segment analytics-go"},
	{"posthog", "posthog-go"},
}

func (d *data) headline() []group {
	var out []group

	g := group{title: "SDK capture cost", what: "peer ns ÷ Rastro ns per capture call (BenchmarkCapture)"}
	if r, ok := d.median(id(pkgBench, "Capture", "sdk=rastro"), "sec/op"); ok {
		for _, p := range peers {
			if v, ok := d.median(id(pkgBench, "Capture", "sdk="+p.key), "sec/op"); ok && r > 0 {
				g.rows = append(g.rows, row{label: "vs " + p.name, ratio: v / r, rastro: dur(r), peer: dur(v)})
			}
		}
	}
	out = appendGroup(out, g)

	g = group{title: "SDK delivered events/s", what: "Rastro events/s ÷ peer events/s (BenchmarkDelivered; peers send plain JSON)"}
	for _, own := range []struct{ key, name string }{{"rastro", "Rastro (gzip)"}, {"rastro-plain", "Rastro (plain)"}} {
		r, ok := d.median(id(pkgBench, "Delivered", "sdk="+own.key), "events/s")
		if !ok {
			continue
		}
		for _, p := range peers {
			if v, ok := d.median(id(pkgBench, "Delivered", "sdk="+p.key), "events/s"); ok && v > 0 {
				g.rows = append(g.rows, row{label: own.name + " vs " + p.name, ratio: r / v, rastro: si(r) + "/s", peer: si(v) + "/s"})
			}
		}
	}
	out = appendGroup(out, g)

	g = group{title: "Collector ingest vs the net/http ceiling", what: "collector events/s ÷ ceiling events/s (BenchmarkIngest; 1 = the ceiling)"}
	for _, batch := range []string{"1", "10", "100"} {
		for _, enc := range []string{"plain", "gzip"} {
			c, okC := d.median(id(pkgIngest, "Ingest", "target=collector", "batch="+batch, "enc="+enc), "events/s")
			v, okV := d.median(id(pkgIngest, "Ingest", "target=ceiling", "batch="+batch, "enc="+enc), "events/s")
			if okC && okV && v > 0 {
				g.rows = append(g.rows, row{label: "batch " + batch + ", " + enc, ratio: c / v, rastro: si(c) + "/s", peer: si(v) + "/s"})
			}
		}
	}
	out = appendGroup(out, g)

	g = group{title: "Widget download (brotli)", what: "peer bytes ÷ Rastro bytes (cmd/widgetsize)"}
	for _, w := range d.widgets() {
		for _, st := range []struct{ key, name string }{{"loader", "loader"}, {"page-load", "page load"}, {"full-ui", "full UI"}} {
			r, okR := d.median(id(pkgSize, "WidgetSize", "widget=rastro", "stage="+st.key), "brotli-B")
			v, okV := d.median(id(pkgSize, "WidgetSize", "widget="+w, "stage="+st.key), "brotli-B")
			if okR && okV && r > 0 && v > 0 {
				_, partial := d.median(id(pkgSize, "WidgetSize", "widget="+w, "stage="+st.key), "partial")
				rw := row{label: w + ", " + st.name, ratio: v / r, rastro: bytesKB(r), peer: bytesKB(v), atLeast: partial}
				if partial {
					rw.peer = "≥ " + rw.peer
				}
				g.rows = append(g.rows, rw)
			}
		}
	}
	out = appendGroup(out, g)
	return out
}

func appendGroup(gs []group, g group) []group {
	if len(g.rows) == 0 {
		return gs
	}
	return append(gs, g)
}

// widgets returns the peers' widget names in WidgetSize, in the order of
// the raw output.
func (d *data) widgets() []string {
	var out []string
	for _, k := range d.order {
		f := strings.Fields(k)
		if len(f) < 3 || f[0] != pkgSize || f[1] != "WidgetSize" {
			continue
		}
		if w, ok := strings.CutPrefix(f[2], "widget="); ok && w != "rastro" && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

func writeMarkdown(w io.Writer, gs []group) {
	if len(gs) == 0 {
		fmt.Fprintln(w, "No results to compare.")
		return
	}
	fmt.Fprintln(w, "| figure | comparison | Rastro | other | ratio (above 1: Rastro better) |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: |")
	for _, g := range gs {
		for _, r := range g.rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", g.title, r.label, r.rastro, r.peer, r.ratioText())
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "How each ratio is made (≥: the peer's figure misses a part that is not on npm, so the ratio is a lower bound):")
	fmt.Fprintln(w)
	for _, g := range gs {
		fmt.Fprintf(w, "- %s: %s.\n", g.title, g.what)
	}
	fmt.Fprintln(w)
}

// writeReady prints the medians of BenchmarkWidgetReady, when it ran.
func (d *data) writeReady(w io.Writer) {
	units := []struct{ unit, name string }{
		{"dcl-ms", "DOMContentLoaded"}, {"loader-ms", "loader ran"}, {"load-ms", "load event"},
		{"fetched-ms", "module fetched"}, {"wasm-ms", "module running"}, {"ready-ms", "widget ready"}, {"paint-ms", "next frame"},
	}
	var rows []string
	for _, load := range []string{"idle", "eager"} {
		for _, cache := range []string{"cold", "warm"} {
			k := id(pkgWidget, "WidgetReady", "load="+load, "cache="+cache)
			if d.vals[k] == nil {
				continue
			}
			cells := []string{load, cache}
			for _, u := range units {
				if v, ok := d.median(k, u.unit); ok {
					cells = append(cells, strconv.FormatFloat(v, 'f', 0, 64))
				} else {
					cells = append(cells, "—")
				}
			}
			rows = append(rows, "| "+strings.Join(cells, " | ")+" |")
		}
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "No BenchmarkWidgetReady results.")
		return
	}
	head := []string{"module loads", "cache"}
	for _, u := range units {
		head = append(head, u.name)
	}
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	fmt.Fprintln(w, "| --- | --- |"+strings.Repeat(" ---: |", len(units)))
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
	fmt.Fprintln(w)
}

// ratioText writes the ratio, with ≥ when it is a lower bound.
func (r row) ratioText() string {
	if r.atLeast {
		return "≥ " + ratio(r.ratio)
	}
	return ratio(r.ratio)
}

// ratio writes 9.06×, 0.18× or 0.0123×.
func ratio(v float64) string {
	switch {
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + "×"
	case v >= 0.1:
		return strconv.FormatFloat(v, 'f', 2, 64) + "×"
	}
	return strconv.FormatFloat(v, 'g', 2, 64) + "×"
}

// dur writes seconds as ns, µs or ms.
func dur(s float64) string {
	switch {
	case s < 1e-6:
		return strconv.FormatFloat(s*1e9, 'f', 0, 64) + " ns"
	case s < 1e-3:
		return strconv.FormatFloat(s*1e6, 'f', 2, 64) + " µs"
	}
	return strconv.FormatFloat(s*1e3, 'f', 2, 64) + " ms"
}

// si writes 1234567 as 1.23M and 45678 as 45.7k.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func bytesKB(v float64) string {
	return strconv.FormatFloat(v/1000, 'f', 1, 64) + " kB"
}

// writeSVG draws each group as horizontal bars on a log scale that start
// at 1×: to the right (green) where Rastro does better, to the left
// (amber) where it does worse.
func writeSVG(w io.Writer, title string, gs []group) {
	const (
		width   = 1100
		labelX  = 330 // labels end here
		plotX0  = 340
		plotX1  = 790
		valueX  = 800
		rowH    = 20
		barH    = 12
		headH   = 50
		top     = 64
		bottomH = 30
	)
	lo, hi := 0.1, 10.0
	for _, g := range gs {
		for _, r := range g.rows {
			if r.ratio > 0 {
				lo, hi = math.Min(lo, r.ratio), math.Max(hi, r.ratio)
			}
		}
	}
	lo, hi = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	lo, hi = math.Max(lo, 1e-4), math.Min(hi, 1e4)
	x := func(v float64) float64 {
		v = math.Min(math.Max(v, lo), hi)
		return plotX0 + (math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*(plotX1-plotX0)
	}
	height := top + bottomH
	for _, g := range gs {
		height += headH + rowH*len(g.rows)
	}

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", esc(title))
	fmt.Fprintf(w, `<text x="10" y="44" fill="#4b5563">Ratios of medians on a log scale. Right of 1× (green): Rastro does better; left (amber): worse. Ingest: the share of the net/http ceiling.</text>`+"\n")
	y := top
	for _, g := range gs {
		fmt.Fprintf(w, `<text x="10" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", y+18, esc(g.title))
		fmt.Fprintf(w, `<text x="%d" y="%d" fill="#6b7280" font-size="11">%s</text>`+"\n", plotX0, y+18, esc(g.what))
		y0 := y + headH - 6
		y1 := y + headH + rowH*len(g.rows)
		for p := lo; p <= hi*1.0001; p *= 10 {
			px := x(p)
			stroke, sw := "#e5e7eb", 1
			if math.Abs(p-1) < 1e-9 {
				stroke, sw = "#111827", 1
			}
			fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%d"/>`+"\n", px, y0, px, y1, stroke, sw)
			fmt.Fprintf(w, `<text x="%.1f" y="%d" fill="#6b7280" font-size="10" text-anchor="middle">%s</text>`+"\n", px, y0-2, tick(p))
		}
		y += headH
		for _, r := range g.rows {
			a, b := x(1), x(r.ratio)
			color := "#15803d"
			if r.ratio < 1 {
				color = "#b45309"
				a, b = b, a
			}
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelX, y+14, esc(r.label))
			fmt.Fprintf(w, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", a, y+4, math.Max(b-a, 1), barH, color)
			fmt.Fprintf(w, `<text x="%d" y="%d"><tspan font-weight="bold">%s</tspan> <tspan fill="#4b5563">Rastro %s vs %s</tspan></text>`+"\n",
				valueX, y+14, esc(r.ratioText()), esc(r.rastro), esc(r.peer))
			y += rowH
		}
	}
	fmt.Fprintln(w, `</svg>`)
}

func tick(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64) + "×"
}

func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
