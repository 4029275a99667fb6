package insights

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// benchTraces is the size of the benchmark store: the million.
const benchTraces = 1_000_000

var benchEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// benchStore opens a store of benchTraces realistic traces over 90 days:
// 50 touchpoints, 5 channels, 200 agents, 100,000 users, every kind. It is
// built once (a few minutes) and kept in the temporary folder for later
// runs. Its name carries the version of the dataset (v2) and the schema
// version of the store, so that a new layout gets a store built by it
// rather than a migrated one.
func benchStore(b *testing.B) store.Store {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("rastro-insights-1m-v2-schema%d.db", sqlite.SchemaVersion))
	st, err := sqlite.Open(path, sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	s, err := st.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if s.Traces >= benchTraces {
		return st
	}
	start := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	kinds := []wire.Kind{wire.KindStar, wire.KindCSAT, wire.KindNPS, wire.KindCES, wire.KindThumbs, wire.KindClick, wire.KindComment, wire.KindQA}
	channels := []wire.Channel{wire.ChannelWeb, wire.ChannelApp, wire.ChannelChat, wire.ChannelVoice, wire.ChannelEmail}
	span := int64(90 * 24 * time.Hour)
	batch := make([]trace.Trace, 0, 5000)
	for i := int(s.Traces); i < benchTraces; i++ {
		at := benchEnd.Add(-time.Duration(span) + time.Duration(int64(i)*(span/benchTraces)))
		k := kinds[r.IntN(len(kinds))]
		ev := wire.Event{
			ID: fmt.Sprintf("bench-%07d", i), Kind: k, Touchpoint: fmt.Sprintf("tp-%02d", r.IntN(50)),
			Channel: channels[r.IntN(len(channels))], UserID: fmt.Sprintf("u-%d", r.IntN(100_000)),
			AgentID: fmt.Sprintf("a-%d", r.IntN(200)), InteractionID: fmt.Sprintf("i-%d", i/3), OccurredAt: at,
		}
		if sc, rated := k.DefaultScale(); rated {
			v := sc.Min + float64(r.IntN(int(sc.Max-sc.Min)+1))
			ev.Value = &v
		}
		switch k {
		case wire.KindComment:
			ev.Text = "took too long"
		case wire.KindClick:
			ev.Target = "button#pay"
		}
		var t trace.Trace
		normalize.Event(&ev, &normalize.Batch{Source: "bench", ReceivedAt: at}, &t)
		batch = append(batch, t)
		if len(batch) == cap(batch) || i == benchTraces-1 {
			if _, err := st.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("built %d traces in %v", benchTraces, time.Since(start))
	return st
}

// timed runs fn b.N times and reports the p50 and p99 of its durations.
func timed(b *testing.B, fn func() error) {
	b.ReportAllocs()
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(ds[len(ds)*99/100])/1e6, "p99-ms")
}

// BenchmarkInsights1M answers insight queries over a million stored
// traces; the target is under 200 ms each.
func BenchmarkInsights1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a million-trace store")
	}
	st := benchStore(b)
	ctx := context.Background()
	week := store.Filter{From: benchEnd.Add(-7 * 24 * time.Hour)}
	b.Run("trends/touchpoint/day/90d", func(b *testing.B) {
		timed(b, func() error { _, err := ComputeTrends(ctx, st, TrendsQuery{}); return err })
	})
	b.Run("trends/touchpoint/hour/7d", func(b *testing.B) {
		timed(b, func() error { _, err := ComputeTrends(ctx, st, TrendsQuery{Bucket: Hour, Filter: week}); return err })
	})
	b.Run("trends/channel/week/90d", func(b *testing.B) {
		timed(b, func() error {
			_, err := ComputeTrends(ctx, st, TrendsQuery{By: store.ByChannel, Bucket: Week})
			return err
		})
	})
	b.Run("journey/user", func(b *testing.B) {
		timed(b, func() error { _, err := ComputeJourney(ctx, st, JourneyQuery{UserID: "u-4242"}); return err })
	})
	b.Run("alignment/7d", func(b *testing.B) {
		timed(b, func() error { _, err := ComputeAlignment(ctx, st, AlignmentQuery{Filter: week}); return err })
	})
	b.Run("summary/touchpoint/90d", func(b *testing.B) {
		timed(b, func() error {
			_, err := st.Summary(ctx, store.SummaryQuery{GroupBy: store.ByTouchpoint})
			return err
		})
	})
}
