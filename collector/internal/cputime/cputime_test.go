//go:build unix

package cputime

import (
	"testing"
	"time"
)

func TestProcessGrowsWithWork(t *testing.T) {
	before := Process()
	deadline := time.Now().Add(20 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after := Process()
	if before <= 0 || after <= before {
		t.Fatalf("CPU time %v then %v after busy work (%d loops)", before, after, x)
	}
}
