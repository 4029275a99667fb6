package core

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCallWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		args         []Arg
		warn         string
	}{
		{"no touchpoint", "star", nil, `argument 2 (touchpoint) must be a non-empty string, got undefined`},
		{"value type", "nps", []Arg{Str("t"), Str("9")}, `argument 3 (value) must be a number, got a string`},
		{"value range", "ces", []Arg{Str("t"), Num(8)}, `argument 3 (value) must be between 1 and 7 for kind ces`},
		{"whole", "csat", []Arg{Str("t"), Num(4.5)}, `argument 3 (value) must be a whole number`},
		{"comment text", "comment", []Arg{Str("t"), Str("")}, `argument 3 (text) is required for kind comment`},
		{"thumbs", "thumbs", []Arg{Str("t"), Str("maybe")}, `argument 3 (value) must be true/false`},
		{"options type", "star", []Arg{Str("t"), Num(3), Str("x")}, `argument 4 (options) must be an object, got a string`},
		{"scale option", "star", []Arg{Str("t"), Num(3), Obj(map[string]Arg{"scaleMax": Num(20)})}, `option scale_max must be a whole number between 3 and 10`},
		{"consent", "consent", []Arg{Str("no")}, `argument 2 (granted) must be true or false`},
		{"init", "init", []Arg{Obj(map[string]Arg{"channel": Str("tv")})}, `argument 2 (options) field channel has a bad value`},
		{"ok", "star", []Arg{Str("t"), Num(3), Obj(map[string]Arg{"scaleMax": Num(10), "text": Str("fine")})}, ``},
		{"ok thumbs", "thumbs", []Arg{Str("t"), Str("down")}, ``},
		{"ok click", "click", []Arg{Str("t")}, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New()
			r := c.Call(tc.method, tc.args)
			if tc.warn == "" {
				require.Empty(t, r.Warn)
				return
			}
			require.Contains(t, r.Warn, `rastro("`+tc.method+`"): `+tc.warn)
		})
	}
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixMilli()
	for attempt := 1; attempt < 12; attempt++ {
		d := Backoff(attempt, "", now, 0)
		hi := Backoff(attempt, "", now, ^uint64(0)>>1)
		require.LessOrEqual(t, d, hi)
		require.LessOrEqual(t, hi, RetryMax)
		require.GreaterOrEqual(t, d, RetryInitial/2)
	}
	require.Equal(t, int64(30000), Backoff(1, "30", now, 0))
	require.Equal(t, int64(90000), Backoff(1, time.UnixMilli(now).Add(90*time.Second).UTC().Format(time.RFC1123), now, 0))
	require.Equal(t, MaxRetryAfter, Backoff(1, "999999", now, 0))
	for _, s := range []int{0, 408, 429, 500, 503} {
		require.True(t, Retryable(s), "%d", s)
	}
	for _, s := range []int{200, 400, 401, 403, 413, 415} {
		require.False(t, Retryable(s), "%d", s)
	}
}

func TestQueueBoundsAndRefusal(t *testing.T) {
	c := New()
	c.Queue.MaxEvents = 2
	require.True(t, c.Call("star", []Arg{Str("t"), Num(1)}).Queued)
	require.True(t, c.Call("star", []Arg{Str("t"), Num(2)}).Queued)
	r := c.Call("star", []Arg{Str("t"), Num(3)})
	require.Contains(t, r.Warn, "queue full")
	require.Equal(t, 1, c.Queue.Dropped)
	body, n := c.Batch()
	require.Equal(t, 2, n)
	require.NotNil(t, body)
	again, _ := c.Batch()
	require.Nil(t, again, "one batch in flight at a time")
	_, warn := c.Done(400, "", 0)
	require.Contains(t, warn, "refused 2 events")
	require.Equal(t, 0, c.Queue.Len(), "refused events are never sent again")
}

func TestStrings(t *testing.T) {
	require.Equal(t, "pt", StringsFor("pt-BR").Lang)
	require.Equal(t, "es", StringsFor("ES").Lang)
	require.Equal(t, "en", StringsFor("fr").Lang)
	require.Equal(t, "3 estrelas", StringsFor("pt").StarLabel(3))
	asks, comment, bad := ParseAsks("stars, comment nps bogus")
	require.Len(t, asks, 2)
	require.True(t, comment)
	require.Equal(t, []string{"bogus"}, bad)
	require.Equal(t, 18+72+90+98+36, Height(asks, comment))
	require.Equal(t, "Opinión", StringsFor("es").Feedback)
	require.Equal(t, "Fechar", StringsFor("pt").Close)
	require.Equal(t, "Was this helpful?", StringsFor("en").Prompt("thumbs"))
	require.Equal(t, "¿Qué tan fácil fue?", StringsFor("es").Prompt("ces"))
	require.Equal(t, "Como você avalia?", StringsFor("pt").Prompt("stars"))
}

func TestParseButton(t *testing.T) {
	starsComment, _, _ := ParseAsks("stars comment")
	for _, tc := range []struct {
		name string
		arg  Arg
		want Button
		warn string
	}{
		{name: "true: the defaults", arg: Boolean(true), want: Button{Asks: starsComment, Comment: true}},
		{name: "false: off", arg: Boolean(false), want: Button{Off: true}},
		{name: "empty object: the defaults", arg: Obj(nil), want: Button{Asks: starsComment, Comment: true}},
		{name: "all options", arg: Obj(map[string]Arg{"ask": Str("nps"), "touchpoint": Str("page.feedback"), "position": Str("bottom-left"),
			"label": Str("Ideas?"), "question": Str("Would you recommend us?")}),
			want: Button{Asks: []Ask{{"nps", "nps", 0, 10}}, Touchpoint: "page.feedback", Left: true, Label: "Ideas?", Question: "Would you recommend us?"}},
		{name: "empty attribute values", arg: Obj(map[string]Arg{"ask": Str(""), "position": Str("")}), want: Button{Asks: starsComment, Comment: true}},
		{name: "undefined fields are left out", arg: Obj(map[string]Arg{"label": {}}), want: Button{Asks: starsComment, Comment: true}},
		{name: "unknown question", arg: Obj(map[string]Arg{"ask": Str("thumbs likes")}), want: Button{Asks: []Ask{{"thumbs", "thumbs", 0, 1}}},
			warn: `field ask: unknown question "likes"`},
		{name: "bad position", arg: Obj(map[string]Arg{"position": Str("top")}), warn: `field position must be "bottom-right" or "bottom-left", got "top"`},
		{name: "not a string", arg: Obj(map[string]Arg{"label": Num(3)}), warn: `field label must be a string, got a number`},
		{name: "too long", arg: Obj(map[string]Arg{"touchpoint": Str(strings.Repeat("t", 257))}), warn: `field touchpoint is longer than 256 bytes`},
		{name: "unknown field", arg: Obj(map[string]Arg{"colour": Str("red")}), warn: `has an unknown field "colour"; use ask, touchpoint, position, label, question`},
		{name: "not an object", arg: Str("stars"), warn: `must be an object or true/false, got a string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New().Call("button", []Arg{tc.arg})
			if tc.warn != "" {
				require.Contains(t, r.Warn, `rastro("button"): argument 2 (options) `+tc.warn)
			} else {
				require.Empty(t, r.Warn)
			}
			if tc.want.Asks == nil && !tc.want.Off {
				require.Nil(t, r.Button, "bad options change nothing")
				return
			}
			require.NotNil(t, r.Button)
			require.Equal(t, tc.want, *r.Button)
			require.False(t, r.Queued, "configuring the button captures nothing")
		})
	}
}
