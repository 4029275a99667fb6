package wire

import (
	"math"
	"strconv"
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
	MaxFuture Duration
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

// WithDefaults returns l with each zero (or negative) field set to its
// default, as Validate reads it.
func (l Limits) WithDefaults() Limits { return l.withDefaults() }

// complete reports whether every field is set, as the SDK and the
// collector pass them, so that Validate can skip withDefaults.
func (l *Limits) complete() bool {
	return l.MaxIDBytes > 0 && l.MaxNameBytes > 0 && l.MaxTextBytes > 0 && l.MaxProps > 0 && l.MaxPropBytes > 0 &&
		l.MaxContextBytes > 0 && l.MaxBatchEvents > 0 && l.MaxBatchBytes > 0 && l.MaxFuture > 0
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
		l.MaxFuture = 24 * hour
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
func (e *Event) Validate(l Limits, now Time) error { return e.Check(&l, now) }

// Check is Validate with the limits passed by pointer, for the hot paths
// that check every event against the same limits (the SDK's Capture, the
// collector's handlers): copying Limits costs a few nanoseconds an event.
// l must not be nil; it is only read.
func (e *Event) Check(l *Limits, now Time) error {
	if !l.complete() {
		d := l.withDefaults()
		l = &d
	}
	if e.ID == "" {
		return fieldErr("id", "is required")
	}
	if err := checkName("id", e.ID, l.MaxIDBytes); err != nil {
		return err
	}
	def, rated, err := CheckKind(e.Kind)
	if err != nil {
		return err
	}
	if err := CheckTouchpoint(e.Touchpoint, l.MaxNameBytes); err != nil {
		return err
	}
	if err := CheckChannel(e.Channel); err != nil {
		return err
	}
	// One statement per field rather than a loop over {name, value} pairs:
	// the pairs make escape analysis leak the event's contents (costing the
	// SDK's Capture an allocation) and building them costs as much as the
	// checks. Empty fields, the common case, cost a comparison.
	if err := checkOptName("journey", e.Journey, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("anonymous_id", e.AnonymousID, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("user_id", e.UserID, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("session_id", e.SessionID, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("interaction_id", e.InteractionID, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("agent_id", e.AgentID, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("emoji", e.Emoji, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("target", e.Target, l.MaxNameBytes); err != nil {
		return err
	}
	if err := checkOptName("lang", e.Lang, l.MaxNameBytes); err != nil {
		return err
	}
	if err := CheckOccurredAt(e.OccurredAt, now, l.MaxFuture); err != nil {
		return err
	}
	if err := checkValue(e.Kind, e.Value, e.ScaleMin, e.ScaleMax, def, rated); err != nil {
		return err
	}
	if err := CheckText(e.Kind, e.Text, l.MaxTextBytes); err != nil {
		return err
	}
	if c := e.Context; c != nil {
		names := [...]string{"context.url", "context.referrer", "context.user_agent", "context.app_version"}
		for i, v := range [...]string{c.URL, c.Referrer, c.UserAgent, c.AppVersion} {
			if len(v) > l.MaxContextBytes {
				return fieldErr(names[i], "is over the limit of "+strconv.Itoa(l.MaxContextBytes)+" bytes")
			}
			if !utf8.ValidString(v) {
				return fieldErr(names[i], "is not valid UTF-8")
			}
		}
	}
	if len(e.Props) == 0 {
		return nil
	}
	if len(e.Props) > l.MaxProps {
		return fieldErr("props", "has "+strconv.Itoa(len(e.Props))+" entries, over the limit of "+strconv.Itoa(l.MaxProps))
	}
	for k, v := range e.Props {
		if k == "" {
			return fieldErr("props", "has an empty key")
		}
		if len(k) > l.MaxPropBytes || !utf8.ValidString(k) {
			return fieldErr("props", "key "+quote(truncate(k, 32))+" is too long or not UTF-8")
		}
		if len(v) > l.MaxPropBytes || !utf8.ValidString(v) {
			return fieldErr("props."+truncate(k, 64), "is over the limit of "+strconv.Itoa(l.MaxPropBytes)+" bytes or not UTF-8")
		}
	}
	return nil
}

// CheckKind returns the default scale of k and whether k carries a value,
// or a *FieldError when k is empty or not a kind of wire protocol v1. One
// switch on the kind serves both (a string switch costs a few ns; the
// SDK's Capture budget is under a hundred).
func CheckKind(k Kind) (def Scale, rated bool, err error) {
	def, rated = k.DefaultScale()
	if !rated && k != KindClick && k != KindComment {
		err = kindErr(k)
	}
	return def, rated, err
}

// The error paths of the Check functions are functions of their own: the
// checks stay short, and the cheapest (CheckTouchpoint, CheckName,
// CheckValue) inline into their callers.

func kindErr(k Kind) error {
	if k == "" {
		return fieldErr("kind", "is required")
	}
	return fieldErr("kind", "unknown kind "+quote(truncate(string(k), 32)))
}

// CheckTouchpoint checks the required touchpoint: present, and a name
// (see CheckName) of at most max bytes.
func CheckTouchpoint(tp string, max int) error {
	if tp == "" {
		return fieldErr("touchpoint", "is required")
	}
	return checkName("touchpoint", tp, max)
}

// CheckChannel checks that c is empty (unknown) or a channel of wire
// protocol v1.
func CheckChannel(c Channel) error {
	if c != "" && !c.Valid() {
		return channelErr(c)
	}
	return nil
}

func channelErr(c Channel) error {
	return fieldErr("channel", "unknown channel "+quote(truncate(string(c), 32)))
}

// CheckName checks an optional name-like field (the ids, journey, emoji,
// target, lang): at most max bytes of UTF-8 without control characters.
// The empty string passes.
func CheckName(field, v string, max int) error { return checkOptName(field, v, max) }

// CheckOccurredAt checks that t, when set, lies at most maxFuture after now
// (the allowance for clock skew).
func CheckOccurredAt(t, now Time, maxFuture Duration) error {
	// Whole seconds first: time.Add and After handle monotonic readings
	// and cost more than the rest of the checks together.
	if !t.IsZero() && t.Unix()-now.Unix() >= int64(maxFuture/second)-1 && t.After(now.Add(maxFuture)) {
		return futureErr(maxFuture)
	}
	return nil
}

func futureErr(maxFuture Duration) error {
	return fieldErr("occurred_at", "lies more than "+durationText(maxFuture)+" in the future")
}

// CheckValue checks v (nil: none) as the value of an event of kind k that
// sets no scale_min or scale_max; def and rated are what CheckKind
// returned for k.
func CheckValue(k Kind, v *float64, def Scale, rated bool) error {
	return checkValue(k, v, nil, nil, def, rated)
}

// CheckText checks an event's text: at most max bytes of UTF-8, and
// present for kind comment.
func CheckText(k Kind, text string, max int) error {
	if len(text) > max || !utf8.ValidString(text) || k == KindComment && text == "" {
		return textErr(k, text, max)
	}
	return nil
}

func textErr(k Kind, text string, max int) error {
	if len(text) > max {
		return fieldErr("text", "is "+strconv.Itoa(len(text))+" bytes, over the limit of "+strconv.Itoa(max))
	}
	if !utf8.ValidString(text) {
		return fieldErr("text", "is not valid UTF-8")
	}
	if k == KindComment && text == "" {
		return fieldErr("text", "is required for kind comment")
	}
	return nil
}

// checkValue checks the value and scale of an event of kind k, whose
// default scale is def and which carries a value if rated.
func checkValue(k Kind, value, scaleMin, scaleMax *float64, def Scale, rated bool) error {
	if !rated {
		if value != nil {
			return fieldErr("value", "must be empty for kind "+string(k))
		}
		if scaleMin != nil {
			return fieldErr("scale_min", "must be empty for kind "+string(k))
		}
		if scaleMax != nil {
			return fieldErr("scale_max", "must be empty for kind "+string(k))
		}
		return nil
	}
	if !def.Adjustable {
		if scaleMin != nil {
			return fieldErr("scale_min", "is fixed for kind "+string(k))
		}
		if scaleMax != nil {
			return fieldErr("scale_max", "is fixed for kind "+string(k))
		}
	}
	if k == KindQA {
		// Two plain ifs, not a loop over {name, pointer} pairs: such a loop
		// makes escape analysis leak the pointers, which moves a caller's
		// stack-allocated event to the heap.
		if scaleMin != nil && !finite(*scaleMin) {
			return fieldErr("scale_min", "must be a finite number")
		}
		if scaleMax != nil && !finite(*scaleMax) {
			return fieldErr("scale_max", "must be a finite number")
		}
	} else if def.Adjustable {
		if scaleMin != nil && *scaleMin != def.Min {
			return fieldErr("scale_min", "must be "+ftoa(def.Min)+" for kind "+string(k))
		}
		if scaleMax != nil && (*scaleMax < 3 || *scaleMax > 10 || *scaleMax != math.Trunc(*scaleMax)) {
			return fieldErr("scale_max", "must be a whole number between 3 and 10")
		}
	}
	s := def.with(scaleMin, scaleMax)
	if s.Min >= s.Max {
		return fieldErr("scale_max", "must be greater than scale_min")
	}
	if value == nil {
		return fieldErr("value", "is required for kind "+string(k))
	}
	v := *value
	if !finite(v) || v < s.Min || v > s.Max {
		return fieldErr("value", "must be between "+ftoa(s.Min)+" and "+ftoa(s.Max)+" for kind "+string(k))
	}
	if s.Integer && v != math.Trunc(v) {
		return fieldErr("value", "must be a whole number for kind "+string(k))
	}
	return nil
}

// checkOptName is checkName for a field that may be empty.
func checkOptName(field, v string, max int) error {
	if v == "" {
		return nil
	}
	return checkName(field, v, max)
}

func checkName(field, v string, max int) error {
	if len(v) > max {
		return tooLong(field, len(v), max)
	}
	// Eight bytes at a time while every byte is printable ASCII, the usual
	// case; then byte by byte. The browser build (wordChecks false) leaves
	// it all to the byte loop, for less code.
	i := 0
	for ; wordChecks && i+8 <= len(v); i += 8 {
		w := v[i : i+8] // one bounds check for the eight loads
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		const lo, hi = 0x0101010101010101, 0x8080808080808080
		below20 := (x - 0x20*lo) & ^x & hi // a byte < 0x20 (bytes >= 0x80 are caught by x&hi)
		del := x ^ 0x7f*lo
		isDel := (del - lo) & ^del & hi
		if x&hi|below20|isDel != 0 {
			break
		}
	}
	v = v[i:] // the bytes before are printable ASCII
	for j := 0; j < len(v); j++ {
		if c := v[j]; c < 0x20 || c >= 0x7f {
			return checkNameBytes(field, v)
		}
	}
	return nil
}

func tooLong(field string, n, max int) error {
	return fieldErr(field, "is "+strconv.Itoa(n)+" bytes, over the limit of "+strconv.Itoa(max))
}

// checkNameBytes is checkName for a name with a byte that is not printable
// ASCII: UTF-8 is fine, control characters and invalid UTF-8 are not. One
// pass for both; an invalid string is reported as such before any control
// character in it.
func checkNameBytes(field, v string) error {
	checked := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 && !checked {
			if !utf8.ValidString(v) {
				return fieldErr(field, "is not valid UTF-8")
			}
			checked = true
		}
		if c < 0x20 || c == 0x7f {
			if !checked && !utf8.ValidString(v) {
				return fieldErr(field, "is not valid UTF-8")
			}
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

// finite reports whether f is neither NaN nor infinite: f-f is NaN exactly
// then.
func finite(f float64) bool { return f-f == 0 }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
