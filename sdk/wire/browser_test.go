//go:build rastro_nojson

package wire

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The browser build's Time and Duration behave as package time's do for
// everything this package and the widget use: the tests may import time,
// the module does not.

func TestDurationText(t *testing.T) {
	require.Equal(t, "86400s", durationText(24*Hour))
	require.Equal(t, "1s", durationText(1500*Millisecond))
	require.Equal(t, "0s", durationText(0))
}

func TestQuoteInTheBrowserBuild(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"star", `"star"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\tnew\nline\x00\x7f", `"tab\x09new\x0aline\x00\x7f"`},
		{"ação ⭐", `"ação ⭐"`},
	} {
		require.Equal(t, tc.want, quote(tc.in), "%q", tc.in)
	}
}

func TestTime(t *testing.T) {
	var zero Time
	require.True(t, zero.IsZero())
	require.False(t, zero.After(UnixMilli(0)))
	require.True(t, UnixMilli(0).After(zero))
	for _, ms := range []int64{0, 1, 999, 1000, -1, -999, -1000, -1001, 1_790_000_000_123} {
		tm, std := UnixMilli(ms), time.UnixMilli(ms)
		require.False(t, tm.IsZero())
		require.Equal(t, std.Unix(), tm.Unix(), "ms %d", ms)
		require.Equal(t, ms, tm.UnixMilli())
		for _, d := range []time.Duration{0, time.Millisecond, 1500 * time.Microsecond, -2 * time.Second, 24 * time.Hour} {
			require.Equal(t, std.Add(d).UnixMilli(), tm.Add(Duration(d)).UnixMilli(), "ms %d + %v", ms, d)
			require.Equal(t, std.After(std.Add(d)), tm.After(tm.Add(Duration(d))), "ms %d after +%v", ms, d)
		}
	}
}

func TestCheckInTheBrowserBuild(t *testing.T) {
	now := UnixMilli(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixMilli())
	v := 4.0
	ok := Event{ID: "0193f8a2-0000-7000-8000-000000000000", Kind: KindStar, Touchpoint: "checkout", Value: &v}
	for _, tc := range []struct {
		name  string
		at    Time
		max   Duration
		field string
	}{
		{name: "not set", at: Time{}},
		{name: "now", at: now},
		{name: "a little future", at: now.Add(23 * Hour)},
		{name: "future", at: now.Add(25 * Hour), field: "occurred_at"},
		{name: "over a short limit", at: now.Add(1500 * Millisecond), max: Second, field: "occurred_at"},
		{name: "within a short limit", at: now.Add(500 * Millisecond), max: Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			e.OccurredAt = tc.at
			err := e.Validate(Limits{MaxFuture: tc.max}, now)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field)
		})
	}
	e := ok
	e.OccurredAt = now.Add(25 * Hour)
	require.EqualError(t, e.Validate(Limits{}, now), "wire: field occurred_at: lies more than 86400s in the future")
}

func TestIDsInTheBrowserBuild(t *testing.T) {
	at := UnixMilli(1_790_000_000_123)
	a, b := NewIDAt(at), NewIDAt(at)
	require.Less(t, a, b)
	got, ok := IDTime(a)
	require.True(t, ok)
	require.Equal(t, at, got)
}
