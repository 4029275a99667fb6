package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/rastrohq/rastro/bench/ingest
BenchmarkIngest/target=ceiling/batch=1/enc=plain-2    1000  40000 ns/op  25000 events/s  1.0 p50-ms  5.0 p99-ms  13.0 peak-RSS-MiB  30000 server-ns/event
BenchmarkIngest/target=ceiling/batch=1/enc=plain-2    1000  40000 ns/op  27000 events/s  1.2 p50-ms  6.0 p99-ms  13.5 peak-RSS-MiB  31000 server-ns/event
BenchmarkIngest/target=ceiling/batch=1/enc=plain-2    1000  40000 ns/op  20000 events/s  1.4 p50-ms  7.0 p99-ms  14.0 peak-RSS-MiB  32000 server-ns/event
BenchmarkIngest/target=nostore/batch=1/enc=plain-2  1000  50000 ns/op  20000 events/s  1.5 p50-ms  7.0 p99-ms  20.0 peak-RSS-MiB  40000 server-ns/event
BenchmarkIngest/target=logonly/batch=1/enc=plain-2  1000  60000 ns/op  15000 events/s  1.8 p50-ms  8.0 p99-ms  22.0 peak-RSS-MiB  60000 server-ns/event
BenchmarkIngest/target=collector/batch=1/enc=plain-2  1000  80000 ns/op  12500 events/s  2.0 p50-ms  9.0 p99-ms  30.0 peak-RSS-MiB  95400 server-ns/event
BenchmarkIngest/target=ceiling/batch=100/enc=gzip-2    100  90000 ns/op  1200000 events/s  3.0 p50-ms  9.0 p99-ms  13.0 peak-RSS-MiB
BenchmarkCapture/sdk=rastro-2  1000  120 ns/op
BenchmarkOverload/target=collector-2  1  10000000000 ns/op  150 ok-answers  1400 429-answers  0 503-answers  0 other-answers  0 no-answer  2 over-10s  119761 offered-events/s  11793 events/s  10.2 offered/acked  192.8 p50-ms  5120 p99-ms  534 peak-RSS-MiB
`

func TestReport(t *testing.T) {
	rs := newResults()
	if err := rs.read(strings.NewReader(sample), "sample"); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rs.write(&out)
	for _, want := range []string{
		"| 1 | plain | 25.0k | 12.5k | 0.50 | 20.0k | 0.80 | 15.0k | 0.60 | 31 / 40 / 60 / 95.4 | 1.20 / 2.00 | 6.00 / 9.00 | 14 / 30 |", // medians of the ceiling's three runs
		"| 100 | gzip | 1.20M | — | — | — | — | — | — | — / — / — / — | 3.00 / — | 9.00 / — | 13 / — |",
		"| collector | 150 | 1400 | 0 | 0 | 0 | 2 | 119.8k | 11.8k | 10.2 | 192.8 | 5120.0 | 534 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line %q in\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Capture") {
		t.Errorf("other benchmarks in the report:\n%s", out.String())
	}
}
