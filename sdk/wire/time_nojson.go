//go:build rastro_nojson

package wire

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

func unixMilli(ms int64) Time { return UnixMilli(ms) }

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

// String formats d as time.Duration.String does: "24h0m0s", "1.5s",
// "300ms", "0s".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var b [32]byte
	i := len(b)
	u := uint64(d)
	neg := d < 0
	if neg {
		u = -u
	}
	if u < uint64(Second) {
		// Below a second: one unit, with a fraction.
		prec := 0
		i--
		b[i] = 's'
		switch {
		case u < uint64(Microsecond):
			i--
			b[i] = 'n'
		case u < uint64(Millisecond):
			prec = 3
			i -= 2
			copy(b[i:], "µ")
		default:
			prec = 6
			i--
			b[i] = 'm'
		}
		i = fmtFrac(b[:i], u, prec)
		u /= pow10(prec)
		i = fmtInt(b[:i], u)
	} else {
		i--
		b[i] = 's'
		i = fmtFrac(b[:i], u, 9)
		u /= uint64(Second)
		i = fmtInt(b[:i], u%60)
		u /= 60
		if u > 0 {
			i--
			b[i] = 'm'
			i = fmtInt(b[:i], u%60)
			u /= 60
			if u > 0 {
				i--
				b[i] = 'h'
				i = fmtInt(b[:i], u)
			}
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// fmtFrac writes the last prec digits of v as a fraction (".5"), without
// trailing zeros and nothing when they are all zero, at the end of buf,
// and returns the index where it starts.
func fmtFrac(buf []byte, v uint64, prec int) int {
	i := len(buf)
	printed := false
	for range prec {
		digit := v % 10
		printed = printed || digit != 0
		if printed {
			i--
			buf[i] = byte(digit) + '0'
		}
		v /= 10
	}
	if printed {
		i--
		buf[i] = '.'
	}
	return i
}

// fmtInt writes v in decimal at the end of buf and returns the index where
// it starts.
func fmtInt(buf []byte, v uint64) int {
	i := len(buf)
	if v == 0 {
		i--
		buf[i] = '0'
		return i
	}
	for v > 0 {
		i--
		buf[i] = byte(v%10) + '0'
		v /= 10
	}
	return i
}
