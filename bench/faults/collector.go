package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rastrohq/rastro/bench/ingest"
	"github.com/rastrohq/rastro/bench/internal/tailbuf"
)

// WriteKey is the write key the scenarios' collectors accept.
const WriteKey = "wk_faults"

var built struct {
	once sync.Once
	dir  string // a temporary folder to remove, or ""
	path string
	err  error
}

// CollectorBin returns $RASTRO_COLLECTOR_BIN when it is set, or builds
// collector/cmd/rastro-collector of the root module with go build into a
// temporary folder, once per process. RemoveBin deletes that folder.
func CollectorBin() (string, error) {
	built.once.Do(func() {
		if p := os.Getenv("RASTRO_COLLECTOR_BIN"); p != "" {
			built.path = p
			return
		}
		root, err := ingest.FindModule(".", ingest.RootModule)
		if err != nil {
			built.err = err
			return
		}
		dir, err := os.MkdirTemp("", "rastro-faults-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.path = filepath.Join(dir, "rastro-collector")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		built.err = ingest.Build(ctx, root, ingest.CollectorPkg, built.path)
	})
	return built.path, built.err
}

// RemoveBin deletes the binary CollectorBin built, if any.
func RemoveBin() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

// Collector runs the real rastro-collector on a fixed 127.0.0.1 address
// and data folder, so that it can be killed and started again where its
// clients expect it. Its methods are for one goroutine at a time, but for
// Exited and Output.
type Collector struct {
	Bin   string
	Addr  string   // host:port, e.g. from ingest.FreeAddr
	Data  string   // -data folder
	Flags []string // more serve flags

	Starts, Kills int

	out  tailbuf.Buffer
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// URL returns http://Addr.
func (c *Collector) URL() string { return "http://" + c.Addr }

// Start starts the collector and waits until GET /readyz answers 200. It
// tries three times in all when the port is taken for a moment (by a
// client's connection that happened to get it as its local port).
func (c *Collector) Start(ctx context.Context) error {
	for try := 1; ; try++ {
		err := c.start(ctx)
		if !errors.Is(err, errPortTaken) || try == 3 {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var errPortTaken = errors.New("faults: the collector's port is taken")

func (c *Collector) start(ctx context.Context) error {
	args := append([]string{"serve", "-addr", c.Addr, "-data", c.Data, "-write-key", WriteKey}, c.Flags...)
	cmd := exec.Command(c.Bin, args...)
	fmt.Fprintf(&c.out, "--- start %d\n", c.Starts+1)
	cmd.Stdout, cmd.Stderr = &c.out, &c.out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.done, c.err = cmd, done, nil
	c.mu.Unlock()
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(done)
	}()
	c.Starts++

	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	hc := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-done:
			out := c.Output()
			if i := strings.LastIndex(out, "--- start "); i >= 0 && strings.Contains(out[i:], "address already in use") {
				return fmt.Errorf("%w: %s", errPortTaken, out[i:])
			}
			return fmt.Errorf("faults: collector exited before it was ready (%v); its output:\n%s", c.exitErr(), out)
		case <-ctx.Done():
			c.Kill()
			return ctx.Err()
		case <-deadline.C:
			c.Kill()
			return fmt.Errorf("faults: collector not ready after 30s; its output:\n%s", c.Output())
		case <-tick.C:
			if resp, err := hc.Get(c.URL() + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
	}
}

func (c *Collector) exitErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Kill sends SIGKILL to the running collector, as a crash would, and waits
// until it is gone. It does nothing when none runs.
func (c *Collector) Kill() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	<-done
	c.Kills++
}

// Stop asks the running collector to end (SIGTERM) and waits up to grace,
// then kills it. It returns the exit error of a collector that did not end
// cleanly.
func (c *Collector) Stop(grace time.Duration) error {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil // already gone: Exited says how
	default:
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
		return c.exitErr()
	case <-time.After(grace):
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("faults: collector still running %v after SIGTERM", grace)
	}
}

// Exited reports whether the last collector started has ended on its own
// or by Kill or Stop, and how.
func (c *Collector) Exited() (bool, error) {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done == nil {
		return false, nil
	}
	select {
	case <-done:
		return true, c.exitErr()
	default:
		return false, nil
	}
}

// Output returns the last 256 KiB that the collector's runs wrote.
func (c *Collector) Output() string { return c.out.String() }

// Export reads every stored trace id from GET /v1/traces/export and
// returns each with the number of traces that carry it. It fails on a
// stream cut short (the export's last line lacks its newline) and on a line
// that is not a trace with an id.
func (c *Collector) Export(ctx context.Context) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL()+ingest.ExportPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("faults: GET %s: %s: %s", ingest.ExportPath, resp.Status, b)
	}
	return scanExport(resp.Body)
}

func scanExport(r io.Reader) (map[string]int, error) {
	ids := map[string]int{}
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] != '\n' {
			return nil, fmt.Errorf("faults: export cut short in line %d", n)
		}
		if len(line) > 0 {
			var tr struct {
				ID string `json:"id"`
			}
			if jerr := json.Unmarshal(line, &tr); jerr != nil || tr.ID == "" {
				return nil, fmt.Errorf("faults: export line %d is not a trace with an id: %v: %.200s", n, jerr, line)
			}
			ids[tr.ID]++
		}
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
