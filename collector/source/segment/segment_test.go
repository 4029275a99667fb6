package segment

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func f(v float64) *float64 { return &v }

func TestEvent(t *testing.T) {
	tests := []struct {
		name     string
		call     string
		feedback bool
		want     wire.Event
		field    string // of the error, "" for none
	}{
		{name: "nps", feedback: true,
			call: `{"type":"track","event":"Survey","messageId":"m1","userId":42,"properties":{"nps":"9","text":"ok"}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindNPS, Touchpoint: "Survey", UserID: "42", Value: f(9), Text: "ok"}},
		{name: "nps wins over rating", feedback: true,
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"rating":5,"nps":3}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindNPS, Touchpoint: "E", Value: f(3)}},
		{name: "explicit kind and value", feedback: true,
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"kind":"qa","value":87.5,"scale_max":100}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindQA, Touchpoint: "E", Value: f(87.5), ScaleMax: f(100)}},
		{name: "stars with scale", feedback: true,
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"stars":7,"scale_max":10,"touchpoint":"tp","channel":"app"}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindStar, Touchpoint: "tp", Channel: wire.ChannelApp, Value: f(7), ScaleMax: f(10)}},
		{name: "thumbs down", feedback: true,
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"thumbs":"down"}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindThumbs, Touchpoint: "E", Value: f(0)}},
		{name: "emoji face", feedback: true,
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"emoji":"😐"}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindEmoji, Touchpoint: "E", Value: f(3), Emoji: "😐"}},
		{name: "comment only", feedback: true,
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"comment":"slow","page":{"a":1},"n":2,"b":false}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindComment, Touchpoint: "E", Text: "slow", Props: map[string]string{"n": "2", "b": "false"}}},
		{name: "context", feedback: true,
			call: `{"type":"track","event":"E","messageId":"m1","timestamp":"2026-01-02T03:04:05Z","properties":{"csat":5},
				"context":{"page":{"url":"https://x.example/a","referrer":"r"},"userAgent":"ua","locale":"en-US","app":{"version":"1.2"}}}`,
			want: wire.Event{ID: "m1", Kind: wire.KindCSAT, Touchpoint: "E", Channel: wire.ChannelApp, Value: f(5), Lang: "en-US",
				OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
				Context:    &wire.Context{URL: "https://x.example/a", Referrer: "r", UserAgent: "ua", AppVersion: "1.2"}}},
		{name: "long messageId is hashed", feedback: true,
			call: `{"type":"track","event":"E","messageId":"` + strings.Repeat("x", 80) + `","properties":{"ces":2}}`,
			want: wire.Event{ID: HashID(strings.Repeat("x", 80)), Kind: wire.KindCES, Touchpoint: "E", Value: f(2)}},
		{name: "not feedback", call: `{"type":"track","event":"Viewed","messageId":"m1","properties":{"sku":"a"}}`},
		{name: "identify", call: `{"type":"identify","messageId":"m1","userId":"u"}`},
		{name: "no messageId", feedback: true, field: "messageId",
			call: `{"type":"track","event":"E","properties":{"nps":1}}`},
		{name: "bad kind", feedback: true, field: "properties.kind",
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"kind":"like"}}`},
		{name: "bad number", feedback: true, field: "properties.rating",
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"rating":"lots"}}`},
		{name: "bad timestamp", feedback: true, field: "timestamp",
			call: `{"type":"track","event":"E","messageId":"m1","timestamp":"yesterday","properties":{"nps":1}}`},
		{name: "unknown emoji", feedback: true, field: "properties.emoji",
			call: `{"type":"track","event":"E","messageId":"m1","properties":{"emoji":"🦄"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			require.NoError(t, DecodeMessage([]byte(tt.call), &m))
			var e wire.Event
			feedback, err := Event(&m, &e, wire.Limits{})
			require.Equal(t, tt.feedback, feedback)
			if tt.field != "" {
				var fe *wire.FieldError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, tt.field, fe.Field)
				return
			}
			require.NoError(t, err)
			if feedback {
				require.Equal(t, tt.want, e)
			}
		})
	}
}

type memStore struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *memStore) Append(_ context.Context, ts []trace.Trace) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bool, len(ts))
	for i, t := range ts {
		out[i] = !s.ids[t.ID]
		s.ids[t.ID] = true
	}
	return out, nil
}

func newHandler(t testing.TB) *Handler {
	keys, err := ingest.NewKeys([]ingest.WriteKey{{Token: "wk", Rate: -1, Origins: []string{"https://ok.example"}}}, 500)
	require.NoError(t, err)
	h, err := New(Config{Keys: keys, Appender: &memStore{ids: map[string]bool{}}})
	require.NoError(t, err)
	return h
}

func TestHandler(t *testing.T) {
	h := newHandler(t)
	call := `{"type":"track","event":"E","messageId":"m1","properties":{"nps":10}}`
	tests := []struct {
		name   string
		path   string
		body   string
		auth   func(r *http.Request)
		status int
		want   string // substring of the body
	}{
		{name: "basic auth batch", path: BatchPath, body: `{"batch":[` + call + `]}`,
			auth: func(r *http.Request) { r.SetBasicAuth("wk", "") }, status: 200, want: `"accepted":1`},
		{name: "bearer track, duplicate", path: TrackPath, body: call,
			auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer wk") }, status: 200, want: `"duplicates":1`},
		{name: "key in body", path: BatchPath, body: `{"writeKey":"wk","batch":[{"type":"page"}]}`, status: 200, want: `"ignored":1`},
		{name: "no key", path: BatchPath, body: `{"batch":[]}`, status: 401},
		{name: "unknown key", path: BatchPath, body: `{"batch":[]}`,
			auth: func(r *http.Request) { r.SetBasicAuth("nope", "") }, status: 401},
		{name: "bad origin", path: BatchPath, body: `{"batch":[]}`,
			auth: func(r *http.Request) { r.SetBasicAuth("wk", ""); r.Header.Set("Origin", "https://evil.example") }, status: 403},
		{name: "not a batch", path: BatchPath, body: `[1,2]`,
			auth: func(r *http.Request) { r.SetBasicAuth("wk", "") }, status: 400},
		{name: "malformed call", path: BatchPath, body: `{"batch":[{"type":"track","properties":[1]}]}`,
			auth: func(r *http.Request) { r.SetBasicAuth("wk", "") }, status: 200, want: `malformed call`},
		{name: "too large", path: BatchPath, body: `{"batch":[],"x":"` + strings.Repeat("a", 600<<10) + `"}`,
			auth: func(r *http.Request) { r.SetBasicAuth("wk", "") }, status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			if tt.auth != nil {
				tt.auth(r)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			require.Contains(t, w.Body.String(), tt.want)
			if tt.status == 200 {
				require.Contains(t, w.Body.String(), `"success":true`)
			}
		})
	}
}

func FuzzBatch(f *testing.F) {
	f.Add([]byte(`{"batch":[{"type":"track","event":"E","messageId":"m1","properties":{"nps":9,"comment":"x","p":1}}]}`))
	f.Add([]byte(`{"batch":[{"type":"track","event":"E","messageId":"m1","userId":1,"properties":{"emoji":"😍","thumbs":"up"},"context":{"page":{"url":"u"}}}]}`))
	f.Add([]byte(`{"batch":[{"type":"identify"},{"type":"track","properties":{"kind":"qa","value":"5"}}]}`))
	f.Add([]byte(`{"batch":null}`))
	limits := wire.DefaultLimits()
	now := time.Now()
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeBatch(body)
		if err != nil {
			return
		}
		for _, raw := range b.Batch {
			var m Message
			if DecodeMessage(raw, &m) != nil {
				continue
			}
			var e wire.Event
			feedback, err := Event(&m, &e, limits)
			if !feedback || err != nil || e.Validate(limits, now) != nil {
				continue
			}
			// A valid event survives the wire codec unchanged.
			enc := wire.AppendEvent(nil, &e)
			var back wire.Event
			require.NoError(t, wire.DecodeEvent(enc, &back))
			require.Equal(t, e, back, "%s", enc)
			var v map[string]any
			require.NoError(t, json.Unmarshal(enc, &v))
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	h := newHandler(b)
	var sb strings.Builder
	sb.WriteString(`{"batch":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"type":"track","event":"Survey","messageId":"m` + strings.Repeat("0", 8) + string(rune('a'+i%26)) + `","userId":"u1","properties":{"nps":9,"comment":"fine","plan":"pro"},"context":{"page":{"url":"https://x.example/"}}}`)
	}
	sb.WriteString(`]}`)
	body := sb.String()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest("POST", BatchPath, strings.NewReader(body))
		r.SetBasicAuth("wk", "")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}
