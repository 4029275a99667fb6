package proxy

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode says what a Proxy does to the bytes it reads.
type Mode int32

// The modes; see the package documentation.
const (
	Pass Mode = iota
	Delay
	Blackhole
	Reset
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Delay:
		return "delay"
	case Blackhole:
		return "blackhole"
	case Reset:
		return "reset"
	}
	return "unknown"
}

// Stats counts what a Proxy did.
type Stats struct {
	// Conns counts the connections accepted.
	Conns int64
	// Forwarded counts the chunks forwarded (delayed ones included).
	Forwarded int64
	// Delayed counts the chunks held back by Delay.
	Delayed int64
	// Stalled counts the connections Blackhole stalled.
	Stalled int64
	// Dropped counts the chunks Blackhole dropped.
	Dropped int64
	// Resets counts the connections Reset broke.
	Resets int64
}

// Proxy forwards TCP connections to a target, faulting them as its mode
// says. It is safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener

	state atomic.Pointer[state]

	conns, forwarded, delayed, stalled, dropped, resets atomic.Int64

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

type state struct {
	mode  Mode
	delay time.Duration
}

// New listens on a free 127.0.0.1 port and forwards to target (host:port),
// in Pass mode.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, open: map[net.Conn]struct{}{}}
	p.state.Store(&state{mode: Pass})
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set switches the mode; delay is used by Delay only.
func (p *Proxy) Set(m Mode, delay time.Duration) { p.state.Store(&state{mode: m, delay: delay}) }

// Mode returns the current mode.
func (p *Proxy) Mode() Mode { return p.state.Load().mode }

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	return Stats{Conns: p.conns.Load(), Forwarded: p.forwarded.Load(), Delayed: p.delayed.Load(),
		Stalled: p.stalled.Load(), Dropped: p.dropped.Load(), Resets: p.resets.Load()}
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// track registers c to be closed by Close; false when closed already.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.conns.Add(1)
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// link is one proxied connection: the client side and the server side.
type link struct {
	p              *Proxy
	client, server net.Conn
	stalled        atomic.Bool
	reset          atomic.Bool
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	defer p.untrack(client)
	l := &link{p: p, client: client}
	if p.Mode() == Blackhole {
		l.stall()
		_, _ = io.Copy(io.Discard, client)
		return
	}
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return // the client sees its connection closed
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	l.server = server
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.pump(server, client)
	}()
	l.pump(client, server)
	// One side ended: end the other.
	_ = server.Close()
	_ = client.Close()
	<-done
}

func (l *link) stall() {
	if !l.stalled.Swap(true) {
		l.p.stalled.Add(1)
	}
}

// pump copies src to dst chunk by chunk, faulting each as the mode says.
// When src ends, so does the link; but a stalled link ends only when the
// client does, since a blackholed peer never hears of anything.
func (l *link) pump(src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.handle(buf[:n], dst) {
			break
		}
		if err != nil {
			break
		}
	}
	if !l.stalled.Load() || src == l.client {
		_ = l.client.Close()
		_ = l.server.Close()
	}
}

// handle deals with one chunk read; false when the link is over.
func (l *link) handle(chunk []byte, dst net.Conn) bool {
	p := l.p
	if l.stalled.Load() {
		p.dropped.Add(1)
		return true
	}
	st := p.state.Load()
	switch st.mode {
	case Blackhole:
		l.stall()
		p.dropped.Add(1)
		return true
	case Reset:
		_, _ = dst.Write(chunk[:len(chunk)/2])
		if !l.reset.Swap(true) {
			p.resets.Add(1)
		}
		abort(l.client)
		abort(l.server)
		return false
	case Delay:
		p.delayed.Add(1)
		time.Sleep(st.delay)
	}
	if _, err := dst.Write(chunk); err != nil {
		return false
	}
	p.forwarded.Add(1)
	return true
}

// abort closes c with an RST rather than a FIN.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
