package ingest

import "sync/atomic"

// Budget bounds the memory of the batches being handled at once by every
// handler that shares it (POST /v1/batch and the collector's other
// sources), so that an overload is answered 503 instead of growing memory,
// whichever endpoint it comes through. It is safe for concurrent use.
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// Acquire takes n bytes, or reports false and takes nothing when they do
// not fit. A lone request larger than the budget is admitted, so that one
// batch of the largest allowed size can always be handled.
func (b *Budget) Acquire(n int64) bool {
	if v := b.used.Add(n); v > b.max && v != n {
		b.used.Add(-n)
		return false
	}
	return true
}

// Release gives back n bytes taken by Acquire.
func (b *Budget) Release(n int64) { b.used.Add(-n) }

// Used returns the bytes taken now.
func (b *Budget) Used() int64 { return b.used.Load() }

// Charge is what a request body of contentLength bytes (-1 when unknown)
// is reckoned to cost in memory, at most a whole batch of max bytes.
func Charge(contentLength int64, gzipped bool, max int) int64 {
	body := int64(max)
	switch {
	case contentLength < 0:
	case !gzipped:
		body = min(body, contentLength)
	default:
		body = min(body, gzipRatio*contentLength)
	}
	return MemoryPerBodyByte * body
}
