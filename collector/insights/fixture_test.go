package insights

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// openStore returns a real embedded store holding traces.
func openStore(t testing.TB, traces ...trace.Trace) store.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{Sync: sqlite.SyncNormal})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	if len(traces) > 0 {
		_, err = st.Append(context.Background(), traces)
		require.NoError(t, err)
	}
	return st
}

// mon is Monday 2025-03-03, the start of ISO week 10.
var mon = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)

var seq int

// tr is a trace as the normalizer makes it: a value on [lo, hi] gets its
// score, sentiment and NPS class from normalize.Rate.
type tr struct {
	at               time.Time
	tp               string
	ch               wire.Channel
	kind             wire.Kind
	v, lo, hi        float64
	noValue          bool
	user, anon       string
	agent, inter     string
	team, text, lang string
}

func (x tr) trace() trace.Trace {
	seq++
	if x.ch == "" {
		x.ch = wire.ChannelWeb
	}
	t := trace.Trace{
		SpecVersion: trace.SpecVersion, ID: fmt.Sprintf("t%05d", seq), Source: "rastro://test",
		Type: trace.TypePrefix + string(x.kind), Time: x.at, DataContentType: trace.ContentType,
		DataSchema: trace.DataSchema,
		Data: trace.Data{Kind: x.kind, Touchpoint: x.tp, Channel: x.ch, UserID: x.user, AnonymousID: x.anon,
			AgentID: x.agent, InteractionID: x.inter, Text: x.text, Lang: x.lang,
			ReceivedAt: x.at, Origin: trace.OriginWire},
	}
	if x.team != "" {
		t.Data.Props = map[string]string{"team": x.team}
	}
	if !x.noValue {
		v, lo, hi := x.v, x.lo, x.hi
		t.Data.Value, t.Data.Min, t.Data.Max = &v, &lo, &hi
		normalize.Rate(&t.Data)
	}
	return t
}

func traces(xs ...tr) []trace.Trace {
	out := make([]trace.Trace, len(xs))
	for i, x := range xs {
		out[i] = x.trace()
	}
	return out
}

// csat is a CSAT answer on 1..5 at day d (0 = mon), minute m.
func csat(tp string, d, m int, v float64) tr {
	return tr{at: mon.AddDate(0, 0, d).Add(time.Duration(9*60+m) * time.Minute), tp: tp, kind: wire.KindCSAT, v: v, lo: 1, hi: 5}
}

// trendFixture: touchpoint checkout, CSAT on 1..5 over three days, and
// touchpoint support, NPS and CES over two days.
//
//	checkout day0: 5 5 5 5 4 4 4 4 2 1  -> 8/10 satisfied, CSAT 80 %
//	                scores 1 1 1 1 .75 .75 .75 .75 .25 0 -> mean 7.25/10 = 0.725
//	checkout day1: 5 5 5 5 5 4 4 4 4 3  -> 9/10 satisfied, CSAT 90 %
//	                scores 5*1 + 4*.75 + .5 = 8.5 -> mean 0.85
//	checkout day2: 5 4 3 3 2 2 2 1 1 1  -> 2/10 satisfied, CSAT 20 %
//	                scores 1 .75 .5 .5 .25 .25 .25 0 0 0 = 3.5 -> mean 0.35
//	support  day0: nps 10 9 7 3 (2 promoters, 1 detractor of 4: NPS 25),
//	               ces 7 1 on 1..7 (CES mean 4, scores 1 and 0)
//	support  day1: nps 9 6 (1 promoter, 1 detractor of 2: NPS 0)
func trendFixture() []trace.Trace {
	var xs []tr
	for i, v := range []float64{5, 5, 5, 5, 4, 4, 4, 4, 2, 1} {
		xs = append(xs, csat("checkout", 0, i, v))
	}
	for i, v := range []float64{5, 5, 5, 5, 5, 4, 4, 4, 4, 3} {
		xs = append(xs, csat("checkout", 1, i, v))
	}
	for i, v := range []float64{5, 4, 3, 3, 2, 2, 2, 1, 1, 1} {
		xs = append(xs, csat("checkout", 2, i, v))
	}
	nps := func(d, m int, v float64) tr {
		return tr{at: mon.AddDate(0, 0, d).Add(time.Duration(10*60+m) * time.Minute), tp: "support", ch: wire.ChannelChat, kind: wire.KindNPS, v: v, lo: 0, hi: 10}
	}
	xs = append(xs, nps(0, 0, 10), nps(0, 1, 9), nps(0, 2, 7), nps(0, 3, 3), nps(1, 0, 9), nps(1, 1, 6))
	xs = append(xs,
		tr{at: mon.Add(11 * time.Hour), tp: "support", ch: wire.ChannelChat, kind: wire.KindCES, v: 7, lo: 1, hi: 7},
		tr{at: mon.Add(11*time.Hour + time.Minute), tp: "support", ch: wire.ChannelChat, kind: wire.KindCES, v: 1, lo: 1, hi: 7},
	)
	return traces(xs...)
}

// alignmentFixture: four agents in two teams, QA on 0..100 (ana, bob, cid
// per interaction; dan without interaction ids), all in ISO week 10.
//
//	agent team  interaction QA      customer                     pair (qa, customer)
//	ana   north i1          90 .9   csat 5 -> 1                  (.9, 1)
//	ana   north i2          80 .8   star 4/5 -> .75              (.8, .75)
//	ana   north i7          70 .7   none                         -
//	bob   north i3          95 .95  csat 2 -> .25                (.95, .25)
//	bob   north i4          85 .85  csat 1 -> 0                  (.85, 0)
//	cid   south i5          40 .4   csat 5 -> 1                  (.4, 1)
//	cid   south i6          50 .5   star 4/5 -> .75              (.5, .75)
//	dan   south -           3/1..5 .5  csat 2 -> .25, 3 -> .5 (agent dan, no interaction)
//	                                                              (.5, .375)
//
// Customer traces on interactions carry no agent id: they are attributed
// through the QA of their interaction.
//
//	agent QA mean              customer mean         quadrant (0.7, 0.7)
//	ana   (.9+.8+.7)/3 = .8    (1+.75)/2 = .875      aligned_high
//	bob   (.95+.85)/2 = .9     (.25+0)/2 = .125      high_qa_low_customer
//	cid   (.4+.5)/2 = .45      (1+.75)/2 = .875      low_qa_high_customer
//	dan   .5                   (.25+.5)/2 = .375     aligned_low
//
// Pearson r, all 7 pairs: mx = 4.9/7 = .7, my = 4.125/7;
// Sxy = 2.7 - 7*.7*4.125/7 = 2.7 - 2.8875 = -.1875;
// Sxx = 3.735 - 7*.49 = .305; Syy = 3.328125 - 4.125^2/7 = .897321428571...;
// r = -.1875/sqrt(.305*.897321428571) = -0.3584077011651191.
// North (4 pairs): mx = .875, my = .5, dx = .025 -.075 .075 -.025,
// dy = .5 .25 -.25 -.5: Sxy = -.0125, Sxx = .0125, Syy = .625,
// r = -.0125/sqrt(.0078125) = -1/sqrt(50) = -0.1414213562373095.
// South (3 pairs): mx = 1.4/3, my = 2.125/3: Sxy = -.0291666...,
// Sxx = .0066666..., Syy = .1979166..., r = -0.8029550685469661.
func alignmentFixture() []trace.Trace {
	at := func(h int) time.Time { return mon.AddDate(0, 0, 1).Add(time.Duration(h) * time.Hour) }
	qa := func(h int, agent, team, inter string, v float64) tr {
		return tr{at: at(h), tp: "call.review", ch: wire.ChannelVoice, kind: wire.KindQA, v: v, lo: 0, hi: 100, agent: agent, team: team, inter: inter}
	}
	cust := func(h int, kind wire.Kind, inter, agent string, v float64) tr {
		return tr{at: at(h).Add(time.Minute), tp: "support", ch: wire.ChannelVoice, kind: kind, v: v, lo: 1, hi: 5, inter: inter, agent: agent}
	}
	return traces(
		qa(1, "ana", "north", "i1", 90), cust(1, wire.KindCSAT, "i1", "", 5),
		qa(2, "ana", "north", "i2", 80), cust(2, wire.KindStar, "i2", "", 4),
		qa(3, "ana", "north", "i7", 70),
		qa(4, "bob", "north", "i3", 95), cust(4, wire.KindCSAT, "i3", "", 2),
		qa(5, "bob", "north", "i4", 85), cust(5, wire.KindCSAT, "i4", "", 1),
		qa(6, "cid", "south", "i5", 40), cust(6, wire.KindCSAT, "i5", "", 5),
		qa(7, "cid", "south", "i6", 50), cust(7, wire.KindStar, "i6", "", 4),
		tr{at: at(8), tp: "call.review", ch: wire.ChannelVoice, kind: wire.KindQA, v: 3, lo: 1, hi: 5, agent: "dan", team: "south"},
		cust(9, wire.KindCSAT, "", "dan", 2), cust(10, wire.KindCSAT, "", "dan", 3),
		// a click and a comment join nothing
		tr{at: at(11), tp: "support", kind: wire.KindClick, noValue: true, agent: "dan"},
		tr{at: at(12), tp: "support", kind: wire.KindComment, noValue: true, text: "ok"},
	)
}
