package wire

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits bound the size of events and batches. The zero value of a field
// means its default; DefaultLimits returns them all.
type Limits struct {
	// MaxIDBytes bounds Event.ID. Defaults to 64.
	MaxIDBytes int
	// MaxNameBytes bounds touchpoint, journey, subject ids, emoji, target and
	// lang. Defaults to 256.
	MaxNameBytes int
	// MaxTextBytes bounds Event.Text. Defaults to 4096.
	MaxTextBytes int
	// MaxProps bounds the number of Event.Props. Defaults to 32.
	MaxProps int
	// MaxPropBytes bounds each prop key and value. Defaults to 512.
	MaxPropBytes int
	// MaxContextBytes bounds each Context field. Defaults to 2048.
	MaxContextBytes int
	// MaxFuture bounds how far OccurredAt may lie ahead of now, for clock
	// skew. Defaults to 24h.
	MaxFuture time.Duration
	// MaxBatchEvents bounds the events of one batch. Defaults to 500.
	MaxBatchEvents int
	// MaxBatchBytes bounds the uncompressed body of one batch. Defaults to
	// 512 KiB.
	MaxBatchBytes int
}

// DefaultLimits returns the limits wire protocol v1 clients and the
// collector agree on unless configured otherwise.
func DefaultLimits() Limits {
	return Limits{}.withDefaults()
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxIDBytes, 64)
	def(&l.MaxNameBytes, 256)
	def(&l.MaxTextBytes, 4096)
	def(&l.MaxProps, 32)
	def(&l.MaxPropBytes, 512)
	def(&l.MaxContextBytes, 2048)
	def(&l.MaxBatchEvents, 500)
	def(&l.MaxBatchBytes, 512<<10)
	if l.MaxFuture <= 0 {
		l.MaxFuture = 24 * time.Hour
	}
	return l
}

// FieldError says which field of an event is bad and why.
type FieldError struct {
	// Field is the JSON name of the bad field, e.g. "value" or "props.plan".
	Field string
	// Reason says what is wrong, e.g. "must be between 1 and 5".
	Reason string
}

func (e *FieldError) Error() string {
	return "wire: field " + e.Field + ": " + e.Reason
}

func fieldErr(field, reason string) *FieldError {
	return &FieldError{Field: field, Reason: reason}
}

// Validate checks e against l (zero fields meaning the defaults) and returns
// a *FieldError naming the first bad field, or nil. now is the time
// occurred_at is checked against.
func (e *Event) Validate(l Limits, now time.Time) error {
	l = l.withDefaults()
	if e.ID == "" {
		return fieldErr("id", "is required")
	}
	if err := checkName("id", e.ID, l.MaxIDBytes); err != nil {
		return err
	}
	if e.Kind == "" {
		return fieldErr("kind", "is required")
	}
	if !e.Kind.Valid() {
		return fieldErr("kind", "unknown kind "+strconv.Quote(truncate(string(e.Kind), 32)))
	}
	if e.Touchpoint == "" {
		return fieldErr("touchpoint", "is required")
	}
	if err := checkName("touchpoint", e.Touchpoint, l.MaxNameBytes); err != nil {
		return err
	}
	if e.Channel != "" && !e.Channel.Valid() {
		return fieldErr("channel", "unknown channel "+strconv.Quote(truncate(string(e.Channel), 32)))
	}
	for _, f := range [...]struct{ name, v string }{
		{"journey", e.Journey}, {"anonymous_id", e.AnonymousID}, {"user_id", e.UserID},
		{"session_id", e.SessionID}, {"interaction_id", e.InteractionID}, {"agent_id", e.AgentID},
		{"emoji", e.Emoji}, {"target", e.Target}, {"lang", e.Lang},
	} {
		if err := checkName(f.name, f.v, l.MaxNameBytes); err != nil {
			return err
		}
	}
	if !e.OccurredAt.IsZero() && e.OccurredAt.After(now.Add(l.MaxFuture)) {
		return fieldErr("occurred_at", "lies more than "+l.MaxFuture.String()+" in the future")
	}
	if err := e.validateValue(); err != nil {
		return err
	}
	if len(e.Text) > l.MaxTextBytes {
		return fieldErr("text", "is "+strconv.Itoa(len(e.Text))+" bytes, over the limit of "+strconv.Itoa(l.MaxTextBytes))
	}
	if !utf8.ValidString(e.Text) {
		return fieldErr("text", "is not valid UTF-8")
	}
	if e.Kind == KindComment && e.Text == "" {
		return fieldErr("text", "is required for kind comment")
	}
	if c := e.Context; c != nil {
		for _, f := range [...]struct{ name, v string }{
			{"context.url", c.URL}, {"context.referrer", c.Referrer},
			{"context.user_agent", c.UserAgent}, {"context.app_version", c.AppVersion},
		} {
			if len(f.v) > l.MaxContextBytes {
				return fieldErr(f.name, "is over the limit of "+strconv.Itoa(l.MaxContextBytes)+" bytes")
			}
			if !utf8.ValidString(f.v) {
				return fieldErr(f.name, "is not valid UTF-8")
			}
		}
	}
	if len(e.Props) > l.MaxProps {
		return fieldErr("props", "has "+strconv.Itoa(len(e.Props))+" entries, over the limit of "+strconv.Itoa(l.MaxProps))
	}
	for k, v := range e.Props {
		if k == "" {
			return fieldErr("props", "has an empty key")
		}
		if len(k) > l.MaxPropBytes || !utf8.ValidString(k) {
			return fieldErr("props", "key "+strconv.Quote(truncate(k, 32))+" is too long or not UTF-8")
		}
		if len(v) > l.MaxPropBytes || !utf8.ValidString(v) {
			return fieldErr("props."+truncate(k, 64), "is over the limit of "+strconv.Itoa(l.MaxPropBytes)+" bytes or not UTF-8")
		}
	}
	return nil
}

func (e *Event) validateValue() error {
	def, rated := e.Kind.DefaultScale()
	if !rated {
		if e.Value != nil {
			return fieldErr("value", "must be empty for kind "+string(e.Kind))
		}
		if e.ScaleMin != nil {
			return fieldErr("scale_min", "must be empty for kind "+string(e.Kind))
		}
		if e.ScaleMax != nil {
			return fieldErr("scale_max", "must be empty for kind "+string(e.Kind))
		}
		return nil
	}
	if !def.Adjustable {
		if e.ScaleMin != nil {
			return fieldErr("scale_min", "is fixed for kind "+string(e.Kind))
		}
		if e.ScaleMax != nil {
			return fieldErr("scale_max", "is fixed for kind "+string(e.Kind))
		}
	}
	if e.Kind == KindQA {
		for _, f := range [...]struct {
			name string
			v    *float64
		}{{"scale_min", e.ScaleMin}, {"scale_max", e.ScaleMax}} {
			if f.v != nil && !finite(*f.v) {
				return fieldErr(f.name, "must be a finite number")
			}
		}
	} else if def.Adjustable {
		if e.ScaleMin != nil && *e.ScaleMin != def.Min {
			return fieldErr("scale_min", "must be "+ftoa(def.Min)+" for kind "+string(e.Kind))
		}
		if e.ScaleMax != nil && (*e.ScaleMax < 3 || *e.ScaleMax > 10 || *e.ScaleMax != math.Trunc(*e.ScaleMax)) {
			return fieldErr("scale_max", "must be a whole number between 3 and 10")
		}
	}
	s := e.Scale()
	if s.Min >= s.Max {
		return fieldErr("scale_max", "must be greater than scale_min")
	}
	if e.Value == nil {
		return fieldErr("value", "is required for kind "+string(e.Kind))
	}
	v := *e.Value
	if !finite(v) || v < s.Min || v > s.Max {
		return fieldErr("value", "must be between "+ftoa(s.Min)+" and "+ftoa(s.Max)+" for kind "+string(e.Kind))
	}
	if s.Integer && v != math.Trunc(v) {
		return fieldErr("value", "must be a whole number for kind "+string(e.Kind))
	}
	return nil
}

func checkName(field, v string, max int) error {
	if len(v) > max {
		return fieldErr(field, "is "+strconv.Itoa(len(v))+" bytes, over the limit of "+strconv.Itoa(max))
	}
	if !utf8.ValidString(v) {
		return fieldErr(field, "is not valid UTF-8")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f {
			return fieldErr(field, "contains a control character")
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
