//go:build rastro_nojson

package wire

import "strconv"

// The browser build (build tag rastro_nojson) of this package does not
// import package time: time's initialization and what it reaches (godebug
// settings, bisect, syscall) cost an empty GOOS=js module 37 kB brotli,
// about 8% of the whole Go runtime. A browser reads its clock in
// milliseconds (Date.now), so there an instant is a count of Unix
// milliseconds with the few methods validation needs, spelled as
// package time spells them. The one Event type, its validation and its ids
// are the same in every build.

// Time is an instant in Unix milliseconds; its zero value means "not set",
// as time.Time's does.
type Time struct {
	ms  int64
	set bool
}

// UnixMilli returns the instant ms milliseconds after 1970-01-01 UTC.
func UnixMilli(ms int64) Time { return Time{ms: ms, set: true} }

// IsZero reports whether t is the zero Time (not set).
func (t Time) IsZero() bool { return !t.set }

// UnixMilli returns t as Unix milliseconds.
func (t Time) UnixMilli() int64 { return t.ms }

// Unix returns t as Unix seconds, rounded down.
func (t Time) Unix() int64 {
	s := t.ms / 1000
	if t.ms%1000 < 0 {
		s--
	}
	return s
}

// After reports whether t is later than u; the zero Time is earlier than
// every instant.
func (t Time) After(u Time) bool {
	if !t.set {
		return false
	}
	return !u.set || t.ms > u.ms
}

// Add returns t+d, to the millisecond (rounded toward zero).
func (t Time) Add(d Duration) Time {
	t.ms += int64(d / Millisecond)
	return t
}

// Duration is a span of time in nanoseconds, as time.Duration.
type Duration int64

// Common durations.
const (
	Nanosecond  Duration = 1
	Microsecond          = 1000 * Nanosecond
	Millisecond          = 1000 * Microsecond
	Second               = 1000 * Millisecond
	Minute               = 60 * Second
	Hour                 = 60 * Minute
)

const (
	second = Second
	hour   = Hour
)

// Milliseconds returns d in whole milliseconds, rounded toward zero.
func (d Duration) Milliseconds() int64 { return int64(d / Millisecond) }

// durationText formats d for an error message in whole seconds
// ("86400s"): time.Duration.String's formatting would cost the module
// several kB for a message the widget never shows.
func durationText(d Duration) string { return strconv.FormatInt(int64(d/Second), 10) + "s" }

// quote returns s in double quotes for an error message: quotes,
// backslashes and control bytes escaped as \" \\ and \xNN, everything else
// as it is. The standard build uses strconv.Quote, whose table of printable
// characters would cost the module 5.8 kB brotli.
func quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

// wordChecks is false here: checkName's byte loop alone checks a name,
// which costs the module less code than reading eight bytes at a time.
const wordChecks = false
