package core

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkCallStar is one rastro("star", touchpoint, value) as the module
// handles it: validate, encode, queue. Run it in the wasm build too:
//
//	GOOS=js GOARCH=wasm go test -run '^$' -bench . -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./wasm/core
func BenchmarkCallStar(b *testing.B) {
	c := New()
	c.Key, c.Lang, c.AnonymousID, c.SessionID = "wk_bench", "en", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
	c.URL, c.UserAgent = "https://shop.example/checkout", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"
	c.Queue.MaxEvents = 0
	c.Queue.MaxBytes = 0
	args := []Arg{Str("checkout.delivery"), Num(4)}
	b.ReportAllocs()
	for b.Loop() {
		if r := c.Call("star", args); !r.Queued {
			b.Fatal(r.Warn)
		}
		if c.Queue.Len() >= 1000 {
			c.Queue.Clear()
		}
	}
}

func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 24, 21, 5, 9, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999000000, time.UTC),
		time.Date(2000, 3, 1, 0, 0, 0, 1000000, time.UTC),
		time.Date(1900, 2, 28, 12, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC),
		time.Date(999, 12, 31, 23, 59, 59, 0, time.FixedZone("x", -3*3600)),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 10000000, time.UTC),
		time.UnixMilli(1_790_000_000_123),
	} {
		require.Equal(t, tm.UTC().Format(time.RFC3339Nano), string(appendTime(nil, tm.UnixMilli())))
	}
	// Every day of four centuries (leap years, century rules) at a time
	// with milliseconds.
	for ms := time.Date(1900, 1, 1, 1, 2, 3, 40000000, time.UTC).UnixMilli(); ms < time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(); ms += 86400000 + 1001 {
		require.Equal(t, time.UnixMilli(ms).UTC().Format(time.RFC3339Nano), string(appendTime(nil, ms)))
	}
}

func TestParseHTTPDate(t *testing.T) {
	now := time.Date(1994, 11, 6, 8, 49, 0, 0, time.UTC).UnixMilli()
	require.Equal(t, int64(37000), ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now))
	require.Equal(t, int64(0), ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 PST", now))
	require.Equal(t, int64(0), ParseRetryAfter("Sun, 06 Xyz 1994 08:49:37 GMT", now))
	require.Equal(t, int64(5000), ParseRetryAfter("5", now))
	for _, tm := range []time.Time{
		time.Date(2026, 12, 6, 5, 0, 1, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC),
		time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		got, ok := parseHTTPDate(tm.Format(http1123))
		require.True(t, ok)
		require.Equal(t, tm.UnixMilli(), got, tm.Format(http1123))
	}
}

// http1123 is net/http's TimeFormat.
const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"
