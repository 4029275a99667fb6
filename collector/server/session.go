package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/ui"
)

const (
	// sessionCookie names the dashboard's session cookie.
	sessionCookie = "rastro_session"
	// sessionTTL is how long a dashboard session lasts.
	sessionTTL = 12 * time.Hour
	// loginBurst failed sign-ins are allowed at once per client, then one
	// every loginEvery.
	loginBurst = 5
	loginEvery = 10 * time.Second
	// maxLoginClients bounds the per-client limiters kept in memory.
	maxLoginClients = 10_000
	// maxLoginBody bounds the sign-in form.
	maxLoginBody = 4 << 10
)

// sessions signs and checks the dashboard's session tokens. A token is
// "v1.<expiry unix>.<key id>.<HMAC-SHA256>", signed with a secret drawn at
// start: no server-side table, and a restart signs everyone out.
type sessions struct {
	secret []byte
	keys   []readKey
	now    func() time.Time
	csrf   *http.CrossOriginProtection

	mu    sync.Mutex
	tries map[string]*rate.Limiter // failed sign-ins per client
}

// readKey is a configured read key, as the digest compared in constant
// time and the id a session names it by.
type readKey struct {
	sum [sha256.Size]byte
	id  string
}

func newSessions(readKeys []string) *sessions {
	s := &sessions{secret: make([]byte, 32), now: time.Now, csrf: http.NewCrossOriginProtection(), tries: map[string]*rate.Limiter{}}
	_, _ = rand.Read(s.secret) // never fails; see crypto/rand.Read
	for _, k := range readKeys {
		mac := hmac.New(sha256.New, s.secret)
		mac.Write([]byte("key-id\x00" + k))
		s.keys = append(s.keys, readKey{sum: sha256.Sum256([]byte(k)), id: hex.EncodeToString(mac.Sum(nil)[:8])})
	}
	return s
}

// match returns the id of the read key equal to got. It compares digests,
// in constant time, against every key, so neither timing nor length tells
// a guess apart.
func (s *sessions) match(got string) (id string, ok bool) {
	if got == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(got))
	for _, k := range s.keys {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
			id, ok = k.id, true
		}
	}
	return id, ok
}

func (s *sessions) sign(payload string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// mint returns a token for key id that expires at exp.
func (s *sessions) mint(id string, exp time.Time) string {
	p := "v1." + strconv.FormatInt(exp.Unix(), 10) + "." + id
	return p + "." + s.sign(p)
}

// valid reports whether tok is a token this process signed, unexpired,
// for a read key still configured.
func (s *sessions) valid(tok string) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return false
	}
	payload, sig := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return false
	}
	now := s.now()
	if now.Unix() >= exp || exp > now.Add(sessionTTL).Unix() {
		return false
	}
	for _, k := range s.keys {
		if k.id == parts[2] {
			return true
		}
	}
	return false
}

// cookieReads reports whether r carries a valid session cookie and may be
// answered on it: only GET requests to the dashboard and the /v1 read
// endpoints. A cookie never authorizes a write.
func (s *sessions) cookieReads(r *http.Request) bool {
	if r.Method != http.MethodGet || len(s.keys) == 0 {
		return false
	}
	p := r.URL.Path
	if p != "/ui" && !strings.HasPrefix(p, "/ui/") && !strings.HasPrefix(p, "/v1/") {
		return false
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && s.valid(c.Value)
}

// limiter returns the failed-sign-in limiter of r's client: its IP, or
// its /64 for IPv6.
func (s *sessions) limiter(r *http.Request) *rate.Limiter {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = ip.Mask(net.CIDRMask(64, 128)).String()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.tries[host]
	if ok {
		return l
	}
	if len(s.tries) >= maxLoginClients {
		// Forget the clients whose allowance has refilled: they lose
		// nothing by being forgotten.
		for h, l := range s.tries {
			if l.Tokens() >= loginBurst {
				delete(s.tries, h)
			}
		}
		if len(s.tries) >= maxLoginClients {
			return rate.NewLimiter(0, 0) // full of active guessers: refuse
		}
	}
	l = rate.NewLimiter(rate.Every(loginEvery), loginBurst)
	s.tries[host] = l
	return l
}

func (s *sessions) loginForm(w http.ResponseWriter, r *http.Request) {
	ui.WriteLogin(w, http.StatusOK, ui.Login{NoKeys: len(s.keys) == 0})
}

// login trades a read key for a session cookie.
func (s *sessions) login(w http.ResponseWriter, r *http.Request) {
	if err := s.csrf.Check(r); err != nil {
		ingest.WriteError(w, http.StatusForbidden, "cross-origin sign-in refused")
		return
	}
	lim := s.limiter(r)
	if t := lim.Tokens(); t < 1 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil((1-t)*loginEvery.Seconds()))))
		ui.WriteLogin(w, http.StatusTooManyRequests, ui.Login{Error: "Too many failed attempts. Wait a little and try again."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		ui.WriteLogin(w, http.StatusBadRequest, ui.Login{Error: "The form could not be read."})
		return
	}
	id, ok := s.match(r.PostForm.Get("key"))
	if !ok {
		// A failure takes a token, into debt if guesses arrive in
		// parallel, so a burst of them waits all the longer.
		lim.Reserve()
		ui.WriteLogin(w, http.StatusUnauthorized, ui.Login{Error: "That is not a read key of this collector.", NoKeys: len(s.keys) == 0})
		return
	}
	exp := s.now().Add(sessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.mint(id, exp), Path: "/",
		Expires: exp, MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/ui", http.StatusSeeOther)
}

// logout clears the session cookie. The token itself stays valid until it
// expires or the collector restarts: there is no table to strike it from.
func (s *sessions) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.csrf.Check(r); err != nil {
		ingest.WriteError(w, http.StatusForbidden, "cross-origin sign-out refused")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// wantsHTML reports whether r is a browser asking for a dashboard page.
func wantsHTML(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == http.MethodGet && (p == "/ui" || strings.HasPrefix(p, "/ui/")) &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}
