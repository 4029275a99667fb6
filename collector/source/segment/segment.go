package segment

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rastrohq/rastro/sdk/wire"
)

// ErrNotBatch is returned by DecodeBatch for a body that is not a Segment
// batch at all.
var ErrNotBatch = errors.New("segment: not a batch")

// Batch is the body of POST /segment/v1/batch: {"batch": [CALL, ...]}.
// Calls stay raw so that one malformed call is rejected on its own.
type Batch struct {
	Batch    []json.RawMessage `json:"batch"`
	SentAt   string            `json:"sentAt"`
	WriteKey string            `json:"writeKey"` // analytics.js may send it in the body
}

// Message is one call of the Segment tracking spec. Only the fields Rastro
// maps are decoded; the rest are ignored.
type Message struct {
	Type        string                     `json:"type"`
	Event       text                       `json:"event"`
	MessageID   text                       `json:"messageId"`
	UserID      text                       `json:"userId"`
	AnonymousID text                       `json:"anonymousId"`
	Properties  map[string]json.RawMessage `json:"properties"`
	Context     Context                    `json:"context"`
	Timestamp   string                     `json:"timestamp"`
	SentAt      string                     `json:"sentAt"`
	WriteKey    string                     `json:"writeKey"`
}

// Context is the part of a call's context that Rastro keeps.
type Context struct {
	Page struct {
		URL      text `json:"url"`
		Referrer text `json:"referrer"`
	} `json:"page"`
	App struct {
		Version text `json:"version"`
	} `json:"app"`
	UserAgent text `json:"userAgent"`
	Locale    text `json:"locale"`
}

// text is a JSON string that also accepts a number (some SDKs send numeric
// user ids) and null.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case string(b) == "null":
		*t = ""
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string, got %.20s", b)
		}
		*t = text(n)
	}
	return nil
}

// DecodeBatch decodes the body of POST /segment/v1/batch.
func DecodeBatch(body []byte) (*Batch, error) {
	var b Batch
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBatch, err)
	}
	if b.Batch == nil {
		return nil, fmt.Errorf("%w: no \"batch\" array", ErrNotBatch)
	}
	return &b, nil
}

// DecodeMessage decodes one call.
func DecodeMessage(raw []byte, m *Message) error {
	*m = Message{}
	if err := json.Unmarshal(raw, m); err != nil {
		return fmt.Errorf("segment: malformed call: %w", err)
	}
	return nil
}

// The property names of the mapping, by the kind they choose, in order of
// precedence: the first present names the kind of the trace.
var kindProps = []struct {
	kind  wire.Kind
	names []string
}{
	{wire.KindNPS, []string{"nps"}},
	{wire.KindCSAT, []string{"csat"}},
	{wire.KindCES, []string{"ces"}},
	{wire.KindStar, []string{"rating", "stars"}},
	{wire.KindThumbs, []string{"thumbs"}},
	{wire.KindEmoji, []string{"emoji"}},
	{wire.KindComment, []string{"comment", "text"}},
}

// mapped lists the properties that become trace fields; every other scalar
// property becomes a prop.
var mapped = map[string]bool{
	"kind": true, "value": true, "nps": true, "csat": true, "ces": true, "rating": true, "stars": true,
	"thumbs": true, "emoji": true, "comment": true, "text": true, "touchpoint": true, "channel": true,
	"journey": true, "agent_id": true, "interaction_id": true, "session_id": true, "target": true,
	"scale_min": true, "scale_max": true, "lang": true,
}

// emojiScale reads the usual five faces of an emoji scale, saddest first.
var emojiScale = map[string]float64{
	"😡": 1, "😠": 1, "😞": 2, "🙁": 2, "😕": 2, "😐": 3, "🙂": 4, "😊": 4, "😀": 5, "😃": 5, "😄": 5, "😍": 5, "🤩": 5,
}

// Event maps a track call m onto e, following the mapping of the package
// documentation. It reports false, with e untouched, for a call that
// carries no feedback (any other type, or a track call without a feedback
// property); it returns a *wire.FieldError naming the property for a
// feedback call it cannot map. e still needs [wire.Event.Validate].
func Event(m *Message, e *wire.Event, l wire.Limits) (bool, error) {
	if m.Type != "track" {
		return false, nil
	}
	p := m.Properties
	kind, from := wire.Kind(""), ""
	if raw, ok := p["kind"]; ok {
		s, ok := str(raw)
		if !ok || !wire.Kind(s).Valid() {
			return true, fieldErr("properties.kind", "must be a kind of wire protocol v1")
		}
		kind = wire.Kind(s)
		for _, kp := range kindProps {
			if kp.kind == kind {
				from = firstPresent(p, kp.names)
			}
		}
	} else {
	find:
		for _, kp := range kindProps {
			if name := firstPresent(p, kp.names); name != "" {
				kind, from = kp.kind, name
				break find
			}
		}
	}
	if kind == "" {
		return false, nil
	}
	if _, ok := p["value"]; ok && (from == "" || kind == wire.KindComment) {
		from = "value"
	}
	*e = wire.Event{
		ID:          string(m.MessageID),
		Kind:        kind,
		Touchpoint:  string(m.Event),
		UserID:      string(m.UserID),
		AnonymousID: string(m.AnonymousID),
		Lang:        string(m.Context.Locale),
	}
	if e.ID == "" {
		return true, fieldErr("messageId", "is required: it is the trace id")
	}
	if l.MaxIDBytes <= 0 {
		l.MaxIDBytes = wire.DefaultLimits().MaxIDBytes
	}
	if len(e.ID) > l.MaxIDBytes {
		e.ID = HashID(e.ID)
	}
	if m.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, m.Timestamp)
		if err != nil {
			return true, fieldErr("timestamp", "must be an ISO 8601 time")
		}
		e.OccurredAt = t
	}
	var err error
	set := func(dst *string, name string) {
		if raw, ok := p[name]; ok && err == nil {
			s, ok := str(raw)
			if !ok {
				err = fieldErr("properties."+name, "must be a string")
			}
			*dst = s
		}
	}
	set(&e.Touchpoint, "touchpoint")
	set((*string)(&e.Channel), "channel")
	set(&e.Journey, "journey")
	set(&e.AgentID, "agent_id")
	set(&e.InteractionID, "interaction_id")
	set(&e.SessionID, "session_id")
	set(&e.Target, "target")
	set(&e.Lang, "lang")
	set(&e.Text, "text")
	set(&e.Text, "comment") // comment wins over text
	if err != nil {
		return true, err
	}
	if e.Channel == "" {
		switch {
		case m.Context.App.Version != "":
			e.Channel = wire.ChannelApp
		case m.Context.Page.URL != "":
			e.Channel = wire.ChannelWeb
		}
	}
	if c := m.Context; c.Page.URL != "" || c.Page.Referrer != "" || c.UserAgent != "" || c.App.Version != "" {
		e.Context = &wire.Context{URL: string(c.Page.URL), Referrer: string(c.Page.Referrer),
			UserAgent: string(c.UserAgent), AppVersion: string(c.App.Version)}
	}
	for _, name := range []string{"scale_min", "scale_max"} {
		if raw, ok := p[name]; ok {
			v, ok := number(raw)
			if !ok {
				return true, fieldErr("properties."+name, "must be a number")
			}
			if name == "scale_min" {
				e.ScaleMin = &v
			} else {
				e.ScaleMax = &v
			}
		}
	}
	if err := value(e, kind, from, p); err != nil {
		return true, err
	}
	e.Props = props(p, l.MaxProps)
	return true, nil
}

// value sets e.Value (and e.Emoji) from property from.
func value(e *wire.Event, kind wire.Kind, from string, p map[string]json.RawMessage) error {
	if _, rated := kind.DefaultScale(); !rated || from == "" {
		if kind == wire.KindEmoji {
			return fieldErr("properties.emoji", "is required for kind emoji")
		}
		return nil
	}
	raw := p[from]
	field := "properties." + from
	if v, ok := number(raw); ok {
		e.Value = &v
		return nil
	}
	s, _ := str(raw)
	switch kind {
	case wire.KindThumbs:
		var v float64
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "up", "yes", "👍":
			v = 1
		case "false", "down", "no", "👎":
			v = 0
		default:
			return fieldErr(field, "must be true/false, up/down or 1/0")
		}
		e.Value = &v
		return nil
	case wire.KindEmoji:
		e.Emoji = s
		if v, ok := emojiScale[s]; ok {
			e.Value = &v
			return nil
		}
		if raw, ok := p["value"]; ok && from != "value" {
			if v, ok := number(raw); ok {
				e.Value = &v
				return nil
			}
		}
		return fieldErr(field, "is not one of the five faces of an emoji scale: send properties.value 1..5 too")
	}
	return fieldErr(field, "must be a number")
}

// props copies the unmapped scalar properties, at most max of them (32 by
// default) in key order, as strings.
func props(p map[string]json.RawMessage, max int) map[string]string {
	if max <= 0 {
		max = wire.DefaultLimits().MaxProps
	}
	var keys []string
	for k := range p {
		if !mapped[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	out := make(map[string]string, min(len(keys), max))
	for _, k := range keys {
		if len(out) == max {
			break
		}
		if s, ok := scalar(p[k]); ok {
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func firstPresent(p map[string]json.RawMessage, names []string) string {
	for _, n := range names {
		if raw, ok := p[n]; ok && string(bytes.TrimSpace(raw)) != "null" {
			return n
		}
	}
	return ""
}

// str reads a JSON string, or a number as its text.
func str(raw json.RawMessage) (string, bool) {
	var t text
	if err := t.UnmarshalJSON(raw); err != nil {
		return "", false
	}
	return string(t), true
}

// number reads a JSON number, or a string holding one, or a boolean as 1/0.
func number(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	s, ok := str(raw)
	if !ok || s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil
}

// scalar reads a string, number or boolean as text; objects, arrays and
// null are not scalars.
func scalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '{', '[', 'n':
		return "", false
	case 't', 'f':
		return string(raw), true
	}
	return str(raw)
}

// HashID is the trace id of a messageId too long to be one: a stable hash
// of it, so that retries still dedupe.
func HashID(messageID string) string {
	sum := sha256.Sum256([]byte("segment\x00" + messageID))
	return "seg-" + hex.EncodeToString(sum[:16])
}

func fieldErr(field, reason string) error { return &wire.FieldError{Field: field, Reason: reason} }
