package core

// Retry bounds in milliseconds: the first retry waits about RetryInitial,
// each next one twice as long, up to RetryMax; a Retry-After is honoured
// up to MaxRetryAfter.
const (
	RetryInitial  int64 = 1000
	RetryMax      int64 = 60 * 1000
	MaxRetryAfter int64 = 10 * 60 * 1000
)

// Retryable reports whether a send that ended with status should be
// retried: network errors (0), 408, 429 and 5xx. Other answers are final:
// the events were stored, or will never be.
func Retryable(status int) bool {
	return status == 0 || status == 408 || status == 429 || status >= 500
}

// Backoff returns the wait in milliseconds before retry number attempt (1
// for the first): exponential with "equal jitter" (half fixed, half random
// from rnd), or the collector's Retry-After (seconds or an HTTP date) when
// that is longer. now is in Unix milliseconds.
func Backoff(attempt int, retryAfter string, now int64, rnd uint64) int64 {
	d := RetryInitial
	for i := 1; i < attempt && d < RetryMax; i++ {
		d *= 2
	}
	d = min(d, RetryMax)
	d = d/2 + int64(rnd%uint64(d/2+1))
	if ra := ParseRetryAfter(retryAfter, now); ra > d {
		d = ra
	}
	return d
}

// ParseRetryAfter reads a Retry-After header, delta seconds or an HTTP
// date, as milliseconds from now (Unix milliseconds). Zero when absent or
// unreadable; at most MaxRetryAfter.
func ParseRetryAfter(v string, now int64) int64 {
	if v == "" {
		return 0
	}
	var d int64
	if n, ok := Atoi(v); ok {
		d = int64(n) * 1000
	} else if t, ok := parseHTTPDate(v); ok {
		d = t - now
	}
	return max(0, min(d, MaxRetryAfter))
}

// parseHTTPDate reads an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT",
// the one form RFC 9110 lets servers send (" UTC" is taken too), as Unix
// milliseconds. It is written by hand because the module does without
// package time (see the package doc, "Weight").
func parseHTTPDate(v string) (int64, bool) {
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
		v[19] != ':' || v[22] != ':' || (v[25:] != " GMT" && v[25:] != " UTC") {
		return 0, false
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
		return 0, false
	}
	return ((daysFromCivil(year, month, day)*24+int64(h))*60+int64(m))*60*1000 + int64(sec)*1000, true
}

// daysFromCivil returns the days from 1970-01-01 to a date of the
// proleptic Gregorian calendar (years counted from March, so that the
// leap day ends a year).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := int(z - era*146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + int(era)*400
	if m <= 2 {
		y++
	}
	return y, m, d
}
