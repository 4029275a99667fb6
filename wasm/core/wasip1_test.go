//go:build !js && !wasip1 && !rastro_nojson

package core_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/rastrohq/rastro/sdk/wire"
)

type probeLine struct {
	Step    string   `json:"step"`
	Warn    string   `json:"warn"`
	Queued  bool     `json:"queued"`
	Flush   bool     `json:"flush"`
	Body    string   `json:"body"`
	N       int      `json:"n"`
	Len     int      `json:"len"`
	WaitMS  int64    `json:"wait_ms"`
	Beacons []string `json:"beacons"`
}

// TestCoreUnderWazero compiles the core (through wasm/internal/coreprobe)
// for GOOS=wasip1 with the widget's build tag and runs it under wazero:
// the wasm build of queueing, batching, validation and encoding is what
// the collector accepts.
func TestCoreUnderWazero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasip1 module")
	}
	bin := filepath.Join(t.TempDir(), "probe.wasm")
	cmd := exec.Command("go", "build", "-tags", "rastro_nojson", "-trimpath", "-o", bin, "../internal/coreprobe")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	code, err := os.ReadFile(bin)
	require.NoError(t, err)

	ctx := context.Background()
	// The interpreter: the probe runs for milliseconds, and compiling it
	// costs seconds under -race.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	var stdout, stderr bytes.Buffer
	_, err = rt.InstantiateWithConfig(ctx, code, wazero.NewModuleConfig().WithStdout(&stdout).WithStderr(&stderr).
		WithSysWalltime().WithSysNanotime().WithRandSource(strings.NewReader(strings.Repeat("r", 1<<16))).WithArgs("coreprobe"))
	require.NoError(t, err, "stderr: %s", stderr.String())

	steps := map[string]probeLine{}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var l probeLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		steps[l.Step] = l
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

	for _, tc := range []struct{ step, warn string }{
		{"bad-value", `rastro("star"): argument 3 (value) must be between 1 and 5 for kind star`},
		{"bad-touchpoint", `rastro("nps"): argument 2 (touchpoint) must be a non-empty string, got a number`},
		{"bad-option", `rastro("csat"): argument 4 (options) has an unknown field "colour"`},
		{"bad-method", `rastro("rate"): unknown method`},
	} {
		t.Run(tc.step, func(t *testing.T) {
			require.Contains(t, steps[tc.step].Warn, tc.warn)
			require.False(t, steps[tc.step].Queued)
		})
	}
	require.True(t, steps["comment"].Flush, "a full batch asks for a send")

	// The batch is wire protocol v1 as the collector decodes it.
	b := steps["batch"]
	require.Equal(t, 3, b.N)
	batch, err := wire.DecodeBatch([]byte(b.Body))
	require.NoError(t, err)
	require.Len(t, batch.Events, 3)
	var evs []wire.Event
	for _, raw := range batch.Events {
		var ev wire.Event
		require.NoError(t, wire.DecodeEvent(raw, &ev))
		require.NoError(t, ev.Validate(wire.Limits{}, now))
		evs = append(evs, ev)
	}
	require.Equal(t, "u-42", evs[0].UserID)
	require.Equal(t, map[string]string{"plan": "pro"}, evs[0].Props)
	require.Equal(t, "😍", evs[1].Emoji)
	require.Equal(t, 5.0, *evs[1].Value)
	require.Equal(t, "Ótimo \"app\" <3\n\u2028", evs[2].Text)
	require.Equal(t, "rastro-web", batch.SDK.Name)

	require.Equal(t, int64(7000), steps["retry-after"].WaitMS, "Retry-After is honoured")
	require.Equal(t, b.Body, steps["batch-again"].Body, "a retried batch carries the same events (same ids)")
	require.Equal(t, 1, steps["acked"].Len)
	require.Equal(t, 1, steps["restored"].Len, "a snapshot restores once, without duplicates")

	bc := steps["beacons"]
	require.Less(t, bc.Len, 600, "the queue is bounded")
	require.GreaterOrEqual(t, len(bc.Beacons), 2)
	total := 0
	for _, body := range bc.Beacons {
		require.Less(t, len(body), 64<<10, "a beacon stays under 64 KiB")
		rb, err := wire.DecodeBatch([]byte(body))
		require.NoError(t, err)
		total += len(rb.Events)
	}
	require.Equal(t, bc.Len, total, "beacons carry every queued event")
	require.Equal(t, 0, steps["consent-off"].Len, "withdrawn consent drops the queue")
	require.Equal(t, 0, steps["after-consent-off"].Len)
}
