//go:build !rastro_nojson

package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeBatch feeds arbitrary bodies to the collector's decoding path:
// DecodeBatch, then DecodeEvent and Validate for each event. It must never
// panic, and what decodes must survive encode -> decode unchanged, and
// decode the same with encoding/json.
func FuzzDecodeBatch(f *testing.F) {
	b := sampleBatch()
	var buf bytes.Buffer
	if err := WriteBatch(&buf, &b); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"sent_at":"2026-11-24T12:00:00Z","sdk":{"name":"x","version":"1"},"events":[{"id":"a","kind":"star","touchpoint":"t","value":4}]}`))
	f.Add([]byte(`{"events":[{"props":{"a":"b"},"context":{"url":"u"},"value":1e400}]}`))
	f.Add([]byte(`{"events":[null,1,"x",{}]}`))
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	reused := Batch{Events: make([]Event, 0, 4)} // as the collector reuses it
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := DecodeBatch(body)
		fastErr := DecodeBatchInto(body, &reused)
		if err != nil {
			// DecodeBatchInto may skip garbage inside unknown fields
			// that DecodeBatch refuses; it carries no data either way.
			return
		}
		if fastErr == nil {
			// The one-pass decoder must see exactly what the per-event
			// path sees.
			if len(reused.Events) != len(raw.Events) {
				t.Fatalf("DecodeBatchInto: %d events, DecodeBatch %d", len(reused.Events), len(raw.Events))
			}
			for i, re := range raw.Events {
				var e Event
				if err := DecodeEvent(re, &e); err != nil {
					t.Fatalf("event %d: DecodeBatchInto took it, DecodeEvent: %v", i, err)
				}
				if !reflect.DeepEqual(e, reused.Events[i]) {
					t.Fatalf("event %d differs:\n%+v\n%+v", i, e, reused.Events[i])
				}
			}
		}
		for _, re := range raw.Events {
			var e Event
			if err := DecodeEvent(re, &e); err != nil {
				continue
			}
			_ = e.Validate(Limits{}, now)
			enc := AppendEvent(nil, &e)
			var again Event
			if err := DecodeEvent(enc, &again); err != nil {
				t.Fatalf("re-decoding %s: %v", enc, err)
			}
			enc2 := AppendEvent(nil, &again)
			if !sameJSON(t, enc, enc2) {
				t.Fatalf("encode/decode not stable:\n%s\n%s", enc, enc2)
			}
			var std Event
			if err := json.Unmarshal(enc, &std); err != nil {
				t.Fatalf("encoding/json cannot read %s: %v", enc, err)
			}
			if enc3 := AppendEvent(nil, &std); !sameJSON(t, enc, enc3) {
				t.Fatalf("encoding/json decodes differently:\n%s\n%s", enc, enc3)
			}
		}
	})
}

// sameJSON compares two JSON documents by value (props maps encode in
// random order).
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
