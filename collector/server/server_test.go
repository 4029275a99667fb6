package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// openStoreAt reopens the database of a closed store.
func openStoreAt(t *testing.T, prev *sqlite.DB) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(prev.Path(), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// running is a Server serving on a real 127.0.0.1 port.
type running struct {
	url    string
	cancel context.CancelFunc
	done   chan error
	srv    *Server
}

func start(t *testing.T, cfg Config, st store.Store) *running {
	t.Helper()
	if cfg.WriteKeys == nil {
		cfg.WriteKeys = []ingest.WriteKey{{Token: "wk_test", Rate: -1}}
	}
	cfg.Logger = quiet()
	srv, err := New(cfg, st)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1), srv: srv}
	go func() { r.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-r.done })
	require.Eventually(t, func() bool { return get(t, r.url+"/readyz", "").status == 200 }, 5*time.Second, time.Millisecond)
	return r
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func do(t *testing.T, c *http.Client, method, url, key string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, b, resp.Header}
}

func get(t *testing.T, url, key string) reply { return do(t, nil, "GET", url, key, nil) }

func f(v float64) *float64 { return &v }

func ev(kind wire.Kind, touchpoint string, value float64, mod ...func(*wire.Event)) wire.Event {
	e := wire.Event{ID: wire.NewID(), Kind: kind, Touchpoint: touchpoint}
	if _, rated := kind.DefaultScale(); rated {
		e.Value = f(value)
	}
	for _, m := range mod {
		m(&e)
	}
	return e
}

func post(t *testing.T, url string, evs ...wire.Event) wire.Response {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, wire.WriteBatch(&buf, &wire.Batch{SentAt: time.Now(), Events: evs}))
	r := do(t, nil, "POST", url+"/v1/batch", "wk_test", buf.Bytes())
	require.Equal(t, 200, r.status, "%s", r.body)
	var resp wire.Response
	require.NoError(t, json.Unmarshal(r.body, &resp))
	return resp
}

// TestSummaryThroughAPI sends a hand-made fixture through ingest,
// normalization and the store and reads the numbers back from the API.
func TestSummaryThroughAPI(t *testing.T) {
	r := start(t, Config{}, openStore(t))
	agent := func(a string) func(*wire.Event) { return func(e *wire.Event) { e.AgentID = a } }
	resp := post(t, r.url,
		ev(wire.KindCSAT, "support", 5, agent("ana")), ev(wire.KindCSAT, "support", 4, agent("ana")), ev(wire.KindCSAT, "support", 2, agent("bo")),
		ev(wire.KindNPS, "support", 10), ev(wire.KindNPS, "support", 9), ev(wire.KindNPS, "support", 7), ev(wire.KindNPS, "support", 3),
		ev(wire.KindCES, "checkout", 6), ev(wire.KindCES, "checkout", 3),
		ev(wire.KindClick, "checkout", 0, func(e *wire.Event) { e.Target = "button#pay" }),
	)
	require.Equal(t, 10, resp.Accepted)

	var sum struct {
		GroupBy string        `json:"group_by"`
		Groups  []store.Group `json:"groups"`
	}
	res := get(t, r.url+"/v1/summary?group_by=touchpoint", "")
	require.Equal(t, 200, res.status, "%s", res.body)
	require.NoError(t, json.Unmarshal(res.body, &sum))
	require.Len(t, sum.Groups, 2)
	co, su := sum.Groups[0], sum.Groups[1]
	require.Equal(t, "checkout", co.Key)
	require.EqualValues(t, 3, co.Count)
	require.EqualValues(t, 2, co.Scored)
	// CES 6 of 7 -> 5/6, CES 3 of 7 -> 2/6: mean score (5/6+2/6)/2 = 7/12.
	require.InDelta(t, 7.0/12, *co.MeanScore, 1e-12)
	require.InDelta(t, 4.5, *co.CESMean, 1e-12) // (6+3)/2
	require.InDelta(t, 0.5, *co.NegativeShare, 1e-12)
	require.Nil(t, co.CSATPercent)
	require.Nil(t, co.NPS)

	require.Equal(t, "support", su.Key)
	require.EqualValues(t, 7, su.Count)
	require.InDelta(t, 200.0/3, *su.CSATPercent, 1e-9) // 5 and 4 of {5,4,2}
	require.InDelta(t, 25, *su.NPS, 1e-12)             // promoters 10,9 (2/4) - detractor 3 (1/4)
	// scores: csat 1, .75, .25; nps 1, .9, .7, .3 -> sum 4.9 over 7.
	require.InDelta(t, 4.9/7, *su.MeanScore, 1e-12)
	// negative: csat 2 (.25) and nps 3 (.3): 2 of 7.
	require.InDelta(t, 2.0/7, *su.NegativeShare, 1e-12)

	res = get(t, r.url+"/v1/summary?group_by=agent&kind=csat", "")
	require.NoError(t, json.Unmarshal(res.body, &sum))
	require.Equal(t, []string{"ana", "bo"}, []string{sum.Groups[0].Key, sum.Groups[1].Key})
	require.InDelta(t, 100, *sum.Groups[0].CSATPercent, 1e-12)
	require.InDelta(t, 0, *sum.Groups[1].CSATPercent, 1e-12)
}

func TestTracesAPI(t *testing.T) {
	r := start(t, Config{}, openStore(t))
	var sent []wire.Event
	for i := range 7 {
		sent = append(sent, ev(wire.KindStar, "checkout", float64(1+i%5), func(e *wire.Event) {
			e.UserID = fmt.Sprintf("u-%d", i%2)
			e.Channel = wire.ChannelApp
			e.OccurredAt = time.Now().Add(-time.Duration(7-i) * time.Minute)
		}))
	}
	sent = append(sent, ev(wire.KindThumbs, "faq", 0, func(e *wire.Event) { e.Channel = wire.ChannelWeb }))
	require.Equal(t, 8, post(t, r.url, sent...).Accepted)

	type page struct {
		Traces []trace.Trace `json:"traces"`
		Next   string        `json:"next"`
	}
	// Walk the pages of 3: every checkout trace once, oldest first.
	var got []string
	next := ""
	for i := 0; ; i++ {
		require.Less(t, i, 10)
		res := get(t, r.url+"/v1/traces?touchpoint=checkout&limit=3&cursor="+next, "")
		require.Equal(t, 200, res.status, "%s", res.body)
		var p page
		require.NoError(t, json.Unmarshal(res.body, &p))
		for _, tr := range p.Traces {
			got = append(got, tr.ID)
		}
		if next = p.Next; next == "" {
			break
		}
	}
	want := []string{}
	for _, e := range sent[:7] {
		want = append(want, e.ID)
	}
	require.Equal(t, want, got)

	filters := []struct {
		query string
		n     int
	}{
		{"user=u-0", 4},
		{"channel=web", 1},
		{"kind=thumbs", 1},
		{"from=" + time.Now().Add(-3*time.Minute-30*time.Second).UTC().Format(time.RFC3339), 4},
		{"from=210s", 4},
		{"to=" + time.Now().Add(-3*time.Minute-30*time.Second).UTC().Format(time.RFC3339), 4},
	}
	for _, tt := range filters {
		res := get(t, r.url+"/v1/traces?"+tt.query, "")
		var p page
		require.NoError(t, json.Unmarshal(res.body, &p), "%s", res.body)
		require.Len(t, p.Traces, tt.n, tt.query)
	}

	// Export streams every trace as one JSON line.
	res := get(t, r.url+"/v1/traces/export", "")
	require.Equal(t, "application/x-ndjson", res.header.Get("Content-Type"))
	lines := strings.Split(strings.TrimSuffix(string(res.body), "\n"), "\n")
	require.Len(t, lines, 8)
	var tr trace.Trace
	require.NoError(t, json.Unmarshal([]byte(lines[7]), &tr))
	require.Equal(t, sent[7].ID, tr.ID)
}

func TestBadQueries(t *testing.T) {
	r := start(t, Config{}, openStore(t))
	for _, tt := range []struct{ path, msg string }{
		{"/v1/traces?from=yesterday", "query parameter from"},
		{"/v1/traces?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z", "query parameter to: must be after from"},
		{"/v1/traces?kind=like", `query parameter kind: unknown kind "like"`},
		{"/v1/traces?channel=fax", `query parameter channel: unknown channel "fax"`},
		{"/v1/traces?limit=5000", "query parameter limit"},
		{"/v1/traces?cursor=garbage", "query parameter cursor"},
		{"/v1/summary?group_by=color", `query parameter group_by: "color"`},
		{"/v1/traces/export?to=soon", "query parameter to"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			res := get(t, r.url+tt.path, "")
			require.Equal(t, 400, res.status)
			var e wire.ErrorBody
			require.NoError(t, json.Unmarshal(res.body, &e))
			require.Contains(t, e.Error, tt.msg)
		})
	}
}

func TestReadAccess(t *testing.T) {
	st := openStore(t)
	t.Run("no read key: loopback only", func(t *testing.T) {
		srv, err := New(Config{WriteKeys: []ingest.WriteKey{{Token: "wk"}}, Logger: quiet()}, st)
		require.NoError(t, err)
		for _, path := range []string{"/v1/traces", "/v1/summary", "/metrics", "/v1/traces/export"} {
			for remote, want := range map[string]int{"127.0.0.1:5000": 200, "[::1]:5000": 200, "203.0.113.9:5000": 403, "10.0.0.2:80": 403} {
				req := httptest.NewRequest("GET", path, nil)
				req.RemoteAddr = remote
				rec := httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, req)
				require.Equal(t, want, rec.Code, "%s from %s", path, remote)
			}
		}
		for _, open := range []string{"/healthz", "/v1/schema/trace"} {
			req := httptest.NewRequest("GET", open, nil)
			req.RemoteAddr = "203.0.113.9:5000"
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			require.Equal(t, 200, rec.Code, open)
		}
	})
	t.Run("read keys", func(t *testing.T) {
		srv, err := New(Config{WriteKeys: []ingest.WriteKey{{Token: "wk"}}, ReadKeys: []string{"rk1", "rk2"}, Logger: quiet()}, st)
		require.NoError(t, err)
		for key, want := range map[string]int{"": 401, "wk": 401, "rk": 401, "rk1": 200, "rk2": 200} {
			req := httptest.NewRequest("GET", "/v1/summary", nil)
			req.RemoteAddr = "203.0.113.9:5000"
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			require.Equal(t, want, rec.Code, "key %q", key)
		}
	})
}

func TestMetrics(t *testing.T) {
	r := start(t, Config{}, openStore(t))
	bad := ev(wire.KindStar, "x", 9)
	resp := post(t, r.url, ev(wire.KindStar, "x", 4), ev(wire.KindStar, "x", 5), bad)
	require.Equal(t, 2, resp.Accepted)
	body := string(get(t, r.url+"/metrics", "").body)
	for _, want := range []string{
		`rastro_batches_total{code="200"} 1`,
		`rastro_events_accepted_total 2`,
		`rastro_events_duplicate_total 0`,
		`rastro_events_rejected_total{field="value"} 1`,
		`rastro_store_traces 2`,
		`rastro_batch_duration_seconds_count 1`,
		`process_resident_memory_bytes`,
	} {
		require.Contains(t, body, want)
	}
}

// slowStore holds Append until released, to catch a batch in flight.
type slowStore struct {
	store.Store
	entered chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func (s *slowStore) Append(ctx context.Context, ts []trace.Trace) ([]bool, error) {
	if s.calls.Add(1) == 1 {
		close(s.entered)
		<-s.release
	}
	return s.Store.Append(ctx, ts)
}

// TestGracefulShutdown: a batch in flight when shutdown starts is finished
// and acknowledged, and stored; readiness turns off at once.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	real, err := sqlite.Open(filepath.Join(dir, "traces.db"), sqlite.Options{})
	require.NoError(t, err)
	slow := &slowStore{Store: real, entered: make(chan struct{}), release: make(chan struct{})}
	r := start(t, Config{}, slow)
	e := ev(wire.KindNPS, "home", 9)
	answered := make(chan wire.Response, 1)
	go func() { answered <- post(t, r.url, e) }()
	<-slow.entered
	r.cancel()
	require.Eventually(t, func() bool { return !r.srv.ready.Load() }, 5*time.Second, time.Millisecond)
	close(slow.release)
	require.Equal(t, 1, (<-answered).Accepted)
	require.NoError(t, <-r.done)
	r.done <- nil // for the cleanup

	again, err := sqlite.Open(filepath.Join(dir, "traces.db"), sqlite.Options{})
	require.NoError(t, err)
	defer again.Close()
	p, err := again.Query(context.Background(), store.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Traces, 1)
	require.Equal(t, e.ID, p.Traces[0].ID)
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	st := openStore(t)
	srv, err := New(Config{WriteKeys: []ingest.WriteKey{{Token: "wk_test"}}, TLSCertFile: certFile, TLSKeyFile: keyFile, Logger: quiet()}, st)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var buf bytes.Buffer
	require.NoError(t, wire.WriteBatch(&buf, &wire.Batch{Events: []wire.Event{ev(wire.KindStar, "x", 5)}}))
	var res reply
	require.Eventually(t, func() bool {
		res = do(t, client, "POST", "https://"+ln.Addr().String()+"/v1/batch", "wk_test", buf.Bytes())
		return res.status == 200
	}, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, string(res.body), `"accepted":1`)
}

func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestRetention: a collector with a retention deletes expired traces when
// it starts (and hourly after), keeping the rest.
func TestRetention(t *testing.T) {
	st := openStore(t)
	old, fresh := ev(wire.KindStar, "x", 5), ev(wire.KindStar, "x", 4)
	old.OccurredAt = time.Now().Add(-48 * time.Hour)
	r := start(t, Config{}, st)
	require.Equal(t, 2, post(t, r.url, old, fresh).Accepted)
	r.cancel()
	<-r.done
	r.done <- nil

	st2 := openStoreAt(t, st)
	r2 := start(t, Config{Retention: 24 * time.Hour}, st2)
	require.Eventually(t, func() bool {
		p, err := st2.Query(context.Background(), store.Filter{})
		return err == nil && len(p.Traces) == 1 && p.Traces[0].ID == fresh.ID
	}, 5*time.Second, 10*time.Millisecond)
	_ = r2
}
