package ingest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Load sends batches to a server over Conns connections, each with one
// request in flight, until it has sent Requests of them or Duration has
// passed. It never waits between requests, also not after a 429 or 503: a
// real client honours Retry-After, a load generator measures how the
// server copes without that courtesy.
type Load struct {
	// Bodies makes the plain JSON bodies, every one with fresh ids.
	// Required.
	Bodies *Bodies
	// Conns is the number of connections. Defaults to 32.
	Conns int
	// Gzip sends gzip bodies: those of Pre when it is set, else each body
	// of Bodies compressed on the fly (costing the client CPU). Defaults to
	// plain JSON.
	Gzip bool
	// Pre holds bodies made beforehand (see Bodies.Gzipped); request i
	// sends Pre[i], and Requests defaults to len(Pre).
	Pre [][]byte
	// Requests is how many requests to send; 0 means no limit.
	Requests int
	// Duration is how long new requests are sent; 0 means no limit. One of
	// Requests, Pre and Duration must bound the run; the last requests may
	// end up to Timeout after Duration.
	Duration time.Duration
	// Timeout bounds the wait for each answer once the request is written;
	// a request without an answer by then counts as a "timeout" error, as
	// it would be one for the SDK. Defaults to 10s, the SDK's default.
	Timeout time.Duration
	// TrackIDs keeps the id of every event acknowledged in a 200, for a
	// later check against the collector's export.
	TrackIDs bool
}

// Result is what a Load saw.
type Result struct {
	// Counts counts answers by status and transport errors by class.
	Counts StatusCounts
	// Requests counts the requests that got an answer.
	Requests int64
	// Elapsed is from the first request until the last answer.
	Elapsed time.Duration
	// OfferedEvents counts the events of the requests that got an answer.
	OfferedEvents int64
	// WireBytes counts the body bytes of those requests, as sent.
	WireBytes int64
	// AckedEvents counts the events acknowledged: accepted or duplicate in
	// a 200, or all of a 204 (the ceiling's answer).
	AckedEvents int64
	// Acked holds the ids of the events acknowledged in a 200, when
	// Load.TrackIDs is set.
	Acked []ID
	// Duplicates and Rejected count the events a 200 called duplicates
	// (the ids are fresh, so there should be none) or rejected (bench
	// events are valid, so there should be none either).
	Duplicates, Rejected int64
	// FirstRejection describes the first rejected event, if any.
	FirstRejection string
	// NoRetryAfter counts 429 and 503 answers without a valid Retry-After.
	NoRetryAfter int64
	// Unexpected describes the first answer of a status other than 200,
	// 204, 429 or 503, or a 200 whose body did not add up, if any.
	Unexpected string
	// FirstError is the first transport error, if any.
	FirstError error
	// Latencies holds every answered request's latency.
	Latencies Latencies
}

// Shed counts the answers 429 and 503.
func (r *Result) Shed() int64 {
	return r.Counts.Status[http.StatusTooManyRequests] + r.Counts.Status[http.StatusServiceUnavailable]
}

// TransportErrors counts the requests that got no answer.
func (r *Result) TransportErrors() int64 {
	var n int64
	for _, v := range r.Counts.Errors {
		n += v
	}
	return n
}

// Run sends the load to baseURL's POST /v1/batch.
func (l Load) Run(ctx context.Context, baseURL string) Result {
	if l.Conns <= 0 {
		l.Conns = 32
	}
	if l.Timeout <= 0 {
		l.Timeout = 10 * time.Second
	}
	if l.Pre != nil && (l.Requests <= 0 || l.Requests > len(l.Pre)) {
		l.Requests = len(l.Pre)
	}
	if l.Requests <= 0 && l.Duration <= 0 {
		panic("ingest: a Load needs Requests, Pre or Duration")
	}
	if l.TrackIDs && l.Pre != nil {
		panic("ingest: TrackIDs needs the plain bodies of Fill, not Pre")
	}
	batch := l.Bodies.Batch()
	c := NewClient(baseURL, l.Conns)
	// Bound the wait for an answer in the transport: one timer per request,
	// where http.Client.Timeout costs ten allocations and, on two cores,
	// a tenth of the ceiling's throughput at batch 1.
	c.hc.Transport.(*http.Transport).ResponseHeaderTimeout = l.Timeout
	defer c.Close()
	var stopAt time.Time // zero: no time limit
	if l.Duration > 0 {
		stopAt = time.Now().Add(l.Duration)
	}

	var (
		mu   sync.Mutex
		res  Result
		wg   sync.WaitGroup
		next atomic.Int64
	)
	start := time.Now()
	for range l.Conns {
		wg.Go(func() {
			var (
				my      Result
				plain   []byte
				zbuf    bytes.Buffer
				scratch bytes.Buffer
				zw      gzipWriter
			)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if l.Requests > 0 && i >= l.Requests || !stopAt.IsZero() && time.Now().After(stopAt) {
					break
				}
				var body []byte
				switch {
				case l.Pre != nil:
					body = l.Pre[i]
				case l.Gzip:
					plain = l.Bodies.Fill(plain, i)
					body = zw.compress(&zbuf, plain)
				default:
					plain = l.Bodies.Fill(plain, i)
					body = plain
				}
				a, err := c.Post(ctx, body, l.Gzip, &scratch)
				if err != nil {
					my.Counts.AddError(err)
					if my.FirstError == nil {
						my.FirstError = err
					}
					continue
				}
				my.Counts.Add(a.Status)
				my.Requests++
				my.OfferedEvents += int64(batch)
				my.WireBytes += int64(len(body))
				my.Latencies = append(my.Latencies, a.Latency)
				switch a.Status {
				case http.StatusNoContent:
					my.AckedEvents += int64(batch)
				case http.StatusOK:
					r, err := a.Response()
					if err != nil || r.Accepted+r.Duplicates+len(r.Rejected) != batch {
						if my.Unexpected == "" {
							my.Unexpected = fmt.Sprintf("200 to %d events with body %.300q (%v)", batch, a.Body, err)
						}
						continue // nothing counts as acknowledged
					}
					my.AckedEvents += int64(r.Accepted + r.Duplicates)
					my.Duplicates += int64(r.Duplicates)
					my.Rejected += int64(len(r.Rejected))
					if len(r.Rejected) > 0 && my.FirstRejection == "" {
						rj := r.Rejected[0]
						my.FirstRejection = fmt.Sprintf("event %d (%s): %s: %s", rj.Index, rj.ID, rj.Field, rj.Error)
					}
					if l.TrackIDs {
						var rejected map[int]bool
						for _, rj := range r.Rejected {
							if rejected == nil {
								rejected = map[int]bool{}
							}
							rejected[rj.Index] = true
						}
						for j := range batch {
							if !rejected[j] {
								my.Acked = append(my.Acked, l.Bodies.IDAt(plain, i, j))
							}
						}
					}
				case http.StatusTooManyRequests, http.StatusServiceUnavailable:
					if !ValidRetryAfter(a.RetryAfter) {
						my.NoRetryAfter++
					}
				default:
					if my.Unexpected == "" {
						my.Unexpected = fmt.Sprintf("%d with body %.300q", a.Status, a.Body)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.merge(&my)
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

func (r *Result) merge(o *Result) {
	r.Counts.Merge(o.Counts)
	r.Requests += o.Requests
	r.OfferedEvents += o.OfferedEvents
	r.WireBytes += o.WireBytes
	r.AckedEvents += o.AckedEvents
	r.Acked = append(r.Acked, o.Acked...)
	r.Duplicates += o.Duplicates
	r.Rejected += o.Rejected
	r.NoRetryAfter += o.NoRetryAfter
	r.Latencies = append(r.Latencies, o.Latencies...)
	if r.FirstRejection == "" {
		r.FirstRejection = o.FirstRejection
	}
	if r.Unexpected == "" {
		r.Unexpected = o.Unexpected
	}
	if r.FirstError == nil {
		r.FirstError = o.FirstError
	}
}
