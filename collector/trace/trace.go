package trace

import (
	"time"

	"github.com/rastrohq/rastro/sdk/wire"
)

//go:generate go tool easyjson -all trace.go

// Format constants of trace format v1.
const (
	SpecVersion   = "1.0"
	ContentType   = "application/json"
	DataSchema    = "https://rastro.dev/schema/trace/v1.json"
	TypePrefix    = "dev.rastro.trace."
	FormatVersion = 1
)

// Origins say which input format a trace came from.
const (
	OriginWire    = "wire/v1"    // POST /v1/batch from the SDK or the widget
	OriginSegment = "segment/v1" // the Segment-compatible endpoints
	OriginCSV     = "csv/v1"     // a CSV import
	OriginNDJSON  = "ndjson/v1"  // an NDJSON import
	OriginPlugin  = "plugin/"    // a source plugin, followed by its name: "plugin/zendesk-csat"
)

// Trace is one normalized digital trace as a CloudEvents 1.0 event.
type Trace struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	DataSchema      string    `json:"dataschema"`
	Data            Data      `json:"data"`
}

// Data is the normalized trace carried in a Trace.
type Data struct {
	Kind       wire.Kind    `json:"kind"`
	Touchpoint string       `json:"touchpoint"`
	Channel    wire.Channel `json:"channel"`
	Journey    string       `json:"journey,omitempty"`

	AnonymousID   string `json:"anonymous_id,omitempty"`
	UserID        string `json:"user_id,omitempty"`
	SessionID     string `json:"session_id,omitempty"`
	InteractionID string `json:"interaction_id,omitempty"`
	AgentID       string `json:"agent_id,omitempty"`

	// Value is the raw rating on [Min, Max]; nil where the trace has none.
	Value *float64 `json:"value"`
	Min   *float64 `json:"min"`
	Max   *float64 `json:"max"`
	// Score is one satisfaction number in [0,1] comparable across kinds;
	// nil where the trace carries no judgement (a click, a comment, qa).
	Score *float64 `json:"score"`
	// Sentiment is negative, neutral or positive, from Score; empty when
	// Score is nil.
	Sentiment string `json:"sentiment,omitempty"`
	// NPSClass is detractor, passive or promoter for kind nps.
	NPSClass string `json:"nps_class,omitempty"`

	Emoji  string `json:"emoji,omitempty"`
	Text   string `json:"text,omitempty"`
	Target string `json:"target,omitempty"`
	Lang   string `json:"lang,omitempty"`

	Context *wire.Context     `json:"context,omitempty"`
	Props   map[string]string `json:"props,omitempty"`

	ReceivedAt time.Time `json:"received_at"`
	Origin     string    `json:"origin"`
}

// Sentiments, from the score (see package normalize for the thresholds).
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// NPS classes of a kind nps trace: 0-6, 7-8 and 9-10.
const (
	Detractor = "detractor"
	Passive   = "passive"
	Promoter  = "promoter"
)
