package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newHost starts a Host for cfgs, closed when the test ends.
func newHost(t testing.TB, opts Options, cfgs ...Config) *Host {
	t.Helper()
	h, err := New(context.Background(), cfgs, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, h.Close(context.Background())) })
	return h
}

func source(t testing.TB, h *Host, name string) *Plugin {
	t.Helper()
	p, ok := h.Source(name)
	require.True(t, ok, "no source %s", name)
	return p
}

// requireCallError checks that err is a CallError of p with this result
// and a message containing msg.
func requireCallError(t *testing.T, err error, plugin, result, msg string) {
	t.Helper()
	var ce *CallError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, plugin, ce.Plugin)
	require.Equal(t, result, ce.Result, "error: %v", err)
	require.Contains(t, err.Error(), msg)
	require.Contains(t, err.Error(), "plugin "+plugin+": ", "the error names the plugin")
}

func TestTransform(t *testing.T) {
	h := newHost(t, testOptions(t), Config{Name: "trivial", Path: testPlugin(t, "trivial"), Kind: KindSource, Instances: 1, Timeout: time.Second})
	p := source(t, h, "trivial")
	one, seven := 1.0, 7.0
	tests := []struct {
		name   string
		record string
		want   []wire.Event
		result string // a CallError's result, or "" for success
		msg    string
	}{
		{name: "one event", record: "r1", want: []wire.Event{{ID: "r1", Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &one}}},
		{name: "no events", record: "!none", want: []wire.Event{}},
		{name: "refused", record: "!refuse", result: ResultRefused, msg: "plugin trivial: refused on request"},
		{name: "handler panic is a refusal", record: "!panic", result: ResultRefused, msg: "plugin: panic: handler panicked"},
		{name: "after the panic", record: "r2", want: []wire.Event{{ID: "r2", Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &one}}},
		{name: "no id", record: "!noid", want: []wire.Event{{Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &one}}},
		{name: "invalid events are returned, judged later", record: "!bad-1", want: []wire.Event{{ID: "bad-1", Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &seven}}},
		{name: "empty record", record: "", want: []wire.Event{{Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &one}}},
		{name: "large record", record: strings.Repeat("x", 300<<10), want: []wire.Event{{ID: strings.Repeat("x", 300<<10), Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &one}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Transform(context.Background(), []byte(tt.record))
			if tt.result != "" {
				requireCallError(t, err, "trivial", tt.result, tt.msg)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range tt.want {
				require.Equal(t, tt.want[i], got[i])
			}
		})
	}
	// One instance served every call: a refusal, even a recovered panic,
	// does not cost it.
	require.Len(t, p.idle, 1)
	require.Len(t, p.slots, 1)
}

func TestTransformInputLimit(t *testing.T) {
	opts := testOptions(t)
	opts.MaxRecordBytes = 1000
	h := newHost(t, opts, Config{Name: "trivial", Path: testPlugin(t, "trivial"), Kind: KindSource})
	_, err := source(t, h, "trivial").Transform(context.Background(), make([]byte, 1001))
	requireCallError(t, err, "trivial", ResultRefused, "input of 1001 bytes, over the limit of 1000")
}

func TestEnrich(t *testing.T) {
	h := newHost(t, testOptions(t),
		Config{Name: "tagger", Path: testPlugin(t, "trivial"), Kind: KindEnrich, Timeout: time.Second},
		Config{Name: "comments-only", Path: testPlugin(t, "trivial"), Kind: KindEnrich, Kinds: []wire.Kind{wire.KindComment}, Timeout: time.Second},
	)
	tagger, commentsOnly := h.Plugins()[0], h.Plugins()[1]
	score := 0.75
	many := map[string]string{}
	for i := range 31 {
		many[fmt.Sprint("p", i)] = "v"
	}
	tests := []struct {
		name      string
		plugin    *Plugin
		data      trace.Data
		props     map[string]string
		sentiment string
		result    string
		msg       string
	}{
		{name: "comment gets props and a sentiment", plugin: tagger,
			data:  trace.Data{Kind: wire.KindComment, Text: "bad service"},
			props: map[string]string{"enriched_by": "trivial", "text_bytes": "11"}, sentiment: trace.Negative},
		{name: "a rating keeps the sentiment of its score", plugin: tagger,
			data:  trace.Data{Kind: wire.KindStar, Text: "bad but fine", Score: &score, Sentiment: trace.Positive},
			props: map[string]string{"enriched_by": "trivial", "text_bytes": "12"}, sentiment: trace.Positive},
		{name: "the trace's own props win", plugin: tagger,
			data:  trace.Data{Kind: wire.KindComment, Text: "ok", Props: map[string]string{"enriched_by": "customer"}},
			props: map[string]string{"enriched_by": "customer", "text_bytes": "2"}},
		{name: "refused", plugin: tagger, data: trace.Data{Kind: wire.KindComment, Text: "fail"},
			result: ResultRefused, msg: "cannot tag this one"},
		{name: "over the props limit", plugin: tagger, data: trace.Data{Kind: wire.KindComment, Text: "x", Props: many},
			result: ResultBadOutput, msg: "would have 33 props, over the limit of 32"},
		{name: "kinds filter: wanted", plugin: commentsOnly, data: trace.Data{Kind: wire.KindComment, Text: "x"},
			props: map[string]string{"enriched_by": "trivial", "text_bytes": "1"}},
		{name: "kinds filter: not wanted", plugin: commentsOnly, data: trace.Data{Kind: wire.KindClick, Text: "bad"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := trace.Trace{ID: "t-1", Source: "rastro://test", Time: time.Now().UTC(), Data: tt.data}
			before := tr
			before.Data.Props = cloneMap(tt.data.Props)
			err := tt.plugin.Enrich(context.Background(), &tr)
			if tt.result != "" {
				requireCallError(t, err, tt.plugin.Name(), tt.result, tt.msg)
				require.Equal(t, before, tr, "a failed patch changes nothing")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.props, tr.Data.Props)
			require.Equal(t, tt.sentiment, tr.Data.Sentiment)
			require.Equal(t, before.Data.Props, tt.data.Props, "the trace's props map is not modified in place")
		})
	}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestContainment runs hostile plugins: each failure rejects its record
// with an error naming the plugin, within the timeout, and the next record
// on the same plugin, and on a good one, still works.
func TestContainment(t *testing.T) {
	dir := t.TempDir()
	trap := filepath.Join(dir, "trap.wasm")
	require.NoError(t, os.WriteFile(trap, wasmModule(opUnreachable, true), 0o600))
	junk := filepath.Join(dir, "junk.wasm")
	require.NoError(t, os.WriteFile(junk, wasmModule(opReturnJunk, true), 0o600))
	h := newHost(t, testOptions(t),
		// A long timeout for this loaded test machine: running out of
		// memory, or writing 2 MiB, takes a Go plugin a while; and the
		// default one, to see it stop a loop.
		Config{Name: "evil", Path: testPlugin(t, "evil"), Kind: KindSource, Instances: 1, Timeout: 10 * time.Second},
		Config{Name: "evil-fast", Path: testPlugin(t, "evil"), Kind: KindSource, Instances: 1},
		Config{Name: "trap", Path: trap, Kind: KindSource, Instances: 1},
		Config{Name: "junk", Path: junk, Kind: KindSource, Instances: 1},
		Config{Name: "good", Path: testPlugin(t, "trivial"), Kind: KindSource, Timeout: time.Second},
	)
	tests := []struct {
		plugin, record string
		result, msg    string
	}{
		{"evil-fast", "loop", ResultTimeout, "call timed out after 100ms"},
		{"evil", "bomb", ResultTrap, "out of memory"},
		{"evil", "panic", ResultTrap, "crashed: panic: assignment to entry in nil map (wasm error: unreachable)"},
		{"evil", "exit", ResultTrap, "exited with code 3"},
		{"evil", "junk", ResultBadOutput, "output is not ABI v1 JSON"},
		{"evil", "oob", ResultBadOutput, "output lies outside the plugin's memory"},
		{"evil", "huge", ResultBadOutput, "over the limit of 1048576"},
		{"evil", "many", ResultBadOutput, "more than 100 events"},
		{"trap", "x", ResultTrap, "crashed: wasm error: unreachable"},
		{"junk", "x", ResultBadOutput, "output is not ABI v1 JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.plugin+"/"+tt.record, func(t *testing.T) {
			p := source(t, h, tt.plugin)
			start := time.Now()
			_, err := p.Transform(context.Background(), []byte(tt.record))
			requireCallError(t, err, tt.plugin, tt.result, tt.msg)
			t.Logf("%s in %v", err, time.Since(start))
			if strings.HasPrefix(tt.plugin, "evil") {
				// A new instance takes the record after.
				ev, err := p.Transform(context.Background(), []byte("ok"))
				require.NoError(t, err)
				require.Equal(t, "ok", ev[0].ID)
			}
			ev, err := source(t, h, "good").Transform(context.Background(), []byte("fine"))
			require.NoError(t, err)
			require.Equal(t, "fine", ev[0].ID)
			require.LessOrEqual(t, len(p.slots), 1, "no instance leaks")
		})
	}
	t.Run("memory hint", func(t *testing.T) {
		_, err := source(t, h, "evil").Transform(context.Background(), []byte("bomb"))
		require.ErrorContains(t, err, "(memory limit 16 MiB)")
	})
}

// TestInstanceReuse checks that instances serve call after call, and that
// a crashed one is replaced rather than reused.
func TestInstanceReuse(t *testing.T) {
	h := newHost(t, testOptions(t), Config{Name: "evil", Path: testPlugin(t, "evil"), Kind: KindSource, Instances: 1, Timeout: time.Second})
	p := source(t, h, "evil")
	id := func() string {
		ev, err := p.Transform(context.Background(), []byte("state"))
		require.NoError(t, err)
		return ev[0].ID
	}
	require.Equal(t, "state-1", id())
	require.Equal(t, "state-2", id())
	_, err := p.Transform(context.Background(), []byte("panic"))
	require.Error(t, err)
	require.Equal(t, "state-1", id(), "a fresh instance after the crash")
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	notWasm := filepath.Join(dir, "not.wasm")
	require.NoError(t, os.WriteFile(notWasm, []byte("#!/bin/sh\necho hi\n"), 0o600))
	noTransform := filepath.Join(dir, "notransform.wasm")
	require.NoError(t, os.WriteFile(noTransform, wasmModule(opUnreachable, false), 0o600))
	trivial := testPlugin(t, "trivial")
	tests := []struct {
		name string
		cfgs []Config
		msg  string
	}{
		{"no name", []Config{{Path: trivial, Kind: KindSource}}, "name is required"},
		{"bad name", []Config{{Name: "Zen Desk", Path: trivial, Kind: KindSource}}, "name may hold only"},
		{"no path", []Config{{Name: "a", Kind: KindSource}}, `plugin "a": path is required`},
		{"no kind", []Config{{Name: "a", Path: trivial}}, "kind is required"},
		{"bad kind", []Config{{Name: "a", Path: trivial, Kind: "sink"}}, `kind "sink" is not source or enrich`},
		{"bad memory", []Config{{Name: "a", Path: trivial, Kind: KindSource, MemoryMiB: -1}}, "memory_mib -1"},
		{"bad trace kind", []Config{{Name: "a", Path: trivial, Kind: KindEnrich, Kinds: []wire.Kind{"rating"}}}, `"rating" is not a trace kind`},
		{"twice", []Config{{Name: "a", Path: trivial, Kind: KindSource}, {Name: "a", Path: trivial, Kind: KindEnrich}}, `plugin "a": configured twice`},
		{"missing file", []Config{{Name: "a", Path: filepath.Join(dir, "nope.wasm"), Kind: KindSource}}, "no such file"},
		{"not wasm", []Config{{Name: "a", Path: notWasm, Kind: KindSource}}, "is not a WebAssembly module we can run"},
		{"bad ABI version", []Config{{Name: "old", Path: testPlugin(t, "badabi"), Kind: KindSource}}, `plugin "old": speaks plugin ABI version 2; this collector speaks version 1`},
		{"missing export", []Config{{Name: "a", Path: noTransform, Kind: KindSource}}, "does not export rastro_transform"},
		{"source as enrich", []Config{{Name: "a", Path: testPlugin(t, "evil"), Kind: KindEnrich}}, "does not export rastro_enrich"},
		{"no enrich handler", []Config{{Name: "zd", Path: testPlugin(t, "zendesk-csat"), Kind: KindEnrich}}, "registers no enrich handler (plugin.HandleEnrich)"},
		{"memory below the module's", []Config{{Name: "a", Path: trivial, Kind: KindSource, MemoryMiB: 1}}, `plugin "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(context.Background(), tt.cfgs, testOptions(t))
			require.ErrorContains(t, err, tt.msg)
			require.Nil(t, h)
		})
	}
}

// TestHammer calls two plugins from many goroutines, one of them crashing
// on every fifth record: every good record gets its own answer.
func TestHammer(t *testing.T) {
	h := newHost(t, testOptions(t),
		Config{Name: "trivial", Path: testPlugin(t, "trivial"), Kind: KindSource, Instances: 2, Timeout: 5 * time.Second},
		Config{Name: "evil", Path: testPlugin(t, "evil"), Kind: KindSource, Instances: 2, Timeout: 5 * time.Second},
	)
	trivial, evil := source(t, h, "trivial"), source(t, h, "evil")
	const workers, calls = 6, 60
	var wg sync.WaitGroup
	var crashes atomic.Int64
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				rec := fmt.Sprintf("w%d-%d", w, i)
				ev, err := trivial.Transform(context.Background(), []byte(rec))
				if err != nil || len(ev) != 1 || ev[0].ID != rec {
					t.Errorf("trivial %s: %v %v", rec, ev, err)
					return
				}
				erec := rec
				if i%5 == 0 {
					erec = "panic"
				}
				ev, err = evil.Transform(context.Background(), []byte(erec))
				switch {
				case erec == "panic" && err != nil:
					crashes.Add(1)
				case err != nil || len(ev) != 1 || ev[0].ID != rec:
					t.Errorf("evil %s: %v %v", rec, ev, err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, workers*calls/5, crashes.Load())
	require.LessOrEqual(t, len(trivial.slots), 2)
	require.LessOrEqual(t, len(evil.slots), 2)
}

func TestMetrics(t *testing.T) {
	h := newHost(t, testOptions(t), Config{Name: "evil", Path: testPlugin(t, "evil"), Kind: KindSource, Timeout: 50 * time.Millisecond})
	p := source(t, h, "evil")
	for _, rec := range []string{"ok", "ok", "loop", "junk", "panic"} {
		_, _ = p.Transform(context.Background(), []byte(rec))
	}
	fams, err := registry(t, h).Gather()
	require.NoError(t, err)
	calls := map[string]float64{}
	var observed uint64
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case "rastro_plugin_calls_total":
				var plugin, result string
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "plugin":
						plugin = l.GetValue()
					case "result":
						result = l.GetValue()
					}
				}
				require.Equal(t, "evil", plugin)
				calls[result] = m.GetCounter().GetValue()
			case "rastro_plugin_call_seconds":
				observed = m.GetHistogram().GetSampleCount()
			}
		}
	}
	require.Equal(t, map[string]float64{ResultOK: 2, ResultTimeout: 1, ResultBadOutput: 1, ResultTrap: 1, ResultRefused: 0, ResultCanceled: 0}, calls,
		"every result shows, at zero too")
	require.EqualValues(t, 5, observed)
}

// TestOutputLogged checks that a plugin's chatter reaches the log within
// its bound, and costs it nothing.
func TestOutputLogged(t *testing.T) {
	var lines atomic.Int64
	var dropped atomic.Int64
	opts := testOptions(t)
	opts.Logger = slog.New(countHandler{func(r slog.Record) {
		lines.Add(1)
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "dropped_lines" {
				dropped.Add(a.Value.Int64())
			}
			return true
		})
	}})
	h := newHost(t, opts, Config{Name: "evil", Path: testPlugin(t, "evil"), Kind: KindSource, Timeout: 5 * time.Second})
	ev, err := source(t, h, "evil").Transform(context.Background(), []byte("chatty"))
	require.NoError(t, err)
	require.Equal(t, "chatty", ev[0].ID)
	require.LessOrEqual(t, lines.Load(), int64(logBurst+5), "the log is bounded")
	require.Positive(t, lines.Load())
}

type countHandler struct{ f func(slog.Record) }

func (h countHandler) Enabled(context.Context, slog.Level) bool      { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error { h.f(r); return nil }
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h countHandler) WithGroup(string) slog.Handler                 { return h }

func TestStreamCutsLines(t *testing.T) {
	var got []string
	log := slog.New(countHandler{func(r slog.Record) {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "line" {
				got = append(got, a.Value.String())
			}
			return true
		})
	}})
	pl := newPluginLog(log, "p")
	pl.limit.SetBurst(100)
	s := newStream(pl, "stderr", slog.LevelWarn, true)
	long := make([]byte, 2000)
	for i := range long {
		long[i] = 'x'
	}
	_, _ = io.WriteString(s, "panic: boom\n\ngoroutine 1\n")
	_, _ = s.Write(long)
	_, _ = io.WriteString(s, "tail\nnext")
	s.flush()
	require.Equal(t, []string{"panic: boom", "goroutine 1", string(long[:maxLineBytes]), "next"}, got)
	require.Equal(t, "panic: boom", s.firstLine())
	require.Len(t, s.first, firstBytes)
}

func TestClose(t *testing.T) {
	cfgs := []Config{{Name: "trivial", Path: testPlugin(t, "trivial"), Kind: KindSource, Timeout: time.Second}}
	// A first host starts the runtime's own goroutines (finalizers).
	h, err := New(context.Background(), cfgs, testOptions(t))
	require.NoError(t, err)
	require.NoError(t, h.Close(context.Background()))
	runtime.GC()
	before := runtime.NumGoroutine()
	h, err = New(context.Background(), cfgs, testOptions(t))
	require.NoError(t, err)
	p := source(t, h, "trivial")
	_, err = p.Transform(context.Background(), []byte("x"))
	require.NoError(t, err)
	require.NoError(t, h.Close(context.Background()))
	require.NoError(t, h.Close(context.Background()), "idempotent")
	_, err = p.Transform(context.Background(), []byte("x"))
	require.ErrorIs(t, err, ErrClosed)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines leak: %d before, %d after Close\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestCanceled(t *testing.T) {
	h := newHost(t, testOptions(t), Config{Name: "trivial", Path: testPlugin(t, "trivial"), Kind: KindSource, Timeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := source(t, h, "trivial").Transform(ctx, []byte("x"))
	requireCallError(t, err, "trivial", ResultCanceled, "canceled")
	require.False(t, errors.Is(err, ErrClosed))
}
