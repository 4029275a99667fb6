package insights

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, url string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	return rec.Code, body
}

func TestHandler(t *testing.T) {
	st := openStore(t, append(trendFixture(), alignmentFixture()...)...)
	a, err := NewAlerter(AlertConfig{Logger: quiet(), Rules: []Rule{{Name: "burst", Kind: RuleNegatives, Count: 5}}}, st)
	require.NoError(t, err)
	h := NewHandler(st, a)

	code, body := get(t, h, "/v1/insights/trends?touchpoint=checkout&bucket=day")
	require.Equal(t, 200, code)
	series := body["series"].([]any)
	require.Len(t, series, 1)
	s0 := series[0].(map[string]any)
	require.Equal(t, "checkout", s0["key"])
	require.Len(t, s0["points"], 3)
	p2 := s0["points"].([]any)[2].(map[string]any)
	require.InDelta(t, 20, p2["csat_percent"], eps)
	require.InDelta(t, 0.35, p2["mean_score"], eps)
	require.Equal(t, "2025-03-05T00:00:00Z", p2["start"])
	require.InDelta(t, -3.482698178549328, s0["change"].(map[string]any)["z"], eps)

	code, body = get(t, h, "/v1/insights/alignment?qa_threshold=0.7&customer_threshold=0.7&period=week")
	require.Equal(t, 200, code)
	agents := body["agents"].([]any)
	require.Len(t, agents, 4)
	require.Equal(t, HighQALowCustomer, agents[1].(map[string]any)["quadrant"])
	corr := body["correlations"].([]any)[0].(map[string]any)
	require.Equal(t, TeamAll, corr["team"])
	require.Nil(t, corr["period"])
	require.InDelta(t, -0.3584077011651191, corr["r"], eps)

	code, body = get(t, h, "/v1/insights/journey?user=nobody")
	require.Equal(t, 200, code)
	require.Empty(t, body["steps"])

	code, body = get(t, h, "/v1/insights/alerts")
	require.Equal(t, 200, code)
	require.Len(t, body["rules"], 1)
	require.Equal(t, false, body["rules"].([]any)[0].(map[string]any)["firing"])

	code, body = get(t, NewHandler(st, nil), "/v1/insights/alerts")
	require.Equal(t, 200, code)
	require.Equal(t, []any{}, body["rules"])
}

func TestHandlerBadParams(t *testing.T) {
	h := NewHandler(openStore(t), nil)
	for _, tc := range []struct {
		name, url, param string
		code             int
	}{
		{"trends bucket", "/v1/insights/trends?bucket=month", "bucket", 400},
		{"trends by", "/v1/insights/trends?by=agent", "by", 400},
		{"trends from", "/v1/insights/trends?from=yesterday", "from", 400},
		{"trends channel", "/v1/insights/trends?channel=fax", "channel", 400},
		{"trends to before from", "/v1/insights/trends?from=2025-03-02&to=2025-03-01", "to", 400},
		{"alignment qa_threshold", "/v1/insights/alignment?qa_threshold=high", "qa_threshold", 400},
		{"alignment customer_threshold", "/v1/insights/alignment?customer_threshold=1.5", "customer_threshold", 400},
		{"alignment period", "/v1/insights/alignment?period=year", "period", 400},
		{"journey without user", "/v1/insights/journey", "user", 400},
		{"journey both", "/v1/insights/journey?user=u&anonymous=a", "anonymous", 400},
		{"journey kind", "/v1/insights/journey?user=u&kind=like", "kind", 400},
		{"unknown insight", "/v1/insights/nope", "nope", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, h, tc.url)
			require.Equal(t, tc.code, code)
			require.Contains(t, body["error"], tc.param)
		})
	}
}
