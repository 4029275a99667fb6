package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportCommand runs "rastro-collector import" as a real process,
// twice over the same file: the second run adds nothing.
func TestImportCommand(t *testing.T) {
	bin, err := buildCollector()
	require.NoError(t, err)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("ticket,agent,score,closed\n")
	for i := range 500 {
		score := fmt.Sprint(1 + i%5)
		if i == 41 {
			score = "x"
		}
		fmt.Fprintf(&b, "t%d,a%d,%s,2026-01-02 10:%02d:00\n", i, i%7, score, i%60)
	}
	file := filepath.Join(dir, "export.csv")
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o600))
	mapping := filepath.Join(dir, "map.yaml")
	require.NoError(t, os.WriteFile(mapping, []byte("time_layout: \"2006-01-02 15:04:05\"\ncolumns:\n  id: ticket\n  value: score\ndefaults:\n  kind: csat\n  touchpoint: support\n"), 0o600))

	run := func() string {
		cmd := exec.Command(bin, "import", "-data", filepath.Join(dir, "data"), "-source", "helpdesk", "-map", mapping,
			"-col", "agent_id=agent", "-col", "occurred_at=closed", "-set", "channel=voice", file)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.NotContains(t, string(out), "\r", "no progress line when stderr is not a terminal")
		return string(out)
	}
	first := run()
	require.Contains(t, first, "export.csv: rows 500, imported 499, duplicates 0, rejected 1\n")
	require.Contains(t, first, `line 43: value: "x" is not a number`)
	second := run()
	require.Contains(t, second, "export.csv: rows 500, imported 0, duplicates 499, rejected 1\n")

	out, err := exec.Command(bin, "import", "-data", dir, file).CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "-source is required")
}
