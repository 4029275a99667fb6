package core

import (
	"strconv"

	"github.com/rastrohq/rastro/sdk/wire"
)

// Type is the JavaScript type of an Arg.
type Type uint8

// The types an Arg may hold.
const (
	Undefined Type = iota
	Null
	Bool
	Number
	String
	Object
	Other // functions, symbols, arrays: never valid arguments
)

// Arg is one argument of a rastro(method, ...args) call, converted from
// JavaScript without reflection: the wasm main converts js.Value, tests
// build Args by hand.
type Arg struct {
	T Type
	S string
	N float64
	B bool
	// O holds the fields of an Object; nested objects are kept one level
	// deep (props).
	O map[string]Arg
}

// Str, Num, Boolean and Obj make Args.
func Str(s string) Arg              { return Arg{T: String, S: s} }
func Num(n float64) Arg             { return Arg{T: Number, N: n} }
func Boolean(b bool) Arg            { return Arg{T: Bool, B: b} }
func Obj(fields map[string]Arg) Arg { return Arg{T: Object, O: fields} }

func (a Arg) typeName() string {
	switch a.T {
	case Undefined:
		return "undefined"
	case Null:
		return "null"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	case String:
		return "a string"
	case Object:
		return "an object"
	}
	return "of an unsupported type"
}

// Result says what a call did.
type Result struct {
	// Warn is a message for console.warn naming the bad argument; empty when
	// the call was good.
	Warn string
	// Queued is set when an event joined the queue.
	Queued bool
	// Flush asks the caller to send the queue now.
	Flush bool
	// Dropped is set when consent was withdrawn and the queue dropped.
	Dropped bool
	// Init is set when init changed the configuration (language, endpoint,
	// key): the caller re-reads what it depends on.
	Init bool
	// Button is the floating button's new configuration after
	// rastro("button", ...); nil for other calls and bad options.
	Button *Button
}

// emojiScale maps the widget's five emoji to values 1..5.
var emojiScale = [...]string{"😠", "🙁", "😐", "🙂", "😍"}

// EmojiFor returns the emoji of value v on the 1..5 emoji scale.
func EmojiFor(v int) string {
	if v < 1 || v > len(emojiScale) {
		return ""
	}
	return emojiScale[v-1]
}

// Call handles rastro(method, args...). It never panics: bad input becomes
// Result.Warn, naming the argument, e.g.
//
//	rastro("star"): argument 3 (value) must be between 1 and 5 for kind star
func (c *Core) Call(method string, args []Arg) (r Result) {
	warn := func(msg string) Result {
		return Result{Warn: `rastro("` + method + `"): ` + msg}
	}
	arg := func(i int) Arg {
		if i < len(args) {
			return args[i]
		}
		return Arg{}
	}
	switch method {
	case "init":
		o := arg(0)
		if o.T != Object {
			return warn("argument 2 (options) must be an object, got " + o.typeName())
		}
		return c.init(o.O, warn)
	case "identify":
		switch a := arg(0); a.T {
		case String:
			if err := checkID(a.S); err != "" {
				return warn("argument 2 (user id) " + err)
			}
			c.UserID = a.S
		case Null, Undefined:
			c.UserID = ""
		case Number:
			c.UserID = strconv.FormatFloat(a.N, 'f', -1, 64)
		default:
			return warn("argument 2 (user id) must be a string or null, got " + a.typeName())
		}
		return Result{}
	case "consent":
		a := arg(0)
		if a.T != Bool {
			return warn("argument 2 (granted) must be true or false, got " + a.typeName())
		}
		c.Consent = a.B
		if !a.B {
			c.Queue.Clear()
			return Result{Dropped: true}
		}
		return Result{}
	case "flush":
		return Result{Flush: true}
	case "button":
		b, msg := ParseButton(arg(0))
		if msg != "" {
			r = warn(msg)
		}
		if b.Off || len(b.Asks) > 0 || b.Comment {
			r.Button = &b
		}
		return r
	}
	kind := method
	if !wire.Kind(kind).Valid() || kind == "qa" {
		return warn("unknown method; use init, star, emoji, thumbs, nps, csat, ces, comment, click, identify, consent, button or flush")
	}
	if !c.Consent {
		return Result{} // consent withheld: nothing is captured, silently
	}
	tp := arg(0)
	if tp.T != String || tp.S == "" {
		return warn("argument 2 (touchpoint) must be a non-empty string, got " + tp.typeName())
	}
	// One clock read per event: in the browser each costs two calls into
	// JavaScript.
	now := c.now()
	ev := wire.Event{ID: wire.NewIDAt(wire.UnixMilli(now)), Kind: wire.Kind(kind), Touchpoint: tp.S, Channel: wire.Channel(c.Channel),
		Journey: c.Journey, OccurredAt: wire.UnixMilli(now), AnonymousID: c.AnonymousID, UserID: c.UserID, SessionID: c.SessionID, Lang: c.Lang}
	if c.URL != "" || c.Referrer != "" || c.UserAgent != "" {
		ev.Context = &wire.Context{URL: c.URL, Referrer: c.Referrer, UserAgent: c.UserAgent}
	}
	val := arg(1)
	opts := arg(2)
	valueName := "value"
	switch kind {
	case "comment":
		valueName = "text"
		if val.T != String {
			return warn("argument 3 (text) must be a string, got " + val.typeName())
		}
		ev.Text = val.S
	case "click":
		valueName = "target"
		switch val.T {
		case String:
			ev.Target = val.S
		case Undefined, Null:
		case Object:
			opts = val
		default:
			return warn("argument 3 (target) must be a string, got " + val.typeName())
		}
	case "thumbs":
		switch {
		case val.T == Bool:
			ev.Value = num(b2f(val.B))
		case val.T == String && (val.S == "up" || val.S == "down"):
			ev.Value = num(b2f(val.S == "up"))
		case val.T == Number:
			ev.Value = num(val.N)
		default:
			return warn(`argument 3 (value) must be true/false, "up"/"down" or 1/0, got ` + val.typeName())
		}
	case "emoji":
		switch val.T {
		case Number:
			ev.Value = num(val.N)
			ev.Emoji = EmojiFor(int(val.N))
		case String:
			for i, e := range emojiScale {
				if e == val.S {
					ev.Value = num(float64(i + 1))
					ev.Emoji = e
				}
			}
			if ev.Value == nil {
				return warn("argument 3 (value) must be 1..5 or one of " + emojiScale[0] + emojiScale[1] + emojiScale[2] + emojiScale[3] + emojiScale[4])
			}
		default:
			return warn("argument 3 (value) must be a number, got " + val.typeName())
		}
	default:
		if val.T != Number {
			return warn("argument 3 (value) must be a number, got " + val.typeName())
		}
		ev.Value = num(val.N)
	}
	switch opts.T {
	case Object:
		if msg := applyOptions(&ev, opts.O); msg != "" {
			return warn("argument 4 (options) " + msg)
		}
	case Undefined, Null:
	default:
		return warn("argument 4 (options) must be an object, got " + opts.typeName())
	}
	if field, reason := validate(&ev, now); field != "" {
		switch field {
		case "touchpoint":
			return warn("argument 2 (touchpoint) " + reason)
		case "value", "text", "target":
			if field == valueName {
				return warn("argument 3 (" + field + ") " + reason)
			}
		}
		return warn("option " + field + " " + reason)
	}
	if !c.Queue.Push(AppendEvent(nil, &ev)) {
		return warn("queue full (" + strconv.Itoa(c.Queue.Len()) + " events waiting); event dropped")
	}
	return Result{Queued: true, Flush: c.Queue.Len() >= c.BatchEvents}
}

func (c *Core) init(o map[string]Arg, warn func(string) Result) Result {
	for k, v := range o {
		str := func() (string, bool) { return v.S, v.T == String }
		var ok bool
		switch k {
		case "lang":
			c.Lang, ok = str()
		case "key":
			c.Key, ok = str()
		case "endpoint":
			c.Endpoint, ok = str()
		case "journey":
			c.Journey, ok = str()
		case "channel":
			var s string
			s, ok = str()
			c.Channel = s
			ok = ok && wire.Channel(s).Valid()
		case "userId":
			c.UserID, ok = str()
		case "consent":
			c.Consent, ok = v.B, v.T == Bool
			if ok && !v.B {
				c.Queue.Clear()
			}
		case "batchSize":
			ok = v.T == Number && v.N >= 1 && v.N <= 500
			if ok {
				c.BatchEvents = int(v.N)
			}
		case "flushInterval":
			ok = v.T == Number && v.N >= 0
			if ok {
				c.FlushInterval = int(v.N)
			}
		default:
			ok = true // options the loader reads (load, respectDnt) or later versions add
		}
		if !ok {
			return warn("argument 2 (options) field " + k + " has a bad value (" + v.typeName() + ")")
		}
	}
	return Result{Init: true}
}

// applyOptions copies the options of a capture call into ev.
func applyOptions(ev *wire.Event, o map[string]Arg) string {
	for k, v := range o {
		var ok bool
		switch k {
		case "text":
			ev.Text, ok = v.S, v.T == String
		case "journey":
			ev.Journey, ok = v.S, v.T == String
		case "emoji":
			ev.Emoji, ok = v.S, v.T == String
		case "target":
			ev.Target, ok = v.S, v.T == String
		case "interactionId":
			ev.InteractionID, ok = v.S, v.T == String
		case "agentId":
			ev.AgentID, ok = v.S, v.T == String
		case "userId":
			ev.UserID, ok = v.S, v.T == String
		case "scaleMax":
			ev.ScaleMax, ok = num(v.N), v.T == Number
		case "props":
			ok = v.T == Object
			if ok && len(v.O) > 0 {
				ev.Props = make(map[string]string, len(v.O))
				for pk, pv := range v.O {
					switch pv.T {
					case String:
						ev.Props[pk] = pv.S
					case Number:
						ev.Props[pk] = strconv.FormatFloat(pv.N, 'f', -1, 64)
					case Bool:
						ev.Props[pk] = strconv.FormatBool(pv.B)
					default:
						return "field props." + pk + " must be a string, number or boolean"
					}
				}
			}
		default:
			return "has an unknown field " + Quote(k)
		}
		if !ok {
			return "field " + k + " has a bad value (" + v.typeName() + ")"
		}
	}
	return ""
}

func checkID(s string) string {
	if len(s) > 256 {
		return "is longer than 256 bytes"
	}
	return ""
}

// limits are the collector's defaults, which the widget's events must meet.
var limits = wire.DefaultLimits()

// validate checks ev with wire's one validation and returns the field it
// names and why, or two empty strings.
func validate(ev *wire.Event, now int64) (field, reason string) {
	if err := ev.Check(&limits, wire.UnixMilli(now)); err != nil {
		if fe, ok := err.(*wire.FieldError); ok {
			return fe.Field, fe.Reason
		}
		return "event", err.Error()
	}
	return "", ""
}

func num(f float64) *float64 { return &f }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
