package ingest

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// memAppender keeps traces in memory and dedupes on id, like a store.
type memAppender struct {
	mu    sync.Mutex
	byID  map[string]trace.Trace
	order []string
	fail  error
	hold  chan struct{} // when set, Append waits for it
}

func newMem() *memAppender { return &memAppender{byID: map[string]trace.Trace{}} }

func (m *memAppender) Append(ctx context.Context, ts []trace.Trace) ([]bool, error) {
	if m.hold != nil {
		select {
		case <-m.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	out := make([]bool, len(ts))
	for i, t := range ts {
		if _, ok := m.byID[t.ID]; ok {
			continue
		}
		m.byID[t.ID] = t
		m.order = append(m.order, t.ID)
		out[i] = true
	}
	return out, nil
}

func (m *memAppender) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}

type fixture struct {
	url string
	mem *memAppender
	h   *Handler
}

func newFixture(t *testing.T, keys []WriteKey, mod func(*Config)) *fixture {
	t.Helper()
	if keys == nil {
		keys = []WriteKey{{Token: "wk_test", Name: "website", Origins: []string{"https://shop.example"}, Rate: -1}}
	}
	mem := newMem()
	cfg := Config{Appender: mem}
	if mod != nil {
		mod(&cfg)
	}
	ks, err := NewKeys(keys, cmp.Or(cfg.Limits.MaxBatchEvents, 500))
	require.NoError(t, err)
	cfg.Keys = ks
	h, err := New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL + wire.BatchPath, mem: mem, h: h}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) response(t *testing.T) wire.Response {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "body %s", r.body)
	var resp wire.Response
	require.NoError(t, json.Unmarshal(r.body, &resp))
	return resp
}

func (r reply) errorMessage(t *testing.T) string {
	t.Helper()
	var e wire.ErrorBody
	require.NoError(t, json.Unmarshal(r.body, &e), "body %q", r.body)
	return e.Error
}

func send(t *testing.T, method, url string, body []byte, hdr map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, b}
}

func auth(extra ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer wk_test", "Content-Type": "application/json"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func star(id string, v float64) wire.Event {
	return wire.Event{ID: id, Kind: wire.KindStar, Touchpoint: "checkout", Value: &v}
}

func batchBody(t testing.TB, evs ...wire.Event) []byte {
	var buf bytes.Buffer
	require.NoError(t, wire.WriteBatch(&buf, &wire.Batch{SentAt: time.Now(), SDK: wire.SDKInfo{Name: "test"}, Events: evs}))
	return buf.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestBadInput is the table of every answer of wire protocol v1 with the
// message a developer reads.
func TestBadInput(t *testing.T) {
	good := batchBody(t, star(wire.NewID(), 4))
	big := batchBody(t, wire.Event{ID: wire.NewID(), Kind: wire.KindComment, Touchpoint: "t", Text: strings.Repeat("a", 4000)})
	many := make([]wire.Event, 501)
	for i := range many {
		many[i] = star(wire.NewID(), 3)
	}
	tests := []struct {
		name   string
		method string
		url    string
		body   []byte
		hdr    map[string]string
		status int
		msg    string
	}{
		{"ok", "POST", "", good, auth(), 200, ""},
		{"key in url", "POST", "?key=wk_test", good, nil, 200, ""},
		{"gzip", "POST", "", gz(t, good), auth("Content-Encoding", "gzip"), 200, ""},
		{"allowed origin", "POST", "", good, auth("Origin", "https://shop.example"), 200, ""},
		{"GET", "GET", "", nil, auth(), 405, "use POST"},
		{"no key", "POST", "", good, nil, 401, "missing write key"},
		{"unknown key", "POST", "", good, map[string]string{"Authorization": "Bearer nope"}, 401, "unknown write key"},
		{"origin not allowed", "POST", "", good, auth("Origin", "https://evil.example"), 403, "origin not allowed"},
		{"brotli", "POST", "", good, auth("Content-Encoding", "br"), 415, "unsupported Content-Encoding"},
		{"bad gzip", "POST", "", good, auth("Content-Encoding", "gzip"), 400, "not valid gzip"},
		{"too large", "POST", "", big, auth(), 413, "over the limit of 2048 bytes"},
		{"too large gzip", "POST", "", gz(t, big), auth("Content-Encoding", "gzip"), 413, "over the limit of 2048 bytes"},
		{"too many events", "POST", "", nil, auth(), 413, "batch has 501 events, over the limit of 500"},
		{"empty", "POST", "", nil, auth(), 400, "empty body"},
		{"not JSON", "POST", "", []byte("hello"), auth(), 400, "not a batch: malformed JSON"},
		{"array", "POST", "", []byte(`[{"id":"x"}]`), auth(), 400, "not a batch"},
		{"no events", "POST", "", []byte(`{"sent_at":"2026-11-24T12:00:00Z"}`), auth(), 400, `missing "events" array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, func(c *Config) {
				c.Limits.MaxBatchBytes = 2048
				if tt.name == "too many events" {
					c.Limits.MaxBatchBytes = 1 << 20
				}
			})
			body := tt.body
			if tt.name == "too many events" {
				body = batchBody(t, many...)
			}
			r := send(t, tt.method, f.url+tt.url, body, tt.hdr)
			require.Equal(t, tt.status, r.status, "body %s", r.body)
			if tt.status == 200 {
				require.Equal(t, 1, r.response(t).Accepted)
				return
			}
			require.Contains(t, r.errorMessage(t), tt.msg)
			require.Equal(t, "application/json", r.header.Get("Content-Type"))
			require.Zero(t, f.mem.len(), "nothing stored")
		})
	}
}

// TestPartialSuccess: every valid event is kept when neighbours are bad,
// and each bad one is named by index, id and field.
func TestPartialSuccess(t *testing.T) {
	f := newFixture(t, nil, nil)
	ids := []string{wire.NewID(), wire.NewID(), wire.NewID(), wire.NewID()}
	body := []byte(`{"sent_at":"` + time.Now().UTC().Format(time.RFC3339) + `","events":[` +
		`{"id":"` + ids[0] + `","kind":"star","touchpoint":"checkout","value":4},` +
		`{"id":"` + ids[1] + `","kind":"star","touchpoint":"checkout","value":9},` +
		`{"id":"` + ids[2] + `","kind":"nps","touchpoint":"","value":9},` +
		`{"id":"bad-json","kind":7},` +
		`{"id":"` + ids[3] + `","kind":"comment","touchpoint":"support","text":"slow answer","channel":"chat"},` +
		`{"id":"x","kind":"click","touchpoint":"home","channel":"fax"}]}`)
	resp := send(t, "POST", f.url, body, auth()).response(t)
	require.Equal(t, 2, resp.Accepted)
	require.Zero(t, resp.Duplicates)
	require.Equal(t, []wire.Rejection{
		{Index: 1, ID: ids[1], Field: "value", Error: "must be between 1 and 5 for kind star"},
		{Index: 2, ID: ids[2], Field: "touchpoint", Error: "is required"},
		{Index: 3, ID: "bad-json", Field: "", Error: "malformed event: not a JSON object of wire protocol v1 fields"},
		{Index: 5, ID: "x", Field: "channel", Error: `unknown channel "fax"`},
	}, resp.Rejected)
	require.Equal(t, []string{ids[0], ids[3]}, f.mem.order)
	tr := f.mem.byID[ids[0]]
	require.Equal(t, "rastro://website", tr.Source)
	require.InDelta(t, 0.75, *tr.Data.Score, 1e-12)
}

func TestDuplicatesOnRetry(t *testing.T) {
	f := newFixture(t, nil, nil)
	a, b := wire.NewID(), wire.NewID()
	first := send(t, "POST", f.url, batchBody(t, star(a, 5), star(b, 4)), auth()).response(t)
	require.Equal(t, wire.Response{Accepted: 2, Rejected: []wire.Rejection{}}, first)
	again := send(t, "POST", f.url, batchBody(t, star(a, 5), star(b, 4), star(a, 5)), auth()).response(t)
	require.Equal(t, wire.Response{Accepted: 0, Duplicates: 3, Rejected: []wire.Rejection{}}, again)
	require.Equal(t, 2, f.mem.len())
}

func TestPreflight(t *testing.T) {
	f := newFixture(t, nil, nil)
	tests := []struct {
		name, url, origin string
		status            int
	}{
		{"allowed by a key", "", "https://shop.example", 204},
		{"allowed by its key", "?key=wk_test", "https://shop.example", 204},
		{"unknown key", "?key=nope", "https://shop.example", 403},
		{"other origin", "", "https://evil.example", 403},
		{"no origin", "", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{"Access-Control-Request-Method": "POST"}
			if tt.origin != "" {
				hdr["Origin"] = tt.origin
			}
			r := send(t, "OPTIONS", f.url+tt.url, nil, hdr)
			require.Equal(t, tt.status, r.status)
			if tt.status == 204 {
				require.Equal(t, tt.origin, r.header.Get("Access-Control-Allow-Origin"))
				require.Contains(t, r.header.Get("Access-Control-Allow-Headers"), "Authorization")
				require.Contains(t, r.header.Get("Access-Control-Allow-Methods"), "POST")
			} else {
				require.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
			}
		})
	}
	// The real request carries the CORS answer too, and exposes Retry-After.
	r := send(t, "POST", f.url, batchBody(t, star(wire.NewID(), 2)), auth("Origin", "https://shop.example"))
	require.Equal(t, 200, r.status)
	require.Equal(t, "https://shop.example", r.header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "Retry-After", r.header.Get("Access-Control-Expose-Headers"))
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	f := newFixture(t, []WriteKey{{Token: "wk_test", Rate: 10, Burst: 10}}, func(c *Config) {
		c.Limits.MaxBatchEvents = 10
		c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	evs := func(n int) []wire.Event {
		out := make([]wire.Event, n)
		for i := range out {
			out[i] = star(wire.NewID(), 5)
		}
		return out
	}
	require.Equal(t, 8, send(t, "POST", f.url, batchBody(t, evs(8)...), auth()).response(t).Accepted)
	// 2 tokens left: a batch of 5 is refused whole, with the wait for 3 more.
	r := send(t, "POST", f.url, batchBody(t, evs(5)...), auth())
	require.Equal(t, 429, r.status)
	require.Equal(t, "1", r.header.Get("Retry-After"))
	require.Contains(t, r.errorMessage(t), "rate limit")
	require.Equal(t, 2, send(t, "POST", f.url, batchBody(t, evs(2)...), auth()).response(t).Accepted)
	// Empty bucket: refused before the body is read.
	r = send(t, "POST", f.url, batchBody(t, evs(1)...), auth())
	require.Equal(t, 429, r.status)
	// A second later the bucket has refilled ten tokens.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	require.Equal(t, 10, send(t, "POST", f.url, batchBody(t, evs(10)...), auth()).response(t).Accepted)
	require.Equal(t, 20, f.mem.len())
}

// TestOverloaded: batches beyond the in-flight bound are answered 503 with
// Retry-After instead of queueing in memory.
func TestOverloaded(t *testing.T) {
	hold := make(chan struct{})
	f := newFixture(t, nil, func(c *Config) { c.MaxInFlightBytes = 1 })
	f.mem.hold = hold
	body := batchBody(t, star(wire.NewID(), 4))
	first := make(chan reply, 1)
	go func() { first <- send(t, "POST", f.url, body, auth()) }()
	require.Eventually(t, func() bool { return f.h.budget.Used() > 0 }, 5*time.Second, time.Millisecond)
	r := send(t, "POST", f.url, batchBody(t, star(wire.NewID(), 4)), auth())
	require.Equal(t, 503, r.status)
	require.Equal(t, "1", r.header.Get("Retry-After"))
	require.Contains(t, r.errorMessage(t), "overloaded")
	close(hold)
	require.Equal(t, 1, (<-first).response(t).Accepted)
	require.Zero(t, f.h.budget.Used())
}

func TestStoreFailure(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.mem.fail = errors.New("disk on fire")
	r := send(t, "POST", f.url, batchBody(t, star(wire.NewID(), 4)), auth())
	require.Equal(t, 503, r.status)
	require.NotEmpty(t, r.header.Get("Retry-After"))
	require.NotContains(t, r.errorMessage(t), "disk on fire", "internals are logged, not told")
}

func TestNewKeysErrors(t *testing.T) {
	tests := []struct {
		name string
		keys []WriteKey
		msg  string
	}{
		{"none", nil, "no write keys"},
		{"empty token", []WriteKey{{Token: ""}}, "key is required"},
		{"twice", []WriteKey{{Token: "a"}, {Token: "a"}}, "listed twice"},
		{"comma", []WriteKey{{Token: "a,b"}}, "spaces or commas"},
		{"bad origin", []WriteKey{{Token: "a", Origins: []string{"shop.example"}}}, "must look like https://host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeys(tt.keys, 500)
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

// FuzzHandler sends arbitrary bodies: the handler never panics, answers
// 200 or 4xx, and stores exactly the events it says it accepted.
func FuzzHandler(f *testing.F) {
	f.Add(batchBody(f, star("01890a5d-ac96-774b-bcce-b302099a8057", 4)), false)
	f.Add([]byte(`{"events":[{"id":"a","kind":"nps","touchpoint":"t","value":10},{"id":"a","kind":"nps","touchpoint":"t","value":10}]}`), false)
	f.Add([]byte(`{"events":[1,"x",null,{}]}`), false)
	f.Add([]byte(`{"events":[{"id":"b","kind":"comment","touchpoint":"t","text":"\ud800"}]}`), true)
	f.Add([]byte(`not json`), false)
	ks, err := NewKeys([]WriteKey{{Token: "wk", Rate: -1}}, 500)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		mem := newMem()
		h, err := New(Config{Keys: ks, Appender: mem})
		require.NoError(t, err)
		if gzipped {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(body)
			_ = zw.Close()
			body = buf.Bytes()
		}
		req := httptest.NewRequest("POST", wire.BatchPath, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer wk")
		if gzipped {
			req.Header.Set("Content-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == 200:
			var resp wire.Response
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
			require.Equal(t, resp.Accepted, mem.len())
			for _, rj := range resp.Rejected {
				require.GreaterOrEqual(t, rj.Index, 0)
				require.NotEmpty(t, rj.Error)
			}
		case rec.Code >= 400 && rec.Code < 500:
			require.Zero(t, mem.len())
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run("batch="+strconv.Itoa(n), func(b *testing.B) {
			ks, _ := NewKeys([]WriteKey{{Token: "wk", Rate: -1}}, 500)
			h, _ := New(Config{Keys: ks, Appender: newMem()})
			bodies := make([][]byte, 64)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%len(bodies) == 0 {
					b.StopTimer()
					for j := range bodies {
						evs := make([]wire.Event, n)
						for k := range evs {
							evs[k] = star(wire.NewID(), 4)
							evs[k].UserID = "u-42"
							evs[k].Channel = wire.ChannelWeb
						}
						bodies[j] = batchBody(b, evs...)
					}
					h.cfg.Appender = newMem()
					b.StartTimer()
				}
				req := httptest.NewRequest("POST", wire.BatchPath, bytes.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Authorization", "Bearer wk")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code, rec.Body)
				}
				i++
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
