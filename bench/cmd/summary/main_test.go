package main

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/rastrohq/rastro/bench
BenchmarkCapture/sdk=rastro-2    300000  100 ns/op  0 B/op  0 allocs/op
BenchmarkCapture/sdk=rastro-2    300000  120 ns/op  0 B/op  0 allocs/op
BenchmarkCapture/sdk=rastro-2    300000  140 ns/op  0 B/op  0 allocs/op
BenchmarkCapture/sdk=segment-2   300000  1200 ns/op
BenchmarkDelivered/sdk=rastro-2  300000  1000 ns/op  1000000 events/s
BenchmarkDelivered/sdk=posthog-2 300000  8000 ns/op  125000 events/s
pkg: github.com/rastrohq/rastro/sdk
BenchmarkCapture-2  1000000  10 ns/op
pkg: github.com/rastrohq/rastro/bench/ingest
BenchmarkIngest/target=ceiling/batch=10/enc=plain-2    1000  40000 ns/op  200000 events/s
BenchmarkIngest/target=collector/batch=10/enc=plain-2  1000  40000 ns/op  50000 events/s
pkg: github.com/rastrohq/rastro/bench/cmd/widgetsize
BenchmarkWidgetSize/widget=rastro/stage=loader 1 5000 raw-B 2300 gzip-B 2000 brotli-B
BenchmarkWidgetSize/widget=rastro/stage=full-ui 1 2600000 raw-B 750000 gzip-B 500000 brotli-B
BenchmarkWidgetSize/widget=posthog-js@1/stage=loader 1 6000 raw-B 3000 gzip-B 2500 brotli-B
BenchmarkWidgetSize/widget=formbricks@5/stage=full-ui 1 200000 raw-B 50000 gzip-B 50000 brotli-B 1 partial
pkg: github.com/rastrohq/rastro/bench/widget
BenchmarkWidgetReady/load=idle/cache=cold-2  3  1 ns/op  200 dcl-ms  900 ready-ms
BenchmarkWidgetReady/load=idle/cache=cold-2  3  1 ns/op  220 dcl-ms  1100 ready-ms
`

func read(t *testing.T) *data {
	t.Helper()
	d := newData()
	if err := d.read(strings.NewReader(sample), "sample"); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHeadline(t *testing.T) {
	var out strings.Builder
	writeMarkdown(&out, read(t).headline())
	for _, want := range []string{
		"| SDK capture cost | vs segment analytics-go | 120 ns | 1.20 µs | 10.0× |", // the median of rastro's three, not the sdk package's
		"| SDK delivered events/s | Rastro (gzip) vs posthog-go | 1.00M/s | 125.0k/s | 8.00× |",
		"| Collector ingest vs the net/http ceiling | batch 10, plain | 50.0k/s | 200.0k/s | 0.25× |",
		"| Widget download (brotli) | posthog-js@1, loader | 2.0 kB | 2.5 kB | 1.25× |",
		"| Widget download (brotli) | formbricks@5, full UI | 500.0 kB | ≥ 50.0 kB | ≥ 0.10× |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line %q in\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "segment analytics-go | 1.00M/s") {
		t.Errorf("a ratio without the peer's figure:\n%s", out.String())
	}
}

func TestReady(t *testing.T) {
	var out strings.Builder
	read(t).writeReady(&out)
	if want := "| idle | cold | 210 | — | — | — | — | 1000 | — |"; !strings.Contains(out.String(), want) {
		t.Errorf("no line %q in\n%s", want, out.String())
	}
}

func TestSVG(t *testing.T) {
	var buf bytes.Buffer
	writeSVG(&buf, "a <title> & more", read(t).headline())
	dec := xml.NewDecoder(&buf)
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}
