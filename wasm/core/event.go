package core

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Event is the widget's copy of wire.Event: the same fields, with the
// time as Unix milliseconds. The module does not import sdk/wire, because
// wire imports package time, and importing time alone (its init pulls in
// internal/godebug, internal/bisect and syscall) costs 37 KB brotli, over
// 8% of the module. The tests pin Event, its validation and its encoding
// to wire's (event_test.go): wire stays the one definition of the event.
type Event struct {
	ID            string
	Kind          string
	Touchpoint    string
	Channel       string
	Journey       string
	OccurredAt    int64 // Unix milliseconds; 0 leaves occurred_at out
	AnonymousID   string
	UserID        string
	SessionID     string
	InteractionID string
	AgentID       string
	Value         *float64
	ScaleMin      *float64
	ScaleMax      *float64
	Emoji         string
	Text          string
	Target        string
	Lang          string
	Context       *Context
	Props         map[string]string
}

// Context is wire.Context: the client environment of an event.
type Context struct {
	URL, Referrer, UserAgent, AppVersion string
}

// BatchPath is wire.BatchPath, the collector's path for batches.
const BatchPath = "/v1/batch"

// kinds and channels are wire.Kinds and wire.Channels.
var (
	kinds    = [...]string{"click", "star", "emoji", "thumbs", "nps", "csat", "ces", "comment", "qa"}
	channels = [...]string{"web", "app", "email", "chat", "bot", "voice", "sms", "social", "review", "store", "in_person", "other"}
)

func validKind(k string) bool    { return in(kinds[:], k) }
func validChannel(c string) bool { return in(channels[:], c) }
func in(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// scale is wire.Scale.
type scale struct {
	min, max            float64
	integer, adjustable bool
}

// defaultScale is wire.Kind.DefaultScale.
func defaultScale(k string) (scale, bool) {
	switch k {
	case "star", "emoji", "csat":
		return scale{1, 5, true, true}, true
	case "ces":
		return scale{1, 7, true, true}, true
	case "thumbs":
		return scale{0, 1, true, false}, true
	case "nps":
		return scale{0, 10, true, false}, true
	case "qa":
		return scale{0, 100, false, true}, true
	}
	return scale{}, false
}

// The limits of wire.DefaultLimits that Validate checks.
const (
	maxIDBytes      = 64
	maxNameBytes    = 256
	maxTextBytes    = 4096
	maxProps        = 32
	maxPropBytes    = 512
	maxContextBytes = 2048
)

// Validate is wire.Event.Validate with the default limits: it names the
// first bad field (in wire's order, with wire's reason) or returns two
// empty strings. occurred_at is not checked against the clock: the
// widget stamps events with the clock it would check them against.
func (e *Event) Validate() (field, reason string) {
	if e.ID == "" {
		return "id", "is required"
	}
	if r := checkName(e.ID, maxIDBytes); r != "" {
		return "id", r
	}
	if e.Kind == "" {
		return "kind", "is required"
	}
	def, rated := defaultScale(e.Kind)
	if !rated && e.Kind != "click" && e.Kind != "comment" {
		return "kind", "unknown kind " + Quote(truncate(e.Kind, 32))
	}
	if e.Touchpoint == "" {
		return "touchpoint", "is required"
	}
	if r := checkName(e.Touchpoint, maxNameBytes); r != "" {
		return "touchpoint", r
	}
	if e.Channel != "" && !validChannel(e.Channel) {
		return "channel", "unknown channel " + Quote(truncate(e.Channel, 32))
	}
	names := [...]string{"journey", "anonymous_id", "user_id", "session_id", "interaction_id", "agent_id", "emoji", "target", "lang"}
	for i, v := range [...]string{e.Journey, e.AnonymousID, e.UserID, e.SessionID, e.InteractionID, e.AgentID, e.Emoji, e.Target, e.Lang} {
		if v == "" {
			continue
		}
		if r := checkName(v, maxNameBytes); r != "" {
			return names[i], r
		}
	}
	if field, reason = e.validateValue(def, rated); field != "" {
		return field, reason
	}
	if len(e.Text) > maxTextBytes {
		return "text", "is " + strconv.Itoa(len(e.Text)) + " bytes, over the limit of " + strconv.Itoa(maxTextBytes)
	}
	if !utf8.ValidString(e.Text) {
		return "text", "is not valid UTF-8"
	}
	if e.Kind == "comment" && e.Text == "" {
		return "text", "is required for kind comment"
	}
	if c := e.Context; c != nil {
		names := [...]string{"context.url", "context.referrer", "context.user_agent", "context.app_version"}
		for i, v := range [...]string{c.URL, c.Referrer, c.UserAgent, c.AppVersion} {
			if len(v) > maxContextBytes {
				return names[i], "is over the limit of " + strconv.Itoa(maxContextBytes) + " bytes"
			}
			if !utf8.ValidString(v) {
				return names[i], "is not valid UTF-8"
			}
		}
	}
	if len(e.Props) > maxProps {
		return "props", "has " + strconv.Itoa(len(e.Props)) + " entries, over the limit of " + strconv.Itoa(maxProps)
	}
	for k, v := range e.Props {
		if k == "" {
			return "props", "has an empty key"
		}
		if len(k) > maxPropBytes || !utf8.ValidString(k) {
			return "props", "key " + Quote(truncate(k, 32)) + " is too long or not UTF-8"
		}
		if len(v) > maxPropBytes || !utf8.ValidString(v) {
			return "props." + truncate(k, 64), "is over the limit of " + strconv.Itoa(maxPropBytes) + " bytes or not UTF-8"
		}
	}
	return "", ""
}

// validateValue is wire's check of the value and scale of e, whose kind
// has the default scale def and carries a value if rated.
func (e *Event) validateValue(def scale, rated bool) (field, reason string) {
	if !rated {
		switch {
		case e.Value != nil:
			return "value", "must be empty for kind " + e.Kind
		case e.ScaleMin != nil:
			return "scale_min", "must be empty for kind " + e.Kind
		case e.ScaleMax != nil:
			return "scale_max", "must be empty for kind " + e.Kind
		}
		return "", ""
	}
	if !def.adjustable {
		switch {
		case e.ScaleMin != nil:
			return "scale_min", "is fixed for kind " + e.Kind
		case e.ScaleMax != nil:
			return "scale_max", "is fixed for kind " + e.Kind
		}
	}
	s := def
	if e.Kind == "qa" {
		if e.ScaleMin != nil && !finite(*e.ScaleMin) {
			return "scale_min", "must be a finite number"
		}
		if e.ScaleMax != nil && !finite(*e.ScaleMax) {
			return "scale_max", "must be a finite number"
		}
	} else if def.adjustable {
		if e.ScaleMin != nil && *e.ScaleMin != def.min {
			return "scale_min", "must be " + ftoa(def.min) + " for kind " + e.Kind
		}
		if e.ScaleMax != nil && (*e.ScaleMax < 3 || *e.ScaleMax > 10 || *e.ScaleMax != math.Trunc(*e.ScaleMax)) {
			return "scale_max", "must be a whole number between 3 and 10"
		}
	}
	if def.adjustable {
		if e.ScaleMax != nil {
			s.max = *e.ScaleMax
		}
		if e.ScaleMin != nil {
			s.min = *e.ScaleMin
		}
	}
	if s.min >= s.max {
		return "scale_max", "must be greater than scale_min"
	}
	if e.Value == nil {
		return "value", "is required for kind " + e.Kind
	}
	v := *e.Value
	if !finite(v) || v < s.min || v > s.max {
		return "value", "must be between " + ftoa(s.min) + " and " + ftoa(s.max) + " for kind " + e.Kind
	}
	if s.integer && v != math.Trunc(v) {
		return "value", "must be a whole number for kind " + e.Kind
	}
	return "", ""
}

// checkName is wire's check of a name field: at most max bytes of valid
// UTF-8 without control characters.
func checkName(v string, max int) string {
	if len(v) > max {
		return "is " + strconv.Itoa(len(v)) + " bytes, over the limit of " + strconv.Itoa(max)
	}
	if !utf8.ValidString(v) {
		return "is not valid UTF-8"
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return "contains a control character"
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// finite reports whether f is neither NaN nor infinite.
func finite(f float64) bool { return f-f == 0 }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
