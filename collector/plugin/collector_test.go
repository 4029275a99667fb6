package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/plugin"
	"github.com/rastrohq/rastro/collector/server"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// TestCollector runs the example plugin, built for wasip1, in a real
// collector over the embedded store: webhooks posted to
// /v1/sources/zendesk-csat come back as traces, enriched by a second
// plugin; a hostile plugin on the same collector fails only its records.
func TestCollector(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{})
	require.NoError(t, err)
	srv, err := server.New(server.Config{
		WriteKeys: []ingest.WriteKey{{Token: "wk_helpdesk", Name: "helpdesk"}},
		Logger:    slog.New(slog.DiscardHandler),
		Plugins: []plugin.Config{
			{Name: "zendesk-csat", Path: plugin.TestPlugin(t, "zendesk-csat"), Kind: plugin.KindSource, Timeout: 2 * time.Second},
			{Name: "tagger", Path: plugin.TestPlugin(t, "trivial"), Kind: plugin.KindEnrich, Kinds: []wire.Kind{wire.KindComment}, Timeout: 2 * time.Second},
			{Name: "evil", Path: plugin.TestPlugin(t, "evil"), Kind: plugin.KindSource, Timeout: 300 * time.Millisecond},
		},
	}, db)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-served)
	})
	base := "http://" + ln.Addr().String()

	post := func(t *testing.T, path, contentType string, body []byte) plugin.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer wk_helpdesk")
		req.Header.Set("Content-Type", contentType)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
		var r plugin.Response
		require.NoError(t, json.Unmarshal(b, &r))
		return r
	}
	webhooks, err := os.ReadFile(filepath.Join("..", "..", "examples", "plugin-zendesk-csat", "testdata", "webhooks.ndjson"))
	require.NoError(t, err)

	t.Run("webhooks become traces", func(t *testing.T) {
		r := post(t, "/v1/sources/zendesk-csat", "application/x-ndjson", webhooks)
		require.Equal(t, 5, r.Records)
		require.Equal(t, 3, r.Accepted) // csat + comment, thumbs; one survey unanswered
		require.Equal(t, 0, r.Duplicates)
		require.Len(t, r.Rejected, 2)
		require.Equal(t, 3, r.Rejected[0].Index)
		require.Equal(t, "plugin zendesk-csat: satisfaction_rating.id is missing", r.Rejected[0].Error)
		require.Equal(t, 4, r.Rejected[1].Index)
		require.Contains(t, r.Rejected[1].Error, `unknown score "meh"`)
	})
	t.Run("posted again, nothing is stored twice", func(t *testing.T) {
		r := post(t, "/v1/sources/zendesk-csat", "application/x-ndjson", webhooks)
		require.Equal(t, 0, r.Accepted)
		require.Equal(t, 3, r.Duplicates)
	})
	t.Run("one webhook as the whole body", func(t *testing.T) {
		body := `{"satisfaction_rating":{"id":90010,"ticket_id":1,"rating":5,"created_at":"2026-11-21T08:00:00Z"}}`
		r := post(t, "/v1/sources/zendesk-csat", "application/json", []byte(body))
		require.Equal(t, plugin.Response{Records: 1, Accepted: 1, Rejected: []wire.Rejection{}}, r)
	})
	t.Run("the traces", func(t *testing.T) {
		traces := query(t, base, "touchpoint=support.ticket")
		require.Len(t, traces, 4)
		byID := map[string]trace.Trace{}
		for _, tr := range traces {
			byID[tr.ID] = tr
			require.Equal(t, "rastro://helpdesk", tr.Source)
			require.Equal(t, "plugin/zendesk-csat", tr.Data.Origin)
		}
		csat := byID["zd-csat-90001"]
		require.Equal(t, wire.KindCSAT, csat.Data.Kind)
		require.Equal(t, 0.25, *csat.Data.Score) // 2 on 1..5
		require.Equal(t, trace.Negative, csat.Data.Sentiment)
		require.Equal(t, "235323", csat.Data.AgentID)
		require.Equal(t, "35436", csat.Data.InteractionID)
		require.Empty(t, csat.Data.Props["enriched_by"], "the enricher wants comments only")
		comment := byID["zd-comment-90001"]
		require.Equal(t, "Waited three days for an answer.", comment.Data.Text)
		require.Equal(t, "trivial", comment.Data.Props["enriched_by"], "enriched before it was stored")
		require.Equal(t, "zendesk", comment.Data.Props["helpdesk"])
		require.Equal(t, 1.0, *byID["zd-csat-90002"].Data.Score)
		require.Equal(t, 1.0, *byID["zd-csat-90010"].Data.Score)
	})
	t.Run("enrichers run on POST /v1/batch too", func(t *testing.T) {
		body := `{"events":[{"id":"b-1","kind":"comment","touchpoint":"app.review","text":"bad update"}]}`
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/batch", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer wk_helpdesk")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		traces := query(t, base, "touchpoint=app.review")
		require.Len(t, traces, 1)
		require.Equal(t, trace.Negative, traces[0].Data.Sentiment, "a comment's sentiment from the enricher")
		require.Equal(t, "trivial", traces[0].Data.Props["enriched_by"])
	})
	t.Run("a hostile plugin fails only its own records", func(t *testing.T) {
		r := post(t, "/v1/sources/evil", "application/x-ndjson", []byte("before\nloop\npanic\njunk\nafter\n"))
		require.Equal(t, 5, r.Records)
		require.Equal(t, 2, r.Accepted)
		require.Len(t, r.Rejected, 3)
		for i, want := range []string{"call timed out after 300ms", "crashed: panic:", "output is not ABI v1 JSON"} {
			require.Equal(t, i+1, r.Rejected[i].Index)
			require.Contains(t, r.Rejected[i].Error, "plugin evil: ")
			require.Contains(t, r.Rejected[i].Error, want)
		}
		require.Len(t, query(t, base, "touchpoint=evil"), 2)
		// The collector still serves the good plugin.
		r = post(t, "/v1/sources/zendesk-csat", "application/x-ndjson", webhooks[:bytes.IndexByte(webhooks, '\n')])
		require.Equal(t, plugin.Response{Records: 1, Duplicates: 2, Rejected: []wire.Rejection{}}, r)
	})
	t.Run("metrics", func(t *testing.T) {
		res, err := http.Get(base + "/metrics")
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		for _, want := range []string{
			`rastro_plugin_calls_total{plugin="evil",result="timeout"} 1`,
			`rastro_plugin_calls_total{plugin="evil",result="ok"} 2`,
			`rastro_plugin_calls_total{plugin="zendesk-csat",result="refused"}`,
			`rastro_plugin_call_seconds_count{plugin="tagger"}`,
		} {
			require.Contains(t, string(b), want)
		}
	})
}

func query(t *testing.T, base, q string) []trace.Trace {
	t.Helper()
	res, err := http.Get(base + "/v1/traces?" + q)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
	var page struct {
		Traces []trace.Trace `json:"traces"`
	}
	require.NoError(t, json.Unmarshal(b, &page), "%s", b)
	return page.Traces
}
