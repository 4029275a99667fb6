package ingest

import (
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
