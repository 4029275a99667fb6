package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rastrohq/rastro/bench/internal/tailbuf"
)

// RootModule is the module path of Rastro itself.
const RootModule = "github.com/rastrohq/rastro"

// CollectorPkg is the collector's main package, relative to the root.
const CollectorPkg = "./collector/cmd/rastro-collector"

// FindModule walks up from dir to the directory whose go.mod declares
// module path mod.
func FindModule(dir, mod string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && modulePath(data) == mod {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("ingest: no go.mod of module %s above the working directory", mod)
		}
		dir = parent
	}
}

func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// HasMainPackage reports whether dir holds a Go package that is not only
// tests.
func HasMainPackage(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			return true
		}
	}
	return false
}

// Build runs go build -o out pkg in dir (pkg is a path relative to dir's
// module, like "./cmd/ceiling", or an import path).
func Build(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ingest: go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Process is a server started by Start: the ceiling or the collector.
type Process struct {
	Addr string // host:port it listens on
	URL  string // http://Addr

	cmd  *exec.Cmd
	out  *tailbuf.Buffer
	done chan struct{} // closed when the process has exited
	err  error         // of cmd.Wait, once done is closed
	stop sync.Once
}

// Start runs bin with args, where the string {addr} in any argument stands
// for a free 127.0.0.1 address, and waits until GET /readyz answers 200.
// If the process exits before that (its port was taken in the meantime,
// say), it tries again with another address, three times in all.
func Start(ctx context.Context, bin string, args ...string) (*Process, error) {
	var err error
	for range 3 {
		var p *Process
		if p, err = start(ctx, bin, args); err == nil {
			return p, nil
		}
		if !errors.Is(err, errExited) {
			return nil, err
		}
	}
	return nil, err
}

var errExited = errors.New("exited before it was ready")

func start(ctx context.Context, bin string, args []string) (*Process, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	argv := make([]string, len(args))
	for i, a := range args {
		argv[i] = strings.ReplaceAll(a, "{addr}", addr)
	}
	p := &Process{Addr: addr, URL: "http://" + addr, out: &tailbuf.Buffer{Max: 64 << 10}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, argv...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()

	ready := time.NewTimer(60 * time.Second)
	defer ready.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	c := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("ingest: %s %w (%v); its output:\n%s", filepath.Base(bin), errExited, p.err, p.Output())
		case <-ctx.Done():
			p.Kill()
			return nil, ctx.Err()
		case <-ready.C:
			p.Kill()
			return nil, fmt.Errorf("ingest: %s not ready after 60s; its output:\n%s", filepath.Base(bin), p.Output())
		case <-tick.C:
			if resp, err := c.Get(p.URL + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return p, nil
				}
			}
		}
	}
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Output returns the last 64 KiB the process wrote to stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

// PeakRSS returns the peak resident set size of the process (VmHWM in
// /proc/PID/status), in bytes, or an error where there is no /proc or the
// process has gone.
func (p *Process) PeakRSS() (int64, error) {
	return peakRSS(p.Pid())
}

func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, errors.New("ingest: no VmHWM in /proc/" + strconv.Itoa(pid) + "/status")
}

// CPUTime returns the CPU time the process has used so far, user and
// system (utime and stime of /proc/PID/stat, in 10 ms ticks), or an error
// where there is no /proc or the process has gone.
func (p *Process) CPUTime() (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(data))
}

// userHZ is the unit of the times in /proc/PID/stat: USER_HZ, 100 on every
// Linux architecture Go runs on.
const userHZ = 100

func parseStatCPU(stat string) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold anything.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("ingest: malformed /proc/PID/stat")
	}
	f := strings.Fields(stat[i+1:]) // from field 3, state
	if len(f) < 13 {
		return 0, errors.New("ingest: malformed /proc/PID/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// SelfCPUTime returns the CPU time this process has used so far, user and
// system.
func SelfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Stop asks the process to end (SIGTERM), waits up to grace for it, then
// kills it. It returns the process's exit error when it did not end
// cleanly on SIGTERM. Stop and Kill may be called more than once, from any
// goroutine.
func (p *Process) Stop(grace time.Duration) error {
	p.stop.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	<-p.done
	return p.err
}

// Kill ends the process at once (SIGKILL), as a crash would, and waits
// for it.
func (p *Process) Kill() {
	p.stop.Do(func() {
		_ = p.cmd.Process.Kill()
	})
	<-p.done
}
