//go:build !rastro_nojson

package wire

// What the standard build has where the browser build (browser.go) has
// lighter versions of its own.

import (
	"strconv"
	"time"
)

// Time is the type of the protocol's instants, Event.OccurredAt and
// Batch.SentAt: time.Time. In the browser build (build tag rastro_nojson)
// it is this package's millisecond instant instead, so that the widget's
// module does not link package time (see browser.go).
type Time = time.Time

// Duration is time.Duration; in the browser build, this package's own (see
// Time).
type Duration = time.Duration

const (
	second = time.Second
	hour   = time.Hour
)

// UnixMilli returns the instant ms milliseconds after 1970-01-01 UTC, as
// time.UnixMilli does; the browser build has the same function.
func UnixMilli(ms int64) Time { return time.UnixMilli(ms) }

// durationText formats d for an error message ("24h0m0s").
func durationText(d Duration) string { return d.String() }

// wordChecks makes checkName read eight bytes at a time: several
// nanoseconds less for each name Capture checks.
const wordChecks = true

// quote returns s quoted for an error message.
func quote(s string) string { return strconv.Quote(s) }
