// Package cputime reads the CPU time the process has used, for benchmarks
// that report CPU per unit of work: on a shared machine that measures the
// cost of a row or an event better than the wall clock does.
package cputime
