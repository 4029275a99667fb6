package sqlite

import (
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD: the calling thread only.
const rusageThread = 1

// threadCPUTime returns the CPU time (user and system) of the calling OS
// thread so far; 0 where unknown.
func threadCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
