// Package natstest runs a real nats-server, JetStream enabled, for tests:
// on 127.0.0.1 and a free port, its store in a temporary folder, stopped
// when the test ends. It uses the nats-server binary on PATH or in
// /usr/sbin (Debian's nats-server package, which scripts/install-deps.sh
// installs) and skips the test, saying so, when there is none.
//
//	srv := natstest.Start(t)
//	nc, err := nats.Connect(srv.URL)
//	...
//	srv.Stop()    // the engine is down
//	srv.Restart() // back on the same port with the same store
package natstest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bin returns the path of the nats-server binary, or "" when none is
// installed.
func Bin() string {
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Server is a running nats-server.
type Server struct {
	// URL is the client URL, nats://127.0.0.1:<Port>.
	URL  string
	Port int
	// Dir is the JetStream store folder.
	Dir string

	tb  testing.TB
	bin string

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when cmd has exited
}

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 15 * time.Second

// Start starts a server for the test and stops it when the test ends. It
// skips the test when nats-server is not installed and fails it when the
// server does not start.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Bin()
	if bin == "" {
		tb.Skip("natstest: nats-server not installed (apt-get install nats-server, or scripts/install-deps.sh); skipping")
	}
	dir := tb.TempDir()
	port, err := freePort()
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	s := &Server{
		URL:  "nats://127.0.0.1:" + strconv.Itoa(port),
		Port: port,
		Dir:  dir,
		tb:   tb,
		bin:  bin,
	}
	tb.Cleanup(s.Stop)
	if err := s.start(); err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	return s
}

// Stop stops the server and waits for it to exit. It is idempotent.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart stops the server when it runs and starts it again on the same
// port with the same store, so that streams and their messages survive.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	// The port was ours a moment ago; another process may take it in
	// between, which start reports.
	if err := s.start(); err != nil {
		s.tb.Fatalf("natstest: restart: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, "-js", "-sd", s.Dir, "-a", "127.0.0.1", "-p", strconv.Itoa(s.Port))
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.out, s.done = cmd, out, done
	deadline := time.Now().Add(startTimeout)
	for {
		err := ping(s.Port)
		if err == nil {
			return nil
		}
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("nats-server exited at start: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			s.cmd = nil
			return fmt.Errorf("nats-server not ready after %v (%v): %s", startTimeout, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping connects to the client port and reads the server's INFO line.
func ping(port int) error {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "INFO ") {
		return errors.New("not a NATS server: " + strings.TrimSpace(line))
	}
	return nil
}

// Log returns what the server printed since it last started.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
