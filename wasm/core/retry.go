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
	} else if t, ok := parseHTTPDate(v); ok {
		d = t.Sub(now)
	}
	return max(0, min(d, MaxRetryAfter))
}

// parseHTTPDate reads an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT",
// the one form RFC 9110 lets servers send (" UTC" is taken too). It is written by hand because
// time.Parse weighs 25 KB in the module.
func parseHTTPDate(v string) (time.Time, bool) {
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
		v[19] != ':' || v[22] != ':' || (v[25:] != " GMT" && v[25:] != " UTC") {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	month := 0
	for i := 0; i < 12; i++ {
		if months[3*i:3*i+3] == v[8:11] {
			month = i + 1
		}
	}
	day, year, h, m, sec := num(v[5:7]), num(v[12:16]), num(v[17:19]), num(v[20:22]), num(v[23:25])
	if month == 0 || day < 1 || day > 31 || year < 0 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, h, m, sec, 0, time.UTC), true
}
