package sdk

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk/wire"
)

// checkBoth returns what Client.validate says about e and what
// wire.Event.Check says about e's wire form, both as Capture sees them:
// the time set to now unless the caller set one, an id made later.
func checkBoth(t testing.TB, e Event, now time.Time) (fast, full error) {
	t.Helper()
	c := &Client{cfg: Config{Limits: wire.DefaultLimits()}}
	timed := !e.at.IsZero()
	if !timed {
		e.at = now
	}
	fast = c.validate(&e, now, timed)
	full = e.checkWire(&c.cfg.Limits, now)
	return fast, full
}

// requireAgree fails unless both errors are nil or both are FieldErrors
// naming the same field for the same reason.
func requireAgree(t testing.TB, fast, full error, what string) {
	t.Helper()
	if fast == nil || full == nil {
		require.True(t, fast == nil && full == nil, "%s: Capture said %v, wire.Event.Check %v", what, fast, full)
		return
	}
	var a, b *FieldError
	require.True(t, errors.As(fast, &a) && errors.As(full, &b), "%s: %v / %v", what, fast, full)
	require.Equal(t, *b, *a, what)
}

// TestValidateAgrees: Capture checks an event without the rarely set
// fields field by field (Client.validate); each of the protocol's rules
// it applies must give the answer wire.Event.Check gives.
func TestValidateAgrees(t *testing.T) {
	now := time.Now()
	long := strings.Repeat("a", 257)
	for _, tc := range []struct {
		name    string
		e       Event
		invalid string // the field Check names, "" when valid
	}{
		{"star", Star("checkout.payment", 4).User("u-42").Channel(Web), ""},
		{"every common field", NPS("home.nps", 9).User("u").Anonymous("a").Session("s").Channel(App).At(now), ""},
		{"click", Click("checkout.pay", "button#pay"), ""},
		{"emoji", Emoji("support.chat", 2, "🙁"), ""},
		{"comment", Comment("support.chat", "slow answer"), ""},
		{"thumbs", Thumbs("help.article", false), ""},
		{"qa", QA("call.1234", 87.5), ""},
		{"ces", CES("returns", 7), ""},
		{"csat", CSAT("returns", 1), ""},
		{"no kind", Event{touchpoint: "x"}, "kind"},
		{"unknown kind", Event{kind: "smile", touchpoint: "x"}, "kind"},
		{"no touchpoint", Star("", 4), "touchpoint"},
		{"long touchpoint", Star(long, 4), "touchpoint"},
		{"control character", Star("check\nout", 4), "touchpoint"},
		{"not UTF-8", Star("check\xffout", 4), "touchpoint"},
		{"unknown channel", Star("x", 4).Channel("fax"), "channel"},
		{"bad user", Star("x", 4).User("u\x00"), "user_id"},
		{"bad anonymous id", Star("x", 4).Anonymous(long), "anonymous_id"},
		{"bad session", Star("x", 4).Session("s\x7f"), "session_id"},
		{"bad emoji", Emoji("x", 2, long), "emoji"},
		{"bad target", Click("x", "\x01"), "target"},
		{"future", Star("x", 4).At(now.Add(25 * time.Hour)), "occurred_at"},
		{"skew allowed", Star("x", 4).At(now.Add(23 * time.Hour)), ""},
		{"star 6", Star("x", 6), "value"},
		{"star 0", Star("x", 0), "value"},
		{"nps 11", NPS("x", 11), "value"},
		{"qa NaN", QA("x", math.NaN()), "value"},
		{"qa over", QA("x", 100.5), "value"},
		{"empty comment", Comment("x", ""), "text"},
		{"long comment", Comment("x", strings.Repeat("é", 2049)), "text"},
		{"comment not UTF-8", Comment("x", "\xc3"), "text"},
		{"click with a value", Event{kind: wire.KindClick, touchpoint: "x", value: 1, hasValue: true}, "value"},
		{"star without a value", Event{kind: wire.KindStar, touchpoint: "x"}, "value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Nil(t, tc.e.x, "the case must take the field-by-field path")
			fast, full := checkBoth(t, tc.e, now)
			requireAgree(t, fast, full, tc.name)
			if tc.invalid == "" {
				require.NoError(t, fast)
				return
			}
			var fe *FieldError
			require.ErrorAs(t, fast, &fe)
			require.Equal(t, tc.invalid, fe.Field, fast.Error())
		})
	}
}

// FuzzValidateAgrees holds Capture's field-by-field check to
// wire.Event.Check on arbitrary events without the rarely set fields.
func FuzzValidateAgrees(f *testing.F) {
	f.Add("star", "checkout.payment", "web", "u-42", "", "", "", 4.0, true, int64(0))
	f.Add("comment", "support", "", "", "a-1", "s-1", "too slow", 0.0, false, int64(-60))
	f.Add("click", "pay", "app", "", "", "", "button#pay", 0.0, false, int64(86400+5))
	f.Add("emoji", "chat", "chat", "u", "", "", "🙂", 3.0, true, int64(3600))
	f.Add("qa", "call", "voice", "", "", "", "", 99.5, true, int64(0))
	f.Add("nps", "x\x00", "fax", "\xff", "", "", "", 10.5, true, int64(0))
	now := time.Now()
	f.Fuzz(func(t *testing.T, kind, tp, channel, user, anon, session, detail string, value float64, hasValue bool, ahead int64) {
		e := Event{kind: wire.Kind(kind), touchpoint: tp, channel: wire.Channel(channel), userID: user, anonID: anon,
			sessionID: session, value: value, hasValue: hasValue}
		if own(e.kind) != ownNone {
			e.detail = detail
		}
		if ahead != 0 {
			e.at = now.Add(time.Duration(ahead%(1<<20)) * time.Second)
		}
		fast, full := checkBoth(t, e, now)
		requireAgree(t, fast, full, "fuzzed event")
	})
}

// TestTemplatesStayIndependent: a method that sets a rarely set field
// makes a new copy of them, so a template and what was built from it do
// not see each other's changes.
func TestTemplatesStayIndependent(t *testing.T) {
	base := Star("checkout", 4).Journey("buy")
	a := base.Journey("return").Agent("ag-1")
	b := base.Text("fine").ID("id-b")
	require.Equal(t, "buy", base.Wire().Journey)
	require.Empty(t, base.Wire().AgentID)
	require.Empty(t, base.Wire().Text)
	require.Equal(t, "return", a.Wire().Journey)
	require.Equal(t, "ag-1", a.Wire().AgentID)
	require.Equal(t, "buy", b.Wire().Journey)
	require.Equal(t, "id-b", b.Wire().ID)
	require.Empty(t, a.Wire().ID)
	// Clearing the last rarely set field leaves none, as if never set.
	require.Equal(t, Star("checkout", 4), base.Journey(""))
}
