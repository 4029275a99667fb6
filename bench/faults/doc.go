// Package faults is Rastro's fault suite: scenarios, each a Go test, that
// run the real collector binary and the real SDK on 127.0.0.1, do
// something bad to them and count, by event id, what was sent,
// acknowledged and stored. Nothing acknowledged may be lost, nothing
// stored twice.
//
// # Running
//
//	make test-faults                      # from the repository root: writes bench/results/faults-<time>.md
//	go test -race ./faults/...            # here; FAULTS_REPORT=path writes the Markdown report
//	go test -race -run TestDiskFull -v ./faults
//
// The scenarios are TestKill9UnderLoad (SIGKILL of the collector every
// 2-3 s), TestNetworkFaults (delays, blackholes and resets from the
// [proxy] package), TestRetryAfterStorm (429s from a tiny per-key rate),
// TestDiskFull and TestDiskFullRestart (a small tmpfs filled up; root
// only) and TestOutboxChildKill9 (SIGKILL of a process whose SDK client
// has a durable outbox). -short skips them all.
//
// # Parts
//
// [CollectorBin] builds the collector once; a [Collector] runs it on a
// fixed address and data folder so that it can be killed ([Collector.Kill]
// sends SIGKILL) and started again where clients expect it, and reads
// back every stored id ([Collector.Export]). A [Ledger] is the
// http.RoundTripper an SDK client sends through: it learns the ids of each
// batch and which of them an answer acknowledged, counts answers by
// status, and checks that Retry-After was honoured. [Tally] turns sent,
// acknowledged and stored ids into a report [Row]; [WriteReport] prints
// the rows as Markdown.
package faults
