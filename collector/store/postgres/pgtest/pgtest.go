// Package pgtest starts a throwaway PostgreSQL server for tests: initdb in
// a temporary folder, the server on 127.0.0.1 and a free port, and on Stop
// the server stopped and the folder removed. It uses the binaries of
// Debian's postgresql package (/usr/lib/postgresql/*/bin) or those on
// PATH. PostgreSQL refuses to run as root, so as root it runs them as the
// postgres user, which that package creates.
//
// A package shares one server between its tests through TestMain:
//
//	var srv *pgtest.Server
//
//	func TestMain(m *testing.M) {
//		var err error
//		srv, err = pgtest.Start()
//		if errors.Is(err, pgtest.ErrNoPostgres) {
//			fmt.Println(err) // the tests skip themselves when srv is nil
//		} else if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		if srv != nil {
//			srv.Stop()
//		}
//		os.Exit(code)
//	}
//
// and gives each test its own database or schema (see [Server.Schema]).
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres is returned by Start when no PostgreSQL binaries are
// installed.
var ErrNoPostgres = errors.New("pgtest: PostgreSQL not installed (apt-get install postgresql, or scripts/install-deps.sh)")

// Server is a running throwaway PostgreSQL server.
type Server struct {
	// DSN connects to the database postgres as the superuser postgres.
	DSN string

	bin     string // folder of the binaries
	dir     string // temporary folder: data/, the socket, the log
	asUser  string // "" or the user the binaries run as
	schemas atomic.Int64
}

// Bin returns the folder of the PostgreSQL binaries, or "" when none is
// found.
func Bin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				return filepath.Dir(real)
			}
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initializes and starts a server. It returns ErrNoPostgres when
// PostgreSQL is not installed.
func Start() (*Server, error) {
	bin := Bin()
	if bin == "" {
		return nil, ErrNoPostgres
	}
	dir, err := os.MkdirTemp("", "rastro-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
		s.asUser = "postgres"
	}
	if err := s.start(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	s.watch()
	data := filepath.Join(s.dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	// The settings of a small test server; fsync stays on, so that
	// benchmarks measure durable commits.
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200 -c shared_buffers=128MB", port, s.dir)
	if out, err := s.run("pg_ctl", "start", "-w", "-t", "30", "-D", data, "-l", filepath.Join(s.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	s.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return nil
}

// watch starts a watchdog in a session of its own that stops the server
// and removes its folder once this process is gone, so that a test binary
// killed before Stop (a go test -timeout panic, a kill) leaves nothing
// running. Stop makes it exit at once.
func (s *Server) watch() {
	stop := filepath.Join(s.bin, "pg_ctl") + " stop -m immediate -w -t 30 -D " + filepath.Join(s.dir, "data")
	if s.asUser != "" {
		stop = "runuser -u " + s.asUser + " -- " + stop
	}
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null && [ -d %s ]; do sleep 1; done; if [ -d %s ]; then %s >/dev/null 2>&1; rm -rf %s; fi",
		os.Getpid(), s.dir, s.dir, stop, s.dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if cmd.Start() == nil {
		go func() { _ = cmd.Wait() }()
	}
}

// run runs a PostgreSQL binary, as s.asUser when set.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Schema creates a new, empty schema and returns a DSN whose search_path
// is that schema: what a test needs to see a database of its own at the
// cost of a CREATE SCHEMA.
func (s *Server) Schema(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d", s.schemas.Add(1))
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	return s.DSN + "&search_path=" + name, nil
}

// Stop stops the server at once and removes its folder.
func (s *Server) Stop() {
	if s.DSN != "" {
		_, _ = s.run("pg_ctl", "stop", "-m", "immediate", "-w", "-t", "30", "-D", filepath.Join(s.dir, "data"))
	}
	_ = os.RemoveAll(s.dir)
}

// Log returns the server's log, for a failing test to print.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	return string(b)
}
