package core

import (
	"strconv"
	"unicode/utf8"

	"github.com/rastrohq/rastro/sdk/wire"
)

// AppendEvent appends the JSON of e to dst, with the fields in the order
// of wire.Event and "id" first (Queue.Restore relies on it). It is the
// widget's encoder: the module links neither encoding/json nor wire's
// easyjson codecs.
func AppendEvent(dst []byte, e *wire.Event) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, e.ID)
	dst = append(dst, `,"kind":`...)
	dst = appendString(dst, string(e.Kind))
	dst = append(dst, `,"touchpoint":`...)
	dst = appendString(dst, e.Touchpoint)
	// Loops over name/value tables rather than a call per field: each
	// call site costs the module about 150 bytes of code.
	names := [...]string{"channel", "journey", "anonymous_id", "user_id", "session_id", "interaction_id", "agent_id"}
	for i, v := range [...]string{string(e.Channel), e.Journey, e.AnonymousID, e.UserID, e.SessionID, e.InteractionID, e.AgentID} {
		if i == 2 && !e.OccurredAt.IsZero() {
			dst = append(dst, `,"occurred_at":"`...)
			dst = appendTime(dst, e.OccurredAt.UnixMilli())
			dst = append(dst, '"')
		}
		dst = optString(dst, names[i], v)
	}
	for i, v := range [...]*float64{e.Value, e.ScaleMin, e.ScaleMax} {
		if v != nil {
			dst = append(dst, [...]string{`,"value":`, `,"scale_min":`, `,"scale_max":`}[i]...)
			dst = strconv.AppendFloat(dst, *v, 'f', -1, 64)
		}
	}
	names2 := [...]string{"emoji", "text", "target", "lang"}
	for i, v := range [...]string{e.Emoji, e.Text, e.Target, e.Lang} {
		dst = optString(dst, names2[i], v)
	}
	if c := e.Context; c != nil && (c.URL != "" || c.Referrer != "" || c.UserAgent != "" || c.AppVersion != "") {
		dst = append(dst, `,"context":{`...)
		n := len(dst)
		names := [...]string{"url", "referrer", "user_agent", "app_version"}
		for i, v := range [...]string{c.URL, c.Referrer, c.UserAgent, c.AppVersion} {
			dst = optString(dst, names[i], v)
		}
		dst = append(dst[:n], dst[n+1:]...) // the first field's comma
		dst = append(dst, '}')
	}
	if len(e.Props) > 0 {
		keys := make([]string, 0, len(e.Props))
		for k := range e.Props {
			keys = append(keys, k)
		}
		// Insertion sort: a few keys, and no sort package in the module.
		for i := 1; i < len(keys); i++ {
			for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
			}
		}
		dst = append(dst, `,"props":{`...)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, e.Props[k])
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// AppendBatch appends a wire protocol v1 batch of already encoded events,
// sent at sentAt (Unix milliseconds).
func AppendBatch(dst []byte, sentAt int64, events [][]byte) []byte {
	dst = append(dst, `{"sent_at":"`...)
	dst = appendTime(dst, sentAt)
	dst = append(dst, `","sdk":{"name":"`+SDKName+`","version":"`+SDKVersion+`"},"events":[`...)
	for i, ev := range events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, ev...)
	}
	return append(dst, "]}"...)
}

// batchOverhead bounds the bytes AppendBatch adds around the events.
const batchOverhead = 128

func optString(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, v)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped so the output is also valid JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
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
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendTime appends the time ms (Unix milliseconds) in UTC as
// time.RFC3339Nano formats it ("2006-01-02T15:04:05.999Z"), for years
// 0..9999. It is written by hand because the module does without package
// time (see the package doc, "Weight").
func appendTime(dst []byte, ms int64) []byte {
	days, rem := ms/86400000, ms%86400000
	if rem < 0 {
		days, rem = days-1, rem+86400000
	}
	y, mo, d := civilFromDays(days)
	secs := int(rem / 1000)
	for i, v := range [...]int{y, mo, d, secs / 3600, secs / 60 % 60, secs % 60} {
		width := 2
		if i == 0 {
			width = 4
		} else {
			dst = append(dst, "--T::"[i-1])
		}
		dst = appendDigits(dst, v, width)
	}
	if frac := int(rem % 1000); frac != 0 {
		dst = append(dst, '.')
		dst = appendDigits(dst, frac, 3)
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
	}
	return append(dst, 'Z')
}

// appendDigits appends v with exactly width digits.
func appendDigits(dst []byte, v, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, 0)
	}
	for i := len(dst) - 1; i >= len(dst)-width; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
	return dst
}
