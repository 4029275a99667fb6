package plugin

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// withHandlers registers handlers for one test.
func withHandlers(t *testing.T, tf TransformFunc, ef EnrichFunc) {
	t.Helper()
	oldT, oldE := transformFn, enrichFn
	t.Cleanup(func() { transformFn, enrichFn = oldT, oldE })
	transformFn, enrichFn = tf, ef
}

func TestAppendTransform(t *testing.T) {
	four, nan := 4.0, math.NaN()
	at := time.Date(2026, 11, 24, 12, 30, 0, 5, time.FixedZone("x", 3600))
	tests := []struct {
		name   string
		fn     TransformFunc
		want   string // the JSON output
		errMsg string // or the refusal in it
	}{
		{name: "events", fn: func(r []byte) ([]wire.Event, error) {
			return []wire.Event{{ID: string(r), Kind: wire.KindStar, Touchpoint: "t", Value: &four, OccurredAt: at,
				Props: map[string]string{"a": "b"}, Context: &wire.Context{URL: "u"}}}, nil
		}, want: `{"events":[{"id":"rec","kind":"star","touchpoint":"t","occurred_at":"2026-11-24T12:30:00.000000005+01:00","value":4,` +
			`"context":{"url":"u","referrer":"","user_agent":"","app_version":""},"props":{"a":"b"}}]}`},
		{name: "no events", fn: func([]byte) ([]wire.Event, error) { return nil, nil }, want: `{"events":[]}`},
		{name: "refusal", fn: func([]byte) ([]wire.Event, error) { return nil, errors.New(`not a "webhook"`) }, errMsg: `not a "webhook"`},
		{name: "empty refusal", fn: func([]byte) ([]wire.Event, error) { return nil, errors.New("") }, errMsg: "plugin: error without a message"},
		{name: "panic", fn: func([]byte) ([]wire.Event, error) { panic("boom") }, errMsg: "plugin: panic: boom"},
		{name: "no handler", errMsg: "plugin: no source handler: call plugin.HandleTransform in an init function"},
		{name: "NaN", fn: func([]byte) ([]wire.Event, error) {
			return []wire.Event{{ID: "x", Kind: wire.KindStar, Touchpoint: "t", Value: &nan}}, nil
		}, errMsg: "plugin: event 0: value or scale is not a finite number"},
		{name: "too many", fn: func([]byte) ([]wire.Event, error) { return make([]wire.Event, MaxEventsPerRecord+1), nil },
			errMsg: "plugin: 101 events, over the limit of 100 per record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withHandlers(t, tt.fn, nil)
			out := AppendTransform(make([]byte, 0, 16), []byte("rec"))
			var res TransformResult
			require.NoError(t, res.UnmarshalJSON(out), "%s", out)
			if tt.errMsg != "" {
				require.Equal(t, tt.errMsg, res.Error)
				require.Empty(t, res.Events)
				return
			}
			require.JSONEq(t, tt.want, string(out))
			require.Empty(t, res.Error)
		})
	}
}

func TestAppendEnrich(t *testing.T) {
	score := 0.2
	in, err := (&trace.Trace{ID: "t1", Data: trace.Data{Kind: wire.KindComment, Text: "too slow", Score: &score}}).MarshalJSON()
	require.NoError(t, err)
	tests := []struct {
		name  string
		fn    EnrichFunc
		input []byte
		want  EnrichResult
	}{
		{name: "patch", input: in, fn: func(t *trace.Trace) (Patch, error) {
			return Patch{Props: map[string]string{"topic": "speed", "id": t.ID}, Sentiment: trace.Negative}, nil
		}, want: EnrichResult{Props: map[string]string{"topic": "speed", "id": "t1"}, Sentiment: trace.Negative}},
		{name: "empty patch", input: in, fn: func(*trace.Trace) (Patch, error) { return Patch{}, nil }},
		{name: "error", input: in, fn: func(*trace.Trace) (Patch, error) { return Patch{}, errors.New("no topic") },
			want: EnrichResult{Error: "no topic"}},
		{name: "panic", input: in, fn: func(*trace.Trace) (Patch, error) { panic("boom") }, want: EnrichResult{Error: "plugin: panic: boom"}},
		{name: "no handler", input: in, want: EnrichResult{Error: "plugin: no enricher: call plugin.HandleEnrich in an init function"}},
		{name: "not a trace", input: []byte("{"), fn: func(*trace.Trace) (Patch, error) { return Patch{}, nil },
			want: EnrichResult{Error: "plugin: the trace does not decode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withHandlers(t, nil, tt.fn)
			out := AppendEnrich(nil, tt.input)
			var res EnrichResult
			require.NoError(t, res.UnmarshalJSON(out), "%s", out)
			if strings.HasPrefix(tt.want.Error, "plugin: the trace") {
				require.Contains(t, res.Error, tt.want.Error)
				return
			}
			require.Equal(t, tt.want, res)
		})
	}
}

func TestCapabilities(t *testing.T) {
	withHandlers(t, nil, nil)
	require.Zero(t, Capabilities())
	HandleTransform(func([]byte) ([]wire.Event, error) { return nil, nil })
	require.Equal(t, CapTransform, Capabilities())
	HandleEnrich(func(*trace.Trace) (Patch, error) { return Patch{}, nil })
	require.Equal(t, CapTransform|CapEnrich, Capabilities())
}

// FuzzAppendEvents checks the hand-written encoder against the events'
// own codec: what it writes decodes to the same event.
func FuzzAppendEvents(f *testing.F) {
	f.Add([]byte(`{"id":"a","kind":"star","touchpoint":"t\"\\\u0001é","value":4,"occurred_at":"2026-11-24T12:00:00Z","props":{"k":"v"},"context":{"url":"u"}}`))
	f.Add([]byte(`{"id":"b","value":-0,"scale_min":1e-7,"scale_max":1e300,"text":"line\nbreak\ttab"}`))
	f.Add([]byte(`{"id":"\u2028\u00ff","value":123456789012345678}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e wire.Event
		if wire.DecodeEvent(data, &e) != nil {
			return
		}
		if e.Value != nil && !finite(*e.Value) || e.ScaleMin != nil && !finite(*e.ScaleMin) || e.ScaleMax != nil && !finite(*e.ScaleMax) {
			return
		}
		out := appendEvents(nil, []wire.Event{e})
		var res TransformResult
		if err := res.UnmarshalJSON(out); err != nil {
			t.Fatalf("%s does not decode: %v", out, err)
		}
		if len(res.Events) != 1 {
			t.Fatalf("%s: %d events", out, len(res.Events))
		}
		if !json.Valid(out) && isValidUTF8Event(&e) {
			t.Fatalf("invalid JSON: %s", out)
		}
		want, _ := e.MarshalJSON()
		got, _ := res.Events[0].MarshalJSON()
		var vw, vg any
		_ = json.Unmarshal(want, &vw)
		_ = json.Unmarshal(got, &vg)
		if !reflect.DeepEqual(vw, vg) {
			t.Fatalf("encoded differently:\nwant %s\ngot  %s\nvia  %s", want, got, out)
		}
	})
}

func isValidUTF8Event(e *wire.Event) bool {
	b, _ := json.Marshal(e)
	return !strings.Contains(string(b), `\ufffd`)
}
