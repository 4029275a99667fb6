package core

import (
	"strconv"
	"time"
)

// Retry bounds: the first retry waits about RetryInitial, each next one
// twice as long, up to RetryMax; a Retry-After is honoured up to
// MaxRetryAfter.
const (
	RetryInitial  = time.Second
	RetryMax      = time.Minute
	MaxRetryAfter = 10 * time.Minute
)

// Retryable reports whether a send that ended with status should be
// retried: network errors (0), 408, 429 and 5xx. Other answers are final:
// the events were stored, or will never be.
func Retryable(status int) bool {
	return status == 0 || status == 408 || status == 429 || status >= 500
}

// Backoff returns the wait before retry number attempt (1 for the first):
// exponential with "equal jitter" (half fixed, half random from rnd), or
// the collector's Retry-After (seconds or an HTTP date) when that is
// longer.
func Backoff(attempt int, retryAfter string, now time.Time, rnd uint64) time.Duration {
	d := RetryInitial
	for i := 1; i < attempt && d < RetryMax; i++ {
		d *= 2
	}
	d = min(d, RetryMax)
	d = d/2 + time.Duration(rnd%uint64(d/2+1))
	if ra := ParseRetryAfter(retryAfter, now); ra > d {
		d = ra
	}
	return d
}

// ParseRetryAfter reads a Retry-After header: delta seconds or an HTTP
// date. Zero when absent or unreadable; at most MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := time.Parse(time.RFC1123, v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, MaxRetryAfter))
}
