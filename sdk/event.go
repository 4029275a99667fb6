package sdk

import (
	"time"
	"unsafe"

	"github.com/rastrohq/rastro/sdk/wire"
)

// FieldError names the field of an event that Capture refused and says why.
// It is the wire package's type, so the SDK and the collector report the same
// field and reason. Use errors.As to get at it.
type FieldError = wire.FieldError

// Channel is the medium of a touchpoint.
type Channel = wire.Channel

// The channels of wire protocol v1.
const (
	Web      Channel = wire.ChannelWeb
	App      Channel = wire.ChannelApp
	Email    Channel = wire.ChannelEmail
	Chat     Channel = wire.ChannelChat
	Bot      Channel = wire.ChannelBot
	Voice    Channel = wire.ChannelVoice
	SMS      Channel = wire.ChannelSMS
	Social   Channel = wire.ChannelSocial
	Review   Channel = wire.ChannelReview
	Store    Channel = wire.ChannelStore
	InPerson Channel = wire.ChannelInPerson
	Other    Channel = wire.ChannelOther
)

// Event is one trace a customer left at a touchpoint, built with a typed
// constructor (Click, Star, Emoji, Thumbs, NPS, CSAT, CES, Comment, QA) and
// refined with chainable methods:
//
//	sdk.Star("checkout.payment", 4).User("u-42").Channel(sdk.Web)
//
// Every method returns a modified copy, so an Event is a value that can be
// reused as a template. An Event is checked only when it is captured.
type Event struct {
	// w is the wire form. Its Value, ScaleMin and ScaleMax point into
	// smallInts for whole numbers 0..10 (every rating but QA's), so that
	// building and capturing an event allocates nothing; other numbers get
	// a pointer of their own. They are never written through.
	w    wire.Event
	size int32 // estimated JSON size, set by Capture
	// uid is the id made for an event captured without one (when it is
	// batched), formatted only when the event is encoded (hasUID); w.ID is
	// then empty.
	uid    wire.UUID
	hasUID bool
}

// smallInts backs the numbers of most events; see Event.w.
var smallInts = [...]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

// num returns a pointer to v that the event may keep.
func num(v float64) *float64 {
	if v >= 0 && v <= 10 && v == float64(int(v)) {
		return &smallInts[int(v)]
	}
	p := new(float64)
	*p = v
	return p
}

func rated(k wire.Kind, tp string, v float64) Event {
	return Event{w: wire.Event{Kind: k, Touchpoint: tp, Value: num(v)}}
}

// Click records that a customer clicked target at touchpoint tp.
func Click(tp, target string) Event {
	return Event{w: wire.Event{Kind: wire.KindClick, Touchpoint: tp, Target: target}}
}

// Star records a star rating n, on a 1..5 scale unless Scale changes the top.
func Star(tp string, n int) Event { return rated(wire.KindStar, tp, float64(n)) }

// Emoji records that the customer picked emoji, which stands for n on a
// 1..5 scale (1 the unhappiest) unless Scale changes the top.
func Emoji(tp string, n int, emoji string) Event {
	e := rated(wire.KindEmoji, tp, float64(n))
	e.w.Emoji = emoji
	return e
}

// Thumbs records a thumbs up (true) or down (false).
func Thumbs(tp string, up bool) Event {
	v := 0.0
	if up {
		v = 1
	}
	return rated(wire.KindThumbs, tp, v)
}

// NPS records a Net Promoter Score answer, 0..10.
func NPS(tp string, score int) Event { return rated(wire.KindNPS, tp, float64(score)) }

// CSAT records a customer satisfaction answer, 1..5 unless Scale changes the top.
func CSAT(tp string, score int) Event { return rated(wire.KindCSAT, tp, float64(score)) }

// CES records a customer effort score answer, 1..7 unless Scale changes the top.
func CES(tp string, score int) Event { return rated(wire.KindCES, tp, float64(score)) }

// Comment records a free-text comment; text is required.
func Comment(tp, text string) Event {
	return Event{w: wire.Event{Kind: wire.KindComment, Touchpoint: tp, Text: text}}
}

// QA records an internal quality-assurance score of an interaction, on a
// 0..100 scale unless Scale sets another.
func QA(tp string, score float64) Event { return rated(wire.KindQA, tp, score) }

// Kind returns the kind of e.
func (e Event) Kind() wire.Kind { return e.w.Kind }

// ID sets the event's idempotency key. By default the client makes a UUIDv7;
// set one only to make a retry of your own idempotent.
func (e Event) ID(id string) Event { e.w.ID = id; return e }

// User sets the id of the known customer.
func (e Event) User(id string) Event { e.w.UserID = id; return e }

// Anonymous sets the anonymous id of a customer not signed in.
func (e Event) Anonymous(id string) Event { e.w.AnonymousID = id; return e }

// Session sets the session id.
func (e Event) Session(id string) Event { e.w.SessionID = id; return e }

// Interaction sets the id of the interaction (a call, a chat, a ticket).
func (e Event) Interaction(id string) Event { e.w.InteractionID = id; return e }

// Agent sets the id of the agent who served the customer.
func (e Event) Agent(id string) Event { e.w.AgentID = id; return e }

// Journey names the customer journey the touchpoint belongs to.
func (e Event) Journey(name string) Event { e.w.Journey = name; return e }

// Channel sets the medium of the touchpoint, e.g. sdk.Web.
func (e Event) Channel(c Channel) Event { e.w.Channel = c; return e }

// Text attaches a free comment to any kind.
func (e Event) Text(s string) Event { e.w.Text = s; return e }

// Target describes what was clicked or rated.
func (e Event) Target(s string) Event { e.w.Target = s; return e }

// Lang sets the BCP 47 language of the text or page, e.g. "pt-BR".
func (e Event) Lang(tag string) Event { e.w.Lang = tag; return e }

// At sets when the customer acted. By default Capture uses the time of capture.
func (e Event) At(t time.Time) Event { e.w.OccurredAt = t; return e }

// Scale sets the top of the scale for star, emoji, CSAT and CES (3..10),
// or both ends for QA. min is ignored for kinds whose bottom is fixed.
func (e Event) Scale(min, max float64) Event {
	if e.w.Kind == wire.KindQA {
		e.w.ScaleMin = num(min)
	}
	e.w.ScaleMax = num(max)
	return e
}

// Prop adds a string property. The first Prop allocates a map; so that
// templates stay independent, each call copies the map it extends.
func (e Event) Prop(key, value string) Event {
	m := make(map[string]string, len(e.w.Props)+1)
	for k, v := range e.w.Props {
		m[k] = v
	}
	m[key] = value
	e.w.Props = m
	return e
}

// Context sets the client environment: page or screen URL, referrer, user
// agent and app version. Empty strings are left out.
func (e Event) Context(url, referrer, userAgent, appVersion string) Event {
	e.w.Context = &wire.Context{URL: url, Referrer: referrer, UserAgent: userAgent, AppVersion: appVersion}
	return e
}

// URL sets the page or screen URL of the event's context.
func (e Event) URL(url string) Event {
	c := wire.Context{}
	if e.w.Context != nil {
		c = *e.w.Context
	}
	c.URL = url
	e.w.Context = &c
	return e
}

// Wire returns the wire form of e, as the client would send it (with the id
// it made, if any). The result owns fresh copies of the numbers.
func (e Event) Wire() wire.Event {
	w := e.w
	if e.hasUID {
		w.ID = e.uid.String()
	}
	for _, p := range []**float64{&w.Value, &w.ScaleMin, &w.ScaleMax} {
		if *p != nil {
			v := **p
			*p = &v
		}
	}
	return w
}

// FromWire returns the Event that w describes, e.g. to forward an event that
// arrived in wire form.
func FromWire(w wire.Event) Event {
	e := Event{w: w}
	for _, p := range []**float64{&e.w.Value, &e.w.ScaleMin, &e.w.ScaleMax} {
		if *p != nil {
			*p = num(**p)
		}
	}
	return e
}

// view fills w with e's fields, formatting the id Capture made into idBuf.
// w must not outlive idBuf.
func (e *Event) view(w *wire.Event, idBuf *[36]byte) {
	*w = e.w
	if e.hasUID {
		w.ID = unsafe.String(&idBuf[0], len(e.uid.Append(idBuf[:0])))
	}
}

// estimateSize returns about how many bytes e takes in a batch body. It
// counts each string once and a fixed cost for the field names and numbers;
// the queue's byte bound is kept with it.
func (e *Event) estimateSize() int {
	w := &e.w
	n := 196 + len(w.ID) + len(w.Touchpoint) + len(w.Journey) + len(w.AnonymousID) + len(w.UserID) +
		len(w.SessionID) + len(w.InteractionID) + len(w.AgentID) + len(w.Emoji) + len(w.Text) +
		len(w.Target) + len(w.Lang)
	if c := w.Context; c != nil {
		n += 64 + len(c.URL) + len(c.Referrer) + len(c.UserAgent) + len(c.AppVersion)
	}
	if len(w.Props) > 0 {
		for k, v := range w.Props {
			n += 6 + len(k) + len(v)
		}
	}
	return n
}
