package core

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk/wire"
)

// fromWire converts a wire.Event to the widget's Event.
func fromWire(w *wire.Event) *Event {
	e := &Event{ID: w.ID, Kind: string(w.Kind), Touchpoint: w.Touchpoint, Channel: string(w.Channel), Journey: w.Journey,
		AnonymousID: w.AnonymousID, UserID: w.UserID, SessionID: w.SessionID, InteractionID: w.InteractionID, AgentID: w.AgentID,
		Value: w.Value, ScaleMin: w.ScaleMin, ScaleMax: w.ScaleMax, Emoji: w.Emoji, Text: w.Text, Target: w.Target, Lang: w.Lang, Props: w.Props}
	if !w.OccurredAt.IsZero() {
		e.OccurredAt = w.OccurredAt.UnixMilli()
	}
	if c := w.Context; c != nil {
		e.Context = &Context{URL: c.URL, Referrer: c.Referrer, UserAgent: c.UserAgent, AppVersion: c.AppVersion}
	}
	return e
}

func TestKindsAndChannelsMatchWire(t *testing.T) {
	var wk []string
	for _, k := range wire.Kinds() {
		wk = append(wk, string(k))
		want, rated := k.DefaultScale()
		got, ok := defaultScale(string(k))
		require.Equal(t, rated, ok, k)
		require.Equal(t, scale{want.Min, want.Max, want.Integer, want.Adjustable}, got, k)
	}
	require.Equal(t, wk, kinds[:])
	var wc []string
	for _, c := range wire.Channels() {
		wc = append(wc, string(c))
	}
	require.Equal(t, wc, channels[:])
	require.Equal(t, wire.BatchPath, BatchPath)
}

// TestValidateMatchesWire: Event.Validate accepts and refuses exactly what
// wire.Event.Validate does with the default limits, naming the same field
// with the same reason.
func TestValidateMatchesWire(t *testing.T) {
	now := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	good := func() wire.Event {
		return wire.Event{ID: wire.NewIDAt(now), Kind: wire.KindStar, Touchpoint: "checkout", Channel: wire.ChannelWeb,
			OccurredAt: now, Value: f64(4), Lang: "pt-BR", Context: &wire.Context{URL: "https://x.test/", UserAgent: "ua"}}
	}
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := map[string]func(*wire.Event){
		"good":            func(*wire.Event) {},
		"no id":           func(e *wire.Event) { e.ID = "" },
		"long id":         func(e *wire.Event) { e.ID = long(65) },
		"no kind":         func(e *wire.Event) { e.Kind = "" },
		"unknown kind":    func(e *wire.Event) { e.Kind = wire.Kind(long(40)) },
		"no touchpoint":   func(e *wire.Event) { e.Touchpoint = "" },
		"long touchpoint": func(e *wire.Event) { e.Touchpoint = long(257) },
		"touchpoint 256":  func(e *wire.Event) { e.Touchpoint = long(256) },
		"control":         func(e *wire.Event) { e.Touchpoint = "check\x01out" },
		"del":             func(e *wire.Event) { e.Journey = "long journey here\x7f" },
		"bad utf8":        func(e *wire.Event) { e.UserID = "u\xff\x01" },
		"unicode name":    func(e *wire.Event) { e.Target = "botão «pagar» 😍" },
		"channel":         func(e *wire.Event) { e.Channel = "tv" },
		"each name": func(e *wire.Event) {
			e.AnonymousID, e.SessionID, e.InteractionID, e.AgentID, e.Emoji = "a", "s", "i", "g\n", "😍"
		},
		"lang":               func(e *wire.Event) { e.Lang = long(300) },
		"no value":           func(e *wire.Event) { e.Value = nil },
		"value range":        func(e *wire.Event) { e.Value = f64(6) },
		"value fraction":     func(e *wire.Event) { e.Value = f64(4.5) },
		"scale_max":          func(e *wire.Event) { e.ScaleMax, e.Value = f64(10), f64(9) },
		"scale_max bad":      func(e *wire.Event) { e.ScaleMax = f64(11) },
		"scale_max fraction": func(e *wire.Event) { e.ScaleMax = f64(7.5) },
		"scale_min":          func(e *wire.Event) { e.ScaleMin = f64(0) },
		"scale_min same":     func(e *wire.Event) { e.ScaleMin = f64(1) },
		"nps fixed":          func(e *wire.Event) { e.Kind, e.ScaleMax = wire.KindNPS, f64(5) },
		"nps min fixed":      func(e *wire.Event) { e.Kind, e.ScaleMin = wire.KindNPS, f64(0) },
		"nps 10":             func(e *wire.Event) { e.Kind, e.Value = wire.KindNPS, f64(10) },
		"thumbs 2":           func(e *wire.Event) { e.Kind, e.Value = wire.KindThumbs, f64(2) },
		"ces 7":              func(e *wire.Event) { e.Kind, e.Value = wire.KindCES, f64(7) },
		"qa":                 func(e *wire.Event) { e.Kind, e.Value, e.ScaleMax = wire.KindQA, f64(87.5), f64(90) },
		"qa inverted":        func(e *wire.Event) { e.Kind, e.ScaleMin, e.ScaleMax = wire.KindQA, f64(5), f64(1) },
		"click value":        func(e *wire.Event) { e.Kind = wire.KindClick },
		"click scale_min":    func(e *wire.Event) { e.Kind, e.Value, e.ScaleMin = wire.KindClick, nil, f64(1) },
		"click scale_max":    func(e *wire.Event) { e.Kind, e.Value, e.ScaleMax = wire.KindClick, nil, f64(1) },
		"click":              func(e *wire.Event) { e.Kind, e.Value, e.Target = wire.KindClick, nil, "button#go" },
		"comment":            func(e *wire.Event) { e.Kind, e.Value, e.Text = wire.KindComment, nil, "Ótimo" },
		"comment empty":      func(e *wire.Event) { e.Kind, e.Value = wire.KindComment, nil },
		"text long":          func(e *wire.Event) { e.Text = long(4097) },
		"text utf8":          func(e *wire.Event) { e.Text = "\xff" },
		"context long":       func(e *wire.Event) { e.Context.Referrer = long(2049) },
		"context utf8":       func(e *wire.Event) { e.Context.UserAgent = "\xc3" },
		"props":              func(e *wire.Event) { e.Props = map[string]string{"plan": "pro", "n": "3"} },
		"props empty key":    func(e *wire.Event) { e.Props = map[string]string{"": "x"} },
		"props long key":     func(e *wire.Event) { e.Props = map[string]string{long(513): "x"} },
		"props long value":   func(e *wire.Event) { e.Props = map[string]string{"k": long(513)} },
		"props utf8 value":   func(e *wire.Event) { e.Props = map[string]string{"k": "\xff"} },
		"props many": func(e *wire.Event) {
			e.Props = map[string]string{}
			for i := range 33 {
				e.Props[long(i+1)] = "v"
			}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			w := good()
			mutate(&w)
			var wantField, wantReason string
			if err := w.Validate(wire.Limits{}, now); err != nil {
				fe := err.(*wire.FieldError)
				wantField, wantReason = fe.Field, fe.Reason
			}
			field, reason := fromWire(&w).Validate()
			require.Equal(t, wantField, field)
			require.Equal(t, wantReason, reason)
		})
	}
}

func TestNewID(t *testing.T) {
	c := New()
	at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	var last string
	for i := range 5000 {
		ms := at.UnixMilli() + int64(i/3000) // 3000 ids in one millisecond: the counter carries on
		if i == 4000 {
			ms -= 10 // the clock went back
		}
		id := c.NewID(ms)
		require.Len(t, id, 36)
		got, ok := wire.IDTime(id)
		require.True(t, ok, id)
		require.GreaterOrEqual(t, got.UnixMilli(), ms-10, id)
		require.Equal(t, byte('7'), id[14], "version 7")
		require.Contains(t, "89ab", string(id[19]), "variant 10")
		require.Greater(t, id, last, "ids increase")
		last = id
	}
	require.Equal(t, at.UnixMilli(), mustIDTime(t, New().NewID(at.UnixMilli())).UnixMilli())
}

func mustIDTime(t *testing.T, id string) time.Time {
	tm, ok := wire.IDTime(id)
	require.True(t, ok)
	return tm
}
