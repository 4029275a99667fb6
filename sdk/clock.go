package sdk

import (
	"sync/atomic"
	"time"
)

// clock is a coarse wall clock for Capture: reading it is one atomic load,
// where time.Now costs about 50 ns on some machines and would be a third of
// Capture's budget. While events are being captured a goroutine refreshes it
// every millisecond; after 100 ms without a capture the goroutine sleeps
// until the next one, so an idle client costs nothing. Timestamps made by
// Capture are therefore exact to about a millisecond.
type clock struct {
	nanos atomic.Int64 // unix nanos of the last refresh; 0 while asleep
	used  atomic.Bool
	wake  chan struct{}
	done  chan struct{}
}

const (
	clockTick      = time.Millisecond
	clockIdleTicks = 100
)

func newClock() *clock {
	return &clock{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (k *clock) now() time.Time {
	if n := k.nanos.Load(); n != 0 {
		if !k.used.Load() {
			k.used.Store(true)
		}
		return time.Unix(0, n)
	}
	select {
	case k.wake <- struct{}{}:
	default:
	}
	return time.Now()
}

func (k *clock) stop() { close(k.done) }

func (k *clock) run() {
	for {
		select {
		case <-k.wake:
		case <-k.done:
			return
		}
		k.used.Store(true)
		k.nanos.Store(time.Now().UnixNano())
		t := time.NewTicker(clockTick)
		idle := 0
		for idle < clockIdleTicks {
			select {
			case <-t.C:
			case <-k.done:
				t.Stop()
				k.nanos.Store(0)
				return
			}
			k.nanos.Store(time.Now().UnixNano())
			if k.used.Load() {
				k.used.Store(false)
				idle = 0
			} else {
				idle++
			}
		}
		t.Stop()
		k.nanos.Store(0)
	}
}
