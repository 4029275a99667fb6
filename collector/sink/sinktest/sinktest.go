// Package sinktest has what the tests of sinks and of their users share:
// traces that exercise subjects, keys and headers ([Traces]), their outbox
// entries ([Pendings]), and [Recorder], an in-memory sink that records
// what it is given and fails on demand.
package sinktest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// touchpoints are awkward on purpose: a dot, a space, NATS wildcards,
// non-ASCII text.
var touchpoints = []string{"checkout", "app.settings", "help center", "a*b>c", "café ✓", ""}

var kinds = []wire.Kind{wire.KindCSAT, wire.KindNPS, wire.KindClick, wire.KindStar, wire.KindComment}

// Traces returns n traces with ids prefix0000, prefix0001, ...: kinds,
// touchpoints (some not subject-safe), users (some anonymous) and texts
// vary with the index.
func Traces(prefix string, n int) []trace.Trace {
	base := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	out := make([]trace.Trace, n)
	for i := range out {
		kind := kinds[i%len(kinds)]
		at := base.Add(time.Duration(i) * time.Millisecond)
		t := trace.Trace{
			SpecVersion: trace.SpecVersion, ID: fmt.Sprintf("%s%04d", prefix, i), Source: "rastro://test/sinktest",
			Type: trace.TypePrefix + string(kind), Time: at,
			DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
			Data: trace.Data{
				Kind: kind, Touchpoint: touchpoints[i%len(touchpoints)], Channel: wire.ChannelWeb,
				ReceivedAt: at.Add(time.Second), Origin: trace.OriginWire,
			},
		}
		switch i % 3 {
		case 0:
			t.Data.UserID = fmt.Sprintf("user-%d", i%7)
		case 1:
			t.Data.AnonymousID = fmt.Sprintf("anon-%d", i%5)
		}
		switch kind {
		case wire.KindCSAT, wire.KindStar:
			v, lo, hi := float64(1+i%5), 1.0, 5.0
			s := (v - lo) / (hi - lo)
			t.Data.Value, t.Data.Min, t.Data.Max, t.Data.Score = &v, &lo, &hi, &s
		case wire.KindNPS:
			v, lo, hi := float64(i%11), 0.0, 10.0
			s := v / hi
			t.Data.Value, t.Data.Min, t.Data.Max, t.Data.Score = &v, &lo, &hi, &s
		case wire.KindComment:
			t.Data.Text = `said "hi" ünïcödé ✓ 100%`
		case wire.KindClick:
			t.Data.Target = "pay-button"
		}
		out[i] = t
	}
	return out
}

// Pendings returns ts as outbox entries, Seq from 1, each Body the
// trace's CloudEvents JSON as a store keeps it. It panics when a trace
// does not encode, which a test trace always does.
func Pendings(ts []trace.Trace) []store.Pending {
	out := make([]store.Pending, len(ts))
	for i := range ts {
		b, err := ts[i].MarshalJSON()
		if err != nil {
			panic(fmt.Sprintf("sinktest: encoding %q: %v", ts[i].ID, err))
		}
		out[i] = store.Pending{Seq: int64(i + 1), Trace: ts[i], Body: b}
	}
	return out
}

// ErrDown is the error of a Recorder told to fail.
var ErrDown = errors.New("sinktest: sink down")

// Recorder is a sink.Sink that keeps the ids of what it publishes. It is
// safe for concurrent use.
type Recorder struct {
	// SinkName is what Name returns; "test" when empty.
	SinkName string

	mu      sync.Mutex
	down    bool
	ids     []string
	calls   int
	fails   int
	changed chan struct{} // closed and replaced at each Publish
}

var _ sink.Sink = (*Recorder)(nil)

// Name implements sink.Sink.
func (r *Recorder) Name() string {
	if r.SinkName == "" {
		return "test"
	}
	return r.SinkName
}

// SetDown makes Publish fail with ErrDown (true) or succeed (false).
func (r *Recorder) SetDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// Publish records the ids of batch, or fails when the recorder is down.
func (r *Recorder) Publish(ctx context.Context, batch []store.Pending) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
	if r.down {
		r.fails++
		return ErrDown
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range batch {
		r.ids = append(r.ids, batch[i].Trace.ID)
	}
	return nil
}

// IDs returns the ids published so far, in order, repeats included.
func (r *Recorder) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// Calls returns how many times Publish was called and how many of those
// failed.
func (r *Recorder) Calls() (calls, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, r.fails
}

// Changed returns a channel closed at the next Publish call.
func (r *Recorder) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.changed == nil {
		r.changed = make(chan struct{})
	}
	return r.changed
}

// Close implements sink.Sink.
func (r *Recorder) Close() error { return nil }
