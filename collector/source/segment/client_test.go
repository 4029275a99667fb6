package segment_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	analytics "gopkg.in/segmentio/analytics-go.v3"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/server"
	"github.com/rastrohq/rastro/collector/source/segment"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// callbacks counts what the real client reports.
type callbacks struct{ ok, failed atomic.Int64 }

func (c *callbacks) Success(analytics.Message)        { c.ok.Add(1) }
func (c *callbacks) Failure(analytics.Message, error) { c.failed.Add(1) }

// TestAnalyticsGoClient points the real Segment Go client at a real
// collector (server.New over a SQLite store, on 127.0.0.1) whose first
// answer is lost, so the client retries the same batch: every feedback call
// must be stored exactly once.
func TestAnalyticsGoClient(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	srv, err := server.New(server.Config{WriteKeys: []ingest.WriteKey{{Token: "wk_seg", Rate: -1}}}, st)
	require.NoError(t, err)

	var (
		mu        sync.Mutex
		responses []segment.Response
		requests  atomic.Int64
	)
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if r.URL.Path == segment.BatchPath && rec.Code == http.StatusOK {
			var resp segment.Response
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
			mu.Lock()
			responses = append(responses, resp)
			mu.Unlock()
		}
		if requests.Add(1) == 1 { // the first answer is lost: stored, but the client must retry
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	defer ts.Close()

	cb := &callbacks{}
	client, err := analytics.NewWithConfig("wk_seg", analytics.Config{
		Endpoint:   ts.URL + "/segment",
		Interval:   20 * time.Millisecond,
		BatchSize:  100,
		RetryAfter: func(int) time.Duration { return 10 * time.Millisecond },
		Callback:   cb,
		Logger:     testLogger{t},
	})
	require.NoError(t, err)

	ctx := &analytics.Context{Page: analytics.PageInfo{URL: "https://shop.example/checkout"}, UserAgent: "test-agent", Locale: "pt-BR"}
	calls := []analytics.Message{
		analytics.Track{MessageId: "m-nps", UserId: "u1", Event: "Survey Answered", Context: ctx,
			Properties: analytics.NewProperties().Set("nps", 9).Set("comment", "great").Set("journey", "purchase").Set("plan", "pro")},
		analytics.Track{MessageId: "m-star", AnonymousId: "a1", Event: "Order Rated",
			Properties: analytics.NewProperties().Set("rating", 4).Set("touchpoint", "delivery").Set("channel", "app")},
		analytics.Track{MessageId: "m-csat", UserId: "u2", Event: "Chat Closed",
			Properties: analytics.NewProperties().Set("csat", "2").Set("agent_id", "ag7").Set("interaction_id", "c-1").Set("channel", "chat")},
		analytics.Track{MessageId: "m-thumbs", UserId: "u3", Event: "Article Feedback",
			Properties: analytics.NewProperties().Set("thumbs", true)},
		analytics.Track{UserId: "u4", Event: "Search Feedback", // messageId made by the client
			Properties: analytics.NewProperties().Set("emoji", "😍")},
		analytics.Track{MessageId: "m-nps", UserId: "u1", Event: "Survey Answered", // the app sent it twice
			Properties: analytics.NewProperties().Set("nps", 9)},
		analytics.Track{MessageId: "m-bad", UserId: "u5", Event: "Survey Answered",
			Properties: analytics.NewProperties().Set("nps", 11)},
		analytics.Track{MessageId: "m-view", UserId: "u1", Event: "Product Viewed",
			Properties: analytics.NewProperties().Set("sku", "X1")},
		analytics.Identify{MessageId: "m-id", UserId: "u1", Traits: analytics.NewTraits().SetEmail("a@b.c")},
		analytics.Page{MessageId: "m-page", UserId: "u1", Name: "Home"},
	}
	for _, m := range calls {
		require.NoError(t, client.Enqueue(m))
	}
	// Close would drop a batch waiting for its retry: wait for the answers.
	require.Eventually(t, func() bool { return cb.ok.Load()+cb.failed.Load() == int64(len(calls)) },
		10*time.Second, 5*time.Millisecond)
	require.NoError(t, client.Close())
	require.Equal(t, int64(len(calls)), cb.ok.Load())
	require.Zero(t, cb.failed.Load())
	require.GreaterOrEqual(t, requests.Load(), int64(2), "the lost answer must have been retried")

	page, err := st.Query(context.Background(), store.Filter{Limit: 1000})
	require.NoError(t, err)
	byID := map[string]trace.Trace{}
	for _, tr := range page.Traces {
		byID[tr.ID] = tr
	}
	require.Len(t, page.Traces, 5, "each feedback call exactly once")
	require.Len(t, byID, 5)

	nps := byID["m-nps"].Data
	require.Equal(t, wire.KindNPS, nps.Kind)
	require.Equal(t, "Survey Answered", nps.Touchpoint)
	require.Equal(t, wire.ChannelWeb, nps.Channel)
	require.Equal(t, "purchase", nps.Journey)
	require.Equal(t, "great", nps.Text)
	require.Equal(t, trace.Promoter, nps.NPSClass)
	require.Equal(t, "pt-BR", nps.Lang)
	require.Equal(t, "https://shop.example/checkout", nps.Context.URL)
	require.Equal(t, map[string]string{"plan": "pro"}, nps.Props)
	require.Equal(t, trace.OriginSegment, nps.Origin)
	require.Equal(t, "rastro://wk_seg", byID["m-nps"].Source)

	star := byID["m-star"].Data
	require.Equal(t, wire.KindStar, star.Kind)
	require.Equal(t, "delivery", star.Touchpoint)
	require.InDelta(t, 0.75, *star.Score, 1e-9)
	csat := byID["m-csat"].Data
	require.Equal(t, "ag7", csat.AgentID)
	require.Equal(t, trace.Negative, csat.Sentiment)
	require.InDelta(t, 1.0, *byID["m-thumbs"].Data.Score, 1e-9)

	// Sum the answers: the retried batch came back as duplicates; the bad
	// NPS was rejected by name, and the rest ignored.
	mu.Lock()
	defer mu.Unlock()
	var acc, dup, ign, rej int
	for _, r := range responses {
		require.True(t, r.Success)
		acc, dup, ign = acc+r.Accepted, dup+r.Duplicates, ign+r.Ignored
		for _, x := range r.Rejected {
			require.Equal(t, "m-bad", x.ID)
			require.Equal(t, "value", x.Field)
			rej++
		}
	}
	require.Equal(t, 5, acc)
	require.Positive(t, dup)
	require.Positive(t, rej)
	require.Positive(t, ign)
}

type testLogger struct{ t *testing.T }

func (l testLogger) Logf(format string, args ...any)   { l.t.Logf(format, args...) }
func (l testLogger) Errorf(format string, args ...any) { l.t.Logf("error: "+format, args...) }
