package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/mailru/easyjson"

	"github.com/rastrohq/rastro/sdk/wire"
)

// WriteKey is the write key every bench request carries.
const WriteKey = "wk_bench"

// Client posts batches over a fixed number of keep-alive connections.
type Client struct {
	hc  *http.Client
	url string
}

// NewClient returns a client of baseURL's POST /v1/batch that opens at most
// conns connections and keeps them alive.
func NewClient(baseURL string, conns int) *Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &Client{hc: &http.Client{Transport: tr}, url: baseURL + batchPath}
}

// Close closes the idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Answer is what the server said to one batch.
type Answer struct {
	Status int
	// RetryAfter is the Retry-After header, if any.
	RetryAfter string
	// Body is the answer's body; it is only valid until the next Post with
	// the same scratch buffer.
	Body []byte
	// Latency is from sending the request to having read the answer.
	Latency time.Duration
}

// Post sends one batch body (gzip-compressed when gz) with the bench write
// key and reads the whole answer into scratch.
func (c *Client) Post(ctx context.Context, body []byte, gz bool, scratch *bytes.Buffer) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+WriteKey)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return Answer{}, err
	}
	scratch.Reset()
	_, err = scratch.ReadFrom(resp.Body)
	resp.Body.Close()
	a := Answer{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Body: scratch.Bytes(),
		Latency: time.Since(start)}
	return a, err
}

// Response decodes the body of a 200 answer.
func (a *Answer) Response() (wire.Response, error) {
	var r wire.Response
	err := easyjson.Unmarshal(a.Body, &r)
	return r, err
}

// ValidRetryAfter reports whether v is a Retry-After value: delay seconds or
// an HTTP date.
func ValidRetryAfter(v string) bool {
	if v == "" {
		return false
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0
	}
	_, err := http.ParseTime(v)
	return err == nil
}

// ErrorClass names the kind of a transport error, for counting: "refused"
// (nothing listens: the server is gone), "reset", "eof" (the server closed
// the connection without answering), "timeout", "canceled" or "other".
func ErrorClass(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timeout"
	}
	return "other"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Latencies collects request latencies.
type Latencies []time.Duration

// Quantile returns the q-quantile (0 < q <= 1) of the latencies, sorting
// them first; 0 when there are none.
func (l Latencies) Quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	if !slices.IsSorted(l) {
		slices.Sort(l)
	}
	i := int(float64(len(l))*q+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// Ms returns d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// StatusCounts counts answers by status, and transport errors by class.
type StatusCounts struct {
	Status map[int]int64
	Errors map[string]int64
}

// Add counts one more answer with status s.
func (c *StatusCounts) Add(s int) {
	if c.Status == nil {
		c.Status = map[int]int64{}
	}
	c.Status[s]++
}

// AddError counts one more transport error.
func (c *StatusCounts) AddError(err error) {
	if c.Errors == nil {
		c.Errors = map[string]int64{}
	}
	c.Errors[ErrorClass(err)]++
}

// Merge adds o's counts to c.
func (c *StatusCounts) Merge(o StatusCounts) {
	for s, n := range o.Status {
		if c.Status == nil {
			c.Status = map[int]int64{}
		}
		c.Status[s] += n
	}
	for k, n := range o.Errors {
		if c.Errors == nil {
			c.Errors = map[string]int64{}
		}
		c.Errors[k] += n
	}
}

// String lists the counts, statuses in order: "200: 1234, 503: 56, reset: 1".
func (c StatusCounts) String() string {
	var b bytes.Buffer
	for _, s := range slices.Sorted(maps.Keys(c.Status)) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d: %d", s, c.Status[s])
	}
	for _, k := range slices.Sorted(maps.Keys(c.Errors)) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", k, c.Errors[k])
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}
