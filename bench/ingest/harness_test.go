package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailru/easyjson"

	"github.com/rastrohq/rastro/sdk/wire"
)

// decode returns the events of a plain body, checking each against the
// protocol's rules.
func decode(t *testing.T, body []byte) []wire.Event {
	t.Helper()
	raw, err := wire.DecodeBatch(body)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]wire.Event, len(raw.Events))
	for i, re := range raw.Events {
		if err := wire.DecodeEvent(re, &evs[i]); err != nil {
			t.Fatal(err)
		}
		if err := evs[i].Validate(wire.Limits{}, time.Now()); err != nil {
			t.Fatalf("event %d invalid: %v\n%s", i, err, re)
		}
	}
	return evs
}

func TestBodies(t *testing.T) {
	for _, batch := range []int{1, 10, 100, 500} {
		t.Run("batch="+strconv.Itoa(batch), func(t *testing.T) {
			bs := NewBodies(batch, 1)
			if sz := bs.EventBytes(); batch > 1 && (sz < 300 || sz > 360) { // a batch of 1 is mostly envelope
				t.Errorf("events average %.0f bytes; want about 330", sz)
			}
			seen := map[string]bool{}
			kinds := map[wire.Kind]bool{}
			var body []byte
			for i := range 2*len(bs.templates) + 1 {
				body = bs.Fill(body, i)
				evs := decode(t, body)
				if len(evs) != batch {
					t.Fatalf("body %d has %d events; want %d", i, len(evs), batch)
				}
				ids := bs.IDs(nil, body, i)
				for j, e := range evs {
					if seen[e.ID] {
						t.Fatalf("id %s sent twice", e.ID)
					}
					seen[e.ID] = true
					if _, ok := wire.IDTime(e.ID); !ok {
						t.Fatalf("id %q is not a UUIDv7", e.ID)
					}
					if string(ids[j][:]) != e.ID || bs.IDAt(body, i, j) != ids[j] {
						t.Fatalf("IDs/IDAt of event %d = %s/%s; the body says %s", j, ids[j][:], bs.IDAt(body, i, j), e.ID)
					}
					kinds[e.Kind] = true
				}
			}
			if len(kinds) != len(benchKinds) {
				t.Errorf("kinds %v; want all of %v", kinds, benchKinds)
			}
		})
	}
}

func TestGzipped(t *testing.T) {
	bs := NewBodies(10, 1)
	zs := bs.Gzipped(5)
	seen := map[string]bool{}
	for _, z := range zs {
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range decode(t, plain) {
			if seen[e.ID] {
				t.Fatalf("id %s twice", e.ID)
			}
			seen[e.ID] = true
		}
	}
	if len(seen) != 50 {
		t.Fatalf("%d distinct ids in 5 bodies of 10", len(seen))
	}
}

func TestCeiling(t *testing.T) {
	srv := httptest.NewServer(Ceiling())
	defer srv.Close()
	plain := NewBodies(10, 1).Fill(nil, 0)
	var zbuf bytes.Buffer
	var zw gzipWriter
	zipped := bytes.Clone(zw.compress(&zbuf, plain))
	tests := []struct {
		name, method, path, encoding string
		body                         []byte
		want                         int
	}{
		{"plain", "POST", "/v1/batch", "", plain, 204},
		{"gzip", "POST", "/v1/batch", "gzip", zipped, 204},
		{"gzip again, pooled reader", "POST", "/v1/batch", "gzip", zipped, 204},
		{"bad gzip", "POST", "/v1/batch", "gzip", plain, 400},
		{"truncated gzip", "POST", "/v1/batch", "gzip", zipped[:len(zipped)/2], 400},
		{"unknown encoding", "POST", "/v1/batch", "br", plain, 415},
		{"big body", "POST", "/v1/batch", "", bytes.Repeat(plain, 300), 204},
		{"GET batch", "GET", "/v1/batch", "", nil, 405},
		{"readyz", "GET", "/readyz", "", nil, 200},
		{"healthz", "GET", "/healthz", "", nil, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, bytes.NewReader(tc.body))
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d; want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestScanIDs(t *testing.T) {
	id := func(c byte) string { return strings.Repeat(string(c), IDLen) }
	long := `{"id":"` + id('c') + `","data":{"text":"` + strings.Repeat("x", 3<<20) + `"}}`
	ndjson := `{"specversion":"1.0","id":"` + id('a') + `","data":{"user_id":"` + id('z') + `"}}` + "\n" +
		"\n" + // blank lines are no traces
		`{"id":"` + id('b') + `","data":{"props":{"id":"short"}}}` + "\n" +
		long + "\n" +
		`{"id":"` + id('d') + `"}` // no final newline
	var got []string
	lines, err := scanIDs(strings.NewReader(ndjson), func(i ID) { got = append(got, string(i[:1])) })
	if err != nil {
		t.Fatal(err)
	}
	if lines != 4 || strings.Join(got, "") != "abcd" {
		t.Fatalf("lines %d, ids %q; want 4, abcd", lines, got)
	}
}

func TestQuantile(t *testing.T) {
	var l Latencies
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := l.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v; want %v", tc.q, got, tc.want)
		}
	}
	if got := Latencies(nil).Quantile(0.5); got != 0 {
		t.Errorf("Quantile of nothing = %v", got)
	}
}

func TestValidRetryAfter(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "0": true, "120": true, "Wed, 21 Oct 2026 07:28:00 GMT": true,
		"": false, "-1": false, "soon": false, "1.5": false} {
		if got := ValidRetryAfter(v); got != want {
			t.Errorf("ValidRetryAfter(%q) = %v", v, got)
		}
	}
}

func TestErrorClass(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, err = http.Get("http://" + addr + "/")
	if got := ErrorClass(err); got != "refused" {
		t.Errorf("dialing a closed port: %q (%v)", got, err)
	}
	// A server that hangs up without answering.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Read(make([]byte, 1024))
			c.Close()
		}
	}()
	_, err = http.Post("http://"+l.Addr().String()+"/", "text/plain", strings.NewReader("x"))
	if got := ErrorClass(err); got != "eof" && got != "reset" {
		t.Errorf("a server that hangs up: %q (%v)", got, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if got := ErrorClass(ctx.Err()); got != "timeout" {
		t.Errorf("deadline: %q", got)
	}
	if got := ErrorClass(errors.New("x")); got != "other" {
		t.Errorf("other: %q", got)
	}
}

// fakeCollector answers like the collector: 200 with a wire.Response for
// most batches, rejecting the first event of some, and 503/429 for others
// (some 429s without Retry-After); it exports what it stored as NDJSON,
// losing the ids in lose.
type fakeCollector struct {
	mu     sync.Mutex
	stored []string
	lose   map[string]bool
	n      atomic.Int64
}

func (f *fakeCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == ExportPath {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, id := range f.stored {
			if !f.lose[id] {
				_, _ = io.WriteString(w, `{"specversion":"1.0","id":"`+id+`","data":{"kind":"star"}}`+"\n")
			}
		}
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") != "Bearer "+WriteKey {
		http.Error(w, "no key", http.StatusUnauthorized)
		return
	}
	switch n := f.n.Add(1); {
	case n%5 == 0:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	case n%7 == 0:
		http.Error(w, "over rate, no Retry-After", http.StatusTooManyRequests)
		return
	}
	raw, err := wire.DecodeBatch(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var resp wire.Response
	f.mu.Lock()
	for i, re := range raw.Events {
		var e wire.Event
		_ = wire.DecodeEvent(re, &e)
		if i == 0 && f.n.Load()%3 == 0 {
			resp.Rejected = append(resp.Rejected, wire.Rejection{Index: 0, ID: e.ID, Field: "touchpoint", Error: "fake"})
			continue
		}
		f.stored = append(f.stored, e.ID)
		resp.Accepted++
	}
	f.mu.Unlock()
	out, _ := easyjson.Marshal(resp)
	_, _ = w.Write(out)
}

func TestLoadCountsAndTracksAcks(t *testing.T) {
	fake := &fakeCollector{lose: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	res := Load{Bodies: NewBodies(4, 3), Conns: 8, Requests: 210, TrackIDs: true}.Run(context.Background(), srv.URL)

	if res.Requests != 210 || res.TransportErrors() != 0 {
		t.Fatalf("%d answers (%s); want 210 and no errors", res.Requests, res.Counts)
	}
	if got := res.Counts.Status[503]; got != 42 {
		t.Errorf("%d answers 503; want 42", got)
	}
	if got := res.Counts.Status[429]; got != 24 {
		t.Errorf("%d answers 429; want 24", got)
	}
	if res.NoRetryAfter != 24 {
		t.Errorf("NoRetryAfter = %d; want 24 (the 429s)", res.NoRetryAfter)
	}
	if res.Rejected == 0 || res.FirstRejection == "" {
		t.Errorf("rejections not counted: %d %q", res.Rejected, res.FirstRejection)
	}
	ok := res.Counts.Status[200]
	if res.AckedEvents != 4*ok-res.Rejected || int64(len(res.Acked)) != res.AckedEvents {
		t.Errorf("acked %d events, %d ids, for %d answers 200 with %d rejected", res.AckedEvents, len(res.Acked), ok, res.Rejected)
	}
	if res.OfferedEvents != 4*210 || res.WireBytes == 0 || len(res.Latencies) != 210 {
		t.Errorf("offered %d, wire %d, %d latencies", res.OfferedEvents, res.WireBytes, len(res.Latencies))
	}

	got := map[ID]bool{}
	if _, err := Export(context.Background(), srv.URL, func(id ID) { got[id] = true }); err != nil {
		t.Fatal(err)
	}
	for _, id := range res.Acked {
		if !got[id] {
			t.Fatalf("acked id %s not stored", id[:])
		}
	}
	if len(got) != len(res.Acked) {
		t.Fatalf("stored %d, acked %d: rejected events counted as acknowledged?", len(got), len(res.Acked))
	}
}

func TestLoadByDurationGzip(t *testing.T) {
	var events atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil || r.Header.Get("Content-Encoding") != "gzip" {
			http.Error(w, "want gzip", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(zr)
		raw, err := wire.DecodeBatch(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		events.Add(int64(len(raw.Events)))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	res := Load{Bodies: NewBodies(3, 1), Conns: 4, Gzip: true, Duration: 200 * time.Millisecond}.Run(context.Background(), srv.URL)
	if res.Requests == 0 || res.Counts.Status[204] != res.Requests || res.AckedEvents != events.Load() {
		t.Fatalf("%s; acked %d, server counted %d", res.Counts, res.AckedEvents, events.Load())
	}
	if res.Elapsed > 2*time.Second {
		t.Fatalf("a 200ms load took %v", res.Elapsed)
	}
}

// TestCeilingProcess builds cmd/ceiling, starts it as BenchmarkIngest does
// and sends it a little of every load the benchmarks send.
func TestCeilingProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and starts the ceiling server")
	}
	srv := ceilingTarget.start(t, "")
	for _, batch := range []int{1, 10, 100} {
		checkAcksAll(t, srv, batch, 204)
	}
	if rss, err := srv.PeakRSS(); err != nil || rss < 1<<20 {
		t.Errorf("peak RSS %d, %v", rss, err)
	}
	if cpu, err := srv.CPUTime(); err != nil || cpu <= 0 {
		t.Errorf("CPU time %v, %v", cpu, err)
	}
	if err := srv.Stop(5 * time.Second); err != nil {
		t.Errorf("the ceiling did not end cleanly on SIGTERM: %v", err)
	}
	if _, err := srv.PeakRSS(); err == nil {
		t.Error("peak RSS of a process that has ended")
	}
}

// checkAcksAll sends srv 64 batches of batch events over 8 connections,
// plain and then gzipped, and fails t unless every one is answered with
// status and every event acknowledged.
func checkAcksAll(t *testing.T, srv *server, batch, status int) {
	t.Helper()
	bodies := NewBodies(batch, 1)
	for _, l := range []Load{
		{Bodies: bodies, Conns: 8, Requests: 64},
		{Bodies: bodies, Conns: 8, Gzip: true, Pre: bodies.Gzipped(64)},
	} {
		res := l.Run(context.Background(), srv.URL)
		if err := checkServed(srv, &res, false); err != nil {
			t.Fatal(err)
		}
		if res.Counts.Status[status] != 64 || res.AckedEvents != int64(64*batch) {
			t.Fatalf("batch %d, gzip %v: %s, %d events acknowledged", batch, l.Gzip, res.Counts, res.AckedEvents)
		}
	}
}

// TestNostoreProcess checks the instrument cmd/nostore: it acknowledges
// every event of valid batches as the collector does (a 200 that counts
// them accepted) and keeps none of them in its store; with -fsync its log
// holds every trace it acknowledged.
func TestNostoreProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and starts cmd/nostore")
	}
	for _, tg := range []target{nostoreTarget, logonlyTarget} {
		t.Run(tg.name, func(t *testing.T) {
			srv := tg.start(t, "")
			defer srv.close(t)
			checkAcksAll(t, srv, 10, 200)
			checkKeptNothing(t, srv)
			log, err := os.ReadFile(filepath.Join(srv.dataDir, "log"))
			switch {
			case tg.name == "nostore" && !os.IsNotExist(err):
				t.Errorf("nostore without -fsync wrote a log (%v)", err)
			case tg.name == "logonly" && bytes.Count(log, []byte(`"specversion"`)) != 2*640:
				t.Errorf("the log holds %d traces, want the 1280 acknowledged (%v)", bytes.Count(log, []byte(`"specversion"`)), err)
			}
		})
	}
}

// checkKeptNothing fails t unless srv's export is empty.
func checkKeptNothing(t *testing.T, srv *server) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/v1/traces/export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || len(bytes.TrimSpace(body)) != 0 {
		t.Fatalf("export: %d %q, want 200 and no trace", resp.StatusCode, body)
	}
}

func TestLoadTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select { // hold the answer, as a collector queueing without bound would
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	res := Load{Bodies: NewBodies(1, 1), Conns: 2, Requests: 2, Timeout: 50 * time.Millisecond}.Run(context.Background(), srv.URL)
	if res.Counts.Errors["timeout"] != 2 || res.Requests != 0 {
		t.Fatalf("%s; want 2 timeouts (first error: %v)", res.Counts, res.FirstError)
	}
}

// BenchmarkFill is the client's cost of a plain body with fresh ids, per
// event.
func BenchmarkFill(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			bs := NewBodies(batch, 1)
			var body []byte
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				body = bs.Fill(body, i)
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	// Field 2 may hold spaces and parentheses; utime 150 and stime 50 ticks.
	stat := "4242 (rastro (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 50 0 0 20 0 8 0 12345 1000000 2000 18446744073709551615"
	got, err := parseStatCPU(stat)
	if err != nil || got != 2*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 2s", got, err)
	}
	if _, err := parseStatCPU("4242 (x) S 1"); err == nil {
		t.Fatal("a short stat line parsed")
	}
}
