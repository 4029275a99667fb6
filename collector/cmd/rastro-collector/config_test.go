package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/insights"
)

func TestLoadConfigAlerts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rastro.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
alerts:
  webhook: http://127.0.0.1:9/hook
  slack: true
  interval: 30s
  rules:
    - name: checkout-csat
      kind: below
      touchpoint: checkout
      metric: csat
      last: 50
      below: 70
    - name: negative-burst
      kind: negatives
      count: 10
      within: 5m
`), 0o600))
	c, err := loadConfig(path)
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9/hook", c.Alerts.Webhook)
	require.True(t, c.Alerts.Slack)
	require.Equal(t, duration(30*time.Second), c.Alerts.Interval)
	require.Equal(t, []insights.Rule{
		{Name: "checkout-csat", Kind: insights.RuleBelow, Touchpoint: "checkout", Metric: insights.MetricCSAT, Last: 50, Below: 70},
		{Name: "negative-burst", Kind: insights.RuleNegatives, Count: 10, Within: 5 * time.Minute},
	}, c.Alerts.Rules)
	_, err = insights.NewAlerter(insights.AlertConfig{Rules: c.Alerts.Rules, WebhookURL: c.Alerts.Webhook}, nil)
	require.NoError(t, err)
}
