package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func Example() {
	dir, err := os.MkdirTemp("", "rastro-sqlite-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(filepath.Join(dir, "traces.db"), sqlite.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	at := time.Date(2025, 3, 10, 9, 30, 0, 0, time.UTC)
	stars := func(id string, value float64) trace.Trace {
		lo, hi, score := 1.0, 5.0, (value-1)/4
		return trace.Trace{
			SpecVersion: trace.SpecVersion, ID: id, Source: "rastro://example", Type: trace.TypePrefix + "star",
			Time: at, DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
			Data: trace.Data{
				Kind: wire.KindStar, Touchpoint: "checkout", Channel: wire.ChannelWeb,
				Value: &value, Min: &lo, Max: &hi, Score: &score, Sentiment: trace.Positive,
				ReceivedAt: at, Origin: trace.OriginWire,
			},
		}
	}

	// Append returns once the new traces are on disk; the second "a" is a
	// duplicate (a client's retry, say) and is not stored again.
	inserted, err := db.Append(ctx, []trace.Trace{stars("a", 5), stars("b", 4), stars("a", 5)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("inserted:", inserted)

	groups, err := db.Summary(ctx, store.SummaryQuery{GroupBy: store.ByTouchpoint})
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range groups {
		fmt.Printf("%s: %d traces, mean score %.3f\n", g.Key, g.Count, *g.MeanScore)
	}

	page, err := db.Query(ctx, store.Filter{Touchpoint: "checkout", Limit: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first page:", page.Traces[0].ID, "more:", page.Next != "")
	// Output:
	// inserted: [true true false]
	// checkout: 2 traces, mean score 0.875
	// first page: a more: true
}
