package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rastrohq/rastro/collector/internal/cputime"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// benchTrace returns a realistic rated trace: about 560 bytes of JSON.
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
	if kind == wire.KindNPS {
		t.Data.NPSClass = trace.Passive
		switch {
		case v <= 6:
			t.Data.NPSClass = trace.Detractor
		case v >= 9:
			t.Data.NPSClass = trace.Promoter
		}
	}
	if kind == wire.KindClick {
		t.Data.Value, t.Data.Min, t.Data.Max, t.Data.Score, t.Data.Sentiment = nil, nil, nil, nil, ""
	}
	return t
}

// BenchmarkAppend appends from 64 concurrent callers (as many HTTP
// requests would), each call carrying batch traces with new UUIDv7 ids.
// commit=each turns group commit off (one call per transaction) to show
// what it brings.
func BenchmarkAppend(b *testing.B) {
	type variant struct {
		sync     string
		batch    int
		maxBatch int // Options.MaxBatchRows; 1 commits each call alone
	}
	var variants []variant
	for _, sync := range []string{"full", "normal"} {
		for _, batch := range []int{1, 10, 100} {
			variants = append(variants, variant{sync, batch, 0})
		}
		variants = append(variants, variant{sync, 1, 1})
	}
	for _, v := range variants {
		commit := "group"
		if v.maxBatch == 1 {
			commit = "each"
		}
		opts := Options{MaxBatchRows: v.maxBatch}
		if v.sync == "normal" {
			opts.Sync = SyncNormal
		}
		batch := v.batch
		b.Run(fmt.Sprintf("sync=%s/batch=%d/commit=%s", v.sync, batch, commit), func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "traces.db"), opts)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			b.ReportAllocs()
			b.SetParallelism(32) // 32 callers per CPU
			b.ResetTimer()
			cpu0 := cputime.Process()
			b.RunParallel(func(pb *testing.PB) {
				traces := make([]trace.Trace, batch)
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
			reportRows(b, b.N*batch, cputime.Process()-cpu0)
		})
	}
}

// reportRows reports rows/s and the CPU time of the whole process (callers
// and writer) per row.
func reportRows(b *testing.B, rows int, cpu time.Duration) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(rows), "cpu-µs/row")
	}
}

// BenchmarkIndexes measures what each secondary index costs an insert:
// one caller appends batches of 100 traces, with the indexes not named
// dropped after Open. The rows are those of BenchmarkAppend: 8
// touchpoints, 1000 users, 5 agents on a quarter of the rows (agent_id
// has no index). keep=all,rollups=off is keep=all without the rollups,
// to show what they cost.
func BenchmarkIndexes(b *testing.B) {
	for _, keep := range []string{"none", "touchpoint", "user", "all", "all,rollups=off"} {
		b.Run("keep="+keep, func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "traces.db"), Options{Sync: SyncNormal})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			keep, off := strings.CutSuffix(keep, ",rollups=off")
			db.testNoRollups = off
			for _, ix := range []string{"touchpoint", "user"} {
				if keep != "all" && keep != ix {
					if _, err := db.write.Exec("DROP INDEX traces_" + ix); err != nil {
						b.Fatal(err)
					}
				}
			}
			traces := make([]trace.Trace, 100)
			for i := range traces {
				traces[i] = benchTrace(i, time.Now())
			}
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				now := time.Now()
				for i := range traces {
					traces[i].ID = wire.NewIDAt(now)
					traces[i].Time = now
				}
				if _, err := db.Append(context.Background(), traces); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, b.N*len(traces), cputime.Process()-cpu0)
		})
	}
}

// BenchmarkSummary aggregates 200k traces on 8 touchpoints over 30 days.
func BenchmarkSummary(b *testing.B) {
	const rows = 200_000
	db, err := Open(filepath.Join(b.TempDir(), "traces.db"), Options{Sync: SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 30 * 24 * time.Hour / rows
	batch := make([]trace.Trace, 0, 1000)
	for i := range rows {
		batch = append(batch, benchTrace(i, start.Add(time.Duration(i)*step)))
		if len(batch) == cap(batch) {
			if _, err := db.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// What the writer runs every optimizeEvery; read connections load the
	// statistics when they open.
	if _, err := db.write.Exec(optimizeSQL); err != nil {
		b.Fatal(err)
	}
	db.read.SetMaxIdleConns(0)
	db.read.SetMaxIdleConns(db.opts.ReadConns)
	for _, tc := range []struct {
		name string
		q    store.SummaryQuery
	}{
		{"by=touchpoint", store.SummaryQuery{GroupBy: store.ByTouchpoint}},
		{"by=touchpoint/last=7d", store.SummaryQuery{GroupBy: store.ByTouchpoint, Filter: store.Filter{From: start.Add(23 * 24 * time.Hour)}}},
		{"by=day", store.SummaryQuery{GroupBy: store.ByDay}},
		{"by=agent", store.SummaryQuery{GroupBy: store.ByAgent}},
		{"by=kind/touchpoint=checkout", store.SummaryQuery{GroupBy: store.ByKind, Filter: store.Filter{Touchpoint: "checkout"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g, err := db.Summary(ctx, tc.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(g) == 0 {
					b.Fatal("no groups")
				}
			}
			b.ReportMetric(float64(b.Elapsed())/1e6/float64(b.N), "ms/op")
		})
	}
}

// BenchmarkQuery reads pages of 100 traces.
func BenchmarkQuery(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "traces.db"), Options{Sync: SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]trace.Trace, 0, 1000)
	for i := range 20_000 {
		batch = append(batch, benchTrace(i, start.Add(time.Duration(i)*time.Second)))
		if len(batch) == cap(batch) {
			if _, err := db.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ReportAllocs()
	f := store.Filter{Touchpoint: "checkout"}
	for b.Loop() {
		p, err := db.Query(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		f.Cursor = p.Next // wraps to the first page after the last
	}
}

// BenchmarkRollupCost measures what the rollups cost the writer. It
// appends the same batches of 100 traces to two stores in turn, one
// keeping rollups and one not, and reports the CPU time of each writer's
// thread per row (Linux only), and the difference in percent: the two see
// the same machine at the same moments, which a shared machine's noise
// would otherwise swamp. few-keys are the rows of BenchmarkAppend (8
// touchpoints, 5 agents); many-keys spread every batch over 50
// touchpoints, 5 channels and 200 agents, as the insights benchmark does.
func BenchmarkRollupCost(b *testing.B) {
	for _, shape := range []struct {
		name           string
		spread, agents int
	}{{"few-keys", 0, 0}, {"many-keys", 50, 200}} {
		b.Run(shape.name, func(b *testing.B) {
			var (
				dbs [2]*DB
				cpu [2]atomic.Int64
			)
			for i := range dbs {
				db, err := Open(filepath.Join(b.TempDir(), fmt.Sprintf("traces%d.db", i)), Options{Sync: SyncNormal})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				db.testNoRollups = i == 1
				var last time.Duration
				db.testHookCommit = func() { // on the writer's goroutine, before each commit
					if last == 0 {
						runtime.LockOSThread() // for the life of the writer
						last = threadCPUTime()
						return
					}
					now := threadCPUTime()
					cpu[i].Add(int64(now - last))
					last = now
				}
				dbs[i] = db
			}
			traces := make([]trace.Trace, 100)
			r := rand.New(rand.NewPCG(1, 2))
			channels := []wire.Channel{wire.ChannelWeb, wire.ChannelApp, wire.ChannelChat, wire.ChannelVoice, wire.ChannelEmail}
			for i := range traces {
				traces[i] = benchTrace(i, time.Now())
			}
			b.ReportAllocs()
			for b.Loop() {
				now := time.Now()
				for i := range traces {
					traces[i].Time = now
					if shape.spread > 0 {
						d := &traces[i].Data
						d.Touchpoint = fmt.Sprintf("tp-%02d", r.IntN(shape.spread))
						d.Channel = channels[r.IntN(len(channels))]
						d.AgentID = fmt.Sprintf("a-%d", r.IntN(shape.agents))
					}
				}
				for _, db := range dbs {
					for i := range traces {
						traces[i].ID = wire.NewIDAt(now)
					}
					if _, err := db.Append(context.Background(), traces); err != nil {
						b.Fatal(err)
					}
				}
			}
			rows := float64(b.N * len(traces))
			on, off := float64(cpu[0].Load())/1e3/rows, float64(cpu[1].Load())/1e3/rows
			if on > 0 && off > 0 {
				b.ReportMetric(on, "writer-µs/row")
				b.ReportMetric(off, "off-writer-µs/row")
				b.ReportMetric(100*(on/off-1), "rollup-%")
			}
		})
	}
}
