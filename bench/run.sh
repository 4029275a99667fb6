#!/usr/bin/env bash
# run.sh — Rastro's benchmarks and the peer comparison, summarized with
# benchstat into a Markdown report under bench/results/. `make bench` calls it.
#
#   COUNT=5 ./run.sh     # runs per benchmark (default 5; benchstat wants >= 5 for confidence intervals)
#   QUICK=1 ./run.sh     # one short run of each, to check that everything works
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)

count=${COUNT:-5}
events=300000 # per run of the capture and delivery benchmarks
if [[ -n "${QUICK:-}" ]]; then count=1; events=50000; fi

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

echo "== peers: capture, delivered events/s, outage memory"
run . -bench 'BenchmarkCapture$' -benchtime "${events}x" -count "$count"
run . -bench 'BenchmarkDelivered$' -benchtime "${events}x" -count "$count"
run . -bench 'BenchmarkOutageMemory$' -benchtime 1000000x -count "$count"

echo "== sdk: Capture alone, in parallel, validation, delivery"
run "$root" -bench 'BenchmarkCapture$|BenchmarkCaptureParallel$|BenchmarkValidate$' -benchtime 1s -count "$count" ./sdk/
run "$root" -bench 'BenchmarkDelivered$' -benchtime "${events}x" -count "$count" ./sdk/

# The collector's benchmarks, when it has some.
if grep -rqs --include='*_test.go' '^func Benchmark' "$root/collector"; then
	echo "== collector"
	run "$root" -bench . -benchtime 1s -count "$count" ./collector/...
fi

{
	echo "# Rastro benchmarks — $stamp"
	echo
	echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3-)."
	echo "Runs per benchmark: $count. Raw output: [$stamp.txt]($stamp.txt). Rerun with \`make bench\`."
	echo
	echo "## Peers side by side (same event, same local server)"
	echo
	echo "Columns are SDKs; percentages compare each with Rastro (the first column)."
	echo "\`BenchmarkCapture\`: one capture call while the SDK's buffer has room."
	echo "\`BenchmarkDelivered\`: events/s from the first capture until close returned and the server decoded them all;"
	echo "its sec/op is the caller's cost per event under sustained load. \`rastro\` sends gzip, \`rastro-plain\` plain JSON,"
	echo "segment and posthog plain JSON."
	echo
	echo '```'
	go tool benchstat -col /sdk -filter '.name:(Capture OR Delivered)' "$raw" 2>/dev/null || go tool benchstat "$raw"
	echo '```'
	echo
	echo "## Everything"
	echo
	echo '```'
	go tool benchstat "$raw"
	echo '```'
} >"$report"
echo "wrote bench/$report"
