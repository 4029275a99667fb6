package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	dist := filepath.Join(dir, "dist")
	if err := os.Mkdir(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("dist/rastro.js", 5000)
	write("dist/wasm_exec.js", 17000)
	write("dist/rastro.wasm", 100000)
	a, b := write("a.js", 3000), write("b.js", 40000)
	tsv := "# comment\n" +
		"peer@1\tloader\t" + a + "\t\t\n" +
		"peer@1\tfull-ui\t" + a + "\tthe loader\t\n" +
		"peer@1\tfull-ui\t" + b + "\tnot all of it\tpartial\n"
	peers := write("peers.tsv", 0)
	if err := os.WriteFile(peers, []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(dir, "raw.txt")
	var md strings.Builder
	if err := run(peers, dist, raw, &md); err != nil {
		t.Fatal(err)
	}
	bench, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"BenchmarkWidgetSize/widget=rastro/stage=loader 1 5000 raw-B ",
		"BenchmarkWidgetSize/widget=rastro/stage=full-ui 1 122000 raw-B ",
		"BenchmarkWidgetSize/widget=peer@1/stage=loader 1 3000 raw-B ",
		"BenchmarkWidgetSize/widget=peer@1/stage=full-ui 1 43000 raw-B ",
	} {
		if !strings.Contains(string(bench), want) {
			t.Errorf("no %q in\n%s", want, bench)
		}
	}
	if !strings.Contains(string(bench), "brotli-B 1 partial\n") || strings.Count(string(bench), "partial") != 1 {
		t.Errorf("want the peer's full-ui alone partial:\n%s", bench)
	}
	for _, want := range []string{
		"| peer@1 | full-ui | `a.js`",
		"[2] the loader. [3] not all of it.",
		"| peer@1 | page-load | — |", // no page-load stage, but Rastro has one
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("no %q in\n%s", want, md.String())
		}
	}

	if err := run(filepath.Join(dir, "missing.tsv"), dist, "", &md); err == nil {
		t.Error("no error for a missing peers.tsv")
	}
	if err := run(peers, filepath.Join(dir, "nodist"), "", &md); err == nil {
		t.Error("no error without the bundle")
	}
}
