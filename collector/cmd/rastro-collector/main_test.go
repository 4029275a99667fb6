package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk"
	"github.com/rastrohq/rastro/sdk/wire"
)

// buildCollector builds the real binary once per test run.
var buildCollector = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "rastro-collector-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rastro-collector")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

type collector struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer
	done chan error
}

// startCollector starts the binary and waits for its ready line.
func startCollector(t testing.TB, addr, data string, extra ...string) *collector {
	t.Helper()
	bin, err := buildCollector()
	require.NoError(t, err)
	args := append([]string{"serve", "-addr", addr, "-data", data, "-write-key", "wk_e2e", "-write-key-rate", "-1"}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &collector{cmd: cmd, addr: addr, logs: new(bytes.Buffer), done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			c.logs.WriteString(line + "\n")
			if strings.Contains(line, "rastro-collector ready") {
				once.Do(func() { close(ready) })
			}
		}
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case <-ready:
	case err := <-c.done:
		t.Fatalf("collector exited before ready: %v\n%s", err, c.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("collector not ready after 30s")
	}
	return c
}

func (c *collector) kill(t testing.TB) {
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	<-c.done
}

// exportIDs reads every stored trace id with its count.
func exportIDs(t *testing.T, addr string) map[string]int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v1/traces/export")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	ids := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var tr struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &tr))
		ids[tr.ID]++
	}
	require.NoError(t, sc.Err())
	return ids
}

// TestSDKToCollectorSurvivesKill sends with the real SDK to the real
// binary, kills the collector with SIGKILL mid-stream and restarts it: every
// event the SDK reports delivered is stored exactly once.
func TestSDKToCollectorSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	addr, data := freeAddr(t), t.TempDir()
	col := startCollector(t, addr, data)

	c, err := sdk.New(sdk.Config{
		Endpoint: "http://" + addr, WriteKey: "wk_e2e",
		FlushInterval: 5 * time.Millisecond, BatchEvents: 50,
		RetryInitial: 10 * time.Millisecond, RetryMax: 200 * time.Millisecond, RetryMaxElapsed: time.Minute,
	})
	require.NoError(t, err)

	const total = 6000
	ids := make([]string, 0, total)
	captured := make(chan struct{})
	go func() {
		defer close(captured)
		for i := range total {
			id := wire.NewID()
			ev := sdk.Star("checkout.payment", 1+i%5).ID(id).User(fmt.Sprintf("u-%d", i%50))
			for c.Capture(ev) != nil {
				time.Sleep(time.Millisecond) // queue full while the collector is down
			}
			ids = append(ids, id)
			if i%100 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	// Kill the collector twice while events flow, restarting it on the
	// same port and data folder.
	for range 2 {
		require.Eventually(t, func() bool { return c.Stats().Sent > 0 }, 10*time.Second, time.Millisecond)
		time.Sleep(50 * time.Millisecond)
		col.kill(t)
		time.Sleep(200 * time.Millisecond)
		col = startCollector(t, addr, data)
	}
	<-captured
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	st := c.Stats()
	require.EqualValues(t, total, st.Captured)
	require.Zero(t, st.Dropped.Total(), "stats %+v", st)
	require.EqualValues(t, total, st.Sent)

	stored := exportIDs(t, addr)
	for id, n := range stored {
		require.Equal(t, 1, n, "id %s stored %d times", id, n)
	}
	for _, id := range ids {
		require.Contains(t, stored, id)
	}
	require.Len(t, stored, total)
	t.Logf("delivered %d events across two SIGKILLs; %d acknowledged as duplicates (retries of batches stored before the kill)", st.Sent, st.Duplicates)
}

// TestServeFlags covers the command line: errors a user can make, read
// keys, and graceful shutdown on SIGTERM.
func TestServeFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildCollector()
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		args []string
		env  string
		msg  string
	}{
		{"no write key", []string{"serve", "-data", t.TempDir()}, "", "no write key"},
		{"bad sync", []string{"serve", "-data", t.TempDir(), "-write-key", "k", "-sync", "sometimes"}, "", "-sync"},
		{"unknown command", []string{"launch"}, "", `unknown command "launch"`},
		{"half TLS", []string{"serve", "-data", t.TempDir(), "-write-key", "k", "-tls-cert", "x.pem"}, "", "TLS needs both"},
		{"bad config", []string{"serve", "-config", writeFile(t, "addr: [1"), "-write-key", "k"}, "", "config"},
		{"unknown config field", []string{"serve", "-config", writeFile(t, "adress: x"), "-write-key", "k"}, "", "field adress not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			out, err := cmd.CombinedOutput()
			require.Error(t, err)
			require.Contains(t, string(out), tt.msg)
		})
	}

	t.Run("config file, read key, SIGTERM", func(t *testing.T) {
		addr := freeAddr(t)
		cfg := writeFile(t, `
write_keys:
  - key: wk_site
    name: website
    origins: [https://shop.example]
read_keys: [rk_team]
limits:
  max_batch_events: 10
`)
		col := startCollector(t, addr, t.TempDir(), "-config", cfg)
		post := func(key string) int {
			req, _ := http.NewRequest("POST", "http://"+addr+"/v1/batch",
				strings.NewReader(`{"events":[{"id":"a1","kind":"thumbs","touchpoint":"faq","value":1}]}`))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		require.Equal(t, 200, post("wk_site"))
		require.Equal(t, 200, post("wk_e2e"), "flag keys add to the file's")
		get := func(path, key string) int {
			req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		require.Equal(t, 401, get("/v1/summary", ""), "a read key is required once configured")
		require.Equal(t, 401, get("/v1/summary", "wk_site"), "a write key never reads")
		require.Equal(t, 200, get("/v1/summary", "rk_team"))
		require.Equal(t, 200, get("/healthz", ""))
		require.Equal(t, 200, get("/readyz", ""))

		require.NoError(t, col.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case err := <-col.done:
			require.NoError(t, err, "clean exit on SIGTERM\n%s", col.logs)
		case <-time.After(30 * time.Second):
			t.Fatal("no exit 30s after SIGTERM")
		}
		require.Contains(t, col.logs.String(), "stopped")
	})
}

func writeFile(t testing.TB, content string) string {
	p := filepath.Join(t.TempDir(), "rastro.yaml")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// TestDemo: -demo fills an empty store once, and a restart adds nothing.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	addr, data := freeAddr(t), t.TempDir()
	col := startCollector(t, addr, data, "-demo")
	n := len(exportIDs(t, addr))
	require.Greater(t, n, 2000)
	require.Contains(t, col.logs.String(), "demo: loaded demonstration traces")
	col.kill(t)
	col = startCollector(t, addr, data, "-demo")
	require.Len(t, exportIDs(t, addr), n)
	require.Contains(t, col.logs.String(), "loading none")
}
