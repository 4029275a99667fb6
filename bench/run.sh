#!/usr/bin/env bash
# run.sh — Rastro's benchmarks and the peer comparison, summarized with
# benchstat into a Markdown report under bench/results/. `make bench` calls it.
#
#   COUNT=6 ./run.sh     # runs per benchmark (default 6: benchstat gives a 95% confidence interval from 6 on)
#   QUICK=1 ./run.sh     # one short run of each, to check that everything works
#   INGEST=0 ./run.sh    # leave out the collector ingest benchmarks (ingest/)
#   SDK=0 ./run.sh       # leave out the SDK and its peers (capture, delivery)
#   COLLECTOR=0 ./run.sh # leave out the collector's package benchmarks (./collector/...)
#   WIDGET=0 ./run.sh    # leave out the widget: sizes against the peers, time to ready in Chromium (widget/)
#   PAGELOADS=10         # page loads per run of BenchmarkWidgetReady (each run reports their medians)
#
# The report (results/STAMP.md) links a chart (results/STAMP.svg) of its
# headline ratios; the raw output (results/STAMP.txt) holds every number.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)

count=${COUNT:-6}
events=300000    # per run of the capture and delivery benchmarks
ingest_time=1s   # per run of each BenchmarkIngest sub-benchmark
overload_time=10s
pageloads=${PAGELOADS:-10}
if [[ -n "${QUICK:-}" ]]; then count=1; events=50000; ingest_time=0.3s; overload_time=3s; pageloads=${PAGELOADS:-3}; fi
export RASTRO_OVERLOAD_TIME=${RASTRO_OVERLOAD_TIME:-$overload_time}

stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p results
raw=results/$stamp.txt
report=results/$stamp.md
: >"$raw"

run() { # dir, go test args...
	local dir=$1
	shift
	(cd "$dir" && go test -run '^$' "$@") | tee -a "$raw"
}

# The widget's weight next to its peers' (fetched from npm once, into
# .cache/; offline afterwards). Without the peers, Rastro's alone.
widget_md="" widget_note=""
if [[ "${WIDGET:-1}" != 0 ]]; then
	echo "== widget: download size vs the peers"
	peers=.cache/peers/peers.tsv
	if ! widget/peers.sh; then
		widget_note="**The peers' widgets could not be fetched (widget/peers.sh failed: npm missing, or offline with an empty .cache): Rastro's sizes alone.**"
		peers=""
	fi
	if ! widget_md=$(go run ./cmd/widgetsize -peers "$peers" -dist "$root/wasm/dist" -bench "$raw"); then
		widget_note="**cmd/widgetsize failed (is wasm/dist built? make widget): see its output above.**"
	fi
fi

if [[ "${SDK:-1}" != 0 ]]; then
	echo "== peers: capture, delivered events/s, outage memory"
	run . -bench 'BenchmarkCapture$' -benchtime "${events}x" -count "$count"
	run . -bench 'BenchmarkDelivered$' -benchtime "${events}x" -count "$count"
	run . -bench 'BenchmarkOutageMemory$' -benchtime 1000000x -count "$count"

	echo "== sdk: Capture alone, in parallel, validation, delivery"
	run "$root" -bench 'BenchmarkCapture$|BenchmarkCaptureParallel$|BenchmarkValidate$' -benchtime 1s -count "$count" ./sdk/
	run "$root" -bench 'BenchmarkDelivered$' -benchtime "${events}x" -count "$count" ./sdk/
fi

# The collector's benchmarks, when it has some.
if [[ "${COLLECTOR:-1}" != 0 ]] && grep -rqs --include='*_test.go' '^func Benchmark' "$root/collector"; then
	echo "== collector"
	run "$root" -bench . -benchtime 1s -count "$count" ./collector/...
fi

# The collector against the ceiling: both their own processes, loaded by
# the same client (ingest/). The collector's sub-benchmarks skip themselves
# until collector/cmd/rastro-collector exists; a failing collector leaves a
# note in the report rather than no report.
ingest_failed=()
if [[ "${INGEST:-1}" != 0 ]]; then
	echo "== collector ingest vs the net/http ceiling"
	ingest_load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
	run ./ingest -bench 'BenchmarkIngest$' -benchtime "$ingest_time" -count "$count" -timeout 60m ||
		ingest_failed+=(BenchmarkIngest)
	run ./ingest -bench 'BenchmarkOverload$' -benchtime 1x -count 1 -timeout 20m ||
		ingest_failed+=(BenchmarkOverload)
fi

# The widget in headless Chromium: from navigation to ready, the collector
# serving wasm/dist. Skips itself without /usr/bin/chromium.
ready_failed=""
if [[ "${WIDGET:-1}" != 0 ]]; then
	echo "== widget: time to ready in headless Chromium"
	run ./widget -bench 'BenchmarkWidgetReady$' -benchtime "${pageloads}x" -count "$count" -timeout 30m ||
		ready_failed=1
	echo "== widget: main-thread cost of a call in headless Chromium"
	run ./widget -bench 'BenchmarkWidgetCall$' -benchtime 1x -count "$count" -timeout 10m ||
		ready_failed=1
fi

{
	echo "# Rastro benchmarks — $stamp"
	echo
	echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3-)."
	echo "Runs per benchmark: $count. Raw output: [$stamp.txt]($stamp.txt). Rerun with \`make bench\`;"
	echo "how to read this report: [bench/README.md](../README.md)."
	echo
	echo "## Headline"
	echo
	echo "Medians of the runs below, as ratios oriented so that above 1 means Rastro does better; the chart shows the same."
	echo
	echo "[![Rastro against its peers and the ceiling]($stamp.svg)]($stamp.svg)"
	echo
	go run ./cmd/summary -svg "results/$stamp.svg" \
		-title "Rastro benchmarks $stamp ($(nproc) cores, $(go env GOVERSION))" "$raw"
	if [[ "${SDK:-1}" != 0 ]]; then
		echo "## Peers side by side (same event, same local server)"
		echo
		echo "Columns are SDKs; percentages compare each with Rastro (the first column)."
		echo "\`BenchmarkCapture\`: one capture call while the SDK's buffer has room."
		echo "\`BenchmarkDelivered\`: events/s from the first capture until close returned and the server decoded them all;"
		echo "its sec/op is the caller's cost per event under sustained load. \`rastro\` sends gzip, \`rastro-plain\` plain JSON,"
		echo "segment and posthog plain JSON."
		echo
		echo '```'
		go tool benchstat -col /sdk -filter "pkg:github.com/rastrohq/rastro/bench .name:(Capture OR Delivered)" "$raw" 2>/dev/null || go tool benchstat "$raw"
		echo '```'
		echo
	fi
	if [[ "${INGEST:-1}" != 0 ]]; then
		echo "## Collector ingest vs the net/http ceiling"
		echo
		echo "The ceiling (\`cmd/ceiling\`) is a bare \`net/http\` server that reads each body, gunzips it when needed, and answers 204."
		echo "It and \`rastro-collector serve\` (key rate limit lifted with \`-write-key-rate -1\`, everything else default, so"
		echo "durable) each run as their own process and are loaded by the same client: 32 keep-alive connections, one request"
		echo "in flight on each, ~330-byte events of mixed kinds, every id fresh. events/s counts events acknowledged (204 from"
		echo "the ceiling, accepted in a 200 from the collector); server CPU is the server process's user+system time per"
		echo "event, which other jobs on the machine disturb less than events/s; p50/p99 are per request; peak RSS is the"
		echo "server's VmHWM. Client and server share the machine's $(nproc) cores; load average before these runs: $ingest_load."
		echo "\`without store\` is \`cmd/nostore\`: the same collector server whose store encodes each trace and keeps nothing,"
		echo "the most any store could let the collector reach; the rest of the gap to the ceiling is the store's."
		echo "\`synced log only\` is \`cmd/nostore -fsync\`: the store appends the encoded traces to a file and answers after an"
		echo "fdatasync (one for every call waiting), the least a store that acknowledges only durable traces does (no dedupe, no index)."
		echo "Medians of $count runs of ${ingest_time} each:"
		echo
		if ((${#ingest_failed[@]})); then
			echo "**${ingest_failed[*]} failed: see the raw output; the tables show what completed.**"
			echo
		fi
		go run ./cmd/ingestreport "$raw"
		echo
		echo "The overload rows: ${RASTRO_OVERLOAD_CONNS:-256} connections sending batches of ${RASTRO_OVERLOAD_BATCH:-500} events back to back for"
		echo "$RASTRO_OVERLOAD_TIME, never honouring Retry-After, against the collector's default limits."
		echo "\`go test ./ingest\` (TestOverloadLosesNothing) checks that every event acknowledged in such a run is in the export."
		echo
		echo "benchstat, the four servers side by side (\`-col /target\`):"
		echo
		echo '```'
		go tool benchstat -col /target -filter '.name:Ingest .unit:(events/s OR server-sec/event OR p50-ms OR p99-ms OR peak-RSS-MiB)' "$raw" 2>/dev/null || true
		echo '```'
		echo
	fi
	if [[ "${WIDGET:-1}" != 0 ]]; then
		echo "## Widget: download size against the peers"
		echo
		echo "What a page downloads for the feedback widget, one file at a time as a server sends it (gzip -9, brotli -q 11):"
		echo "\`loader\` is the file the page's script tag names; \`page-load\` everything fetched while the page loads,"
		echo "without interaction; \`full-ui\` everything fetched once the feedback UI can be used. Rastro's module loads"
		echo "when the page is idle (or at the first interaction), so its page load is the loader alone. The peers' files"
		echo "come from npm, pinned in \`widget/peers.sh\`, which says which file is which."
		echo
		if [[ -n "$widget_note" ]]; then echo "$widget_note"; echo; fi
		echo "$widget_md"
		echo
		echo "## Widget: time to ready in headless Chromium"
		echo
		echo "A page with two touchpoints loads the loader from the collector (\`/widget/\`, serving \`wasm/dist\`), on the same"
		echo "machine. Milliseconds after navigation start, medians over $pageloads page loads per run, then over $count runs:"
		echo "\`module loads\` idle is the default (after the load event, when the page is idle), eager loads it at DOMContentLoaded;"
		echo "cold is a fresh browser context per load (nothing cached), warm reloads one tab (the hashed module comes from the"
		echo "HTTP cache). \`module fetched\`: the module's last byte arrived (it compiles while it streams in); \`module running\`:"
		echo "Go's main took over the loader's queue; \`widget ready\`: the rastro:ready event, after every touchpoint got its"
		echo "shadow root and questions; \`next frame\`: the animation frame after that. \`longtask-%\` below is the share of loads"
		echo "with a long task (over 50 ms) between the module's request and that frame, \`longtask-max-ms\` the longest of them."
		echo
		if [[ -n "$ready_failed" ]]; then echo "**BenchmarkWidgetReady failed: see the raw output; the table shows what completed.**"; echo; fi
		go run ./cmd/summary -what ready "$raw"
		echo
		echo '```'
		go tool benchstat -col /cache -filter '.name:WidgetReady .unit:(wasm-ms OR ready-ms OR longtask-% OR longtask-max-ms)' "$raw" 2>/dev/null || true
		echo '```'
		echo
		echo "One lone \`rastro(\"star\", ...)\` call in a ready page (\`BenchmarkWidgetCall\`, 200 calls per run, 20 ms apart):"
		echo "\`call-µs\` is the caller's own cost (the loader's array push), \`module-p50-µs\`/\`module-p90-µs\` the main-thread"
		echo "time of the module's work for the call (the microtask that hands it to Go, and any task it sets with a delay of 0);"
		echo "\`js-ref-p50-µs\` the same call's work in plain JavaScript, timed the same way: what a lone call costs on this machine."
		echo
		echo '```'
		go tool benchstat -filter '.name:WidgetCall' "$raw" 2>/dev/null || true
		echo '```'
		echo
	fi
	echo "## Everything"
	echo
	echo '```'
	go tool benchstat -filter '-.name:WidgetSize' "$raw"
	echo '```'
} >"$report"
echo "wrote bench/$report and bench/results/$stamp.svg"
