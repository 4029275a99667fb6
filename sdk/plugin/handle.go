package plugin

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/mailru/easyjson/jwriter"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// TransformFunc turns one foreign record into wire events. record is only
// valid during the call: copy what must outlive it. An error refuses the
// record with its message.
type TransformFunc func(record []byte) ([]wire.Event, error)

// EnrichFunc returns what to add to one trace. An error leaves the trace
// unchanged, and the collector logs it.
type EnrichFunc func(t *trace.Trace) (Patch, error)

var (
	transformFn TransformFunc
	enrichFn    EnrichFunc
)

// HandleTransform makes fn the plugin's source handler, called for each
// record posted to POST /v1/sources/{plugin}. Call it from an init
// function of the plugin's main package.
func HandleTransform(fn TransformFunc) { transformFn = fn }

// HandleEnrich makes fn the plugin's enricher, called for each trace before
// it is stored. Call it from an init function of the plugin's main package.
func HandleEnrich(fn EnrichFunc) { enrichFn = fn }

// Capabilities returns the capability bits of the handlers registered so
// far, as rastro_capabilities reports them.
func Capabilities() uint32 {
	var c uint32
	if transformFn != nil {
		c |= CapTransform
	}
	if enrichFn != nil {
		c |= CapEnrich
	}
	return c
}

// AppendTransform runs the registered source handler on record and writes
// the output rastro_transform returns into buf's capacity: {"events":[...]}
// or {"error":"..."}. A panic in the handler refuses the record instead of
// crashing the plugin. It is what rastro_transform runs, so a plugin's
// tests may call it natively to see exactly what the collector will get.
func AppendTransform(buf, record []byte) []byte {
	events, err := runTransform(transformFn, record)
	if err == nil {
		err = checkEvents(events)
	}
	if err != nil {
		return AppendError(buf, message(err))
	}
	return appendEvents(buf[:0], events)
}

// AppendEnrich decodes input as a trace (trace format v1 JSON), runs the
// registered enricher on it and writes the output rastro_enrich returns
// into buf's capacity. A panic in the handler becomes an error.
func AppendEnrich(buf, input []byte) []byte {
	var res EnrichResult
	var t trace.Trace
	if err := t.UnmarshalJSON(input); err != nil {
		res.Error = "plugin: the trace does not decode: " + err.Error()
		return encode(buf, &res)
	}
	p, err := runEnrich(enrichFn, &t)
	if err != nil {
		res.Error = message(err)
	} else {
		res.Props, res.Sentiment = p.Props, p.Sentiment
	}
	return encode(buf, &res)
}

// AppendError writes {"error": msg} into buf's capacity, a refusal that
// both outputs understand.
func AppendError(buf []byte, msg string) []byte {
	buf = append(buf[:0], `{"error":`...)
	buf = appendString(buf, msg)
	return append(buf, '}')
}

type marshaler interface{ MarshalEasyJSON(*jwriter.Writer) }

func encode(buf []byte, v marshaler) []byte {
	var w jwriter.Writer
	w.Buffer.Buf = buf[:0]
	v.MarshalEasyJSON(&w)
	return w.Buffer.BuildBytes()
}

func runTransform(fn TransformFunc, record []byte) (events []wire.Event, err error) {
	if fn == nil {
		return nil, errors.New("plugin: no source handler: call plugin.HandleTransform in an init function")
	}
	defer func() {
		if r := recover(); r != nil {
			events, err = nil, fmt.Errorf("plugin: panic: %v", r)
		}
	}()
	return fn(record)
}

func runEnrich(fn EnrichFunc, t *trace.Trace) (p Patch, err error) {
	if fn == nil {
		return Patch{}, errors.New("plugin: no enricher: call plugin.HandleEnrich in an init function")
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = Patch{}, fmt.Errorf("plugin: panic: %v", r)
		}
	}()
	return fn(t)
}

// checkEvents refuses what JSON cannot carry, so that the output always
// decodes.
func checkEvents(events []wire.Event) error {
	if len(events) > MaxEventsPerRecord {
		return errors.New("plugin: " + strconv.Itoa(len(events)) + " events, over the limit of " +
			strconv.Itoa(MaxEventsPerRecord) + " per record")
	}
	for i := range events {
		e := &events[i]
		if e.Value != nil && !finite(*e.Value) || e.ScaleMin != nil && !finite(*e.ScaleMin) || e.ScaleMax != nil && !finite(*e.ScaleMax) {
			return errors.New("plugin: event " + strconv.Itoa(i) + ": value or scale is not a finite number")
		}
	}
	return nil
}

// finite reports whether f is neither NaN nor infinite: f-f is 0 for
// finite numbers and NaN otherwise.
func finite(f float64) bool { return f-f == 0 }

func message(err error) string {
	if m := err.Error(); m != "" {
		return m
	}
	return "plugin: error without a message"
}
