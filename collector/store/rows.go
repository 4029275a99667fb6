package store

import (
	"fmt"
	"math"
	"time"

	"github.com/rastrohq/rastro/collector/trace"
)

// Page sizes of Query: Filter.Limit's default and most.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// PageSize returns f.Limit with its default and bound applied.
func (f *Filter) PageSize() int {
	switch {
	case f.Limit <= 0:
		return DefaultLimit
	case f.Limit > MaxLimit:
		return MaxLimit
	}
	return f.Limit
}

// UnixNanos is t in Unix nanoseconds, the unit stores keep times and
// cursors in. Times outside 1677-2262 are clamped to the ends of int64, so
// that they still order correctly.
func UnixNanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// CheckStorable reports why trace i of an Append cannot be stored: it has
// no id, or a number JSON cannot hold (NaN, ±Inf), so that its stored body
// could not be read back. Stores call it before taking a call, so that a
// bad trace fails its own call and never a commit it would share.
func CheckStorable(i int, t *trace.Trace) error {
	if t.ID == "" {
		return fmt.Errorf("trace %d has no id", i)
	}
	for _, p := range [...]*float64{t.Data.Value, t.Data.Min, t.Data.Max, t.Data.Score} {
		if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
			return fmt.Errorf("trace %s: a number is not finite", t.ID)
		}
	}
	return nil
}
