package ingest

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// WriteKey is one write key: a public token that may only send events.
type WriteKey struct {
	// Token is the secret-less key clients send (Bearer or ?key=).
	// Required.
	Token string `yaml:"key"`
	// Name becomes the trace source ("rastro://<name>"). Defaults to Token.
	Name string `yaml:"name"`
	// Origins lists the browser origins allowed to send with this key, e.g.
	// "https://shop.example"; "*" allows any. Defaults to any origin.
	// Requests without an Origin header (servers, apps) are always allowed.
	Origins []string `yaml:"origins"`
	// Rate bounds the events per second this key may send; Burst is how
	// many it may send at once. Rate defaults to 10,000 events/s; a
	// negative Rate means unlimited. Burst defaults to twice Rate (and never
	// less than the events of one full batch).
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// ErrNoKeys is returned by NewKeys for an empty key list.
var ErrNoKeys = errors.New("ingest: no write keys configured")

// Keys looks up write keys. It is safe for concurrent use.
type Keys struct {
	byToken map[string]*key
}

type key struct {
	WriteKey
	anyOrigin bool
	origins   map[string]bool
	limiter   *rate.Limiter // nil when unlimited
}

// DefaultKeyRate is the events/s of a write key without a Rate.
const DefaultKeyRate = 10000

// NewKeys validates keys and returns a lookup over them. maxBatch is the
// most events one batch may carry, the least a burst may be.
func NewKeys(keys []WriteKey, maxBatch int) (*Keys, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	ks := &Keys{byToken: make(map[string]*key, len(keys))}
	for i, wk := range keys {
		if wk.Token == "" {
			return nil, fmt.Errorf("ingest: write key %d: key is required", i)
		}
		if strings.ContainsAny(wk.Token, " \t\r\n,") {
			return nil, fmt.Errorf("ingest: write key %q: key must not contain spaces or commas", wk.Token)
		}
		if _, dup := ks.byToken[wk.Token]; dup {
			return nil, fmt.Errorf("ingest: write key %q: listed twice", wk.Token)
		}
		if wk.Name == "" {
			wk.Name = wk.Token
		}
		k := &key{WriteKey: wk, anyOrigin: len(wk.Origins) == 0, origins: map[string]bool{}}
		for _, o := range wk.Origins {
			if o == "*" {
				k.anyOrigin = true
				continue
			}
			u, err := url.Parse(o)
			if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
				return nil, fmt.Errorf("ingest: write key %q: origin %q must look like https://host[:port]", wk.Token, o)
			}
			k.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
		if wk.Rate == 0 {
			k.Rate = DefaultKeyRate
		}
		if k.Rate > 0 {
			if k.Burst <= 0 {
				k.Burst = int(2 * k.Rate)
			}
			k.Burst = max(k.Burst, maxBatch)
			k.limiter = rate.NewLimiter(rate.Limit(k.Rate), k.Burst)
		}
		ks.byToken[wk.Token] = k
	}
	return ks, nil
}

func (ks *Keys) lookup(token string) *key { return ks.byToken[token] }

// anyAllows reports whether some key allows origin, for preflights that
// carry no key.
func (ks *Keys) anyAllows(origin string) bool {
	for _, k := range ks.byToken {
		if k.allows(origin) {
			return true
		}
	}
	return false
}

func (k *key) allows(origin string) bool {
	return k.anyOrigin || k.origins[strings.ToLower(origin)]
}

// admit reports whether the key may send now at all; it reserves nothing.
// When it may not, it returns how long to wait.
func (k *key) admit(now time.Time) (time.Duration, bool) {
	if k.limiter == nil {
		return 0, true
	}
	if t := k.limiter.TokensAt(now); t < 1 {
		return time.Duration((1 - t) / k.Rate * float64(time.Second)), false
	}
	return 0, true
}

// take spends n events of the key's budget, or reports how long to wait
// before n fit.
func (k *key) take(now time.Time, n int) (time.Duration, bool) {
	if k.limiter == nil || n == 0 {
		return 0, true
	}
	n = min(n, k.Burst)
	if k.limiter.AllowN(now, n) {
		return 0, true
	}
	t := k.limiter.TokensAt(now)
	return time.Duration((float64(n) - t) / k.Rate * float64(time.Second)), false
}
