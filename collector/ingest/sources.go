package ingest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"time"
)

// Key is one write key as the collector's other sources see it (the
// Segment-compatible endpoint, POST /v1/import): they share the keys of
// POST /v1/batch, with their origins and rate limits.
type Key struct{ k *key }

// Lookup returns the write key whose token is token.
func (ks *Keys) Lookup(token string) (Key, bool) {
	k := ks.lookup(token)
	return Key{k}, k != nil
}

// Name is the key's name, the source of the traces sent with it.
func (k Key) Name() string { return k.k.Name }

// AllowsOrigin reports whether a browser on origin may send with the key.
func (k Key) AllowsOrigin(origin string) bool { return k.k.allows(origin) }

// Admit reports whether the key may send now at all, spending nothing; when
// it may not, it returns how long to wait.
func (k Key) Admit(now time.Time) (time.Duration, bool) { return k.k.admit(now) }

// Take spends n events of the key's budget, or reports how long to wait
// before n fit.
func (k Key) Take(now time.Time, n int) (time.Duration, bool) { return k.k.take(now, n) }

// Token returns the write key of a request: the Bearer token, or else
// ?key=. Sources with other conventions (HTTP Basic) read it themselves.
func Token(r *http.Request) string {
	if t := bearer(r.Header.Get("Authorization")); t != "" {
		return t
	}
	return r.URL.Query().Get("key")
}

// WriteErr writes e as the JSON error body, with Retry-After when e has
// one.
func WriteErr(w http.ResponseWriter, e *Error) { writeError(w, e) }

// AllowsOrigin reports whether some key allows origin, for CORS preflights
// that carry no key.
func (ks *Keys) AllowsOrigin(origin string) bool { return ks.anyAllows(origin) }

// ReadBody reads the body of a foreign source's request the way every
// batch endpoint does: no encoding or gzip (415 otherwise), at most limit
// bytes uncompressed (413), its memory charged to budget (503 with
// Retry-After when the collector is full) until the caller calls release,
// and an empty body refused with the message empty (400).
func ReadBody(r *http.Request, limit int, budget *Budget, empty string) (body []byte, release func(), e *Error) {
	gz, e := bodyEncoding(r)
	if e != nil {
		return nil, nil, e
	}
	if r.ContentLength > int64(limit) && !gz {
		return nil, nil, tooLarge(limit)
	}
	charge := Charge(r.ContentLength, gz, limit)
	if !budget.Acquire(charge) {
		return nil, nil, throttled(http.StatusServiceUnavailable, "collector overloaded", time.Second)
	}
	release = func() { budget.Release(charge) }
	src := io.LimitReader(r.Body, int64(limit)+1)
	if gz {
		zr, err := gzip.NewReader(src)
		if err != nil {
			release()
			return nil, nil, errGzip
		}
		src = io.LimitReader(zr, int64(limit)+1)
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(src)
	switch {
	case err != nil:
		e = &Error{Status: http.StatusBadRequest, Message: "reading body: " + err.Error()}
	case n > int64(limit):
		e = tooLarge(limit)
	case n == 0:
		e = &Error{Status: http.StatusBadRequest, Message: empty}
	}
	if e != nil {
		release()
		return nil, nil, e
	}
	return buf.Bytes(), release, nil
}
