package plugin

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// memStore is an Appender that dedupes on id, and fails on demand.
type memStore struct {
	mu     sync.Mutex
	traces map[string]trace.Trace
	order  []string
	fail   bool
}

func (m *memStore) Append(_ context.Context, ts []trace.Trace) ([]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return nil, errors.New("disk on fire")
	}
	if m.traces == nil {
		m.traces = map[string]trace.Trace{}
	}
	ins := make([]bool, len(ts))
	for i, t := range ts {
		if _, ok := m.traces[t.ID]; !ok {
			m.traces[t.ID] = t
			m.order = append(m.order, t.ID)
			ins[i] = true
		}
	}
	return ins, nil
}

func newTestHandler(t *testing.T, st *memStore, limits wire.Limits) http.Handler {
	t.Helper()
	h := newHost(t, testOptions(t),
		Config{Name: "trivial", Path: testPlugin(t, "trivial"), Kind: KindSource, Timeout: 5 * time.Second},
		Config{Name: "tagger", Path: testPlugin(t, "trivial"), Kind: KindEnrich, Timeout: 5 * time.Second},
	)
	keys, err := ingest.NewKeys([]ingest.WriteKey{{Token: "wk_test", Name: "helpdesk", Origins: []string{"https://ok.example"}}}, 500)
	require.NoError(t, err)
	hd, err := NewHandler(HandlerConfig{Host: h, Keys: keys, Appender: h.Appender(st), Limits: limits, Logger: discardLogger(),
		now: func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(Pattern, hd)
	return mux
}

func TestHandler(t *testing.T) {
	st := &memStore{}
	srv := newTestHandler(t, st, wire.Limits{MaxBatchEvents: 5})
	post := func(t *testing.T, path, contentType, body string, hdr ...string) (*httptest.ResponseRecorder, Response) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer wk_test")
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		var resp Response
		if w.Code == http.StatusOK {
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
		}
		return w, resp
	}
	const ndjson = "application/x-ndjson"
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		hdr         []string
		status      int
		want        Response
		errContains string
	}{
		{name: "NDJSON: one record per line, blank lines skipped", path: "/v1/sources/trivial", contentType: ndjson,
			body:   "a1\n!refuse\n!bad-x\n\n  \r\na2\r\n",
			status: 200, want: Response{Records: 4, Accepted: 2, Rejected: []wire.Rejection{
				{Index: 1, Error: "plugin trivial: refused on request"},
				{Index: 2, ID: "bad-x", Field: "value", Error: "must be between 0 and 1 for kind thumbs"},
			}}},
		{name: "the same records again are duplicates", path: "/v1/sources/trivial", contentType: ndjson + "; charset=utf-8",
			body: "a1\na2", status: 200, want: Response{Records: 2, Duplicates: 2, Rejected: []wire.Rejection{}}},
		{name: "any other type: the body is one record", path: "/v1/sources/trivial", contentType: "application/json",
			body: "a3 a4", status: 200, want: Response{Records: 1, Accepted: 1, Rejected: []wire.Rejection{}}},
		{name: "events without id get a stable one", path: "/v1/sources/trivial", contentType: ndjson,
			body: "!noid", status: 200, want: Response{Records: 1, Accepted: 1, Rejected: []wire.Rejection{}}},
		{name: "and so dedupe", path: "/v1/sources/trivial", contentType: ndjson,
			body: "!noid", status: 200, want: Response{Records: 1, Duplicates: 1, Rejected: []wire.Rejection{}}},
		{name: "gzip", path: "/v1/sources/trivial", contentType: ndjson, body: gz("g1\ng2\n"), hdr: []string{"Content-Encoding", "gzip"},
			status: 200, want: Response{Records: 2, Accepted: 2, Rejected: []wire.Rejection{}}},
		{name: "unknown plugin", path: "/v1/sources/nope", body: "x", status: 404, errContains: `no source plugin named "nope"`},
		{name: "an enricher is no source", path: "/v1/sources/tagger", body: "x", status: 404, errContains: "no source plugin"},
		{name: "too many records", path: "/v1/sources/trivial", contentType: ndjson, body: "1\n2\n3\n4\n5\n6", status: 413, errContains: "6 records, over the limit of 5"},
		{name: "blank lines only", path: "/v1/sources/trivial", contentType: ndjson, body: "\n\n", status: 400, errContains: "no record"},
		{name: "empty body", path: "/v1/sources/trivial", body: "", status: 400, errContains: "empty body"},
		{name: "bad encoding", path: "/v1/sources/trivial", body: "x", hdr: []string{"Content-Encoding", "br"}, status: 415},
		{name: "bad gzip", path: "/v1/sources/trivial", body: "x", hdr: []string{"Content-Encoding", "gzip"}, status: 400},
		{name: "origin not allowed", path: "/v1/sources/trivial", body: "x", hdr: []string{"Origin", "https://evil.example"}, status: 403},
		{name: "unknown key", path: "/v1/sources/trivial", body: "x", hdr: []string{"Authorization", "Bearer nope"}, status: 401},
		{name: "no key", path: "/v1/sources/trivial", body: "x", hdr: []string{"Authorization", ""}, status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, resp := post(t, tt.path, tt.contentType, tt.body, tt.hdr...)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status == 200 {
				require.Equal(t, tt.want, resp)
			} else {
				var e wire.ErrorBody
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
				require.Contains(t, e.Error, tt.errContains)
			}
		})
	}
	t.Run("traces", func(t *testing.T) {
		tr := st.traces["a1"]
		require.Equal(t, "rastro://helpdesk", tr.Source)
		require.Equal(t, "plugin/trivial", tr.Data.Origin)
		require.Equal(t, "trivial", tr.Data.Touchpoint)
		require.Equal(t, "trivial", tr.Data.Props["enriched_by"], "the enricher ran before the store")
		require.NotNil(t, tr.Data.Score)
		require.Equal(t, 1.0, *tr.Data.Score)
		var hashed int
		for id := range st.traces {
			if strings.HasPrefix(id, "plg-") {
				hashed++
				require.Len(t, id, 36)
			}
		}
		require.Equal(t, 1, hashed)
	})
	t.Run("store down", func(t *testing.T) {
		st.mu.Lock()
		st.fail = true
		st.mu.Unlock()
		defer func() { st.mu.Lock(); st.fail = false; st.mu.Unlock() }()
		w, _ := post(t, "/v1/sources/trivial", "", "s1")
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.NotEmpty(t, w.Header().Get("Retry-After"))
	})
	t.Run("method", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/v1/sources/trivial", nil)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		require.Equal(t, http.StatusMethodNotAllowed, w.Code)
	})
}

// TestHandlerChunks stores a body whose events outnumber a batch in
// several appends.
func TestHandlerChunks(t *testing.T) {
	st := &memStore{}
	srv := newTestHandler(t, st, wire.Limits{MaxBatchEvents: 3})
	r := httptest.NewRequest(http.MethodPost, "/v1/sources/trivial?key=wk_test", strings.NewReader("c1\nc2\nc3"))
	r.Header.Set("Content-Type", "application/jsonl")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"records":3,"accepted":3,"duplicates":0,"rejected":[]}`, w.Body.String())
	require.Equal(t, []string{"c1", "c2", "c3"}, st.order)
}

func gz(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = fmt.Fprint(zw, s)
	_ = zw.Close()
	return b.String()
}

func TestSplitLines(t *testing.T) {
	recs := splitLines([]byte("a\n\n b \r\n\nc"))
	require.Equal(t, []record{{0, []byte("a")}, {2, []byte("b")}, {4, []byte("c")}}, recs)
	require.Empty(t, splitLines([]byte("\n \n")))
	require.True(t, isNDJSON("application/x-ndjson; charset=utf-8"))
	require.False(t, isNDJSON("application/json"))
	require.False(t, isNDJSON(""))
}

func TestHashID(t *testing.T) {
	a := hashID("p", []byte("record"), 0)
	require.Equal(t, a, hashID("p", []byte("record"), 0))
	require.NotEqual(t, a, hashID("p", []byte("record"), 1))
	require.NotEqual(t, a, hashID("q", []byte("record"), 0))
	require.Len(t, a, 36)
}
