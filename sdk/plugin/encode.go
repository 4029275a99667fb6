package plugin

import (
	"math"
	"strconv"
	"time"

	"github.com/rastrohq/rastro/sdk/wire"
)

// The output of rastro_transform is written by hand rather than by
// easyjson: under the collector's runtime, which checks for timeouts at
// every branch a Go plugin takes, each function call and loop iteration
// of an encoder costs tens of nanoseconds. This encoder makes few calls,
// no allocation and skips what is empty, which makes a trivial record
// several times cheaper. It writes what wire.Event's own codec reads.

// appendEvents appends {"events":[...]}.
func appendEvents(dst []byte, events []wire.Event) []byte {
	dst = append(dst, `{"events":[`...)
	for i := range events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendEvent(dst, &events[i])
	}
	return append(dst, "]}"...)
}

func appendEvent(dst []byte, e *wire.Event) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, e.ID)
	dst = append(dst, `,"kind":`...)
	dst = appendString(dst, string(e.Kind))
	dst = append(dst, `,"touchpoint":`...)
	dst = appendString(dst, e.Touchpoint)
	dst = appendField(dst, `,"channel":`, string(e.Channel))
	dst = appendField(dst, `,"journey":`, e.Journey)
	if !e.OccurredAt.IsZero() {
		dst = append(dst, `,"occurred_at":"`...)
		dst = e.OccurredAt.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	dst = appendField(dst, `,"anonymous_id":`, e.AnonymousID)
	dst = appendField(dst, `,"user_id":`, e.UserID)
	dst = appendField(dst, `,"session_id":`, e.SessionID)
	dst = appendField(dst, `,"interaction_id":`, e.InteractionID)
	dst = appendField(dst, `,"agent_id":`, e.AgentID)
	if e.Value != nil {
		dst = append(dst, `,"value":`...)
		dst = appendFloat(dst, *e.Value)
	}
	if e.ScaleMin != nil {
		dst = append(dst, `,"scale_min":`...)
		dst = appendFloat(dst, *e.ScaleMin)
	}
	if e.ScaleMax != nil {
		dst = append(dst, `,"scale_max":`...)
		dst = appendFloat(dst, *e.ScaleMax)
	}
	dst = appendField(dst, `,"emoji":`, e.Emoji)
	dst = appendField(dst, `,"text":`, e.Text)
	dst = appendField(dst, `,"target":`, e.Target)
	dst = appendField(dst, `,"lang":`, e.Lang)
	if c := e.Context; c != nil {
		dst = append(dst, `,"context":{"url":`...)
		dst = appendString(dst, c.URL)
		dst = append(dst, `,"referrer":`...)
		dst = appendString(dst, c.Referrer)
		dst = append(dst, `,"user_agent":`...)
		dst = appendString(dst, c.UserAgent)
		dst = append(dst, `,"app_version":`...)
		dst = appendString(dst, c.AppVersion)
		dst = append(dst, '}')
	}
	if len(e.Props) > 0 {
		dst = append(dst, `,"props":{`...)
		first := true
		for k, v := range e.Props {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, v)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func appendField(dst []byte, key, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, key...)
	return appendString(dst, v)
}

// appendFloat writes integers, the usual ratings, the cheap way. The
// caller has checked that f is finite.
func appendFloat(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && (f != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string. Bytes from 0x80 up pass as they
// are: the collector judges whether text is valid UTF-8.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	// Eight bytes at a time while none needs escaping: each turn of a
	// loop costs a timeout check.
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if plain8(s[i:]) {
			continue
		}
		break
	}
	start := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plain8 reports whether none of the first eight bytes of s is a control
// character, '"' or '\\', with the word tricks of "Bit Twiddling Hacks"
// (hasless and haszero, exact for these constants).
func plain8(s string) bool {
	_ = s[7]
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	b := x ^ (lo * '\\')
	return ((x-lo*0x20)&^x|(q-lo)&^q|(b-lo)&^b)&hi == 0
}
