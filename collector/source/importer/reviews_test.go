package importer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func TestReviewPresets(t *testing.T) {
	tests := []struct {
		name    string
		preset  string
		format  Format
		input   string
		want    Result
		channel wire.Channel
		check   map[string]func(t *testing.T, tr trace.Trace) // by review text
	}{
		{
			name: "google play console", preset: "app-reviews", channel: wire.ChannelStore,
			input: "Package Name,App Version Code,App Version Name,Reviewer Language,Device,Review Submit Date and Time,Review Submit Millis Since Epoch,Review Last Update Date and Time,Review Last Update Millis Since Epoch,Star Rating,Review Title,Review Text,Developer Reply Date and Time,Developer Reply Millis Since Epoch,Developer Reply Text,Review Link\n" +
				"com.acme,412,4.1.2,pt,a52,2026-02-01T10:00:00Z,0,2026-02-01T10:00:00Z,0,5,Ótimo,Entrega rápida,,,,https://play.google.com/r/1\n" +
				"com.acme,411,4.1.1,en,pixel,2026-02-02T11:30:00Z,0,2026-02-02T11:30:00Z,0,1,,Crashes at checkout,,,,https://play.google.com/r/2\n" +
				"com.acme,411,4.1.1,en,pixel,2026-02-02T11:31:00Z,0,2026-02-02T11:31:00Z,0,7,,Seven stars?,,,,https://play.google.com/r/3\n",
			want: Result{Rows: 3, Imported: 2, Rejected: 1, Errors: []RowError{{Line: 4, Field: "value", Error: "must be between 1 and 5 for kind star"}}},
			check: map[string]func(t *testing.T, tr trace.Trace){
				"Entrega rápida": func(t *testing.T, tr trace.Trace) {
					require.Equal(t, 1.0, *tr.Data.Score)
					require.Equal(t, trace.Positive, tr.Data.Sentiment)
					require.Equal(t, "Ótimo", tr.Data.Props["title"])
					require.Equal(t, "4.1.2", tr.Data.Props["version"], "the version name wins over the code")
					require.Equal(t, "pt", tr.Data.Lang)
					require.Equal(t, time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), tr.Time.UTC())
				},
				"Crashes at checkout": func(t *testing.T, tr trace.Trace) {
					require.Equal(t, 0.0, *tr.Data.Score)
					require.Equal(t, trace.Negative, tr.Data.Sentiment)
					require.NotContains(t, tr.Data.Props, "title", "an empty title is no prop")
				},
			},
		},
		{
			name: "app store connect", preset: "app-reviews", channel: wire.ChannelStore,
			input: "Date,Rating,Title,Review,Nickname,Version,Territory\n" +
				"2026-02-03,4,Good,Works well,ana_b,2.3,BR\n" +
				"2026-02-04 08:15:00,3,Meh,,joe,2.3,US\n" +
				"03/02/2026,2,Bad,Slow,x,2.2,US\n",
			want: Result{Rows: 3, Imported: 2, Rejected: 1, Errors: []RowError{{Line: 4, Field: "occurred_at",
				Error: `"03/02/2026" does not match the layout 2006-01-02T15:04:05.999999999Z07:00 or 2006-01-02 15:04:05 or 2006-01-02`}}},
			check: map[string]func(t *testing.T, tr trace.Trace){
				"Works well": func(t *testing.T, tr trace.Trace) {
					require.Equal(t, 0.75, *tr.Data.Score, "4 of 5 stars")
					require.Equal(t, "ana_b", tr.Data.Props["author"])
					require.Equal(t, time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), tr.Time.UTC())
				},
				"": func(t *testing.T, tr trace.Trace) {
					require.Equal(t, 0.5, *tr.Data.Score)
					require.Equal(t, "Meh", tr.Data.Props["title"])
				},
			},
		},
		{
			name: "trustpilot ndjson", preset: "reviews", format: NDJSON, channel: wire.ChannelReview,
			input: `{"id":"tp-1","stars":5,"title":"Great support","content":"Solved in minutes","consumer name":"Rui","createdAt":"x","date":"2026-01-20T09:00:00.000Z"}` + "\n" +
				`{"id":"tp-2","stars":2,"title":"Late","content":"Parcel came a week late","consumer name":"Eva","date":"2026-01-21T09:00:00Z"}` + "\n",
			want: Result{Rows: 2, Imported: 2},
			check: map[string]func(t *testing.T, tr trace.Trace){
				"Solved in minutes": func(t *testing.T, tr trace.Trace) {
					require.Equal(t, "Rui", tr.Data.Props["author"])
					require.Equal(t, "reviews", tr.Data.Touchpoint)
					require.Equal(t, wire.KindStar, tr.Data.Kind)
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp, err := Preset(tt.preset)
			require.NoError(t, err)
			mp.Format = tt.format
			st := newMem()
			cfg := Config{Source: "reviews-test", Mapping: mp, Appender: st, now: func() time.Time { return fixedNow }}
			res, err := Import(context.Background(), strings.NewReader(tt.input), cfg)
			require.NoError(t, err)
			res.Bytes = 0
			require.Equal(t, tt.want, res)
			byText := map[string]trace.Trace{}
			for _, tr := range st.traces {
				require.Equal(t, tt.channel, tr.Data.Channel)
				require.Equal(t, wire.KindStar, tr.Data.Kind)
				byText[tr.Data.Text] = tr
			}
			for text, check := range tt.check {
				tr, ok := byText[text]
				require.True(t, ok, "no trace with text %q", text)
				check(t, tr)
			}
			again, err := Import(context.Background(), strings.NewReader(tt.input), cfg)
			require.NoError(t, err)
			require.Zero(t, again.Imported, "importing the export again adds nothing")
		})
	}
}

func TestPresetOverride(t *testing.T) {
	_, err := Preset("yelp")
	require.ErrorContains(t, err, `unknown preset "yelp" (presets: app-reviews, reviews)`)

	mp, err := QueryMapping(map[string][]string{"preset": {"reviews"}, "set.touchpoint": {"delivery"}, "col.value": {"nota"}})
	require.NoError(t, err)
	require.Equal(t, "delivery", mp.Defaults["touchpoint"])
	require.Equal(t, "nota", mp.Columns["value"])
	require.Equal(t, "star", mp.Defaults["kind"], "the rest of the preset stays")
	require.Equal(t, "star", Presets["reviews"].Defaults["kind"])
	require.NotEqual(t, "delivery", Presets["reviews"].Defaults["touchpoint"], "the preset itself is not changed")
}
