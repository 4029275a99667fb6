package faults

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rastrohq/rastro/sdk"
	"github.com/rastrohq/rastro/sdk/wire"
)

// The checks of the scenarios must be able to fail: these tests feed them
// losses, duplicates, broken answers and an SDK that ignores Retry-After.

func TestTally(t *testing.T) {
	ids := func(s ...string) map[string]bool { return setOf(s) }
	for _, tt := range []struct {
		name                   string
		sent, acked            map[string]bool
		stored                 map[string]int
		lost, dups, unknown    int
		wantProblems           int
		wantSent, wantAck, got int
	}{
		{name: "exact", sent: ids("a", "b", "c"), acked: ids("a", "b", "c"), stored: map[string]int{"a": 1, "b": 1, "c": 1},
			wantSent: 3, wantAck: 3, got: 3},
		{name: "unacked and not stored is fine", sent: ids("a", "b"), acked: ids("a"), stored: map[string]int{"a": 1},
			wantSent: 2, wantAck: 1, got: 1},
		{name: "lost", sent: ids("a", "b"), acked: ids("a", "b"), stored: map[string]int{"a": 1},
			lost: 1, wantProblems: 1, wantSent: 2, wantAck: 2, got: 1},
		{name: "duplicate", sent: ids("a"), acked: ids("a"), stored: map[string]int{"a": 2},
			dups: 1, wantProblems: 1, wantSent: 1, wantAck: 1, got: 1},
		{name: "unknown", sent: ids("a"), acked: ids("a"), stored: map[string]int{"a": 1, "z": 1},
			unknown: 1, wantProblems: 1, wantSent: 1, wantAck: 1, got: 2},
		{name: "all wrong", sent: ids("a", "b"), acked: ids("a", "b"), stored: map[string]int{"a": 3, "z": 1},
			lost: 1, dups: 1, unknown: 1, wantProblems: 3, wantSent: 2, wantAck: 2, got: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := Tally(tt.sent, tt.acked, tt.stored)
			if r.Lost != tt.lost || r.Duplicates != tt.dups || r.Unknown != tt.unknown ||
				r.Sent != tt.wantSent || r.Acked != tt.wantAck || r.Stored != tt.got {
				t.Errorf("got %+v", r)
			}
			if p := r.Problems(); len(p) != tt.wantProblems {
				t.Errorf("problems %q, want %d", p, tt.wantProblems)
			}
		})
	}
}

// batchBody encodes a batch of star ratings with ids.
func batchBody(t *testing.T, ids []string, gz bool) []byte {
	t.Helper()
	b := wire.Batch{SentAt: time.Now()}
	v := 4.0
	for _, id := range ids {
		b.Events = append(b.Events, wire.Event{ID: id, Kind: wire.KindStar, Touchpoint: "t", Value: &v})
	}
	var buf bytes.Buffer
	if err := wire.WriteBatch(&buf, &b); err != nil {
		t.Fatal(err)
	}
	if !gz {
		return buf.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write(buf.Bytes())
	_ = zw.Close()
	return z.Bytes()
}

func TestLedgerAcks(t *testing.T) {
	for _, tt := range []struct {
		name    string
		gz      bool
		answer  func(w http.ResponseWriter)
		acked   []string
		cut     int
		wait    int // throttles with a Retry-After
		noWait  int
		readErr bool
	}{
		{name: "200", answer: func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"accepted":3,"duplicates":0,"rejected":[]}`)
		}, acked: []string{"a", "b", "c"}},
		{name: "200 gzip with a rejection", gz: true, answer: func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"accepted":2,"duplicates":0,"rejected":[{"index":1,"id":"b","field":"value","error":"x"}]}`)
		}, acked: []string{"a", "c"}},
		{name: "answer cut short", answer: func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, `{"accepted":3`)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // closes the connection mid-body
		}, cut: 1, readErr: true},
		{name: "429 with Retry-After", answer: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}, wait: 1},
		{name: "503 without Retry-After", answer: func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, noWait: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				tt.answer(w)
			}))
			defer srv.Close()
			l := NewLedger(NewTransport(1))
			req, _ := http.NewRequest(http.MethodPost, srv.URL+wire.BatchPath, bytes.NewReader(batchBody(t, []string{"a", "b", "c"}, tt.gz)))
			if tt.gz {
				req.Header.Set("Content-Encoding", "gzip")
			}
			resp, err := l.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if (err != nil) != tt.readErr {
				t.Fatalf("read error %v, want one: %v", err, tt.readErr)
			}
			got := l.Acked()
			if len(got) != len(tt.acked) {
				t.Errorf("acked %v, want %v", got, tt.acked)
			}
			for _, id := range tt.acked {
				if got[id] != 1 {
					t.Errorf("acked %v, want %v", got, tt.acked)
				}
			}
			tr := l.Traffic()
			if tr.Cut != tt.cut || l.Throttled() != tt.wait || tr.NoWait != tt.noWait || tr.Requests != 1 || tr.Events != 3 {
				t.Errorf("traffic %+v, throttled %d", tr, l.Throttled())
			}
		})
	}
}

// TestEarlyRequests: the Retry-After check passes the real SDK and
// catches one that does not wait (MaxPause clamps the pause to 1 ms).
func TestEarlyRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: takes 3 s")
	}
	for _, tt := range []struct {
		name      string
		maxPause  time.Duration
		wantEarly bool
	}{
		{"honours Retry-After", 0, false},
		{"ignores Retry-After", time.Millisecond, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if n.Add(1) <= 3 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = io.WriteString(w, `{"accepted":1,"duplicates":0,"rejected":[]}`)
			}))
			defer srv.Close()
			l := NewLedger(NewTransport(2))
			cfg := baseConfig(srv.URL)
			cfg.HTTPClient, cfg.MaxPause, cfg.RetryInitial, cfg.RetryMax = l.Client(), tt.maxPause, 50*time.Millisecond, 50*time.Millisecond
			c, err := sdk.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Capture(event(wire.NewID(), 0)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Close(ctx); err != nil {
				t.Fatal(err)
			}
			early := l.EarlyRequests(100 * time.Millisecond)
			if (len(early) > 0) != tt.wantEarly {
				t.Errorf("early requests %v (%s)", early, l.Traffic())
			}
		})
	}
}

func TestScanExport(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     map[string]int
		err      string
	}{
		{name: "empty", in: "", want: map[string]int{}},
		{name: "two and a repeat", in: `{"id":"a","data":{"id":"x"}}` + "\n" + `{"id":"b"}` + "\n" + `{"id":"a"}` + "\n",
			want: map[string]int{"a": 2, "b": 1}},
		{name: "cut short", in: `{"id":"a"}` + "\n" + `{"id":"b"`, err: "cut short"},
		{name: "not a trace", in: `{"id":"a"}` + "\n" + `{}` + "\n", err: "not a trace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanExport(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWriteReport(t *testing.T) {
	var b bytes.Buffer
	WriteReport(&b, []Row{{Scenario: "x | y", Sent: 3, Acked: 3, Stored: 3, Faults: "kill", Took: 1500 * time.Millisecond}}, time.Second, true)
	out := b.String()
	for _, want := range []string{"# Fault suite", "PASS", `| x \| y | 3 | 3 | 3 | 0 | 0 | 0 | kill | 1.5 s |`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
