package sdk

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/buffer"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"

	"github.com/rastrohq/rastro/sdk/wire"
)

// sentAtLayout has a fixed width, so that the batch envelope's prefix has a
// fixed length and can be written in front of the events in place.
const sentAtLayout = "2006-01-02T15:04:05.000000000Z07:00"

// sender encodes and posts batches. Each worker (and the dispatcher, in
// outbox mode) owns one, with buffers reused from batch to batch.
type sender struct {
	c      *Client
	prefix int    // bytes reserved for {"sent_at":...,"sdk":...,"events":
	sdk    []byte // the encoded SDKInfo
	buf    []byte // prefix space, then the events array, then '}'
	tail   []byte
	zbuf   bytes.Buffer
	gz     *gzip.Writer
	we     wire.Event
	idBuf  [36]byte
	resp   []byte
}

func newSender(c *Client) *sender {
	sdkJSON, _ := easyjson.Marshal(c.cfg.SDK)
	s := &sender{c: c, sdk: sdkJSON}
	s.prefix = len(`{"sent_at":"`) + len(sentAtLayout) - len("Z07:00") + 1 + len(`","sdk":`) + len(sdkJSON) + len(`,"events":`)
	s.gz, _ = gzip.NewWriterLevel(&s.zbuf, gzip.BestSpeed)
	return s
}

func (s *sender) ensureBuf() {
	if cap(s.buf) < s.prefix {
		s.buf = make([]byte, s.prefix, s.c.cfg.Limits.MaxBatchBytes+64<<10)
	}
}

// limit is the largest events array that fits a batch body.
func (s *sender) limit() int { return s.c.cfg.Limits.MaxBatchBytes - s.prefix - 1 }

// appendEvent appends the JSON of e to s.buf.
func (s *sender) appendEvent(e *batched) {
	e.view(&s.we, &s.idBuf)
	jw := jwriter.Writer{Buffer: buffer.Buffer{Buf: s.buf}}
	s.we.MarshalEasyJSON(&jw)
	if jw.Size() != len(jw.Buffer.Buf) {
		// The event did not fit the buffer's capacity and easyjson chained
		// a new chunk (putting ours in its pool): take a fresh copy.
		s.buf, _ = jw.BuildBytes()
		return
	}
	s.buf = jw.Buffer.Buf
}

// encode encodes events into arrays of at most limit bytes and calls emit
// for each with s.buf holding prefix space then the array, and the number
// of events in it. Events larger than the limit on their own are dropped.
func (s *sender) encode(events []batched, emit func(n int)) {
	s.ensureBuf()
	start := func() { s.buf = append(s.buf[:s.prefix], '[') }
	start()
	limit := s.limit()
	n := 0
	for i := range events {
		mark := len(s.buf)
		if n > 0 {
			s.buf = append(s.buf, ',')
		}
		s.appendEvent(&events[i])
		if len(s.buf)-s.prefix+1 <= limit {
			n++
			continue
		}
		if n == 0 {
			s.c.drop(ReasonTooLarge, 1, nil)
			start()
			continue
		}
		s.tail = append(s.tail[:0], s.buf[mark+1:]...)
		s.buf = append(s.buf[:mark], ']')
		emit(n)
		start()
		s.buf = append(s.buf, s.tail...)
		n = 1
		if len(s.buf)-s.prefix+1 > limit {
			s.c.drop(ReasonTooLarge, 1, nil)
			start()
			n = 0
		}
	}
	if n > 0 {
		s.buf = append(s.buf, ']')
		emit(n)
	}
}

// sendEvents delivers a memory-mode batch and settles it.
func (s *sender) sendEvents(b *batch) {
	s.encode(b.events, func(n int) {
		s.deliver(s.buf[s.prefix:], n, false)
	})
	s.c.settle(b)
}

// sendFile delivers an outbox batch; it removes the file and settles the
// batch once the collector answered, and leaves both when Close gave up.
func (s *sender) sendFile(b *batch) {
	c := s.c
	arr, err := c.ob.Read(b.entry)
	if err != nil {
		c.log.Error("rastro: unreadable outbox batch", "file", b.entry.Name, "err", err)
		c.drop(ReasonCorrupt, b.n, err)
		_ = c.ob.Remove(b.entry)
		c.settle(b)
		return
	}
	s.ensureBuf()
	s.buf = append(s.buf[:s.prefix], arr...)
	if !s.deliver(s.buf[s.prefix:], b.n, true) {
		return
	}
	if err := c.ob.Remove(b.entry); err != nil {
		c.log.Error("rastro: cannot remove delivered outbox batch", "file", b.entry.Name, "err", err)
	}
	c.settle(b)
}

// persist writes a popped memory batch to the outbox (dispatcher only).
func (c *Client) persist(b *batch) {
	s := c.dsender
	now := c.wallNow()
	s.encode(b.events, func(n int) {
		arr := s.buf[s.prefix:]
		entry, err := c.ob.Write(n, arr, now)
		if err != nil {
			c.log.Error("rastro: cannot write outbox", "err", err)
			c.drop(ReasonOutboxFull, n, err)
			return
		}
		fb := &batch{minSeq: b.minSeq, n: n, entry: entry}
		c.q.mu.Lock()
		c.q.inflight[fb] = struct{}{}
		c.q.outboxEvents += n
		c.q.outboxBytes += entry.Bytes
		c.q.mu.Unlock()
		c.backlog.push(fb)
	})
	c.settle(b)
	c.trimOutbox()
}

// deliver posts one events array (which lives at s.buf[s.prefix:] or is
// arr) until it is answered, retrying what may be retried. It returns
// false only in outbox mode when Close gave up, leaving the batch on disk.
func (s *sender) deliver(arr []byte, n int, durable bool) bool {
	c := s.c
	ctx := c.runCtx
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(c.cfg.RetryInitial),
		backoff.WithMaxInterval(c.cfg.RetryMax),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxElapsedTime(0), // the loop below decides when to stop
	)
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.st.retried.Add(1)
		}
		if !c.waitPause(ctx) || (c.limiter != nil && c.limiter.WaitN(ctx, n) != nil) {
			return s.gaveUp(n, durable, ctx.Err())
		}
		status, body, retryAfter, sentGzip, err := s.post(ctx, arr, n)
		switch {
		case err == nil && status >= 200 && status < 300:
			s.accept(status, body, n)
			return true
		case err == nil && status == http.StatusRequestEntityTooLarge:
			return s.split(arr, n, durable)
		case err == nil && status == http.StatusUnsupportedMediaType && sentGzip:
			if !c.noGzip.Swap(true) {
				c.log.Warn("rastro: collector refused gzip; sending plain JSON from now on")
			}
			continue
		case err == nil && !retryable(status):
			err = &statusError{status: status, body: string(body)}
			c.log.Error("rastro: batch refused; not retrying", "status", status, "events", n, "body", string(body))
			c.drop(ReasonClientError, n, err)
			return true
		case err == nil:
			err = &statusError{status: status, body: string(body)}
		}
		if ctx.Err() != nil {
			return s.gaveUp(n, durable, err)
		}
		d := bo.NextBackOff()
		if retryAfter > 0 {
			if retryAfter > c.cfg.MaxPause {
				retryAfter = c.cfg.MaxPause
			}
			c.pause(retryAfter)
			if retryAfter > d {
				d = retryAfter
			}
		}
		if !durable && !c.closing.Load() && time.Since(start)+d > c.cfg.RetryMaxElapsed {
			c.log.Error("rastro: batch failed for too long; dropping", "events", n, "err", err)
			c.drop(ReasonRetriesExhausted, n, err)
			return true
		}
		c.log.Debug("rastro: retrying batch", "events", n, "in", d, "err", err)
		if !sleep(ctx, d) {
			return s.gaveUp(n, durable, err)
		}
	}
}

// gaveUp handles a batch abandoned because Close ran out of time.
func (s *sender) gaveUp(n int, durable bool, err error) bool {
	if durable {
		return false // stays in the outbox for the next start
	}
	s.c.drop(ReasonShutdown, n, err)
	return true
}

// split halves an array the collector found too large and delivers both
// halves.
func (s *sender) split(arr []byte, n int, durable bool) bool {
	elems := splitArray(arr)
	if len(elems) <= 1 {
		s.c.drop(ReasonTooLarge, n, errors.New("sdk: collector answered 413 to a single event"))
		return true
	}
	half := len(elems) / 2
	a, b := joinArray(elems[:half]), joinArray(elems[half:]) // copies: elems alias s.buf
	ok1 := s.deliver(a, half, durable)
	ok2 := s.deliver(b, len(elems)-half, durable)
	return ok1 && ok2
}

func splitArray(arr []byte) [][]byte {
	l := jlexer.Lexer{Data: arr}
	var out [][]byte
	l.Delim('[')
	for l.Ok() && !l.IsDelim(']') {
		out = append(out, l.Raw())
		l.WantComma()
	}
	return out
}

func joinArray(elems [][]byte) []byte {
	size := 2
	for _, e := range elems {
		size += len(e) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, '[')
	for i, e := range elems {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	return append(out, ']')
}

// accept counts a 2xx answer.
func (s *sender) accept(status int, body []byte, n int) {
	c := s.c
	c.st.batches.Add(1)
	res := Result{Delivered: n}
	if status == http.StatusOK && len(body) > 0 {
		var r wire.Response
		if err := easyjson.Unmarshal(body, &r); err == nil {
			for _, rj := range r.Rejected {
				if rj.Index >= 0 && rj.Index < n {
					res.Rejected = append(res.Rejected, rj)
				}
			}
			res.Duplicates = r.Duplicates
		}
	}
	res.Delivered = n - len(res.Rejected)
	c.st.sent.Add(uint64(res.Delivered))
	c.st.dups.Add(uint64(res.Duplicates))
	if len(res.Rejected) > 0 {
		c.st.rejected.Add(uint64(len(res.Rejected)))
		for _, rj := range res.Rejected {
			c.log.Warn("rastro: event rejected", "id", rj.ID, "field", rj.Field, "error", rj.Error)
		}
	}
	if c.cfg.OnResult != nil {
		c.cfg.OnResult(res)
	}
}

// post sends one batch body and returns the status, the first 64 KiB of
// the answer and the Retry-After delay.
func (s *sender) post(ctx context.Context, arr []byte, n int) (status int, answer []byte, wait time.Duration, gz bool, err error) {
	c := s.c
	// The body is prefix + arr + "}". arr lives at s.buf[s.prefix:] except
	// for split halves and outbox batches, which are copied there.
	s.ensureBuf()
	if len(arr) == 0 || len(s.buf) < s.prefix+len(arr) || &s.buf[s.prefix] != &arr[0] {
		s.buf = append(s.buf[:s.prefix], arr...)
	}
	body := append(s.buf[:s.prefix+len(arr)], '}')
	s.writePrefix(body[:0], c.wallNow())
	s.buf = body[:s.prefix+len(arr)]

	gz = c.cfg.Compression == Gzip && !c.noGzip.Load()
	if gz {
		s.zbuf.Reset()
		s.gz.Reset(&s.zbuf)
		_, _ = s.gz.Write(body)
		_ = s.gz.Close()
		body = s.zbuf.Bytes()
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, gz, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.cfg.WriteKey)
	req.Header.Set("User-Agent", c.cfg.SDK.Name+"/"+c.cfg.SDK.Version)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, 0, gz, err
	}
	defer resp.Body.Close()
	s.resp = s.resp[:0]
	buf := bytes.NewBuffer(s.resp)
	_, err = io.Copy(buf, io.LimitReader(resp.Body, 64<<10))
	s.resp = buf.Bytes()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // keep the connection reusable
	if err != nil && resp.StatusCode < 300 {
		// The collector answered but the answer broke off: it may or may not
		// have stored the batch, so send it again; it dedupes by id.
		return 0, nil, 0, gz, err
	}
	return resp.StatusCode, s.resp, retryAfter(resp.Header.Get("Retry-After"), time.Now()), gz, nil
}

// writePrefix writes {"sent_at":"...","sdk":{...},"events": into dst's
// first s.prefix bytes.
func (s *sender) writePrefix(dst []byte, now time.Time) {
	dst = append(dst, `{"sent_at":"`...)
	dst = now.UTC().AppendFormat(dst, sentAtLayout)
	dst = append(dst, `","sdk":`...)
	dst = append(dst, s.sdk...)
	_ = append(dst, `,"events":`...)
}

func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string {
	return "sdk: collector answered " + strconv.Itoa(e.status) + ": " + e.body
}

// pause stops every worker from sending for d.
func (c *Client) pause(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := c.pauseUntil.Load()
		if cur >= until || c.pauseUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// waitPause waits out a pause; false if ctx ended first.
func (c *Client) waitPause(ctx context.Context) bool {
	for {
		d := time.Duration(c.pauseUntil.Load() - time.Now().UnixNano())
		if d <= 0 {
			return true
		}
		if !sleep(ctx, d) {
			return false
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
