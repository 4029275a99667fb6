package demo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

func TestTraces(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ts := Traces(now, 2000)
	require.Equal(t, ts, Traces(now, 2000), "same call, same traces")
	ids := map[string]bool{}
	kinds := map[wire.Kind]int{}
	byTP := map[string]*store.Sums{}
	recent := store.Sums{}
	for i := range ts {
		tr := &ts[i]
		require.False(t, ids[tr.ID], "id %s twice", tr.ID)
		ids[tr.ID] = true
		require.False(t, tr.Time.After(now.Add(time.Hour)))
		require.True(t, tr.Time.After(now.Add(-15*24*time.Hour)))
		ev := wire.Event{ID: tr.ID, Kind: tr.Data.Kind, Touchpoint: tr.Data.Touchpoint, Channel: tr.Data.Channel,
			Value: tr.Data.Value, Text: tr.Data.Text}
		if tr.Data.Kind == wire.KindQA || (tr.Data.Max != nil && *tr.Data.Max != 5 && tr.Data.Kind != wire.KindNPS && tr.Data.Kind != wire.KindCES && tr.Data.Kind != wire.KindThumbs) {
			ev.ScaleMin, ev.ScaleMax = tr.Data.Min, tr.Data.Max
		}
		require.NoError(t, ev.Validate(wire.Limits{}, now), "trace %d", i)
		kinds[tr.Data.Kind]++
		s := byTP[tr.Data.Touchpoint]
		if s == nil {
			s = &store.Sums{}
			byTP[tr.Data.Touchpoint] = s
		}
		s.Add(&tr.Data)
		if tr.Data.Touchpoint == "checkout.payment" && now.Sub(tr.Time) < 48*time.Hour {
			recent.Add(&tr.Data)
		}
	}
	for _, k := range wire.Kinds() {
		require.Positive(t, kinds[k], "kind %s present", k)
	}
	require.Len(t, byTP, 7)
	// The checkout incident: recent scores well below the touchpoint's.
	all := byTP["checkout.payment"].Group("")
	last := recent.Group("")
	require.Less(t, *last.MeanScore, *all.MeanScore-0.2)
	require.Equal(t, "rastro://demo", ts[0].Source)
	require.Equal(t, trace.OriginWire, ts[0].Data.Origin)
}
