package faults

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Row is the outcome of one scenario, counted by event id.
type Row struct {
	// Scenario names the test.
	Scenario string
	// Sent counts the distinct events handed to the SDK (Capture returned
	// nil, or, for the outbox scenario, that the child was about to capture).
	Sent int
	// Acked counts the distinct events acknowledged: in a 2xx answer the
	// SDK read whole (or, for the outbox scenario, written to the outbox
	// and fsynced: Sync returned nil).
	Acked int
	// Stored counts the distinct ids in the collector's store.
	Stored int
	// Duplicates counts the ids stored more than once. Must be 0.
	Duplicates int
	// Lost counts the acknowledged ids missing from the store. Must be 0.
	Lost int
	// Unknown counts the stored ids that were never sent. Must be 0.
	Unknown int
	// Faults says what was done to the system, e.g. "6 SIGKILLs".
	Faults string
	// Notes holds what else the scenario observed.
	Notes string
	// Took is the scenario's wall time.
	Took time.Duration
}

// Tally counts a scenario by id: sent and acked are sets of ids, stored
// maps each stored id to the number of times the store holds it.
func Tally(sent, acked map[string]bool, stored map[string]int) Row {
	r := Row{Sent: len(sent), Acked: len(acked), Stored: len(stored)}
	for id := range acked {
		if stored[id] == 0 {
			r.Lost++
		}
	}
	for id, n := range stored {
		if n > 1 {
			r.Duplicates++
		}
		if !sent[id] {
			r.Unknown++
		}
	}
	return r
}

// Problems lists what is wrong with r for a scenario that must lose,
// duplicate and invent nothing.
func (r Row) Problems() []string {
	var p []string
	if r.Lost > 0 {
		p = append(p, fmt.Sprintf("%d acknowledged events are not stored", r.Lost))
	}
	if r.Duplicates > 0 {
		p = append(p, fmt.Sprintf("%d events are stored more than once", r.Duplicates))
	}
	if r.Unknown > 0 {
		p = append(p, fmt.Sprintf("%d stored events were never sent", r.Unknown))
	}
	if r.Acked > r.Sent {
		p = append(p, fmt.Sprintf("%d events acknowledged but only %d sent", r.Acked, r.Sent))
	}
	return p
}

// report gathers the rows of a test run.
var report struct {
	mu   sync.Mutex
	rows []Row
}

// Record adds r to the run's report.
func Record(r Row) {
	report.mu.Lock()
	defer report.mu.Unlock()
	report.rows = append(report.rows, r)
}

// Rows returns the rows recorded so far, sorted by scenario.
func Rows() []Row {
	report.mu.Lock()
	defer report.mu.Unlock()
	rows := slices.Clone(report.rows)
	slices.SortStableFunc(rows, func(a, b Row) int { return cmp.Compare(a.Scenario, b.Scenario) })
	return rows
}

// WriteTable writes rows as a Markdown table.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| scenario | sent | acked | stored | duplicates | lost | unknown | faults | took | notes |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %s | %.1f s | %s |\n",
			cell(r.Scenario), r.Sent, r.Acked, r.Stored, r.Duplicates, r.Lost, r.Unknown,
			cell(r.Faults), r.Took.Seconds(), cell(r.Notes))
	}
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteReport writes the Markdown report of a run: when and where it ran,
// the table, and how to read it.
func WriteReport(w io.Writer, rows []Row, took time.Duration, passed bool) {
	host, _ := os.Hostname()
	result := "PASS"
	if !passed {
		result = "FAIL"
	}
	fmt.Fprintf(w, "# Fault suite — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "%s in %.0f s on %s, %s/%s, %d CPUs, %s, load average %s.\n\n",
		result, took.Seconds(), host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), loadAvg())
	WriteTable(w, rows)
	fmt.Fprint(w, `
Counts are distinct event ids. **sent**: events handed to the SDK.
**acked**: events the collector acknowledged in a 2xx answer the SDK read
whole (outbox scenario: events fsynced into the SDK's outbox, Sync returned
nil). **stored**: ids in the collector's export after the run (after a last
SIGKILL and restart where the scenario says so). **duplicates**: ids stored
more than once. **lost**: acknowledged but not stored. **unknown**: stored
but never sent. duplicates, lost and unknown must be 0; every scenario but
the outbox one also requires acked = sent = stored (the SDK delivered
everything in the end). See bench/README.md.
`)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func sortedKeys[V any](m map[int]V) []int {
	return slices.Sorted(maps.Keys(m))
}
