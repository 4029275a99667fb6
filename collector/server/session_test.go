package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/sdk/wire"
)

// noFollow is a client that shows redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type sent struct {
	method, path string
	header       map[string]string
	cookie       *http.Cookie
	body         string
}

func send(t *testing.T, base string, s sent) *http.Response {
	t.Helper()
	req, err := http.NewRequest(s.method, base+s.path, strings.NewReader(s.body))
	require.NoError(t, err)
	for k, v := range s.header {
		req.Header.Set(k, v)
	}
	if s.cookie != nil {
		req.AddCookie(s.cookie)
	}
	resp, err := noFollow.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func login(t *testing.T, base, key string, header map[string]string) *http.Response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return send(t, base, sent{method: "POST", path: "/ui/login", header: h, body: url.Values{"key": {key}}.Encode()})
}

func sessionOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

func withKeys(t *testing.T) *running {
	return start(t, Config{ReadKeys: []string{"rk_one", "rk_two"}}, openStore(t))
}

func TestLogin(t *testing.T) {
	r := withKeys(t)
	for _, tt := range []struct {
		name, key string
		want      int
	}{
		{"wrong key", "rk_nope", 401},
		{"empty key", "", 401},
		{"a write key", "wk_test", 401},
		{"prefix of a read key", "rk_on", 401},
		{"first read key", "rk_one", 303},
		{"second read key", "rk_two", 303},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := login(t, r.url, tt.key, nil)
			require.Equal(t, tt.want, resp.StatusCode)
			c := sessionOf(resp)
			if tt.want != 303 {
				require.Nil(t, c, "no cookie on a failed sign-in")
				require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
				return
			}
			require.Equal(t, "/ui", resp.Header.Get("Location"))
			require.NotNil(t, c)
			require.True(t, c.HttpOnly)
			require.Equal(t, http.SameSiteStrictMode, c.SameSite)
			require.False(t, c.Secure, "plain HTTP")
			require.Equal(t, "/", c.Path)
			require.Equal(t, int(sessionTTL/time.Second), c.MaxAge)
			require.NotContains(t, c.Value, tt.key)
		})
	}
}

func TestLoginOverTLSSetsSecure(t *testing.T) {
	s := newSessions([]string{"rk"})
	req := httptest.NewRequest("POST", "https://collector.example/ui/login", strings.NewReader("key=rk"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.login(rec, req)
	require.Equal(t, 303, rec.Code)
	c := sessionOf(&http.Response{Header: rec.Header()})
	require.NotNil(t, c)
	require.True(t, c.Secure)
}

func TestSessionCookie(t *testing.T) {
	r := withKeys(t)
	good := sessionOf(login(t, r.url, "rk_one", nil))
	require.NotNil(t, good)
	s := r.srv.session
	id := s.keys[0].id
	flip := func(v string, i int) string {
		b := []byte(v)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	parts := strings.Split(good.Value, ".")
	later := strings.Join([]string{parts[0], "99999999999", parts[2], parts[3]}, ".")
	other := newSessions([]string{"rk_one", "rk_two"})
	for _, tt := range []struct {
		name, value string
		want        int
	}{
		{"valid", good.Value, 200},
		{"tampered signature", flip(good.Value, len(good.Value)-3), 401},
		{"tampered expiry", later, 401},
		{"expired", s.mint(id, time.Now().Add(-time.Minute)), 401},
		{"beyond the lifetime", s.mint(id, time.Now().Add(2*sessionTTL)), 401},
		{"unknown key id", s.mint("0011223344556677", time.Now().Add(time.Hour)), 401},
		{"signed by another process", other.mint(other.keys[0].id, time.Now().Add(time.Hour)), 401},
		{"a read key as the cookie", "rk_one", 401},
		{"garbage", "v1...", 401},
		{"empty", "", 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &http.Cookie{Name: sessionCookie, Value: tt.value}
			for _, path := range []string{"/ui", "/ui/", "/ui/style.css", "/v1/summary", "/v1/traces", "/v1/traces/export", "/v1/insights/trends"} {
				resp := send(t, r.url, sent{method: "GET", path: path, cookie: c})
				require.Equal(t, tt.want, resp.StatusCode, path)
			}
		})
	}
}

func TestCookieNeverWrites(t *testing.T) {
	r := withKeys(t)
	c := sessionOf(login(t, r.url, "rk_one", nil))
	require.NotNil(t, c)
	var batch bytes.Buffer
	require.NoError(t, wire.WriteBatch(&batch, &wire.Batch{SentAt: time.Now(), Events: []wire.Event{ev(wire.KindStar, "x", 4)}}))
	for _, tt := range []struct {
		name string
		s    sent
		want int
	}{
		{"batch with the cookie only", sent{method: "POST", path: "/v1/batch", cookie: c, body: batch.String()}, 401},
		{"batch with the cookie and a read key", sent{method: "POST", path: "/v1/batch", cookie: c, body: batch.String(), header: map[string]string{"Authorization": "Bearer rk_one"}}, 401},
		{"batch with a write key", sent{method: "POST", path: "/v1/batch", cookie: c, body: batch.String(), header: map[string]string{"Authorization": "Bearer wk_test"}}, 200},
		{"metrics are not a /v1 or /ui read", sent{method: "GET", path: "/metrics", cookie: c}, 401},
		{"POST to an insights path", sent{method: "POST", path: "/v1/insights/trends", cookie: c}, 401},
		{"POST to the dashboard", sent{method: "POST", path: "/ui", cookie: c}, 401},
		{"GET summary", sent{method: "GET", path: "/v1/summary", cookie: c}, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := send(t, r.url, tt.s)
			require.Equal(t, tt.want, resp.StatusCode)
		})
	}
}

func TestBrowserIsSentToLogin(t *testing.T) {
	r := withKeys(t)
	html := map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	for _, tt := range []struct {
		name     string
		s        sent
		want     int
		location string
	}{
		{"browser on /ui", sent{method: "GET", path: "/ui", header: html}, 303, "/ui/login"},
		{"browser on /ui/?bucket=week", sent{method: "GET", path: "/ui/?bucket=week", header: html}, 303, "/ui/login"},
		{"API client on /ui", sent{method: "GET", path: "/ui"}, 401, ""},
		{"browser on the API", sent{method: "GET", path: "/v1/summary", header: html}, 401, ""},
		{"sign-in page is open", sent{method: "GET", path: "/ui/login", header: html}, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := send(t, r.url, tt.s)
			require.Equal(t, tt.want, resp.StatusCode)
			require.Equal(t, tt.location, resp.Header.Get("Location"))
		})
	}
	page := get(t, r.url+"/ui/login", "")
	require.Contains(t, string(page.body), `<form method="post" action="/ui/login">`)
	require.Contains(t, string(page.body), `<label for="key">Read key</label>`)
}

func TestLogout(t *testing.T) {
	r := withKeys(t)
	c := sessionOf(login(t, r.url, "rk_one", nil))
	require.NotNil(t, c)
	page := send(t, r.url, sent{method: "GET", path: "/ui", cookie: c})
	body, err := io.ReadAll(page.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `<form class="logout" method="post" action="/ui/logout">`)
	resp := send(t, r.url, sent{method: "POST", path: "/ui/logout", cookie: c})
	require.Equal(t, 303, resp.StatusCode)
	require.Equal(t, "/ui/login", resp.Header.Get("Location"))
	cleared := sessionOf(resp)
	require.NotNil(t, cleared)
	require.Empty(t, cleared.Value)
	require.Negative(t, cleared.MaxAge)
	// A browser drops the cookie; without it the dashboard is closed again.
	require.Equal(t, 303, send(t, r.url, sent{method: "GET", path: "/ui", header: map[string]string{"Accept": "text/html"}}).StatusCode)
}

func TestSignInIsSameOrigin(t *testing.T) {
	r := withKeys(t)
	host := strings.TrimPrefix(r.url, "http://")
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"same origin", map[string]string{"Origin": "http://" + host}, 303},
		{"same origin by fetch metadata", map[string]string{"Sec-Fetch-Site": "same-origin"}, 303},
		{"no browser headers (curl)", nil, 303},
		{"other origin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"other port", map[string]string{"Origin": "http://127.0.0.1:1"}, 403},
		{"null origin", map[string]string{"Origin": "null"}, 403},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := login(t, r.url, "rk_one", tt.header)
			require.Equal(t, tt.want, resp.StatusCode)
			if tt.want == 403 {
				require.Nil(t, sessionOf(resp))
			}
			h := map[string]string{}
			for k, v := range tt.header {
				h[k] = v
			}
			out := send(t, r.url, sent{method: "POST", path: "/ui/logout", header: h})
			require.Equal(t, tt.want, out.StatusCode, "logout")
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	srv, err := New(Config{WriteKeys: []ingest.WriteKey{{Token: "wk"}}, ReadKeys: []string{"rk"}, Logger: quiet()}, openStore(t))
	require.NoError(t, err)
	try := func(remote, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/ui/login", strings.NewReader(url.Values{"key": {key}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	// A right key does not use up the allowance.
	for range 2 * loginBurst {
		require.Equal(t, 303, try("203.0.113.9:5000", "rk").Code)
	}
	for i := range loginBurst {
		require.Equal(t, 401, try("203.0.113.9:5000", "guess").Code, "attempt %d", i)
	}
	for _, tt := range []struct {
		name, remote, key string
		want              int
	}{
		{"one more guess", "203.0.113.9:5000", "guess2", 429},
		{"same client, other port", "203.0.113.9:6000", "guess3", 429},
		{"even the right key waits", "203.0.113.9:5000", "rk", 429},
		{"another client", "198.51.100.7:5000", "guess", 401},
		{"another client, right key", "198.51.100.7:5000", "rk", 303},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := try(tt.remote, tt.key)
			require.Equal(t, tt.want, rec.Code)
			if tt.want == 429 {
				require.NotEmpty(t, rec.Header().Get("Retry-After"))
				require.Empty(t, rec.Header().Values("Set-Cookie"))
			}
		})
	}
	t.Run("an IPv6 /64 is one client", func(t *testing.T) {
		for range loginBurst {
			require.Equal(t, 401, try("[2001:db8:1:2::a]:5000", "guess").Code)
		}
		require.Equal(t, 429, try("[2001:db8:1:2::b]:5000", "guess").Code)
		require.Equal(t, 401, try("[2001:db8:1:3::a]:5000", "guess").Code)
	})
}

func TestNoReadKeysNoSessions(t *testing.T) {
	srv, err := New(Config{WriteKeys: []ingest.WriteKey{{Token: "wk"}}, Logger: quiet()}, openStore(t))
	require.NoError(t, err)
	// Without read keys no token can be valid, and a sign-in never succeeds.
	require.False(t, srv.session.valid(srv.session.mint("", time.Now().Add(time.Hour))))
	for _, tt := range []struct {
		name, method, path, remote, body string
		want                             int
	}{
		{"browser on loopback reads", "GET", "/ui", "127.0.0.1:5000", "", 200},
		{"browser elsewhere is refused", "GET", "/ui", "203.0.113.9:5000", "", 403},
		{"sign-in page says so", "GET", "/ui/login", "127.0.0.1:5000", "", 200},
		{"sign-in fails", "POST", "/ui/login", "127.0.0.1:5000", "key=anything", 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Accept", "text/html")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.RemoteAddr = tt.remote
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code)
			require.Empty(t, rec.Header().Values("Set-Cookie"))
			if tt.path == "/ui" && tt.want == 200 {
				require.NotContains(t, rec.Body.String(), "/ui/logout", "nothing to sign out of")
			}
			if tt.path == "/ui/login" && tt.method == "GET" {
				require.Contains(t, rec.Body.String(), "No read key is configured")
			}
		})
	}
}
