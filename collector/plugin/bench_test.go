package plugin

import (
	"context"
	"testing"
	"time"
)

// BenchmarkTransformTrivial is the cost of one record through a trivial
// source plugin after warm-up: copy in, call, decode one event.
func BenchmarkTransformTrivial(b *testing.B) {
	ctx := context.Background()
	h, err := New(ctx, []Config{{Name: "trivial", Path: testPlugin(b, "trivial"), Kind: KindSource, Timeout: time.Second}}, testOptions(b))
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close(ctx)
	p, _ := h.Source("trivial")
	record := []byte("rec-0001")
	var events []wireEvents
	_ = events
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Transform(ctx, record); err != nil {
			b.Fatal(err)
		}
	}
}

type wireEvents = struct{}
