package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/insights"
	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/server"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

var day0 = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

type fx struct {
	hour                           int
	tp                             string
	ch                             wire.Channel
	kind                           wire.Kind
	v, lo, hi                      float64
	user, agent, inter, text, lang string
}

// fixture, with the numbers the dashboard must show:
//
//	checkout  csat 5 4 2 (day0), 1 1 (day1): scores 1 .75 .25 0 0
//	          mean 2/5 = 0.400, CSAT 2/5 = 40.0 %, 5 traces; change:
//	          0/2 against 2/3, p = .4, z = -(2/3)/sqrt(.24*(5/6)) = -1.49: steady
//	call      csat 5 (i1, ana) and 1 (i2, bob): mean 0.500, CSAT 50.0 %
//	support   nps 10 and 6: scores 1 .6, mean 0.800, NPS (1-1)/2 = 0.0
//	call.review  qa 90 (ana, i1) and 95 (bob, i2): no score, ranked last
//
// ranking (lowest mean first): checkout, call, support, call.review.
// Agents: ana QA .9 customer 1 aligned high; bob QA .95 customer 0 high QA,
// low customer.
func fixture() []trace.Trace {
	xs := []fx{
		{0, "checkout", wire.ChannelWeb, wire.KindCSAT, 5, 1, 5, "u1", "", "", "", ""},
		{1, "checkout", wire.ChannelWeb, wire.KindCSAT, 4, 1, 5, "u2", "", "", "", ""},
		{2, "checkout", wire.ChannelApp, wire.KindCSAT, 2, 1, 5, "u1", "", "", "A página travou no pagamento", "pt"},
		{24, "checkout", wire.ChannelApp, wire.KindCSAT, 1, 1, 5, "u3", "", "", "Payment failed twice", "en"},
		{25, "checkout", wire.ChannelWeb, wire.KindCSAT, 1, 1, 5, "u1", "", "", "", ""},
		{3, "call.review", wire.ChannelVoice, wire.KindQA, 90, 0, 100, "", "ana", "i1", "", ""},
		{3, "call", wire.ChannelVoice, wire.KindCSAT, 5, 1, 5, "u4", "", "i1", "", ""},
		{4, "call.review", wire.ChannelVoice, wire.KindQA, 95, 0, 100, "", "bob", "i2", "", ""},
		{4, "call", wire.ChannelVoice, wire.KindCSAT, 1, 1, 5, "u5", "", "i2", "Muy lento, nadie me ayudó", "es"},
		{5, "support", wire.ChannelChat, wire.KindNPS, 10, 0, 10, "u2", "", "", "", ""},
		{26, "support", wire.ChannelChat, wire.KindNPS, 6, 0, 10, "u1", "", "", "", ""},
	}
	out := make([]trace.Trace, len(xs))
	for i, x := range xs {
		at := day0.Add(time.Duration(x.hour) * time.Hour)
		v, lo, hi := x.v, x.lo, x.hi
		out[i] = trace.Trace{SpecVersion: trace.SpecVersion, ID: fmt.Sprintf("ui%02d", i), Source: "rastro://test",
			Type: trace.TypePrefix + string(x.kind), Time: at, DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
			Data: trace.Data{Kind: x.kind, Touchpoint: x.tp, Channel: x.ch, UserID: x.user, AgentID: x.agent,
				InteractionID: x.inter, Text: x.text, Lang: x.lang, Value: &v, Min: &lo, Max: &hi,
				ReceivedAt: at, Origin: trace.OriginWire}}
		normalize.Rate(&out[i].Data)
	}
	return out
}

// collector starts a real collector over a sqlite store holding the
// fixture and returns its URL.
func collector(t testing.TB) string {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{Sync: sqlite.SyncNormal})
	require.NoError(t, err)
	_, err = st.Append(context.Background(), fixture())
	require.NoError(t, err)
	srv, err := server.New(server.Config{
		WriteKeys: []ingest.WriteKey{{Token: "wk_test"}},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, st)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); _ = st.Close() })
	return ts.URL
}

func fetch(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

var rowRE = regexp.MustCompile(`(?s)<tr data-touchpoint="([^"]*)">(.*?)</tr>`)

func cell(row, metric string) string {
	m := regexp.MustCompile(`data-metric="` + metric + `">([^<]*)<`).FindStringSubmatch(row)
	if m == nil {
		return "?"
	}
	return m[1]
}

func num(prec int, v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, *v)
}

func TestDashboardShowsTheAPINumbers(t *testing.T) {
	url := collector(t)
	code, page := fetch(t, url+"/ui")
	require.Equal(t, http.StatusOK, code, page)

	rows := rowRE.FindAllStringSubmatch(page, -1)
	var order []string
	shown := map[string]string{}
	for _, r := range rows {
		order = append(order, r[1])
		shown[r[1]] = r[2]
	}
	require.Equal(t, []string{"checkout", "call", "support", "call.review"}, order, "ranked by mean score, lowest first")

	// Hand-computed numbers (see fixture).
	for _, tc := range []struct {
		tp, mean, csat, nps, count string
	}{
		{"checkout", "0.400", "40.0", "–", "5"},
		{"call", "0.500", "50.0", "–", "2"},
		{"support", "0.800", "–", "0.0", "2"},
		{"call.review", "–", "–", "–", "2"},
	} {
		t.Run(tc.tp, func(t *testing.T) {
			row := shown[tc.tp]
			require.Equal(t, tc.mean, cell(row, "mean_score"))
			require.Equal(t, tc.csat, cell(row, "csat_percent"))
			require.Equal(t, tc.nps, cell(row, "nps"))
			require.Equal(t, tc.count, cell(row, "count"))
		})
	}

	// The same numbers as the API.
	code, body := fetch(t, url+"/v1/insights/trends")
	require.Equal(t, http.StatusOK, code)
	var tr insights.Trends
	require.NoError(t, json.Unmarshal([]byte(body), &tr))
	require.Len(t, tr.Series, len(rows))
	for i, s := range tr.Series {
		require.Equal(t, s.Key, order[i])
		row := shown[s.Key]
		require.Equal(t, num(3, s.Total.MeanScore), cell(row, "mean_score"), s.Key)
		require.Equal(t, num(1, s.Total.CSATPercent), cell(row, "csat_percent"), s.Key)
		require.Equal(t, num(1, s.Total.NPS), cell(row, "nps"), s.Key)
		require.Equal(t, num(2, s.Total.CESMean), cell(row, "ces_mean"), s.Key)
		require.Equal(t, fmt.Sprint(s.Total.Count), cell(row, "count"), s.Key)
	}

	// Quadrants in the scatter and its table.
	require.Contains(t, page, `<tr data-agent="ana"><th scope="row">ana</th><td></td><td class="num">0.900</td><td class="num">1</td><td class="num">1.000</td><td class="num">1</td><td class="quadrant">aligned high</td></tr>`)
	require.Contains(t, page, `<tr data-agent="bob"><th scope="row">bob</th><td></td><td class="num">0.950</td><td class="num">1</td><td class="num">0.000</td><td class="num">1</td><td class="quadrant">high QA, low customer</td></tr>`)
	require.Contains(t, page, `<g class="agent high_qa_low_customer">`)
	require.Equal(t, 4, strings.Count(page, `class="quad"`))

	// Negative comments, newest first, with their language.
	iEN := strings.Index(page, `<blockquote lang="en"><p>Payment failed twice`)
	iES := strings.Index(page, `<blockquote lang="es"><p>Muy lento, nadie me ayudó`)
	iPT := strings.Index(page, `<blockquote lang="pt"><p>A página travou no pagamento`)
	require.True(t, iEN > 0 && iES > iEN && iPT > iES, "newest first")

	// Every chart is an accessible image with a title and a description.
	require.Equal(t, strings.Count(page, "<svg "), strings.Count(page, `role="img" aria-labelledby=`))
	require.Equal(t, strings.Count(page, "<svg "), strings.Count(page, "<desc id="))
	require.Contains(t, page, "Mean score from 0 to 1 per day: Mar 4 0.67 (3 traces); Mar 5 0.00 (2 traces).")

	// Steady: z = -1.49 for checkout does not reach 1.96.
	require.NotContains(t, shown["checkout"], "▼")
}

func TestDashboardJourneyAndParams(t *testing.T) {
	url := collector(t)
	code, page := fetch(t, url+"/ui?user=u1")
	require.Equal(t, http.StatusOK, code)
	// u1: checkout 5 (1), 2 (.25), 1 (0), support nps 6 (.6): mean 1.85/4
	require.Contains(t, page, "4 traces of <strong>u1</strong>, mean score 0.463.")
	require.Contains(t, page, `id="journey-chart-t">Score line of customer u1</title>`)

	code, page = fetch(t, url+"/ui/?bucket=week")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, page, `<option value="week" selected>`)

	code, body := fetch(t, url+"/ui?bucket=month")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "bucket")
	code, body = fetch(t, url+"/ui?from=soon")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "from")

	code, css := fetch(t, url+"/ui/style.css")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, css, "--accent")
}
