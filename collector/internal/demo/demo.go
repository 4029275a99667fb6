package demo

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Source is the trace source of demo data ("rastro://demo").
const Source = "demo"

type touchpoint struct {
	name    string
	channel wire.Channel
	journey string
	kinds   []wire.Kind
	// mood is the chance that a rating is good, in [0,1].
	mood float64
}

var touchpoints = []touchpoint{
	{"checkout.payment", wire.ChannelWeb, "purchase", []wire.Kind{wire.KindStar, wire.KindCSAT, wire.KindClick, wire.KindComment}, 0.8},
	{"checkout.delivery", wire.ChannelApp, "purchase", []wire.Kind{wire.KindStar, wire.KindNPS, wire.KindEmoji}, 0.7},
	{"support.chat", wire.ChannelChat, "support", []wire.Kind{wire.KindCSAT, wire.KindCES, wire.KindComment}, 0.6},
	{"support.call", wire.ChannelVoice, "support", []wire.Kind{wire.KindCSAT, wire.KindNPS}, 0.55},
	{"app.onboarding", wire.ChannelApp, "onboarding", []wire.Kind{wire.KindThumbs, wire.KindCES, wire.KindClick}, 0.75},
	{"store.visit", wire.ChannelInPerson, "purchase", []wire.Kind{wire.KindNPS, wire.KindStar}, 0.85},
	{"review.appstore", wire.ChannelReview, "onboarding", []wire.Kind{wire.KindStar, wire.KindComment}, 0.5},
}

// agents: QA quality and customer satisfaction, one per quadrant.
var agents = []struct {
	id       string
	qa, cust float64
}{
	{"ana", 0.9, 0.85},   // aligned high
	{"bruno", 0.88, 0.3}, // follows the script, customers unhappy
	{"carla", 0.4, 0.85}, // off script, customers happy
	{"diego", 0.35, 0.3}, // aligned low
}

var comments = []struct{ lang, good, bad string }{
	{"pt-BR", "Atendimento excelente, resolveram rápido.", "Demorou demais e ninguém respondeu."},
	{"es", "Muy amables, todo perfecto.", "El pago falló dos veces."},
	{"en", "Smooth checkout, thanks!", "The app crashed at the payment step."},
}

// Traces returns the demo traces: about n of them over the 14 days before
// now.
func Traces(now time.Time, n int) []trace.Trace {
	r := rand.New(rand.NewPCG(2026, 11))
	start := now.Add(-14 * 24 * time.Hour).Truncate(time.Hour)
	span := now.Sub(start)
	out := make([]trace.Trace, 0, n+n/4)
	add := func(e *wire.Event, at time.Time) {
		e.ID = "demo-" + strconv.Itoa(len(out))
		e.OccurredAt = at
		var t trace.Trace
		normalize.Event(e, &normalize.Batch{Source: Source, ReceivedAt: at}, &t)
		out = append(out, t)
	}
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(int64(i) * int64(span) / int64(n)))
		tp := touchpoints[r.IntN(len(touchpoints))]
		mood := tp.mood
		if tp.name == "checkout.payment" && now.Sub(at) < 48*time.Hour {
			mood = 0.25 // the incident the trend chart should show
		}
		e := &wire.Event{Kind: tp.kinds[r.IntN(len(tp.kinds))], Touchpoint: tp.name, Channel: tp.channel,
			Journey: tp.journey, UserID: "u-" + strconv.Itoa(1+r.IntN(300))}
		if tp.journey == "support" {
			a := agents[r.IntN(len(agents))]
			e.AgentID = a.id
			e.InteractionID = "call-" + strconv.Itoa(i)
			mood = a.cust
			// The QA team scores a third of the interactions.
			if r.IntN(3) == 0 {
				qa := wire.Event{Kind: wire.KindQA, Touchpoint: tp.name, Channel: tp.channel, Journey: tp.journey,
					AgentID: a.id, InteractionID: e.InteractionID, Value: f(clamp(100*(a.qa+0.15*r.NormFloat64()), 0, 100))}
				add(&qa, at.Add(time.Hour))
			}
		}
		good := r.Float64() < mood
		switch e.Kind {
		case wire.KindClick:
			e.Target = "button#" + tp.name
		case wire.KindComment:
			c := comments[r.IntN(len(comments))]
			e.Lang, e.Text = c.lang, c.bad
			if good {
				e.Text = c.good
			}
		default:
			s, _ := e.Kind.DefaultScale()
			e.Value = f(rating(r, s, good))
			if e.Kind == wire.KindEmoji {
				e.Emoji = [...]string{"😠", "🙁", "😐", "🙂", "😍"}[int(*e.Value)-1]
			}
		}
		add(e, at)
	}
	return out
}

// rating draws a whole value in the top (good) or bottom part of s.
func rating(r *rand.Rand, s wire.Scale, good bool) float64 {
	steps := int(s.Max - s.Min)
	if good {
		return s.Max - float64(r.IntN(max(1, steps/3)+1)/2)
	}
	return s.Min + float64(r.IntN(max(1, steps/2)+1))
}

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }

func f(v float64) *float64 { return &v }
