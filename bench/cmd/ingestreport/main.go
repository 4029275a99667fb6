// Command ingestreport turns the output of bench/ingest's BenchmarkIngest
// and BenchmarkOverload into the Markdown tables of the bench report: the
// collector's events/s next to the ceiling's for each batch size and body
// encoding, and those of the collector without its store (cmd/nostore)
// and with only a synced log (nostore -fsync), their ratios to the
// ceiling, CPU per event, latencies and peak RSS, and what the overload
// run saw. Every number is the median of the runs. run.sh calls it:
//
//	go run ./cmd/ingestreport results/STAMP.txt
package main

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ingestreport [benchmark output file ...] (stdin if none)")
	}
	flag.Parse()
	rs := newResults()
	var err error
	if flag.NArg() == 0 {
		err = rs.read(os.Stdin, "stdin")
	}
	for _, name := range flag.Args() {
		f, ferr := os.Open(name)
		if ferr != nil {
			err = ferr
			break
		}
		err = rs.read(f, name)
		f.Close()
		if err != nil {
			break
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestreport:", err)
		os.Exit(1)
	}
	rs.write(os.Stdout)
}

// key identifies one configuration: a sub-benchmark without its target.
type key struct {
	bench string // Ingest or Overload
	batch int
	enc   string
}

// results holds every value of every unit, by configuration and target.
type results struct {
	vals map[key]map[string]map[string][]float64 // key -> target -> unit -> values
}

func newResults() *results { return &results{vals: map[key]map[string]map[string][]float64{}} }

func (rs *results) read(r io.Reader, name string) error {
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue // a syntax error or unit metadata: not ours
		}
		base, parts := res.Name.Parts()
		bench := strings.TrimPrefix(string(base), "Benchmark")
		if bench != "Ingest" && bench != "Overload" {
			continue
		}
		k, target := key{bench: bench}, ""
		for _, p := range parts {
			kv, ok := bytes.CutPrefix(p, []byte("/"))
			if !ok {
				continue // -GOMAXPROCS
			}
			name, val, _ := strings.Cut(string(kv), "=")
			switch name {
			case "target":
				target = val
			case "batch":
				k.batch, _ = strconv.Atoi(val)
			case "enc":
				k.enc = val
			}
		}
		if target == "" {
			continue
		}
		if rs.vals[k] == nil {
			rs.vals[k] = map[string]map[string][]float64{}
		}
		if rs.vals[k][target] == nil {
			rs.vals[k][target] = map[string][]float64{}
		}
		for _, v := range res.Values {
			rs.vals[k][target][v.Unit] = append(rs.vals[k][target][v.Unit], v.Value)
		}
	}
	return br.Err()
}

// median returns the median of the unit's values for the target in k, and
// whether there are any.
func (rs *results) median(k key, target, unit string) (float64, bool) {
	v := slices.Clone(rs.vals[k][target][unit])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

func (rs *results) keys(bench string) []key {
	var ks []key
	for k := range rs.vals {
		if k.bench == bench {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.batch, b.batch), cmp.Compare(encOrder(a.enc), encOrder(b.enc)))
	})
	return ks
}

func encOrder(e string) int {
	if e == "plain" {
		return 0
	}
	return 1
}

func (rs *results) write(w io.Writer) {
	if ks := rs.keys("Ingest"); len(ks) > 0 {
		fmt.Fprintln(w, "| batch | body | ceiling events/s | collector events/s | collector/ceiling | without store events/s | without store/ceiling | synced log only events/s | synced log only/ceiling | server CPU µs/event ceiling / without store / synced log only / collector | p50 ms ceiling / collector | p99 ms ceiling / collector | peak RSS MiB ceiling / collector |")
		fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, k := range ks {
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k.batch, k.enc,
				rs.num(k, "ceiling", "events/s", si), rs.num(k, "collector", "events/s", si), rs.ratio(k, "collector"),
				rs.num(k, "nostore", "events/s", si), rs.ratio(k, "nostore"),
				rs.num(k, "logonly", "events/s", si), rs.ratio(k, "logonly"),
				rs.join(k, serverCPU, micros, "ceiling", "nostore", "logonly", "collector"),
				rs.join(k, "p50-ms", fixed(2), "ceiling", "collector"), rs.join(k, "p99-ms", fixed(2), "ceiling", "collector"),
				rs.join(k, "peak-RSS-MiB", fixed(0), "ceiling", "collector"))
		}
		if _, ok := rs.vals[ks[0]]["collector"]; !ok {
			fmt.Fprintln(w, "\nNo collector results: collector/cmd/rastro-collector did not exist when this ran, or it was filtered out.")
		}
	}
	if ks := rs.keys("Overload"); len(ks) > 0 {
		k := ks[0]
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | answers 200/204 | 429 | 503 | other | no answer | over 10 s | offered events/s | acknowledged events/s | offered/acked | p50 ms | p99 ms | peak RSS MiB |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, t := range []string{"ceiling", "collector"} {
			if _, ok := rs.vals[k][t]; !ok {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", t,
				rs.num(k, t, "ok-answers", fixed(0)), rs.num(k, t, "429-answers", fixed(0)),
				rs.num(k, t, "503-answers", fixed(0)), rs.num(k, t, "other-answers", fixed(0)),
				rs.num(k, t, "no-answer", fixed(0)), rs.num(k, t, "over-10s", fixed(0)), rs.num(k, t, "offered-events/s", si),
				rs.num(k, t, "events/s", si), rs.num(k, t, "offered/acked", fixed(1)),
				rs.num(k, t, "p50-ms", fixed(1)), rs.num(k, t, "p99-ms", fixed(1)), rs.num(k, t, "peak-RSS-MiB", fixed(0)))
		}
	}
}

func (rs *results) num(k key, target, unit string, f func(float64) string) string {
	if v, ok := rs.median(k, target, unit); ok {
		return f(v)
	}
	return "—"
}

// ratio is the target's median events/s over the ceiling's, or a dash.
func (rs *results) ratio(k key, target string) string {
	ce, okC := rs.median(k, "ceiling", "events/s")
	v, ok := rs.median(k, target, "events/s")
	if !okC || !ok || ce <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", v/ce)
}

// join writes the unit's medians of the targets, separated by slashes.
func (rs *results) join(k key, unit string, f func(float64) string, targets ...string) string {
	vs := make([]string, len(targets))
	for i, t := range targets {
		vs[i] = rs.num(k, t, unit, f)
	}
	return strings.Join(vs, " / ")
}

// serverCPU is the unit of BenchmarkIngest's server-ns/event as benchfmt
// reads it (in base units).
const serverCPU = "server-sec/event"

// micros writes seconds as microseconds with three significant digits.
func micros(v float64) string {
	return strconv.FormatFloat(v*1e6, 'g', 3, 64)
}

func fixed(prec int) func(float64) string {
	return func(v float64) string { return strconv.FormatFloat(v, 'f', prec, 64) }
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
