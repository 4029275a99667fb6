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
	// The fields most events set are held here, so that the copies the
	// chain of methods makes stay small: an Event is about half the size
	// of a wire.Event, and building and capturing one allocates nothing.
	kind       wire.Kind
	touchpoint string
	channel    wire.Channel
	userID     string
	anonID     string
	sessionID  string
	// detail is the kind's own text: a click's target, an emoji's emoji, a
	// comment's text (see own). Other kinds keep such fields in x.
	detail string
	value  float64 // when hasValue
	at     time.Time
	// x holds the fields most events leave empty; nil while all are. Copies
	// of an event share it, so it is never written once set: a method that
	// changes one of its fields makes a new one (one allocation).
	x *extra

	size     int32 // estimated JSON size, set by Capture
	hasValue bool
}

// batched is an Event taken into a batch. uid is the id made for it when
// it was captured without one (hasUID), formatted only when it is encoded.
// It is kept here, not in the Event, so that the copies Capture and the
// chain of methods make are 24 bytes smaller.
type batched struct {
	Event
	uid    wire.UUID
	hasUID bool
}

// extra is the rest of an Event's fields; see Event.x.
type extra struct {
	id, journey, interactionID, agentID, lang string
	text, target, emoji                       string // unless the kind's own (Event.detail)
	// scaleMin and scaleMax point into smallInts for whole numbers 0..10;
	// they are never written through.
	scaleMin, scaleMax *float64
	context            *wire.Context
	props              map[string]string
}

func (x *extra) empty() bool {
	return x.id == "" && x.journey == "" && x.interactionID == "" && x.agentID == "" && x.lang == "" &&
		x.text == "" && x.target == "" && x.emoji == "" && x.scaleMin == nil && x.scaleMax == nil &&
		x.context == nil && len(x.props) == 0
}

// with returns e with a new x, a copy of e's that set changed.
func (e Event) with(set func(x *extra)) Event {
	x := new(extra)
	if e.x != nil {
		*x = *e.x
	}
	set(x)
	if x.empty() {
		x = nil
	}
	e.x = x
	return e
}

// The wire fields an Event's detail can stand for.
const (
	ownNone = iota
	ownTarget
	ownEmoji
	ownText
)

// own returns which wire field detail holds for kind k.
func own(k wire.Kind) int {
	switch k {
	case wire.KindClick:
		return ownTarget
	case wire.KindEmoji:
		return ownEmoji
	case wire.KindComment:
		return ownText
	}
	return ownNone
}

// smallInts backs the scale numbers of most events; see extra.
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
	return Event{kind: k, touchpoint: tp, value: v, hasValue: true}
}

// Click records that a customer clicked target at touchpoint tp.
func Click(tp, target string) Event {
	return Event{kind: wire.KindClick, touchpoint: tp, detail: target}
}

// Star records a star rating n, on a 1..5 scale unless Scale changes the top.
func Star(tp string, n int) Event { return rated(wire.KindStar, tp, float64(n)) }

// Emoji records that the customer picked emoji, which stands for n on a
// 1..5 scale (1 the unhappiest) unless Scale changes the top.
func Emoji(tp string, n int, emoji string) Event {
	e := rated(wire.KindEmoji, tp, float64(n))
	e.detail = emoji
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
	return Event{kind: wire.KindComment, touchpoint: tp, detail: text}
}

// QA records an internal quality-assurance score of an interaction, on a
// 0..100 scale unless Scale sets another.
func QA(tp string, score float64) Event { return rated(wire.KindQA, tp, score) }

// Kind returns the kind of e.
func (e Event) Kind() wire.Kind { return e.kind }

// ID sets the event's idempotency key. By default the client makes a UUIDv7;
// set one only to make a retry of your own idempotent.
func (e Event) ID(id string) Event { return e.with(func(x *extra) { x.id = id }) }

// User sets the id of the known customer.
func (e Event) User(id string) Event { e.userID = id; return e }

// Anonymous sets the anonymous id of a customer not signed in.
func (e Event) Anonymous(id string) Event { e.anonID = id; return e }

// Session sets the session id.
func (e Event) Session(id string) Event { e.sessionID = id; return e }

// Interaction sets the id of the interaction (a call, a chat, a ticket).
func (e Event) Interaction(id string) Event {
	return e.with(func(x *extra) { x.interactionID = id })
}

// Agent sets the id of the agent who served the customer.
func (e Event) Agent(id string) Event { return e.with(func(x *extra) { x.agentID = id }) }

// Journey names the customer journey the touchpoint belongs to.
func (e Event) Journey(name string) Event { return e.with(func(x *extra) { x.journey = name }) }

// Channel sets the medium of the touchpoint, e.g. sdk.Web.
func (e Event) Channel(c Channel) Event { e.channel = c; return e }

// Text attaches a free comment to any kind.
func (e Event) Text(s string) Event {
	if own(e.kind) == ownText {
		e.detail = s
		return e
	}
	return e.with(func(x *extra) { x.text = s })
}

// Target describes what was clicked or rated.
func (e Event) Target(s string) Event {
	if own(e.kind) == ownTarget {
		e.detail = s
		return e
	}
	return e.with(func(x *extra) { x.target = s })
}

// Lang sets the BCP 47 language of the text or page, e.g. "pt-BR".
func (e Event) Lang(tag string) Event { return e.with(func(x *extra) { x.lang = tag }) }

// At sets when the customer acted. By default Capture uses the time of capture.
func (e Event) At(t time.Time) Event { e.at = t; return e }

// Scale sets the top of the scale for star, emoji, CSAT and CES (3..10),
// or both ends for QA. min is ignored for kinds whose bottom is fixed.
func (e Event) Scale(min, max float64) Event {
	return e.with(func(x *extra) {
		if e.kind == wire.KindQA {
			x.scaleMin = num(min)
		}
		x.scaleMax = num(max)
	})
}

// Prop adds a string property. The first Prop allocates a map; so that
// templates stay independent, each call copies the map it extends.
func (e Event) Prop(key, value string) Event {
	return e.with(func(x *extra) {
		m := make(map[string]string, len(x.props)+1)
		for k, v := range x.props {
			m[k] = v
		}
		m[key] = value
		x.props = m
	})
}

// Context sets the client environment: page or screen URL, referrer, user
// agent and app version. Empty strings are left out.
func (e Event) Context(url, referrer, userAgent, appVersion string) Event {
	return e.with(func(x *extra) {
		x.context = &wire.Context{URL: url, Referrer: referrer, UserAgent: userAgent, AppVersion: appVersion}
	})
}

// URL sets the page or screen URL of the event's context.
func (e Event) URL(url string) Event {
	return e.with(func(x *extra) {
		c := wire.Context{}
		if x.context != nil {
			c = *x.context
		}
		c.URL = url
		x.context = &c
	})
}

// Wire returns the wire form of e. The result owns fresh copies of the
// numbers.
func (e Event) Wire() wire.Event {
	var w wire.Event
	e.fill(&w)
	if e.hasValue {
		v := e.value
		w.Value = &v
	}
	for _, p := range []**float64{&w.ScaleMin, &w.ScaleMax} {
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
	e := Event{kind: w.Kind, touchpoint: w.Touchpoint, channel: w.Channel, userID: w.UserID,
		anonID: w.AnonymousID, sessionID: w.SessionID, at: w.OccurredAt}
	if w.Value != nil {
		e.value, e.hasValue = *w.Value, true
	}
	x := extra{id: w.ID, journey: w.Journey, interactionID: w.InteractionID, agentID: w.AgentID, lang: w.Lang,
		text: w.Text, target: w.Target, emoji: w.Emoji, context: w.Context, props: w.Props}
	switch own(w.Kind) {
	case ownTarget:
		e.detail, x.target = w.Target, ""
	case ownEmoji:
		e.detail, x.emoji = w.Emoji, ""
	case ownText:
		e.detail, x.text = w.Text, ""
	}
	if w.ScaleMin != nil {
		x.scaleMin = num(*w.ScaleMin)
	}
	if w.ScaleMax != nil {
		x.scaleMax = num(*w.ScaleMax)
	}
	if !x.empty() {
		e.x = &x
	}
	return e
}

// view fills w with b's fields, formatting the id made for it into idBuf.
// w must outlive neither b nor idBuf: its Value points into b.
func (b *batched) view(w *wire.Event, idBuf *[36]byte) {
	e := &b.Event
	e.fill(w)
	if e.hasValue {
		w.Value = &e.value
	}
	if b.hasUID {
		w.ID = unsafe.String(&idBuf[0], len(b.uid.Append(idBuf[:0])))
	}
}

// fill sets w to e's fields but the value and the id made for it. It
// keeps no pointer into e, so that e does not escape where only fill is
// called (Client.validate).
func (e *Event) fill(w *wire.Event) {
	*w = wire.Event{Kind: e.kind, Touchpoint: e.touchpoint, Channel: e.channel, OccurredAt: e.at,
		AnonymousID: e.anonID, UserID: e.userID, SessionID: e.sessionID}
	if x := e.x; x != nil {
		w.ID, w.Journey, w.InteractionID, w.AgentID, w.Lang = x.id, x.journey, x.interactionID, x.agentID, x.lang
		w.Text, w.Target, w.Emoji = x.text, x.target, x.emoji
		w.ScaleMin, w.ScaleMax, w.Context, w.Props = x.scaleMin, x.scaleMax, x.context, x.props
	}
	switch own(e.kind) {
	case ownTarget:
		w.Target = e.detail
	case ownEmoji:
		w.Emoji = e.detail
	case ownText:
		w.Text = e.detail
	}
}

// id returns the id the caller set, or "".
func (e *Event) id() string {
	if e.x == nil {
		return ""
	}
	return e.x.id
}

// estimateSize returns about how many bytes e takes in a batch body. It
// counts each string once and a fixed cost for the field names and numbers;
// the queue's byte bound is kept with it.
func (e *Event) estimateSize() int {
	n := 196 + len(e.touchpoint) + len(e.userID) + len(e.anonID) + len(e.sessionID) + len(e.detail)
	x := e.x
	if x == nil {
		return n
	}
	n += len(x.id) + len(x.journey) + len(x.interactionID) + len(x.agentID) + len(x.lang) +
		len(x.text) + len(x.target) + len(x.emoji)
	if c := x.context; c != nil {
		n += 64 + len(c.URL) + len(c.Referrer) + len(c.UserAgent) + len(c.AppVersion)
	}
	for k, v := range x.props {
		n += 6 + len(k) + len(v)
	}
	return n
}
