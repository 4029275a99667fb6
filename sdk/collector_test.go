package sdk

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mailru/easyjson"

	"github.com/rastrohq/rastro/sdk/wire"
)

// action is what the fake collector does with one request.
type action struct {
	status     int           // 0 means store and answer 200
	retryAfter string        // Retry-After header with status
	reset      bool          // close the connection without an answer
	storeFirst bool          // with reset: store the batch before closing
	delay      time.Duration // wait before answering
	reject     func(e *wire.Event) (field string, bad bool)
}

// fakeCollector is a real HTTP server on 127.0.0.1 that misbehaves as its
// script says, and a dedupe layer that records every event id it stored.
type fakeCollector struct {
	t      *testing.T
	srv    *httptest.Server
	script func(req int, events []wire.Event) action
	// maxEvents, when set, answers 413 to bigger batches.
	maxEvents int
	// reject, when set, is the collector's rule for rejecting single
	// events whenever it stores a batch.
	reject func(e *wire.Event) (field string, bad bool)

	mu       sync.Mutex
	requests int
	stored   map[string]int // id -> times the dedupe layer saw it stored
	refused  map[string]int // id -> times it came in a batch answered 4xx
	rejected map[string]bool
	targets  map[string]map[string]bool // target -> distinct ids stored with it
	last     map[string]wire.Event      // target -> the event last stored
	times    []time.Time                // arrival of each request
	after    []string                   // ids seen in requests after a 4xx refusal
}

func newFakeCollector(t *testing.T, script func(req int, events []wire.Event) action) *fakeCollector {
	f := &fakeCollector{t: t, script: script, stored: map[string]int{}, refused: map[string]int{}, rejected: map[string]bool{},
		targets: map[string]map[string]bool{}, last: map[string]wire.Event{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCollector) URL() string { return f.srv.URL }

func (f *fakeCollector) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != wire.BatchPath || r.Header.Get("Authorization") != "Bearer wk_test" {
		http.Error(w, "unknown key", http.StatusUnauthorized)
		return
	}
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	raw, err := wire.DecodeBatch(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	events := make([]wire.Event, len(raw.Events))
	for i, re := range raw.Events {
		if err := wire.DecodeEvent(re, &events[i]); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	req := f.requests
	f.requests++
	f.times = append(f.times, time.Now())
	for _, e := range events {
		if f.refused[e.ID] > 0 || f.rejected[e.ID] {
			f.after = append(f.after, e.ID)
		}
	}
	f.mu.Unlock()

	if f.maxEvents > 0 && len(events) > f.maxEvents {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	a := action{}
	if f.script != nil {
		a = f.script(req, events)
	}
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		}
	}
	if a.reset {
		if a.storeFirst {
			f.store(events, nil, false)
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			f.t.Error("no hijacker")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	if a.status != 0 {
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		if a.status >= 400 && a.status < 500 && a.status != 408 && a.status != 429 && a.status != 413 {
			f.mu.Lock()
			for _, e := range events {
				f.refused[e.ID]++
			}
			f.mu.Unlock()
		}
		http.Error(w, "scripted "+strconv.Itoa(a.status), a.status)
		return
	}
	resp := f.store(events, a.reject, true)
	out, _ := easyjson.Marshal(resp)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// store runs the dedupe layer over events; told says whether the client
// will hear the answer (a reset loses it).
func (f *fakeCollector) store(events []wire.Event, reject func(*wire.Event) (string, bool), told bool) wire.Response {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := wire.Response{Rejected: []wire.Rejection{}}
	if reject == nil {
		reject = f.reject
	}
	for i := range events {
		e := &events[i]
		if reject != nil {
			if field, bad := reject(e); bad {
				if told {
					f.rejected[e.ID] = true
				}
				resp.Rejected = append(resp.Rejected, wire.Rejection{Index: i, ID: e.ID, Field: field, Error: "scripted"})
				continue
			}
		}
		if f.stored[e.ID] > 0 {
			resp.Duplicates++
		} else {
			resp.Accepted++
		}
		f.stored[e.ID]++
		if f.targets[e.Target] == nil {
			f.targets[e.Target] = map[string]bool{}
		}
		f.targets[e.Target][e.ID] = true
		f.last[e.Target] = *e
	}
	return resp
}

// snapshot returns the ids stored and how many requests came.
func (f *fakeCollector) snapshot() (stored map[string]int, requests int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stored = make(map[string]int, len(f.stored))
	for k, v := range f.stored {
		stored[k] = v
	}
	return stored, f.requests
}
