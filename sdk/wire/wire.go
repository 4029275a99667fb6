package wire

//go:generate go tool easyjson -all -build_tags !rastro_nojson wire.go
//go:generate go tool easyjson -build_tags !rastro_nojson codec.go

// Version is the wire protocol version this package speaks.
const Version = 1

// BatchPath is the collector's HTTP path for batches.
const BatchPath = "/v1/batch"

// Batch is the body of POST /v1/batch.
type Batch struct {
	// SentAt is when the client sent the batch; the collector uses it to
	// correct client clock skew.
	SentAt Time `json:"sent_at"`
	// SDK names the library that sent the batch.
	SDK SDKInfo `json:"sdk"`
	// Events are the captured traces, at most Limits.MaxBatchEvents.
	Events []Event `json:"events"`
}

// SDKInfo names the client library that made a batch.
type SDKInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Event is one digital trace a customer left at a touchpoint.
type Event struct {
	// ID is the client-made idempotency key, a UUIDv7 from NewID.
	ID string `json:"id"`
	// Kind says what the customer did. Required.
	Kind Kind `json:"kind"`
	// Touchpoint names where it happened, e.g. "checkout.payment". Required.
	Touchpoint string `json:"touchpoint"`
	// Channel is the medium of the touchpoint; empty means unknown.
	Channel Channel `json:"channel,omitempty"`
	// Journey names the customer journey the touchpoint belongs to.
	Journey string `json:"journey,omitempty"`
	// OccurredAt is when the customer acted; the zero time means "when received".
	OccurredAt Time `json:"occurred_at"`

	AnonymousID   string `json:"anonymous_id,omitempty"`
	UserID        string `json:"user_id,omitempty"`
	SessionID     string `json:"session_id,omitempty"`
	InteractionID string `json:"interaction_id,omitempty"`
	AgentID       string `json:"agent_id,omitempty"`

	// Value is the rating or score; nil for kinds that carry none.
	Value *float64 `json:"value,omitempty"`
	// ScaleMin and ScaleMax override the default scale of the kind where the
	// kind allows a choice; nil means the default.
	ScaleMin *float64 `json:"scale_min,omitempty"`
	ScaleMax *float64 `json:"scale_max,omitempty"`

	// Emoji is the emoji the customer picked, for kind emoji.
	Emoji string `json:"emoji,omitempty"`
	// Text is a free comment.
	Text string `json:"text,omitempty"`
	// Target describes what was clicked, for kind click.
	Target string `json:"target,omitempty"`
	// Lang is the BCP 47 language of Text or of the page.
	Lang string `json:"lang,omitempty"`

	Context *Context          `json:"context,omitempty"`
	Props   map[string]string `json:"props,omitempty"`
}

// Context describes the client environment of an event.
type Context struct {
	URL        string `json:"url,omitempty"`
	Referrer   string `json:"referrer,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
	AppVersion string `json:"app_version,omitempty"`
}

// Response is the body of a 200 answer to POST /v1/batch.
type Response struct {
	// Accepted counts the events stored for the first time.
	Accepted int `json:"accepted"`
	// Duplicates counts the events whose id was already stored; a client
	// treats them as delivered.
	Duplicates int `json:"duplicates"`
	// Rejected lists the events refused for bad input. A client reports them
	// and never sends them again.
	Rejected []Rejection `json:"rejected"`
}

// Rejection says why one event of a batch was refused.
type Rejection struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
	Field string `json:"field"`
	Error string `json:"error"`
}

// ErrorBody is the JSON body of every non-200 answer of the collector.
type ErrorBody struct {
	Error string `json:"error"`
}
