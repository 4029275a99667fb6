package faults

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mailru/easyjson"

	"github.com/rastrohq/rastro/sdk/wire"
)

// Ledger is an http.RoundTripper that an SDK client sends through (as its
// Config.HTTPClient's transport). It reads the event ids of every batch it
// carries and, from the answers, learns which ids the collector
// acknowledged: those of a 2xx answer whose body the SDK read to its end,
// less the events the answer rejected. An answer that broke off is no
// acknowledgement, for the SDK either: it sends the batch again.
//
// It also counts the answers by status and keeps, for the Retry-After
// check, when each request started and when each 429/503 arrived.
// It is safe for concurrent use.
type Ledger struct {
	next http.RoundTripper

	mu        sync.Mutex
	acked     map[string]int // id -> acknowledgements (more than one: a resend the collector called a duplicate)
	status    map[int]int
	errs      int // requests with no answer: refused, reset, timed out
	cut       int // 2xx answers whose body broke off
	requests  int
	events    int // events carried, resends included
	starts    []time.Time
	throttles []throttle
	noWait    int // 429/503 without a valid Retry-After
}

type throttle struct {
	at   time.Time // when the answer arrived
	wait time.Duration
}

// NewLedger returns a Ledger sending through next (http.DefaultTransport
// when nil).
func NewLedger(next http.RoundTripper) *Ledger {
	if next == nil {
		next = http.DefaultTransport
	}
	return &Ledger{next: next, acked: map[string]int{}, status: map[int]int{}}
}

// Client returns an http.Client for sdk.Config.HTTPClient that sends
// through l.
func (l *Ledger) Client() *http.Client { return &http.Client{Transport: l} }

// NewTransport returns a transport like the SDK's default one: its own
// connection pool, keeping conns idle connections, no transparent gzip.
func NewTransport(conns int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = conns
	t.DisableCompression = true
	return t
}

// RoundTrip implements http.RoundTripper.
func (l *Ledger) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		r2 := req.Clone(req.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req = r2
	}
	ids, err := batchIDs(body, req.Header.Get("Content-Encoding") == "gzip")
	if err != nil {
		return nil, fmt.Errorf("faults: ledger: the SDK sent a body that is not a batch: %w", err)
	}
	l.mu.Lock()
	l.requests++
	l.events += len(ids)
	l.starts = append(l.starts, time.Now())
	l.mu.Unlock()

	resp, err := l.next.RoundTrip(req)
	if err != nil {
		l.mu.Lock()
		l.errs++
		l.mu.Unlock()
		return nil, err
	}
	now := time.Now()
	l.mu.Lock()
	l.status[resp.StatusCode]++
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			l.throttles = append(l.throttles, throttle{at: now, wait: time.Duration(secs) * time.Second})
		} else {
			l.noWait++
		}
	}
	l.mu.Unlock()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		resp.Body = &ackBody{l: l, rc: resp.Body, ids: ids}
	}
	return resp, nil
}

// batchIDs returns the event ids of a batch body, in order.
func batchIDs(body []byte, gz bool) ([]string, error) {
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if body, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	var b wire.Batch
	if err := wire.DecodeBatchInto(body, &b); err != nil {
		return nil, err
	}
	ids := make([]string, len(b.Events))
	for i := range b.Events {
		ids[i] = b.Events[i].ID
	}
	return ids, nil
}

// ackBody records the acknowledgement of its batch when the SDK has read
// the answer to its end.
type ackBody struct {
	l    *Ledger
	rc   io.ReadCloser
	ids  []string
	buf  bytes.Buffer
	done bool
}

func (b *ackBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.buf.Write(p[:n])
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		b.l.ack(b.ids, b.buf.Bytes())
	} else if err != nil && !errors.Is(err, io.EOF) && !b.done {
		b.done = true
		b.l.mu.Lock()
		b.l.cut++
		b.l.mu.Unlock()
	}
	return n, err
}

func (b *ackBody) Close() error {
	if !b.done {
		b.done = true
		b.l.mu.Lock()
		b.l.cut++
		b.l.mu.Unlock()
	}
	return b.rc.Close()
}

// ack records ids as acknowledged, but for those the answer rejected.
func (l *Ledger) ack(ids []string, answer []byte) {
	rejected := map[int]bool{}
	if len(bytes.TrimSpace(answer)) > 0 {
		var r wire.Response
		if err := easyjson.Unmarshal(answer, &r); err == nil {
			for _, rj := range r.Rejected {
				rejected[rj.Index] = true
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, id := range ids {
		if !rejected[i] {
			l.acked[id]++
		}
	}
}

// Acked returns a copy of the acknowledged ids, each with the number of
// answers that acknowledged it.
func (l *Ledger) Acked() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.acked))
	for id, n := range l.acked {
		out[id] = n
	}
	return out
}

// AckedCount returns how many distinct ids were acknowledged.
func (l *Ledger) AckedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// Traffic counts what went through a Ledger.
type Traffic struct {
	Requests int         // requests started
	Events   int         // events they carried, resends included
	Status   map[int]int // answers by status
	Errors   int         // requests that got no answer
	Cut      int         // 2xx answers that broke off
	NoWait   int         // 429/503 answers without a valid Retry-After
}

// Answered returns the answers with a status in [lo, hi].
func (t Traffic) Answered(lo, hi int) int {
	n := 0
	for s, c := range t.Status {
		if s >= lo && s <= hi {
			n += c
		}
	}
	return n
}

// Add returns the sum of t and o.
func (t Traffic) Add(o Traffic) Traffic {
	s := map[int]int{}
	for k, v := range t.Status {
		s[k] += v
	}
	for k, v := range o.Status {
		s[k] += v
	}
	return Traffic{Requests: t.Requests + o.Requests, Events: t.Events + o.Events, Status: s,
		Errors: t.Errors + o.Errors, Cut: t.Cut + o.Cut, NoWait: t.NoWait + o.NoWait}
}

// String reads like "412 requests: 200×380 429×30, 2 without answer".
func (t Traffic) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d requests:", t.Requests)
	for _, s := range sortedKeys(t.Status) {
		fmt.Fprintf(&b, " %d×%d", s, t.Status[s])
	}
	if t.Errors > 0 {
		fmt.Fprintf(&b, ", %d without answer", t.Errors)
	}
	if t.Cut > 0 {
		fmt.Fprintf(&b, ", %d answers cut", t.Cut)
	}
	return b.String()
}

// Traffic returns the counts so far.
func (l *Ledger) Traffic() Traffic {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := make(map[int]int, len(l.status))
	for k, v := range l.status {
		s[k] = v
	}
	return Traffic{Requests: l.requests, Events: l.events, Status: s, Errors: l.errs, Cut: l.cut, NoWait: l.noWait}
}

// EarlyRequests returns the requests that started while a Retry-After
// received earlier still ran: later than slack after the 429/503 arrived
// (requests already on their way then are fair) and earlier than its end
// less slack. The SDK pauses every worker of a client for Retry-After, so
// for a Ledger serving one client the answer must be zero.
func (l *Ledger) EarlyRequests(slack time.Duration) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var early []time.Duration
	for _, s := range l.starts {
		for _, th := range l.throttles {
			if s.After(th.at.Add(slack)) && s.Before(th.at.Add(th.wait-slack)) {
				early = append(early, s.Sub(th.at))
				break
			}
		}
	}
	return early
}

// Throttled returns how many 429/503 answers carried a Retry-After.
func (l *Ledger) Throttled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.throttles)
}
