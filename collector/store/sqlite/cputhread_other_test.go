//go:build !linux

package sqlite

import "time"

// threadCPUTime is unknown here: 0.
func threadCPUTime() time.Duration { return 0 }
