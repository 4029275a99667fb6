package normalize_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/mailru/easyjson"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func f(v float64) *float64 { return &v }

var received = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestEventScores(t *testing.T) {
	tests := []struct {
		name      string
		ev        wire.Event
		score     *float64
		sentiment string
		npsClass  string
	}{
		{"4 of 5 stars", wire.Event{Kind: wire.KindStar, Value: f(4)}, f(0.75), trace.Positive, ""},
		{"3 of 5 stars", wire.Event{Kind: wire.KindStar, Value: f(3)}, f(0.5), trace.Neutral, ""},
		{"2 of 5 stars", wire.Event{Kind: wire.KindStar, Value: f(2)}, f(0.25), trace.Negative, ""},
		{"7 of 10 stars", wire.Event{Kind: wire.KindStar, Value: f(7), ScaleMax: f(10)}, f(6.0 / 9), trace.Positive, ""},
		{"nps 9", wire.Event{Kind: wire.KindNPS, Value: f(9)}, f(0.9), trace.Positive, trace.Promoter},
		{"nps 7", wire.Event{Kind: wire.KindNPS, Value: f(7)}, f(0.7), trace.Positive, trace.Passive},
		{"nps 6", wire.Event{Kind: wire.KindNPS, Value: f(6)}, f(0.6), trace.Neutral, trace.Detractor},
		{"nps 0", wire.Event{Kind: wire.KindNPS, Value: f(0)}, f(0), trace.Negative, trace.Detractor},
		{"thumbs up", wire.Event{Kind: wire.KindThumbs, Value: f(1)}, f(1), trace.Positive, ""},
		{"thumbs down", wire.Event{Kind: wire.KindThumbs, Value: f(0)}, f(0), trace.Negative, ""},
		{"csat 5", wire.Event{Kind: wire.KindCSAT, Value: f(5)}, f(1), trace.Positive, ""},
		{"ces 6 of 7", wire.Event{Kind: wire.KindCES, Value: f(6)}, f(5.0 / 6), trace.Positive, ""},
		{"emoji 1", wire.Event{Kind: wire.KindEmoji, Value: f(1), Emoji: "😡"}, f(0), trace.Negative, ""},
		{"qa has no score", wire.Event{Kind: wire.KindQA, Value: f(80)}, nil, "", ""},
		{"click has no score", wire.Event{Kind: wire.KindClick, Target: "button#pay"}, nil, "", ""},
		{"comment has no score", wire.Event{Kind: wire.KindComment, Text: "slow"}, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			ev.ID = wire.NewID()
			ev.Touchpoint = "checkout"
			require.NoError(t, ev.Validate(wire.Limits{}, received))
			var tr trace.Trace
			normalize.Event(&ev, &normalize.Batch{Source: "web", ReceivedAt: received}, &tr)
			if tt.score == nil {
				require.Nil(t, tr.Data.Score)
			} else {
				require.NotNil(t, tr.Data.Score)
				require.InDelta(t, *tt.score, *tr.Data.Score, 1e-12)
			}
			require.Equal(t, tt.sentiment, tr.Data.Sentiment)
			require.Equal(t, tt.npsClass, tr.Data.NPSClass)
			require.Equal(t, "dev.rastro.trace."+string(ev.Kind), tr.Type)
			require.Equal(t, ev.Value != nil, tr.Data.Value != nil, "raw value kept")
		})
	}
}

func TestEventTime(t *testing.T) {
	occurred := received.Add(-time.Minute)
	tests := []struct {
		name   string
		ev     time.Time
		sentAt time.Time
		want   time.Time
	}{
		{"no occurred_at takes received", time.Time{}, received, received},
		{"no skew", occurred, received, occurred},
		{"small skew ignored", occurred, received.Add(500 * time.Millisecond), occurred},
		{"client an hour ahead", occurred.Add(time.Hour), received.Add(time.Hour), occurred},
		{"client behind", occurred.Add(-10 * time.Minute), received.Add(-10 * time.Minute), occurred},
		{"no sent_at", occurred, time.Time{}, occurred},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := wire.Event{ID: wire.NewID(), Kind: wire.KindClick, Touchpoint: "home", OccurredAt: tt.ev}
			var tr trace.Trace
			normalize.Event(&ev, &normalize.Batch{Source: "web", SentAt: tt.sentAt, ReceivedAt: received}, &tr)
			require.True(t, tt.want.Equal(tr.Time), "time %v, want %v", tr.Time, tt.want)
			require.Equal(t, time.UTC, tr.Time.Location())
		})
	}
}

func compileSchema(t testing.TB) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(trace.Schema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(trace.DataSchema, doc))
	s, err := c.Compile(trace.DataSchema)
	require.NoError(t, err)
	return s
}

func validateTrace(t testing.TB, s *jsonschema.Schema, tr *trace.Trace) {
	b, err := easyjson.Marshal(tr)
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	require.NoError(t, s.Validate(v), "trace %s", b)
}

// TestSchema checks real normalizer output of every kind against the
// shipped JSON Schema, and that the schema rejects what it must.
func TestSchema(t *testing.T) {
	s := compileSchema(t)
	for _, k := range wire.Kinds() {
		ev := wire.Event{ID: wire.NewID(), Kind: k, Touchpoint: "support.chat", Channel: wire.ChannelChat,
			Journey: "onboarding", UserID: "u-1", AgentID: "a-7", InteractionID: "i-9", Lang: "pt-BR",
			OccurredAt: received.Add(-time.Second), Context: &wire.Context{URL: "https://shop.example/"},
			Props: map[string]string{"plan": "pro"}}
		switch k {
		case wire.KindClick:
			ev.Target = "button#pay"
		case wire.KindComment:
			ev.Text = "Atendimento ótimo"
		case wire.KindEmoji:
			ev.Value, ev.Emoji = f(4), "🙂"
		case wire.KindQA:
			ev.Value = f(87.5)
		case wire.KindThumbs:
			ev.Value = f(1)
		default:
			ev.Value = f(5)
		}
		require.NoError(t, ev.Validate(wire.Limits{}, received), "kind %s", k)
		var tr trace.Trace
		normalize.Event(&ev, &normalize.Batch{Source: "wk_demo", SentAt: received, ReceivedAt: received}, &tr)
		validateTrace(t, s, &tr)
	}

	bad := map[string]string{
		"score above 1":   `{"specversion":"1.0","id":"x","source":"rastro://a","type":"dev.rastro.trace.star","time":"2026-11-24T12:00:00Z","datacontenttype":"application/json","dataschema":"https://rastro.dev/schema/trace/v1.json","data":{"kind":"star","touchpoint":"t","channel":"web","value":5,"min":1,"max":5,"score":1.5,"sentiment":"positive","received_at":"2026-11-24T12:00:00Z","origin":"wire/v1"}}`,
		"unknown kind":    `{"specversion":"1.0","id":"x","source":"rastro://a","type":"dev.rastro.trace.star","time":"2026-11-24T12:00:00Z","datacontenttype":"application/json","dataschema":"https://rastro.dev/schema/trace/v1.json","data":{"kind":"like","touchpoint":"t","channel":"web","value":null,"min":null,"max":null,"score":null,"received_at":"2026-11-24T12:00:00Z","origin":"wire/v1"}}`,
		"bad time":        `{"specversion":"1.0","id":"x","source":"rastro://a","type":"dev.rastro.trace.click","time":"yesterday","datacontenttype":"application/json","dataschema":"https://rastro.dev/schema/trace/v1.json","data":{"kind":"click","touchpoint":"t","channel":"web","value":null,"min":null,"max":null,"score":null,"received_at":"2026-11-24T12:00:00Z","origin":"wire/v1"}}`,
		"nps no class":    `{"specversion":"1.0","id":"x","source":"rastro://a","type":"dev.rastro.trace.nps","time":"2026-11-24T12:00:00Z","datacontenttype":"application/json","dataschema":"https://rastro.dev/schema/trace/v1.json","data":{"kind":"nps","touchpoint":"t","channel":"web","value":9,"min":0,"max":10,"score":0.9,"sentiment":"positive","received_at":"2026-11-24T12:00:00Z","origin":"wire/v1"}}`,
		"missing touchpt": `{"specversion":"1.0","id":"x","source":"rastro://a","type":"dev.rastro.trace.click","time":"2026-11-24T12:00:00Z","datacontenttype":"application/json","dataschema":"https://rastro.dev/schema/trace/v1.json","data":{"kind":"click","channel":"web","value":null,"min":null,"max":null,"score":null,"received_at":"2026-11-24T12:00:00Z","origin":"wire/v1"}}`,
	}
	for name, doc := range bad {
		t.Run(name, func(t *testing.T) {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(doc)))
			require.NoError(t, err)
			require.Error(t, s.Validate(v))
		})
	}
}

// FuzzEvent feeds arbitrary event JSON through validation and the
// normalizer: every valid event must become a trace that the schema
// accepts, with a score in [0,1], and whose JSON encodings by easyjson and
// encoding/json decode to the same value.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"id":"01890a5d-ac96-774b-bcce-b302099a8057","kind":"star","touchpoint":"checkout","value":4}`))
	f.Add([]byte(`{"id":"a","kind":"nps","touchpoint":"t","value":10,"channel":"app","occurred_at":"2026-11-24T11:00:00Z"}`))
	f.Add([]byte(`{"id":"b","kind":"qa","touchpoint":"t","value":-3,"scale_min":-5,"scale_max":5}`))
	f.Add([]byte(`{"id":"c","kind":"comment","touchpoint":"t","text":"olá","props":{"a":"b"},"context":{"url":"u"}}`))
	f.Add([]byte(`{"id":"d","kind":"csat","touchpoint":"t","value":3,"scale_max":3}`))
	s := compileSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev wire.Event
		if wire.DecodeEvent(data, &ev) != nil || ev.Validate(wire.Limits{}, received) != nil {
			return
		}
		var tr trace.Trace
		normalize.Event(&ev, &normalize.Batch{Source: "fuzz", SentAt: received.Add(time.Hour), ReceivedAt: received}, &tr)
		if tr.Data.Score != nil && (*tr.Data.Score < 0 || *tr.Data.Score > 1) {
			t.Fatalf("score %v out of [0,1]", *tr.Data.Score)
		}
		validateTrace(t, s, &tr)
		a, err := easyjson.Marshal(&tr)
		require.NoError(t, err)
		var viaEasy, viaStd trace.Trace
		require.NoError(t, easyjson.Unmarshal(a, &viaEasy))
		require.NoError(t, json.Unmarshal(a, &viaStd))
		b1, _ := json.Marshal(&viaEasy)
		b2, _ := json.Marshal(&viaStd)
		require.JSONEq(t, string(b1), string(b2))
		again, err := easyjson.Marshal(&viaEasy)
		require.NoError(t, err)
		require.Equal(t, string(a), string(again), "encode -> decode -> encode is stable")
	})
}

// TestEventTypeAndRating checks the CloudEvents type of every kind and that
// a trace's rating numbers are its own, not shared with another trace's.
func TestEventTypeAndRating(t *testing.T) {
	b := &normalize.Batch{Source: "s", ReceivedAt: time.Unix(1_700_000_000, 0)}
	for _, k := range wire.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			v1, v2 := 2.0, 4.0
			var t1, t2 trace.Trace
			normalize.Event(&wire.Event{ID: "a", Kind: k, Touchpoint: "p", Value: &v1}, b, &t1)
			normalize.Event(&wire.Event{ID: "b", Kind: k, Touchpoint: "p", Value: &v2}, b, &t2)
			require.Equal(t, "dev.rastro.trace."+string(k), t1.Type)
			require.Equal(t, 2.0, *t1.Data.Value)
			require.Equal(t, 4.0, *t2.Data.Value)
			*t2.Data.Min = -1
			require.NotEqual(t, -1.0, *t1.Data.Min)
			if normalize.Judging(k) {
				require.NotNil(t, t1.Data.Score)
				require.NotSame(t, t1.Data.Score, t2.Data.Score)
				require.Equal(t, normalize.Sentiment(*t1.Data.Score), t1.Data.Sentiment)
			} else {
				require.Nil(t, t1.Data.Score)
			}
		})
	}
}
