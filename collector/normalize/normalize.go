package normalize

import (
	"time"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Sentiment thresholds on the score.
const (
	NegativeBelow = 0.4
	PositiveAbove = 0.6
)

// Batch is what the collector knows about the batch an event came in.
type Batch struct {
	// Source names the write key the batch was sent with; it becomes the
	// CloudEvents source, "rastro://<source>".
	Source string
	// SentAt is the client's sent_at; zero when absent.
	SentAt time.Time
	// ReceivedAt is when the collector received the batch.
	ReceivedAt time.Time
	// Origin says which input format the event came from. Defaults to
	// trace.OriginWire.
	Origin string
}

// skew returns how far the client's clock is ahead of the collector's.
func (b *Batch) skew() time.Duration {
	if b.SentAt.IsZero() {
		return 0
	}
	d := b.SentAt.Sub(b.ReceivedAt)
	if d > -time.Second && d < time.Second {
		return 0
	}
	return d
}

// Event turns a valid wire event into a trace, writing it into t. The event
// must have passed [wire.Event.Validate]; Event does not judge it again.
func Event(e *wire.Event, b *Batch, t *trace.Trace) {
	origin := b.Origin
	if origin == "" {
		origin = trace.OriginWire
	}
	at := b.ReceivedAt
	if !e.OccurredAt.IsZero() {
		at = e.OccurredAt.Add(-b.skew())
	}
	at = at.UTC()
	*t = trace.Trace{
		SpecVersion:     trace.SpecVersion,
		ID:              e.ID,
		Source:          SourcePrefix + b.Source,
		Type:            traceType(e.Kind),
		Time:            at,
		DataContentType: trace.ContentType,
		DataSchema:      trace.DataSchema,
		Data: trace.Data{
			Kind:          e.Kind,
			Touchpoint:    e.Touchpoint,
			Channel:       e.Channel,
			Journey:       e.Journey,
			AnonymousID:   e.AnonymousID,
			UserID:        e.UserID,
			SessionID:     e.SessionID,
			InteractionID: e.InteractionID,
			AgentID:       e.AgentID,
			Emoji:         e.Emoji,
			Text:          e.Text,
			Target:        e.Target,
			Lang:          e.Lang,
			Context:       e.Context,
			Props:         e.Props,
			ReceivedAt:    b.ReceivedAt.UTC(),
			Origin:        origin,
		},
	}
	if t.Data.Channel == "" {
		t.Data.Channel = wire.ChannelOther
	}
	if e.Value == nil {
		return
	}
	s := e.Scale()
	// One allocation for the rating and its score, not four.
	r := &rating{value: *e.Value, min: s.Min, max: s.Max}
	t.Data.Value, t.Data.Min, t.Data.Max = &r.value, &r.min, &r.max
	rate(&t.Data, &r.score)
}

// rating holds the numbers a trace's Data points to.
type rating struct{ value, min, max, score float64 }

// types are the CloudEvents types of the kinds, made once: the
// concatenation cost an allocation per trace.
var types = func() map[wire.Kind]string {
	m := make(map[wire.Kind]string)
	for _, k := range wire.Kinds() {
		m[k] = trace.TypePrefix + string(k)
	}
	return m
}()

func traceType(k wire.Kind) string {
	if t, ok := types[k]; ok {
		return t
	}
	return trace.TypePrefix + string(k)
}

// SourcePrefix starts the CloudEvents source of every trace.
const SourcePrefix = "rastro://"

// Rate sets the score, sentiment and NPS class of d from its kind and raw
// rating (Value, Min, Max). Importers of foreign records call it after
// filling those fields.
func Rate(d *trace.Data) {
	rate(d, nil)
}

// rate is Rate with room for the score, allocated when nil.
func rate(d *trace.Data, score *float64) {
	d.Score, d.Sentiment, d.NPSClass = nil, "", ""
	if d.Value == nil || d.Min == nil || d.Max == nil || *d.Max <= *d.Min {
		return
	}
	if d.Kind == wire.KindNPS {
		d.NPSClass = NPSClass(*d.Value)
	}
	if !Judging(d.Kind) {
		return
	}
	if score == nil {
		score = new(float64)
	}
	*score = Score(*d.Value, *d.Min, *d.Max)
	d.Score = score
	d.Sentiment = Sentiment(*score)
}

// Judging reports whether traces of kind k carry a customer's judgement,
// and so a score.
func Judging(k wire.Kind) bool {
	switch k {
	case wire.KindStar, wire.KindEmoji, wire.KindThumbs, wire.KindNPS, wire.KindCSAT, wire.KindCES:
		return true
	}
	return false
}

// Score maps value on [min, max] linearly onto [0,1], clamping.
func Score(value, min, max float64) float64 {
	s := (value - min) / (max - min)
	switch {
	case s < 0 || s != s:
		return 0
	case s > 1:
		return 1
	}
	return s
}

// Sentiment classifies a score.
func Sentiment(score float64) string {
	switch {
	case score < NegativeBelow:
		return trace.Negative
	case score > PositiveAbove:
		return trace.Positive
	}
	return trace.Neutral
}

// NPSClass classifies an NPS answer on 0..10.
func NPSClass(v float64) string {
	switch {
	case v >= 9:
		return trace.Promoter
	case v >= 7:
		return trace.Passive
	}
	return trace.Detractor
}
