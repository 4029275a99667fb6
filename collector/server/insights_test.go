package server

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/insights"
)

func TestInsightsAndDashboardNeedAReadKey(t *testing.T) {
	r := start(t, Config{ReadKeys: []string{"rk_test"}, Alerts: insights.AlertConfig{
		Rules: []insights.Rule{{Name: "burst", Kind: insights.RuleNegatives, Count: 3}},
	}}, openStore(t))
	for _, path := range []string{
		"/v1/insights/trends", "/v1/insights/alignment", "/v1/insights/journey?user=u1", "/v1/insights/alerts",
		"/ui", "/ui/", "/ui/style.css",
	} {
		t.Run(path, func(t *testing.T) {
			require.Equal(t, 401, get(t, r.url+path, "").status)
			require.Equal(t, 401, get(t, r.url+path, "wk_test").status, "a write key never reads")
			got := get(t, r.url+path, "rk_test")
			require.Equal(t, 200, got.status, string(got.body))
		})
	}
	got := get(t, r.url+"/v1/insights/alerts", "rk_test")
	require.Contains(t, string(got.body), `"name":"burst"`)
	require.Equal(t, 400, get(t, r.url+"/v1/insights/trends?bucket=year", "rk_test").status)
}

func TestBadAlertConfig(t *testing.T) {
	_, err := New(Config{Logger: quiet(), WriteKeys: []ingest.WriteKey{{Token: "wk"}}, Alerts: insights.AlertConfig{Rules: []insights.Rule{{Name: "x"}}}}, openStore(t))
	require.ErrorContains(t, err, "kind")
}
