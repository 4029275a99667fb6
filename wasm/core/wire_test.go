//go:build !rastro_nojson

package core

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk/wire"
)

// These tests read the widget's output with wire's standard build (its
// JSON codec, time.Time), which the browser build (rastro_nojson) leaves
// out.

func f64(f float64) *float64 { return &f }

// TestAppendEventMatchesWire: the hand-written encoder and wire's codec
// agree on every field.
func TestAppendEventMatchesWire(t *testing.T) {
	at := time.Date(2026, 11, 24, 12, 30, 1, 123000000, time.UTC) // the widget keeps milliseconds, as Date.now gives them
	for _, ev := range []wire.Event{
		{ID: wire.NewID(), Kind: wire.KindStar, Touchpoint: "checkout.payment", Channel: wire.ChannelWeb, OccurredAt: at, UserID: "u-42", Value: f64(4)},
		{ID: wire.NewID(), Kind: wire.KindQA, Touchpoint: "call", Value: f64(87.5), ScaleMin: f64(0), ScaleMax: f64(100), AgentID: "a", InteractionID: "i", Journey: "j"},
		{ID: wire.NewID(), Kind: wire.KindComment, Touchpoint: "t", Text: "Ótimo \"app\" <3\n\t\x01\u2028\u2029\\ \xff", Lang: "pt-BR",
			Context: &wire.Context{URL: "https://x.test/?a=1&b=2", UserAgent: "ua", Referrer: "r", AppVersion: "1"}, Props: map[string]string{"z": "1", "a": "2", "é": "ü"}},
		{ID: wire.NewID(), Kind: wire.KindEmoji, Touchpoint: "t", Emoji: "😍", Value: f64(5), AnonymousID: "a-1", SessionID: "s-1"},
		{ID: wire.NewID(), Kind: wire.KindClick, Touchpoint: "home", Target: "button#go", Context: &wire.Context{}},
	} {
		got := AppendEvent(nil, &ev)
		var back wire.Event
		require.NoError(t, json.Unmarshal(got, &back), "%s", got)
		if ev.Context != nil && *ev.Context == (wire.Context{}) {
			ev.Context = nil // an empty context is left out
		}
		if ev.Text != "" {
			ev.Text = string([]rune(ev.Text)) // invalid UTF-8 becomes U+FFFD, as encoding/json does
		}
		require.Equal(t, ev, back)
		require.Equal(t, `{"id":"`+ev.ID+`"`, string(got[:len(ev.ID)+8]))
	}
}

// TestCallEvents: a call makes one wire event, with a UUIDv7 for the
// time of the call and ids that increase, also within a millisecond and
// when the clock goes back.
func TestCallEvents(t *testing.T) {
	c := New()
	at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC).UnixMilli()
	ms := at
	c.Now = func() int64 { return ms }
	c.BatchEvents = 500
	for i := range 300 {
		ms = at + int64(i/200) // 200 calls in one millisecond
		if i == 250 {
			ms -= 10 // the clock went back
		}
		r := c.Call("star", []Arg{Str("checkout"), Num(4)})
		require.True(t, r.Queued, r.Warn)
	}
	body, n := c.Batch()
	require.Equal(t, 300, n)
	var b wire.Batch
	require.NoError(t, json.Unmarshal(body, &b))
	require.Len(t, b.Events, 300)
	last := ""
	for i, e := range b.Events {
		require.NoError(t, e.Validate(wire.Limits{}, time.UnixMilli(at+1)), "event %d", i)
		require.Equal(t, wire.KindStar, e.Kind)
		got, ok := wire.IDTime(e.ID)
		require.True(t, ok, e.ID)
		require.GreaterOrEqual(t, got.UnixMilli(), at, e.ID)
		require.Greater(t, e.ID, last, "ids increase")
		last = e.ID
	}
	require.Equal(t, time.UnixMilli(at).UTC(), b.Events[0].OccurredAt.UTC())
}
