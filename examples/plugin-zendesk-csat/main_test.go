package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk/plugin"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Test_main runs the plugin's handler natively on the sample webhooks,
// through plugin.AppendTransform: exactly the output the collector reads.
// collector/plugin's tests build it for wasip1 and run it in a collector.
func Test_main(t *testing.T) {
	main() // a no-op: the work is in the handler init registered
	data, err := os.ReadFile("testdata/webhooks.ndjson")
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	require.Len(t, lines, 5)
	at := time.Date(2026, 11, 20, 9, 15, 0, 0, time.UTC)
	two, one := 2.0, 1.0
	tests := []struct {
		name   string
		want   []wire.Event
		errMsg string
	}{
		{name: "numeric rating with a comment", want: []wire.Event{
			{ID: "zd-csat-90001", Kind: wire.KindCSAT, Touchpoint: "support.ticket", Channel: wire.ChannelEmail, Journey: "support",
				OccurredAt: at, UserID: "20978392", InteractionID: "35436", AgentID: "235323", Lang: "en-US", Value: &two,
				Props: map[string]string{"helpdesk": "zendesk", "group_id": "98738", "reason": "The issue took too long to resolve"}},
			{ID: "zd-comment-90001", Kind: wire.KindComment, Touchpoint: "support.ticket", Channel: wire.ChannelEmail, Journey: "support",
				OccurredAt: at, UserID: "20978392", InteractionID: "35436", AgentID: "235323", Lang: "en-US", Text: "Waited three days for an answer.",
				Props: map[string]string{"helpdesk": "zendesk", "group_id": "98738", "reason": "The issue took too long to resolve"}},
		}},
		{name: "binary good", want: []wire.Event{
			{ID: "zd-csat-90002", Kind: wire.KindThumbs, Touchpoint: "support.ticket", Channel: wire.ChannelChat, Journey: "support",
				OccurredAt: time.Date(2026, 11, 20, 10, 2, 0, 0, time.UTC), UserID: "20978393", InteractionID: "35440", AgentID: "235324",
				Value: &one, Props: map[string]string{"helpdesk": "zendesk"}},
		}},
		{name: "offered, not answered", want: []wire.Event{}},
		{name: "no id", errMsg: "satisfaction_rating.id is missing"},
		{name: "unknown score", errMsg: `satisfaction_rating.score: unknown score "meh"`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res plugin.TransformResult
			require.NoError(t, json.Unmarshal(plugin.AppendTransform(nil, lines[i]), &res))
			require.Equal(t, tt.errMsg, res.Error)
			if tt.errMsg != "" {
				return
			}
			require.Len(t, res.Events, len(tt.want))
			for j := range tt.want {
				require.True(t, tt.want[j].OccurredAt.Equal(res.Events[j].OccurredAt))
				res.Events[j].OccurredAt = tt.want[j].OccurredAt
				require.Equal(t, tt.want[j], res.Events[j])
				require.NoError(t, res.Events[j].Validate(wire.Limits{}, time.Now()), "the collector accepts it")
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		var res plugin.TransformResult
		require.NoError(t, json.Unmarshal(plugin.AppendTransform(nil, []byte("<xml/>")), &res))
		require.Contains(t, res.Error, "not a satisfaction-rating webhook")
	})
}
