package plugin

import (
	"errors"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"

	"github.com/rastrohq/rastro/collector/trace"
	abi "github.com/rastrohq/rastro/sdk/plugin"
	"github.com/rastrohq/rastro/sdk/wire"
)

// decodeTransform decodes the output of rastro_transform, appending the
// events to dst: {"events": [...]} or {"error": "..."}, other fields
// ignored. It returns the plugin's refusal message, if any, or an error
// when the output is not ABI v1. It never keeps a reference to data, a
// view of the plugin's memory.
func decodeTransform(data []byte, dst []wire.Event) ([]wire.Event, string, error) {
	base := len(dst)
	l := jlexer.Lexer{Data: data}
	var msg string
	var sawEvents, sawError bool
	if l.IsNull() {
		return dst, "", errors.New("output is not ABI v1 JSON: null")
	}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "events":
			sawEvents = true
			if l.IsNull() {
				l.Skip()
				break
			}
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				if len(dst)-base == abi.MaxEventsPerRecord {
					return dst[:base], "", errors.New("output has more than " + strconv.Itoa(abi.MaxEventsPerRecord) + " events for one record")
				}
				dst = append(dst, wire.Event{})
				dst[len(dst)-1].UnmarshalEasyJSON(&l)
				l.WantComma()
			}
			l.Delim(']')
		case "error":
			sawError = true
			msg = l.String()
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	if err := l.Error(); err != nil {
		return dst[:base], "", errors.New("output is not ABI v1 JSON: " + err.Error())
	}
	if !sawEvents && !sawError {
		return dst[:base], "", errors.New(`output has neither "events" nor "error"`)
	}
	if msg != "" {
		return dst[:base], clean(msg), nil
	}
	if sawError && !sawEvents {
		return dst[:base], "", errors.New(`output has an empty "error" and no "events"`)
	}
	return dst, "", nil
}

// applyPatch applies an enricher's result to d: props the trace lacks are
// added, and the sentiment is set on a trace without a score. A patch
// that breaks the limits is refused whole.
func applyPatch(d *trace.Data, r *abi.EnrichResult, l wire.Limits) error {
	switch r.Sentiment {
	case "", trace.Negative, trace.Neutral, trace.Positive:
	default:
		return errors.New("patch: sentiment " + strconv.Quote(clean(r.Sentiment)) + " is not negative, neutral or positive")
	}
	added := 0
	for k, v := range r.Props {
		if k == "" || len(k) > l.MaxPropBytes || !utf8.ValidString(k) {
			return errors.New("patch: prop key " + strconv.Quote(clean(k)) + " is empty, too long or not UTF-8")
		}
		if len(v) > l.MaxPropBytes || !utf8.ValidString(v) {
			return errors.New("patch: prop " + strconv.Quote(clean(k)) + " is over " + strconv.Itoa(l.MaxPropBytes) + " bytes or not UTF-8")
		}
		if _, ok := d.Props[k]; !ok {
			added++
		}
	}
	if len(d.Props)+added > l.MaxProps {
		return errors.New("patch: the trace would have " + strconv.Itoa(len(d.Props)+added) + " props, over the limit of " + strconv.Itoa(l.MaxProps))
	}
	if added > 0 {
		// A new map: the trace's may be shared with the event it came from.
		props := make(map[string]string, len(d.Props)+added)
		for k, v := range d.Props {
			props[k] = v
		}
		for k, v := range r.Props {
			if _, ok := props[k]; !ok {
				props[k] = v
			}
		}
		d.Props = props
	}
	if r.Sentiment != "" && d.Score == nil {
		d.Sentiment = r.Sentiment
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// encodeTrace returns the JSON of t in a pooled buffer; putBuf returns it.
func encodeTrace(t *trace.Trace) *[]byte {
	buf := bufPool.Get().(*[]byte)
	var w jwriter.Writer
	w.Buffer.Buf = (*buf)[:0]
	t.MarshalEasyJSON(&w)
	*buf = w.Buffer.BuildBytes()
	return buf
}

func putBuf(b *[]byte) {
	if cap(*b) <= 1<<20 {
		bufPool.Put(b)
	}
}
