package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// The timeouts below are long so that a loaded machine measures cost,
// not containment.

// BenchmarkTransformTrivial is the cost of one record through a trivial
// source plugin after warm-up: copy the record in, run the handler (two
// allocations), encode one event, decode it. The target is under 20 µs.
func BenchmarkTransformTrivial(b *testing.B) {
	h := newHost(b, testOptions(b), Config{Name: "trivial", Path: testPlugin(b, "trivial"), Kind: KindSource, Timeout: time.Second})
	p := source(b, h, "trivial")
	record := []byte("rec-0001")
	events := make([]wire.Event, 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if events, err = p.TransformAppend(context.Background(), record, events[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransformTrivialParallel is BenchmarkTransformTrivial from
// GOMAXPROCS goroutines over as many instances.
func BenchmarkTransformTrivialParallel(b *testing.B) {
	h := newHost(b, testOptions(b), Config{Name: "trivial", Path: testPlugin(b, "trivial"), Kind: KindSource, Timeout: time.Second})
	p := source(b, h, "trivial")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		record := []byte("rec-0001")
		events := make([]wire.Event, 0, 1)
		for pb.Next() {
			var err error
			if events, err = p.TransformAppend(context.Background(), record, events[:0]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkTransformZendesk is a realistic record: the example plugin
// decoding a webhook with encoding/json into two events.
func BenchmarkTransformZendesk(b *testing.B) {
	h := newHost(b, testOptions(b), Config{Name: "zd", Path: testPlugin(b, "zendesk-csat"), Kind: KindSource, Timeout: time.Second})
	p := source(b, h, "zd")
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "plugin-zendesk-csat", "testdata", "webhooks.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	record := data[:bytes.IndexByte(data, '\n')]
	b.ReportAllocs()
	for b.Loop() {
		if ev, err := p.Transform(context.Background(), record); err != nil || len(ev) != 2 {
			b.Fatal(ev, err)
		}
	}
}

// BenchmarkEnrichTrivial is the cost an enricher adds to each trace: the
// trace's JSON in, decoded by the plugin, a patch of two props out.
func BenchmarkEnrichTrivial(b *testing.B) {
	h := newHost(b, testOptions(b), Config{Name: "tagger", Path: testPlugin(b, "trivial"), Kind: KindEnrich, Timeout: time.Second})
	p := h.Plugins()[0]
	score := 0.8
	base := trace.Trace{SpecVersion: trace.SpecVersion, ID: "0190b6a0-0000-7000-8000-000000000001", Source: "rastro://web",
		Type: trace.TypePrefix + "comment", Time: time.Now().UTC(), Data: trace.Data{
			Kind: wire.KindComment, Touchpoint: "checkout", Channel: wire.ChannelWeb, Text: "the delivery was bad", Score: &score,
			ReceivedAt: time.Now().UTC(), Origin: trace.OriginWire}}
	b.ReportAllocs()
	for b.Loop() {
		t := base
		if err := p.Enrich(context.Background(), &t); err != nil {
			b.Fatal(err)
		}
	}
}
