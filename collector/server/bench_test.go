package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/store/sqlite"
	"github.com/rastrohq/rastro/sdk/wire"
)

// BenchmarkServe posts batches to the whole collector — ingest,
// normalization, dedupe and the durable SQLite store — over real loopback
// HTTP from parallel clients, and reports events/s.
func BenchmarkServe(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run("batch="+strconv.Itoa(n), func(b *testing.B) {
			st, err := sqlite.Open(filepath.Join(b.TempDir(), "traces.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			srv, err := New(Config{WriteKeys: []ingest.WriteKey{{Token: "wk", Rate: -1}}, Logger: quiet()}, st)
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			defer st.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				evs := make([]wire.Event, n)
				var buf bytes.Buffer
				for pb.Next() {
					for i := range evs {
						v := float64(1 + i%5)
						evs[i] = wire.Event{ID: wire.NewID(), Kind: wire.KindStar, Touchpoint: "checkout.payment",
							Channel: wire.ChannelWeb, UserID: "u-42", Value: &v,
							Context: &wire.Context{URL: "https://shop.example/checkout", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}}
					}
					buf.Reset()
					if err := wire.WriteBatch(&buf, &wire.Batch{SentAt: time.Now(), Events: evs}); err != nil {
						b.Error(err)
						return
					}
					req, _ := http.NewRequest("POST", ts.URL+"/v1/batch", bytes.NewReader(buf.Bytes()))
					req.Header.Set("Authorization", "Bearer wk")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
