// Command widgetsize weighs what a page downloads for a feedback widget:
// Rastro's loader, wasm_exec.js and module (wasm/dist, from make widget)
// next to the peers' files listed by widget/peers.sh in
// .cache/peers/peers.tsv. Each file is weighed raw, with gzip -9 and with
// brotli -q 11 (the compressors' command-line tools, as wasm/build.sh
// uses them), one file at a time as a server sends them; a stage's weight
// is the sum of its files. run.sh calls it:
//
//	go run ./cmd/widgetsize -peers .cache/peers/peers.tsv -dist ../wasm/dist -bench results/STAMP.txt
//
// It prints the Markdown tables of the report and, with -bench, appends
// one benchmark-format line per widget and stage to that file
// (BenchmarkWidgetSize/widget=W/stage=S with raw-B, gzip-B and brotli-B),
// which cmd/summary reads for the headline table and the chart.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Stages, in the order a page reaches them.
var stages = []string{"loader", "page-load", "full-ui"}

// Rastro is the name of Rastro's widget in the tables.
const Rastro = "rastro"

// file is one file a page downloads at a stage.
type file struct {
	widget, stage, path, note string
	partial                   bool // the stage misses a part that cannot be weighed
}

// weight is a file's or a stage's size in bytes.
type weight struct{ raw, gzip, brotli int64 }

func (w *weight) add(o weight) { w.raw += o.raw; w.gzip += o.gzip; w.brotli += o.brotli }

func main() {
	peers := flag.String("peers", ".cache/peers/peers.tsv", "the peers' files, as widget/peers.sh writes them (\"\": Rastro alone)")
	dist := flag.String("dist", "../wasm/dist", "Rastro's bundle, as make widget builds it")
	bench := flag.String("bench", "", "append benchmark-format lines to this file")
	flag.Parse()
	if err := run(*peers, *dist, *bench, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "widgetsize:", err)
		os.Exit(1)
	}
}

func run(peersTSV, dist, bench string, out io.Writer) error {
	files := rastroFiles(dist)
	for _, f := range files {
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%w (build the bundle with make widget)", err)
		}
	}
	if peersTSV != "" {
		pf, err := readPeers(peersTSV)
		if err != nil {
			return err
		}
		files = append(files, pf...)
	}
	m := newMeter()
	res, err := m.weigh(files)
	if err != nil {
		return err
	}
	if bench != "" {
		f, err := os.OpenFile(bench, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		writeBench(f, res)
		if err := f.Close(); err != nil {
			return err
		}
	}
	writeMarkdown(out, res, m.warnings)
	return nil
}

// rastroFiles is what a page with Rastro's widget downloads: the loader on
// page load; wasm_exec.js and the module once the page is idle (or at the
// first interaction), after which the widget renders.
func rastroFiles(dist string) []file {
	loader, exec, mod := filepath.Join(dist, "rastro.js"), filepath.Join(dist, "wasm_exec.js"), filepath.Join(dist, "rastro.wasm")
	return []file{
		{Rastro, "loader", loader, "", false},
		{Rastro, "page-load", loader, "the module loads once the page is idle", false},
		{Rastro, "full-ui", loader, "", false},
		{Rastro, "full-ui", exec, "", false},
		{Rastro, "full-ui", mod, "", false},
	}
}

func readPeers(name string) ([]file, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w (widget/peers.sh writes it)", err)
	}
	defer f.Close()
	var out []file
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		col := strings.Split(line, "\t")
		if len(col) < 3 {
			return nil, fmt.Errorf("%s:%d: want widget, stage, file[, note[, partial]] separated by tabs", name, n)
		}
		fl := file{widget: col[0], stage: col[1], path: col[2]}
		if len(col) > 3 {
			fl.note = col[3]
		}
		if len(col) > 4 {
			fl.partial = col[4] == "partial"
		}
		if !knownStage(fl.stage) {
			return nil, fmt.Errorf("%s:%d: unknown stage %q", name, n, fl.stage)
		}
		out = append(out, fl)
	}
	return out, sc.Err()
}

func knownStage(s string) bool {
	for _, k := range stages {
		if k == s {
			return true
		}
	}
	return false
}

// stage is a widget's files at one stage and their total weight.
type stage struct {
	files   []file
	sizes   []weight
	total   weight
	partial bool // a lower bound: a part of it could not be weighed
}

// result holds every widget's stages, widgets in the order first seen.
type result struct {
	widgets []string
	stages  map[string]map[string]*stage
}

type meter struct {
	cache    map[string]weight
	warnings []string
	brotli   bool
}

func newMeter() *meter {
	m := &meter{cache: map[string]weight{}}
	if _, err := exec.LookPath("brotli"); err == nil {
		m.brotli = true
	} else {
		m.warnings = append(m.warnings, "brotli is not installed: the brotli column is 0 (apt-get install brotli)")
	}
	if _, err := exec.LookPath("gzip"); err != nil {
		m.warnings = append(m.warnings, "gzip is not installed: gzip sizes come from Go's compress/gzip at level 9")
	}
	return m
}

func (m *meter) weigh(files []file) (*result, error) {
	r := &result{stages: map[string]map[string]*stage{}}
	for _, f := range files {
		w, err := m.file(f.path)
		if err != nil {
			return nil, err
		}
		if r.stages[f.widget] == nil {
			r.widgets = append(r.widgets, f.widget)
			r.stages[f.widget] = map[string]*stage{}
		}
		s := r.stages[f.widget][f.stage]
		if s == nil {
			s = &stage{}
			r.stages[f.widget][f.stage] = s
		}
		s.files = append(s.files, f)
		s.sizes = append(s.sizes, w)
		s.total.add(w)
		s.partial = s.partial || f.partial
	}
	return r, nil
}

func (m *meter) file(path string) (weight, error) {
	if w, ok := m.cache[path]; ok {
		return w, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return weight{}, err
	}
	w := weight{raw: int64(len(data))}
	if w.gzip, err = compressed(data, "gzip", "-9", "-n", "-c"); errors.Is(err, exec.ErrNotFound) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(data)
		_ = zw.Close()
		w.gzip, err = int64(buf.Len()), nil
	}
	if err != nil {
		return weight{}, err
	}
	if m.brotli {
		if w.brotli, err = compressed(data, "brotli", "-q", "11", "-c"); err != nil {
			return weight{}, err
		}
	}
	m.cache[path] = w
	return w, nil
}

// compressed returns the length of data compressed by the named tool.
func compressed(data []byte, tool string, args ...string) (int64, error) {
	if _, err := exec.LookPath(tool); err != nil {
		return 0, err
	}
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(data)
	var n countWriter
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &n, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w: %s", tool, err, stderr.String())
	}
	return int64(n), nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func writeBench(w io.Writer, r *result) {
	fmt.Fprintln(w, "pkg: github.com/rastrohq/rastro/bench/cmd/widgetsize")
	for _, name := range r.widgets {
		for _, st := range stages {
			if s := r.stages[name][st]; s != nil {
				partial := ""
				if s.partial {
					partial = " 1 partial"
				}
				fmt.Fprintf(w, "BenchmarkWidgetSize/widget=%s/stage=%s 1 %d raw-B %d gzip-B %d brotli-B%s\n",
					name, st, s.total.raw, s.total.gzip, s.total.brotli, partial)
			}
		}
	}
}

func writeMarkdown(w io.Writer, r *result, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintf(w, "**%s**\n\n", s)
	}
	fmt.Fprintln(w, "| widget | stage | files | raw | gzip -9 | brotli -q 11 |")
	fmt.Fprintln(w, "| --- | --- | --- | ---: | ---: | ---: |")
	var notes []string
	index := map[string]int{} // note -> its number
	for _, name := range r.widgets {
		for _, st := range stages {
			s := r.stages[name][st]
			if s == nil {
				fmt.Fprintf(w, "| %s | %s | — | — | — | — |\n", name, st)
				continue
			}
			var names []string
			for i, f := range s.files {
				n := fmt.Sprintf("`%s` %s", filepath.Base(f.path), kb(s.sizes[i].brotli))
				if f.note != "" {
					if index[f.note] == 0 {
						notes = append(notes, f.note)
						index[f.note] = len(notes)
					}
					n += fmt.Sprintf(" [%d]", index[f.note])
				}
				names = append(names, n)
			}
			ge := ""
			if s.partial {
				ge = "≥ "
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s%s | %s%s | %s%s |\n", name, st, strings.Join(names, " + "),
				ge, kb(s.total.raw), ge, kb(s.total.gzip), ge, kb(s.total.brotli))
		}
	}
	fmt.Fprintln(w)
	for i, n := range notes {
		fmt.Fprintf(w, "[%d] %s. ", i+1, n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w)
	}

	// Ratios: the peer's bytes over Rastro's, per stage, brotli and gzip.
	own := r.stages[Rastro]
	if own == nil {
		return
	}
	fmt.Fprintln(w, "The peer's bytes ÷ Rastro's (above 1: Rastro downloads less), brotli / gzip; ≥: the peer's stage misses a part that is not on npm:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| peer | loader | page load | full UI |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: |")
	for _, name := range r.widgets {
		if name == Rastro {
			continue
		}
		cells := []string{name}
		for _, st := range stages {
			o, p := own[st], r.stages[name][st]
			if o == nil || p == nil || o.total.gzip == 0 {
				cells = append(cells, "—")
				continue
			}
			br := "—"
			if p.total.brotli > 0 && o.total.brotli > 0 {
				br = fmt.Sprintf("%.2f", float64(p.total.brotli)/float64(o.total.brotli))
			}
			ge := ""
			if p.partial {
				ge = "≥ "
			}
			cells = append(cells, fmt.Sprintf("%s%s / %.2f", ge, br, float64(p.total.gzip)/float64(o.total.gzip)))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

// kb writes a byte count in kB (1000 bytes) with one decimal, or in bytes
// under 1 kB.
func kb(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f kB", float64(n)/1000)
}
