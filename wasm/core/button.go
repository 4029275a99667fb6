package core

// Button is the floating feedback button: a fixed button in a corner of
// the page that opens a modal dialog asking Asks. Pages turn it on with
// data-button on the loader's script tag or rastro("button", {...}).
type Button struct {
	// Asks and Comment are the dialog's questions, as in data-rastro-ask.
	// Default to stars and a comment.
	Asks    []Ask
	Comment bool
	// Touchpoint names the answers. Empty means location.pathname when the
	// visitor sends (the touchpoint the loader gives unnamed clicks).
	Touchpoint string
	// Left puts the button in the bottom-left corner, which right-to-left
	// pages mirror to bottom-right. Defaults to bottom-right (bottom-left
	// on right-to-left pages).
	Left bool
	// Label is the button's text and the dialog's title. Defaults to the
	// page language's "Feedback".
	Label string
	// Question replaces the first question's prompt.
	Question string
	// Off removes the button: rastro("button", false).
	Off bool
}

// ParseButton reads the options of rastro("button", options): an object
// {ask, touchpoint, position, label, question}, true for the defaults or
// false to remove the button. The script tag's data-button-* attributes
// arrive as the same object. Unknown questions are left out with a
// warning; any other bad option makes the whole call a warning.
func ParseButton(a Arg) (b Button, warn string) {
	switch a.T {
	case Bool:
		b.Off = !a.B
		if a.B {
			b.Asks, b.Comment, _ = ParseAsks("stars comment")
		}
		return b, ""
	case Object:
	default:
		return b, "argument 2 (options) must be an object or true/false, got " + a.typeName()
	}
	ask := "stars comment"
	for k, v := range a.O {
		ok := v.T == String && len(v.S) <= 256
		switch k {
		case "ask":
			if v.S != "" {
				ask = v.S
			}
		case "touchpoint":
			b.Touchpoint = v.S
		case "position":
			b.Left = v.S == "bottom-left"
			ok = ok && (b.Left || v.S == "bottom-right" || v.S == "")
		case "label":
			b.Label = v.S
		case "question":
			b.Question = v.S
		default:
			return Button{}, "argument 2 (options) has an unknown field " + Quote(k) + "; use ask, touchpoint, position, label, question"
		}
		if !ok && v.T != Undefined {
			msg := " must be a string, got " + v.typeName()
			switch {
			case v.T != String:
			case k == "position":
				msg = ` must be "bottom-right" or "bottom-left", got ` + Quote(v.S)
			default:
				msg = " is longer than 256 bytes"
			}
			return Button{}, "argument 2 (options) field " + k + msg
		}
	}
	var bad []string
	b.Asks, b.Comment, bad = ParseAsks(ask)
	if len(bad) > 0 {
		warn = "argument 2 (options) field ask: unknown question " + Quote(bad[0]) + "; use stars, emoji, thumbs, nps, csat, ces, comment"
	}
	return b, warn
}
