package sink_test

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/sink/sinktest"
	"github.com/rastrohq/rastro/collector/store"
)

func TestEncode(t *testing.T) {
	ps := sinktest.Pendings(sinktest.Traces("ce", 5))
	p := &ps[4] // a comment: text with quotes, non-ASCII and '%'
	wantData, err := json.Marshal(p.Trace.Data)
	require.NoError(t, err)
	wantTime := p.Trace.Time.Format(time.RFC3339Nano)

	for _, tc := range []struct {
		name    string
		binding sink.Binding
		mode    sink.Mode
		headers []sink.Header
		value   []byte
	}{
		{"kafka/structured", sink.Kafka, sink.Structured,
			[]sink.Header{{"content-type", "application/cloudevents+json"}}, p.Body},
		{"kafka/default mode is structured", sink.Kafka, "",
			[]sink.Header{{"content-type", "application/cloudevents+json"}}, p.Body},
		{"nats/structured", sink.NATS, sink.Structured,
			[]sink.Header{{"Content-Type", "application/cloudevents+json"}}, p.Body},
		{"kafka/binary", sink.Kafka, sink.Binary, []sink.Header{
			{"ce_specversion", "1.0"},
			{"ce_id", "ce0004"},
			{"ce_source", "rastro://test/sinktest"},
			{"ce_type", "dev.rastro.trace.comment"},
			{"ce_time", wantTime},
			{"content-type", "application/json"},
			{"ce_dataschema", "https://rastro.dev/schema/trace/v1.json"},
		}, wantData},
		{"nats/binary", sink.NATS, sink.Binary, []sink.Header{
			{"ce-specversion", "1.0"},
			{"ce-id", "ce0004"},
			{"ce-source", "rastro://test/sinktest"},
			{"ce-type", "dev.rastro.trace.comment"},
			{"ce-time", wantTime},
			{"ce-datacontenttype", "application/json"},
			{"ce-dataschema", "https://rastro.dev/schema/trace/v1.json"},
		}, wantData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := sink.Encode(tc.binding, tc.mode, p)
			require.NoError(t, err)
			require.Equal(t, tc.headers, m.Headers)
			require.JSONEq(t, string(tc.value), string(m.Value))
			if tc.mode != sink.Binary {
				require.Equal(t, p.Body, m.Value, "structured mode sends the stored body byte for byte")
			}
		})
	}

	t.Run("no body: encoded from the trace", func(t *testing.T) {
		q := store.Pending{Seq: 1, Trace: p.Trace}
		m, err := sink.Encode(sink.Kafka, sink.Structured, &q)
		require.NoError(t, err)
		require.Equal(t, p.Body, m.Value)
	})
	t.Run("unknown mode", func(t *testing.T) {
		_, err := sink.Encode(sink.Kafka, "avro", p)
		require.ErrorContains(t, err, `"avro"`)
	})
	t.Run("bad body", func(t *testing.T) {
		q := store.Pending{Seq: 1, Trace: p.Trace, Body: []byte(`{"id": "x", "data": {`)}
		_, err := sink.Encode(sink.NATS, sink.Binary, &q)
		require.ErrorContains(t, err, "ce0004")
	})
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		event string
		attrs []sink.Attribute
		data  string
		err   string
	}{
		{name: "strings, numbers, booleans, escapes",
			event: ` { "specversion":"1.0", "id" : "a\"b\u00e9", "n": 42, "ok": true, "gone": null, "data": {"x": [1, "}"]} } `,
			attrs: []sink.Attribute{{"specversion", "1.0"}, {"id", `a"bé`}, {"n", "42"}, {"ok", "true"}},
			data:  `{"x": [1, "}"]}`},
		{name: "data first, string data",
			event: `{"data":"hello","id":"1"}`,
			attrs: []sink.Attribute{{"id", "1"}}, data: `"hello"`},
		{name: "data_base64",
			event: `{"id":"1","data_base64":"aGk="}`,
			attrs: []sink.Attribute{{"id", "1"}}, data: "hi"},
		{name: "no data", event: `{"id":"1"}`, attrs: []sink.Attribute{{"id", "1"}}},
		{name: "not an object", event: `[1]`, err: "not a CloudEvents"},
		{name: "empty", event: ``, err: "not a CloudEvents"},
		{name: "truncated", event: `{"id":"1",`, err: "not a CloudEvents"},
		{name: "trailing garbage", event: `{"id":"1"} x`, err: "not a CloudEvents"},
		{name: "object attribute", event: `{"id":{}}`, err: `"id"`},
		{name: "bad base64", event: `{"data_base64":"!"}`, err: "data_base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs, data, err := sink.Split([]byte(tc.event))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.attrs, attrs)
			require.Equal(t, tc.data, string(data))
		})
	}
}

func TestPercentEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"rastro://test/a-b_c~1", "rastro://test/a-b_c~1"},
		{"Euro € 😀", "Euro%20%E2%82%AC%20%F0%9F%98%80"}, // the binding's example
		{`say "100%"`, "say%20%22100%25%22"},
		{"tab\there\x7f", "tab%09here%7F"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, sink.PercentEncode(tc.in))
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want sink.Mode
		err  bool
	}{
		{"", sink.Structured, false},
		{"structured", sink.Structured, false},
		{"binary", sink.Binary, false},
		{"Binary", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			m, err := sink.ParseMode(tc.in)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, m)
		})
	}
}

// FuzzSplit checks Split against encoding/json: on any event both read,
// they agree on every attribute and on the data.
func FuzzSplit(f *testing.F) {
	for _, p := range sinktest.Pendings(sinktest.Traces("fz", 5)) {
		f.Add(p.Body)
	}
	f.Add([]byte(`{"data_base64":"aGk=","x":1.5e3,"b":false}`))
	f.Add([]byte(`{"id":"1","id":"2","data":{},"data":[1]}`))
	f.Fuzz(func(t *testing.T, event []byte) {
		attrs, data, err := sink.Split(event) // never panics
		var v map[string]json.RawMessage
		if err != nil || !utf8.Valid(event) || json.Unmarshal(event, &v) != nil {
			// jlexer is laxer than encoding/json about control characters,
			// and keeps invalid UTF-8 that encoding/json replaces; stored
			// traces are valid JSON and UTF-8.
			return
		}
		_, hasData := v["data"]
		_, hasB64 := v["data_base64"]
		if hasData && hasB64 {
			return // which one wins is not defined
		}
		got := map[string]string{}
		for _, a := range attrs {
			got[a.Name] = a.Value // the last one wins, as in encoding/json
		}
		for name, raw := range v {
			if name == "data" || name == "data_base64" || string(raw) == "null" {
				continue
			}
			var str string
			if json.Unmarshal(raw, &str) != nil {
				str = string(raw)
			}
			require.Equal(t, str, got[name], "attribute %q of %q", name, event)
		}
		if hasData && string(v["data"]) != "null" {
			require.Equal(t, string(v["data"]), string(data))
		}
	})
}
