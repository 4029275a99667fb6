//go:build !rastro_nojson

package wire

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func f64(v float64) *float64 { return &v }

func TestValidate(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	good := func() Event {
		return Event{ID: "01a2", Kind: KindStar, Touchpoint: "checkout", Value: f64(4), OccurredAt: now}
	}
	tests := []struct {
		name   string
		mod    func(e *Event)
		limits Limits
		field  string // "" means valid
		reason string // substring
	}{
		{name: "valid star", mod: func(*Event) {}},
		{name: "no id", mod: func(e *Event) { e.ID = "" }, field: "id", reason: "required"},
		{name: "long id", mod: func(e *Event) { e.ID = strings.Repeat("a", 65) }, field: "id"},
		{name: "no kind", mod: func(e *Event) { e.Kind = "" }, field: "kind"},
		{name: "unknown kind", mod: func(e *Event) { e.Kind = "like" }, field: "kind", reason: `"like"`},
		{name: "no touchpoint", mod: func(e *Event) { e.Touchpoint = "" }, field: "touchpoint"},
		{name: "touchpoint too long", mod: func(e *Event) { e.Touchpoint = strings.Repeat("t", 257) }, field: "touchpoint"},
		{name: "touchpoint with tab", mod: func(e *Event) { e.Touchpoint = "a\tb" }, field: "touchpoint", reason: "control"},
		{name: "touchpoint with DEL", mod: func(e *Event) { e.Touchpoint = "a\x7f" }, field: "touchpoint", reason: "control"},
		{name: "touchpoint bad UTF-8", mod: func(e *Event) { e.Touchpoint = "a\xff" }, field: "touchpoint", reason: "UTF-8"},
		{name: "bad UTF-8 wins over control", mod: func(e *Event) { e.Touchpoint = "a\nb\xff" }, field: "touchpoint", reason: "UTF-8"},
		{name: "long touchpoint with control late", mod: func(e *Event) { e.Touchpoint = "checkout.payment.card\x01" }, field: "touchpoint", reason: "control"},
		{name: "long touchpoint with DEL in a word", mod: func(e *Event) { e.Touchpoint = "abcdefgh\x7fijklmnop" }, field: "touchpoint", reason: "control"},
		{name: "long touchpoint with 0x1f", mod: func(e *Event) { e.Touchpoint = "abcdefg\x1fhijklmnop" }, field: "touchpoint", reason: "control"},
		{name: "long printable touchpoint", mod: func(e *Event) { e.Touchpoint = "~!abcdefghijklmnopqrstuvwxyz 0123456789" }},
		{name: "long touchpoint bad UTF-8 late", mod: func(e *Event) { e.Touchpoint = "checkout.payment\xc3(" }, field: "touchpoint", reason: "UTF-8"},
		{name: "non-ASCII touchpoint", mod: func(e *Event) { e.Touchpoint = "pagamento.cartão" }},
		{name: "non-ASCII then control", mod: func(e *Event) { e.Touchpoint = "cartão\n" }, field: "touchpoint", reason: "control"},
		{name: "unknown channel", mod: func(e *Event) { e.Channel = "fax" }, field: "channel"},
		{name: "every channel", mod: func(e *Event) { e.Channel = ChannelInPerson }},
		{name: "journey too long", mod: func(e *Event) { e.Journey = strings.Repeat("j", 257) }, field: "journey"},
		{name: "user id control", mod: func(e *Event) { e.UserID = "u\x00" }, field: "user_id"},
		{name: "agent bad", mod: func(e *Event) { e.AgentID = "\xc3" }, field: "agent_id"},
		{name: "lang bad", mod: func(e *Event) { e.Lang = "pt\nBR" }, field: "lang"},
		{name: "future", mod: func(e *Event) { e.OccurredAt = now.Add(25 * time.Hour) }, field: "occurred_at"},
		{name: "a little future", mod: func(e *Event) { e.OccurredAt = now.Add(23 * time.Hour) }},
		{name: "future by a second over a short limit", mod: func(e *Event) { e.OccurredAt = now.Add(1500 * time.Millisecond) },
			limits: Limits{MaxFuture: time.Second}, field: "occurred_at"},
		{name: "within a short limit", mod: func(e *Event) { e.OccurredAt = now.Add(500 * time.Millisecond) },
			limits: Limits{MaxFuture: time.Second}},
		{name: "zero time", mod: func(e *Event) { e.OccurredAt = time.Time{} }},
		{name: "star 6", mod: func(e *Event) { e.Value = f64(6) }, field: "value", reason: "between 1 and 5"},
		{name: "star 4.5", mod: func(e *Event) { e.Value = f64(4.5) }, field: "value", reason: "whole"},
		{name: "star no value", mod: func(e *Event) { e.Value = nil }, field: "value", reason: "required"},
		{name: "star of 10", mod: func(e *Event) { e.Value, e.ScaleMax = f64(10), f64(10) }},
		{name: "star scale 11", mod: func(e *Event) { e.ScaleMax = f64(11) }, field: "scale_max"},
		{name: "star scale min 0", mod: func(e *Event) { e.ScaleMin = f64(0) }, field: "scale_min"},
		{name: "nps 11", mod: func(e *Event) { e.Kind, e.Value = KindNPS, f64(11) }, field: "value"},
		{name: "nps 0", mod: func(e *Event) { e.Kind, e.Value = KindNPS, f64(0) }},
		{name: "nps scale fixed", mod: func(e *Event) { e.Kind, e.Value, e.ScaleMax = KindNPS, f64(5), f64(5) }, field: "scale_max"},
		{name: "thumbs 2", mod: func(e *Event) { e.Kind, e.Value = KindThumbs, f64(2) }, field: "value"},
		{name: "ces 7", mod: func(e *Event) { e.Kind, e.Value = KindCES, f64(7) }},
		{name: "click with value", mod: func(e *Event) { e.Kind = KindClick }, field: "value", reason: "empty"},
		{name: "click", mod: func(e *Event) { e.Kind, e.Value = KindClick, nil }},
		{name: "comment without text", mod: func(e *Event) { e.Kind, e.Value = KindComment, nil }, field: "text"},
		{name: "text too long", mod: func(e *Event) { e.Text = strings.Repeat("x", 4097) }, field: "text"},
		{name: "text bad UTF-8", mod: func(e *Event) { e.Text = "\xff" }, field: "text"},
		{name: "qa 87.5", mod: func(e *Event) { e.Kind, e.Value = KindQA, f64(87.5) }},
		{name: "qa custom scale", mod: func(e *Event) { e.Kind, e.Value, e.ScaleMin, e.ScaleMax = KindQA, f64(-2), f64(-5), f64(5) }},
		{name: "qa NaN scale", mod: func(e *Event) { e.Kind, e.ScaleMin = KindQA, f64(nan()) }, field: "scale_min"},
		{name: "qa inverted scale", mod: func(e *Event) { e.Kind, e.ScaleMin, e.ScaleMax = KindQA, f64(5), f64(1) }, field: "scale_max"},
		{name: "NaN value", mod: func(e *Event) { e.Value = f64(nan()) }, field: "value"},
		{name: "context url long", mod: func(e *Event) { e.Context = &Context{URL: strings.Repeat("u", 2049)} }, field: "context.url"},
		{name: "context ua bad", mod: func(e *Event) { e.Context = &Context{UserAgent: "\xff"} }, field: "context.user_agent"},
		{name: "too many props", mod: func(e *Event) {
			e.Props = map[string]string{}
			for i := range 33 {
				e.Props[strings.Repeat("k", i+1)] = "v"
			}
		}, field: "props"},
		{name: "empty prop key", mod: func(e *Event) { e.Props = map[string]string{"": "v"} }, field: "props"},
		{name: "long prop value", mod: func(e *Event) { e.Props = map[string]string{"plan": strings.Repeat("v", 513)} }, field: "props.plan"},
		{name: "smaller limits", mod: func(e *Event) { e.Touchpoint = "abcdef" }, limits: Limits{MaxNameBytes: 5}, field: "touchpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := good()
			tc.mod(&e)
			err := e.Validate(tc.limits, now)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a *FieldError, got %v", err)
			require.Equal(t, tc.field, fe.Field, "%v", err)
			require.Contains(t, fe.Reason, tc.reason)
			require.Contains(t, err.Error(), tc.field)
		})
	}
}

func nan() float64 { var z float64; return z / z }

// TestValidateKnowsEveryKind: Check recognises kinds through their scale
// (and click and comment by name), so it must accept exactly what
// Kind.Valid accepts.
func TestValidateKnowsEveryKind(t *testing.T) {
	now := time.Now()
	l := DefaultLimits()
	for _, k := range append(Kinds(), "like", "Star", "stars", "comments", "q") {
		e := Event{ID: "x", Kind: k, Touchpoint: "t"}
		err := e.Check(&l, now)
		var fe *FieldError
		kindErr := errors.As(err, &fe) && fe.Field == "kind"
		require.Equal(t, !k.Valid(), kindErr, "kind %q: %v", k, err)
	}
}

func TestValidateDoesNotAllocate(t *testing.T) {
	now := time.Now()
	e := Event{ID: "x", Kind: KindStar, Touchpoint: "checkout", UserID: "u-42", Channel: ChannelWeb, Value: f64(4), OccurredAt: now}
	l := DefaultLimits()
	allocs := testing.AllocsPerRun(100, func() {
		if err := e.Validate(l, now); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

func TestIDs(t *testing.T) {
	prev := ""
	for range 10000 {
		id := NewID()
		require.Len(t, id, 36)
		require.Greater(t, id, prev, "ids increase")
		_, ok := IDTime(id)
		require.True(t, ok)
		prev = id
	}
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	u := NewUUIDAt(at)
	ts, ok := IDTime(u.String())
	require.True(t, ok)
	require.True(t, ts.Equal(at))
	require.Equal(t, u.String(), string(u.Append(nil)))
	// The clock going back never makes a smaller id.
	require.Greater(t, NewIDAt(at.Add(-time.Hour)), u.String())
}
