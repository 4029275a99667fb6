// Command coreprobe drives wasm/core through a fixed scenario and prints
// what it did as JSON lines. The core's wasip1 test builds it with
// GOOS=wasip1 -tags rastro_nojson and runs it under wazero, so the wasm
// build of the widget's non-DOM logic (queueing, batching, validation,
// encoding, backoff) is tested on every `go test`, without a browser. It
// is not part of the widget module, so it may use encoding/json.
package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/rastrohq/rastro/wasm/core"
)

type line struct {
	Step    string   `json:"step"`
	Warn    string   `json:"warn,omitempty"`
	Queued  bool     `json:"queued,omitempty"`
	Flush   bool     `json:"flush,omitempty"`
	Body    string   `json:"body,omitempty"`
	N       int      `json:"n,omitempty"`
	Len     int      `json:"len"`
	WaitMS  int64    `json:"wait_ms,omitempty"`
	Beacons []string `json:"beacons,omitempty"`
}

func main() {
	out := json.NewEncoder(os.Stdout)
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixMilli()
	c := core.New()
	c.Now = func() int64 { return at }
	c.BatchEvents = 3
	call := func(step, method string, args ...core.Arg) {
		r := c.Call(method, args)
		_ = out.Encode(line{Step: step, Warn: r.Warn, Queued: r.Queued, Flush: r.Flush, Len: c.Queue.Len()})
	}
	call("identify", "identify", core.Str("u-42"))
	call("star", "star", core.Str("checkout.payment"), core.Num(4), core.Obj(map[string]core.Arg{"props": core.Obj(map[string]core.Arg{"plan": core.Str("pro")})}))
	call("bad-value", "star", core.Str("checkout.payment"), core.Num(6))
	call("bad-touchpoint", "nps", core.Num(3), core.Num(9))
	call("bad-option", "csat", core.Str("t"), core.Num(5), core.Obj(map[string]core.Arg{"colour": core.Str("red")}))
	call("bad-method", "rate", core.Str("t"), core.Num(5))
	call("emoji", "emoji", core.Str("home"), core.Str("😍"))
	call("comment", "comment", core.Str("checkout.payment"), core.Str("Ótimo \"app\" <3\n\u2028"))
	call("thumbs", "thumbs", core.Str("help"), core.Boolean(true))
	body, n := c.Batch()
	_ = out.Encode(line{Step: "batch", Body: string(body), N: n, Len: c.Queue.Len()})
	wait, _ := c.Done(503, "7", 0)
	_ = out.Encode(line{Step: "retry-after", WaitMS: wait, Len: c.Queue.Len()})
	body, n = c.Batch()
	_ = out.Encode(line{Step: "batch-again", Body: string(body), N: n, Len: c.Queue.Len()})
	_, _ = c.Done(200, "", 0)
	_ = out.Encode(line{Step: "acked", Len: c.Queue.Len()})
	snap := c.Queue.Snapshot()
	fresh := core.New()
	fresh.Queue.Restore(snap)
	fresh.Queue.Restore(snap) // twice: no duplicates
	_ = out.Encode(line{Step: "restored", Len: fresh.Queue.Len(), Body: string(snap)})
	for range 600 {
		c.Call("click", []core.Arg{core.Str("home.cta"), core.Str("button#go"), core.Obj(map[string]core.Arg{"props": core.Obj(map[string]core.Arg{"pad": core.Str(string(make([]byte, 400)))})})})
	}
	_ = out.Encode(line{Step: "beacons", Beacons: beacons(c), Len: c.Queue.Len()})
	call("consent-off", "consent", core.Boolean(false))
	call("after-consent-off", "star", core.Str("x"), core.Num(3))
}

func beacons(c *core.Core) []string {
	var out []string
	for _, b := range c.Beacons() {
		out = append(out, string(b))
	}
	return out
}
