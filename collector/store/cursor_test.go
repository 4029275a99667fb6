package store

import (
	"errors"
	"testing"
)

func TestCursor(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"round trip", EncodeCursor(1_700_000_000_000_000_000, 42), true},
		{"negative time", EncodeCursor(-5, 1), true},
		{"zero seq", EncodeCursor(5, 0), false},
		{"empty", "", false},
		{"not base64", "!!!!!!!!!!!!!!!!!!!!!!!", false},
		{"short", EncodeCursor(5, 1)[:10], false},
		{"padded", EncodeCursor(5, 1) + "=", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm, seq, err := DecodeCursor(tc.in)
			if !tc.ok {
				if !errors.Is(err, ErrBadCursor) {
					t.Fatalf("DecodeCursor(%q) = %d, %d, %v; want ErrBadCursor", tc.in, tm, seq, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := EncodeCursor(tm, seq); got != tc.in {
				t.Fatalf("re-encoded %q, want %q", got, tc.in)
			}
		})
	}
}

// FuzzDecodeCursor: a cursor comes from a query string, so any text may
// arrive. DecodeCursor never panics, accepts only what EncodeCursor makes,
// and what it accepts encodes back to the same text.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(1, 1))
	f.Add(EncodeCursor(-1, 1<<62))
	f.Add("AQAAAAAAAAABAAAAAAAAAAE")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tm, seq, err := DecodeCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("error %v is not ErrBadCursor", err)
			}
			return
		}
		if seq <= 0 {
			t.Fatalf("accepted seq %d", seq)
		}
		if got := EncodeCursor(tm, seq); got != s {
			t.Fatalf("DecodeCursor accepted %q, which encodes back as %q", s, got)
		}
	})
}
