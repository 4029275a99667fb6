package ingest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBudget(t *testing.T) {
	b := NewBudget(100)
	require.True(t, b.Acquire(60))
	require.False(t, b.Acquire(50), "110 > 100")
	require.Equal(t, int64(60), b.Used(), "a refused acquire takes nothing")
	require.True(t, b.Acquire(40))
	b.Release(60)
	b.Release(40)
	require.Zero(t, b.Used())
	require.True(t, b.Acquire(500), "a lone request over the budget is admitted")
	require.False(t, b.Acquire(1))
	b.Release(500)
}

func TestCharge(t *testing.T) {
	const max = 1000
	for _, tt := range []struct {
		name   string
		length int64
		gz     bool
		want   int64
	}{
		{"unknown length", -1, false, MemoryPerBodyByte * max},
		{"plain", 300, false, MemoryPerBodyByte * 300},
		{"plain over max", 5000, false, MemoryPerBodyByte * max},
		{"gzip inflates", 10, true, MemoryPerBodyByte * gzipRatio * 10},
		{"gzip capped", 400, true, MemoryPerBodyByte * max},
		{"gzip unknown", -1, true, MemoryPerBodyByte * max},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Charge(tt.length, tt.gz, max))
		})
	}
}
