package proxy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// server answers "ok" to every complete request and counts them.
func server(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			return
		}
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s, &served
}

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func post(c *http.Client, url string) (string, error) {
	resp, err := c.Post(url, "text/plain", strings.NewReader(strings.Repeat("x", 4096)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestModes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mode   Mode
		delay  time.Duration
		ok     bool                      // the request gets its answer
		served int64                     // requests the server handled
		check  func(Stats, error) string // "" when fine
		minDur time.Duration
	}{
		{name: "pass", mode: Pass, ok: true, served: 1, check: func(s Stats, _ error) string {
			if s.Forwarded < 2 {
				return "fewer than 2 chunks forwarded"
			}
			return ""
		}},
		{name: "delay", mode: Delay, delay: 100 * time.Millisecond, ok: true, served: 1, minDur: 200 * time.Millisecond,
			check: func(s Stats, _ error) string {
				if s.Delayed < 2 {
					return "fewer than 2 chunks delayed"
				}
				return ""
			}},
		{name: "blackhole", mode: Blackhole, ok: false, served: 0, minDur: 400 * time.Millisecond,
			check: func(s Stats, err error) string {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					return "want a timeout, got " + err.Error()
				}
				if s.Stalled != 1 {
					return "want 1 stalled connection"
				}
				return ""
			}},
		{name: "reset", mode: Reset, ok: false, served: 0, check: func(s Stats, err error) string {
			if s.Resets != 1 {
				return "want 1 reset"
			}
			// The client meets the RST reading (ECONNRESET, EOF) or, when
			// its transport closed the connection on it first, writing.
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
				!errors.Is(err, net.ErrClosed) {
				return "want a reset connection, got " + err.Error()
			}
			return ""
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, served := server(t)
			p := newProxy(t, srv.Listener.Addr().String())
			p.Set(tt.mode, tt.delay)
			c := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
			start := time.Now()
			body, err := post(c, "http://"+p.Addr()+"/")
			took := time.Since(start)
			if tt.ok && (err != nil || body != "ok") {
				t.Fatalf("got %q, %v; want ok", body, err)
			}
			if !tt.ok && err == nil {
				t.Fatalf("got %q, want an error", body)
			}
			if took < tt.minDur {
				t.Errorf("took %v, want at least %v", took, tt.minDur)
			}
			time.Sleep(50 * time.Millisecond) // let the server finish
			if got := served.Load(); got != tt.served {
				t.Errorf("server handled %d requests, want %d", got, tt.served)
			}
			if msg := tt.check(p.Stats(), err); msg != "" {
				t.Errorf("%s (stats %+v)", msg, p.Stats())
			}
		})
	}
}

// TestSwitch: a mode switch applies to connections already open, a stalled
// connection stays stalled, and new ones heal.
func TestSwitch(t *testing.T) {
	srv, _ := server(t)
	p := newProxy(t, srv.Listener.Addr().String())
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	c := &http.Client{Timeout: 300 * time.Millisecond, Transport: tr}
	url := "http://" + p.Addr() + "/"
	if _, err := post(c, url); err != nil {
		t.Fatal(err)
	}
	p.Set(Blackhole, 0)
	if _, err := post(c, url); err == nil {
		t.Fatal("a kept-alive connection answered in Blackhole mode")
	}
	if s := p.Stats(); s.Conns != 1 || s.Stalled != 1 {
		t.Fatalf("want the one open connection stalled, got %+v", s)
	}
	p.Set(Pass, 0)
	if body, err := post(c, url); err != nil || body != "ok" {
		t.Fatalf("after Pass again: %q, %v", body, err)
	}
	p.Set(Reset, 0)
	if _, err := post(c, url); err == nil {
		t.Fatal("a kept-alive connection answered in Reset mode")
	}
	p.Set(Delay, 20*time.Millisecond)
	if body, err := post(c, url); err != nil || body != "ok" {
		t.Fatalf("after Delay: %q, %v", body, err)
	}
	if s := p.Stats(); s.Resets != 1 || s.Delayed < 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestClose(t *testing.T) {
	srv, _ := server(t)
	p := newProxy(t, srv.Listener.Addr().String())
	p.Set(Blackhole, 0)
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a stalled connection open")
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("the proxy still accepts after Close")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
