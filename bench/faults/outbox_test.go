package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rastrohq/rastro/bench/faults/proxy"
	"github.com/rastrohq/rastro/sdk"
	"github.com/rastrohq/rastro/sdk/wire"
)

// The outbox scenario runs an SDK client in a child process, the test
// binary itself started with these variables set.
const (
	childEnv      = "FAULTS_CHILD"    // "outbox", or "drain" for the last run
	childEndpoint = "FAULTS_ENDPOINT" // the collector (through a proxy)
	childOutbox   = "FAULTS_OUTBOX"   // the SDK's Config.OutboxDir
	childSent     = "FAULTS_SENT"     // file of the ids about to be captured
	childAcked    = "FAULTS_ACKED"    // file of the ids fsynced into the outbox
)

// childResult is what a child prints on its last line of output.
type childResult struct {
	Pending int       // events the outbox held when the child started
	Stats   sdk.Stats // at the end (drain only)
	Err     string    // Close's error (drain only)
}

// childMain is the child: it opens the outbox, says how many events an
// earlier child left there, then captures events in rounds of 25 until it
// is killed. Before each capture it appends the round's ids to the sent
// file; once Sync has written them to the outbox and fsynced it, it
// appends them to the acked file. Each append is one write(2), which a
// SIGKILL cannot tear. In drain mode it captures nothing and closes the
// client, which delivers what the outbox holds.
func childMain() int {
	mode := os.Getenv(childEnv)
	c, err := sdk.New(sdk.Config{
		Endpoint:      os.Getenv(childEndpoint),
		WriteKey:      WriteKey,
		OutboxDir:     os.Getenv(childOutbox),
		Policy:        sdk.Block,
		BatchEvents:   50,
		FlushInterval: 20 * time.Millisecond,
		Workers:       2,
		Timeout:       2 * time.Second,
		RetryInitial:  20 * time.Millisecond,
		RetryMax:      300 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	res := childResult{Pending: c.Stats().Outbox}
	say := func() {
		b, _ := json.Marshal(res)
		fmt.Printf("%s\n", b)
	}
	if mode == "drain" {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			res.Err = err.Error()
		}
		res.Stats = c.Stats()
		say()
		if res.Err != "" {
			return 1
		}
		return 0
	}
	say()
	open := func(name string) *os.File {
		f, err := os.OpenFile(os.Getenv(name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		return f
	}
	sentF, ackedF := open(childSent), open(childAcked)
	ctx := context.Background()
	var line bytes.Buffer
	for i := 0; ; i++ {
		ids := make([]string, 25)
		for j := range ids {
			ids[j] = wire.NewID()
		}
		line.Reset()
		line.WriteString(strings.Join(ids, " ") + "\n")
		if _, err := sentF.Write(line.Bytes()); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		for j, id := range ids {
			if err := c.CaptureContext(ctx, event(id, i*25+j)); err != nil {
				fmt.Fprintln(os.Stderr, "child: capture:", err)
				return 2
			}
		}
		if err := c.Sync(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "child: sync:", err)
			return 2
		}
		if _, err := ackedF.Write(line.Bytes()); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// child is a running child process.
type child struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

func startChild(t *testing.T, mode string, env ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0]), done: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), append(env, childEnv+"="+mode)...)
	c.cmd.Stdout = &c.out
	var stderr bytes.Buffer
	c.cmd.Stderr = &stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := c.cmd.Wait()
		if err != nil && stderr.Len() > 0 {
			err = fmt.Errorf("%w: %s", err, tail(stderr.String(), 2048))
		}
		c.done <- err
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(c.cmd.Process.Pid, syscall.SIGKILL) // ESRCH once it ended
	})
	return c
}

// result waits for the child's end and returns its last line.
func (c *child) result(t *testing.T, timeout time.Duration) (childResult, error) {
	t.Helper()
	var err error
	select {
	case err = <-c.done:
	case <-time.After(timeout):
		_ = syscall.Kill(c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
		t.Fatalf("child still running after %v", timeout)
	}
	var res childResult
	lines := strings.Split(strings.TrimSpace(c.out.String()), "\n")
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &res); jerr != nil {
		t.Fatalf("child output %q: %v (exit: %v)", c.out.String(), jerr, err)
	}
	return res, err
}

// readIDs reads a file of ids written by children, one round per line.
func readIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s: torn last line", path)
	}
	ids := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		for _, id := range strings.Fields(sc.Text()) {
			ids[id] = true
		}
	}
	return ids
}

// TestOutboxChildKill9 runs an SDK client with a durable outbox in a child
// process and kills it with SIGKILL while it sends (through a proxy that
// adds 20 ms each way, so that batches are in flight), six times, each
// time starting a new child on the same outbox; a last child only drains
// the outbox. The SDK's promise is for events in the outbox: every event
// of a round whose Sync returned nil ("acked") must be stored exactly
// once. Events captured but not yet synced when the child died may be
// lost; they count in sent only.
func TestOutboxChildKill9(t *testing.T) {
	needProcesses(t)
	const rounds = 6
	col := startCollector(t, t.TempDir())
	px, err := proxy.New(col.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	px.Set(proxy.Delay, 20*time.Millisecond)

	work := t.TempDir()
	outbox := filepath.Join(work, "outbox")
	env := []string{
		childEndpoint + "=http://" + px.Addr(),
		childOutbox + "=" + outbox,
		childSent + "=" + filepath.Join(work, "sent"),
		childAcked + "=" + filepath.Join(work, "acked"),
	}
	start := time.Now()
	pendingAtStart := 0 // events later children found in the outbox
	restarts := []string{}
	for r := range rounds {
		c := startChild(t, "outbox", env...)
		time.Sleep(jitter(800*time.Millisecond, 1500*time.Millisecond))
		if err := syscall.Kill(c.cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		res, err := c.result(t, 10*time.Second)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: the child ended before the kill: %v", r, err)
		}
		if r > 0 {
			pendingAtStart += res.Pending
			restarts = append(restarts, strconv.Itoa(res.Pending))
		}
	}
	px.Set(proxy.Pass, 0)
	drain := startChild(t, "drain", env...)
	res, err := drain.result(t, 50*time.Second)
	if err != nil {
		t.Fatalf("the draining child: %v (%+v)", err, res)
	}
	pendingAtStart += res.Pending
	restarts = append(restarts, strconv.Itoa(res.Pending))
	left, _ := filepath.Glob(filepath.Join(outbox, "*.batch"))
	if len(left) > 0 || res.Stats.Outbox > 0 {
		t.Errorf("the outbox still holds %d files (%d events) after the drain", len(left), res.Stats.Outbox)
	}

	sent, acked := readIDs(t, filepath.Join(work, "sent")), readIDs(t, filepath.Join(work, "acked"))
	stored := export(t, col)
	row := Tally(sent, acked, stored)
	row.Scenario = "kill -9 SDK with durable outbox"
	row.Took = time.Since(start)
	row.Faults = fmt.Sprintf("%d SIGKILLs of the SDK's process mid-send (+20 ms each way)", rounds)
	unackedStored := 0
	for id := range stored {
		if sent[id] && !acked[id] {
			unackedStored++
		}
	}
	row.Notes = fmt.Sprintf("events found in the outbox by each next child: %s; %d of the %d unsynced events were stored anyway; drain: %d delivered (%d as duplicates)",
		strings.Join(restarts, ", "), unackedStored, row.Sent-row.Acked, res.Stats.Sent, res.Stats.Duplicates)
	Record(row)
	t.Logf("sent %d, acked %d, stored %d, duplicates %d, lost %d, unknown %d; %s",
		row.Sent, row.Acked, row.Stored, row.Duplicates, row.Lost, row.Unknown, row.Notes)
	for _, p := range row.Problems() {
		t.Error(p)
	}
	if row.Acked == 0 {
		t.Error("no event reached the outbox")
	}
	if pendingAtStart == 0 {
		t.Error("no child found events in the outbox: the kills never came mid-send")
	}
}
