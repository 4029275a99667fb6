package tailbuf

import (
	"strings"
	"testing"
)

func TestBufferKeepsTheLastMaxBytes(t *testing.T) {
	b := &Buffer{Max: 8}
	for _, s := range []string{"abc", "defgh", "ijkl"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "efghijkl" {
		t.Fatalf("kept %q, want %q", got, "efghijkl")
	}
	b.Write([]byte(strings.Repeat("z", 20)))
	if got := b.String(); got != strings.Repeat("z", 8) {
		t.Fatalf("kept %q after a long write", got)
	}
}

func TestBufferDefaultMax(t *testing.T) {
	var b Buffer
	b.Write([]byte(strings.Repeat("y", 300<<10)))
	if got := len(b.String()); got != 256<<10 {
		t.Fatalf("kept %d bytes, want %d", got, 256<<10)
	}
}
