package faults

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMain runs the child of the outbox scenario when asked to (the test
// binary starts itself as that child), else the tests; then it prints the
// report and, with FAULTS_REPORT=path, writes it there as Markdown.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	start := time.Now()
	code := m.Run()
	RemoveBin()
	rows := Rows()
	if len(rows) > 0 {
		var b bytes.Buffer
		WriteReport(&b, rows, time.Since(start), code == 0)
		fmt.Print("\n" + b.String())
		if path := os.Getenv("FAULTS_REPORT"); path != "" {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "faults: FAULTS_REPORT:", err)
				code = 1
			}
		}
	}
	os.Exit(code)
}
