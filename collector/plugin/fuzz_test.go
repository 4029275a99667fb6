package plugin

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rastrohq/rastro/collector/trace"
	abi "github.com/rastrohq/rastro/sdk/plugin"
	"github.com/rastrohq/rastro/sdk/wire"
)

// FuzzDecodeTransform feeds arbitrary plugin output to the host's
// decoder. It must never panic nor return more events than a record may
// have; what decodes must survive encode -> decode unchanged, and
// encoding/json must read the same envelope.
func FuzzDecodeTransform(f *testing.F) {
	v, at := 4.0, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	abi.HandleTransform(func([]byte) ([]wire.Event, error) {
		return []wire.Event{
			{ID: "a", Kind: wire.KindStar, Touchpoint: "t\"\\\n\x01é", Value: &v, OccurredAt: at, Props: map[string]string{"k": "v"},
				Context: &wire.Context{URL: "https://x.example/?a=b&c"}},
			{ID: "b", Kind: wire.KindComment, Touchpoint: "t", Text: "slow\tdelivery"},
		}, nil
	})
	f.Add(abi.AppendTransform(nil, []byte("r")))
	f.Add(abi.AppendError(nil, "bad record: \"x\""))
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"events":null,"error":""}`))
	f.Add([]byte(`{"error":""}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"events":[{"id":"x","value":1e400}],"extra":{"a":[1,2]}}`))
	f.Add([]byte(`{"events":[1,"x",null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, msg, err := decodeTransform(data, nil)
		if err != nil {
			if len(events) != 0 || msg != "" {
				t.Fatalf("error %v with events %v and message %q", err, events, msg)
			}
			return
		}
		if len(events) > abi.MaxEventsPerRecord {
			t.Fatalf("%d events", len(events))
		}
		res := abi.TransformResult{Events: events, Error: msg}
		if res.Events == nil {
			res.Events = []wire.Event{}
		}
		enc, err := res.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, msg2, err := decodeTransform(enc, make([]wire.Event, 0, 2))
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if msg2 != msg || len(again) != len(events) {
			t.Fatalf("re-decoding %s: %d events %q, want %d %q", enc, len(again), msg2, len(events), msg)
		}
		for i := range events {
			a, _ := events[i].MarshalJSON()
			b, _ := again[i].MarshalJSON()
			if !sameJSON(t, a, b) {
				t.Fatalf("event %d not stable:\n%s\n%s", i, a, b)
			}
		}
		var std struct {
			Events []json.RawMessage `json:"events"`
			Error  string            `json:"error"`
		}
		if err := json.Unmarshal(enc, &std); err != nil {
			t.Fatalf("encoding/json cannot read %s: %v", enc, err)
		}
		if std.Error != msg || len(std.Events) != len(events) {
			t.Fatalf("encoding/json reads %s differently", enc)
		}
	})
}

func sameJSON(t *testing.T, a, b []byte) bool {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// FuzzApplyPatch feeds arbitrary enricher output: it must never panic,
// and a refused patch changes nothing.
func FuzzApplyPatch(f *testing.F) {
	f.Add([]byte(`{"props":{"topic":"billing"},"sentiment":"negative"}`))
	f.Add([]byte(`{"sentiment":"angry"}`))
	f.Add([]byte(`{"props":{"":"x"}}`))
	f.Add([]byte(`{}`))
	limits := wire.DefaultLimits()
	f.Fuzz(func(t *testing.T, data []byte) {
		var res abi.EnrichResult
		if res.UnmarshalJSON(data) != nil {
			return
		}
		d := wiredData()
		before := wiredData()
		if err := applyPatch(&d, &res, limits); err != nil {
			if !reflect.DeepEqual(d, before) {
				t.Fatalf("a refused patch changed the trace")
			}
			return
		}
		if len(d.Props) > limits.MaxProps {
			t.Fatalf("%d props", len(d.Props))
		}
		if d.Props["own"] != "kept" {
			t.Fatal("the trace's own prop was overwritten")
		}
	})
}

func wiredData() trace.Data {
	return trace.Data{Kind: wire.KindComment, Text: "x", Props: map[string]string{"own": "kept"}}
}
