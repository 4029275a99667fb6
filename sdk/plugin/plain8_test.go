package plugin

import (
	"math/rand/v2"
	"testing"
)

// TestPlain8 checks the word trick against the byte loop it replaces.
func TestPlain8(t *testing.T) {
	special := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }
	r := rand.New(rand.NewPCG(1, 2))
	pool := []byte{0, 1, 0x1f, 0x20, 0x21, '"', '\\', 'a', 0x7f, 0x80, 0xa2, 0xdc, 0xff, '[', ']', 0x5b, 0x5d}
	for range 200000 {
		var b [8]byte
		want := true
		for i := range b {
			if r.IntN(2) == 0 {
				b[i] = pool[r.IntN(len(pool))]
			} else {
				b[i] = byte(r.IntN(256))
			}
			if special(b[i]) {
				want = false
			}
		}
		if got := plain8(string(b[:])); got != want {
			t.Fatalf("plain8(%q) = %v, want %v", b, got, want)
		}
	}
}
