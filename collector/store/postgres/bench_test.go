package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// benchTrace returns a realistic rated trace, as the sqlite benchmarks
// write: about 560 bytes of JSON.
func benchTrace(i int, at time.Time) trace.Trace {
	kinds := []wire.Kind{wire.KindStar, wire.KindNPS, wire.KindCSAT, wire.KindCES, wire.KindClick}
	touchpoints := []string{"checkout", "support", "home", "search", "onboarding", "billing", "profile", "cart"}
	kind := kinds[i%len(kinds)]
	v, lo, hi := float64(i%5+1), 1.0, 5.0
	if kind == wire.KindNPS {
		v, lo, hi = float64(i%11), 0, 10
	}
	score := (v - lo) / (hi - lo)
	sentiment := trace.Neutral
	switch {
	case score < 0.4:
		sentiment = trace.Negative
	case score > 0.6:
		sentiment = trace.Positive
	}
	t := trace.Trace{
		SpecVersion: trace.SpecVersion, ID: wire.NewIDAt(at), Source: "rastro://bench",
		Type: trace.TypePrefix + string(kind), Time: at, DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
		Data: trace.Data{
			Kind: kind, Touchpoint: touchpoints[i%len(touchpoints)], Channel: wire.ChannelWeb, Journey: "purchase",
			AnonymousID: "anon-0193f8a2", UserID: fmt.Sprintf("user-%d", i%1000), SessionID: "sess-0193f8a2",
			Value: &v, Min: &lo, Max: &hi, Score: &score, Sentiment: sentiment,
			Context:    &wire.Context{URL: "https://shop.example.com/checkout/payment", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"},
			ReceivedAt: at, Origin: trace.OriginWire,
		},
	}
	if i%4 == 0 {
		t.Data.AgentID = fmt.Sprintf("agent-%d", i%20)
	}
	if kind == wire.KindClick {
		t.Data.Value, t.Data.Min, t.Data.Max, t.Data.Score, t.Data.Sentiment = nil, nil, nil, nil, ""
	}
	return t
}

// BenchmarkAppend appends from 64 concurrent callers (as many HTTP
// requests would), each call carrying batch traces with new UUIDv7 ids,
// to one collector or to two sharing the schema (collectors=2: the
// callers alternate between them). commit=each turns group commit off.
// The server is the package's test server: fsync on, on this machine's
// disk, sharing its CPUs with the benchmark.
func BenchmarkAppend(b *testing.B) {
	type variant struct {
		collectors int
		batch      int
		maxBatch   int // Options.MaxBatchRows; 1 commits each call alone
	}
	variants := []variant{{1, 1, 1}}
	for _, c := range []int{1, 2} {
		for _, batch := range []int{1, 10, 100} {
			variants = append(variants, variant{c, batch, 0})
		}
	}
	for _, v := range variants {
		commit := "group"
		if v.maxBatch == 1 {
			commit = "each"
		}
		b.Run(fmt.Sprintf("collectors=%d/batch=%d/commit=%s", v.collectors, v.batch, commit), func(b *testing.B) {
			dsn := schema(b)
			dbs := make([]*DB, v.collectors)
			for i := range dbs {
				dbs[i] = openDB(b, dsn, Options{MaxBatchRows: v.maxBatch})
			}
			var caller atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(32) // 32 callers per CPU
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				db := dbs[int(caller.Add(1))%len(dbs)]
				traces := make([]trace.Trace, v.batch)
				for i := range traces {
					traces[i] = benchTrace(i, time.Now())
				}
				for pb.Next() {
					now := time.Now()
					for i := range traces {
						traces[i].ID = wire.NewIDAt(now)
						traces[i].Time = now
					}
					ins, err := db.Append(context.Background(), traces)
					if err != nil {
						b.Error(err)
						return
					}
					if !ins[0] {
						b.Error("duplicate")
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*v.batch)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
