package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
)

// DefaultMaxSinkBacklog bounds the traces queued for one sink before
// ingest pushes back: about a gigabyte of the embedded store.
const DefaultMaxSinkBacklog = 1_000_000

// backlogEvery is how often the backlog of each sink is measured.
const backlogEvery = time.Second

// sinks runs one forwarder per configured sink over the store's outbox.
// As the Appender of every ingest endpoint it wakes the forwarders when
// traces are new, and refuses traces (store.ErrBackpressure, a 503 with
// Retry-After) while a sink's backlog is at its bound: a sink that is down
// never loses an acknowledged trace, and never fills the disk either.
type sinks struct {
	next       store.Appender
	ob         store.Outbox
	sinks      []sink.Sink
	forwarders []*sink.Forwarder
	max        int64
	full       atomic.Bool
	log        *slog.Logger
}

func newSinks(cfg Config, st store.Store) (*sinks, error) {
	k := &sinks{next: st, sinks: cfg.Sinks, max: cfg.MaxSinkBacklog, log: cfg.Logger}
	if len(cfg.Sinks) == 0 {
		return k, nil
	}
	ob, ok := st.(store.Outbox)
	if !ok {
		return nil, fmt.Errorf("server: sinks need a store that is an outbox; %T is not", st)
	}
	k.ob = ob
	if k.max == 0 {
		k.max = DefaultMaxSinkBacklog
	}
	fc := cfg.Forwarder
	if fc.Logger == nil {
		fc.Logger = cfg.Logger
	}
	seen := map[string]bool{}
	for _, s := range cfg.Sinks {
		if seen[s.Name()] {
			return nil, fmt.Errorf("server: two sinks are named %q", s.Name())
		}
		seen[s.Name()] = true
		f, err := sink.NewForwarder(ob, s, fc)
		if err != nil {
			return nil, fmt.Errorf("server: sink %s: %w", s.Name(), err)
		}
		k.forwarders = append(k.forwarders, f)
	}
	return k, nil
}

// Append stores traces and wakes the forwarders, unless a sink is too far
// behind.
func (k *sinks) Append(ctx context.Context, traces []trace.Trace) ([]bool, error) {
	if k.full.Load() {
		return nil, store.ErrBackpressure
	}
	inserted, err := k.next.Append(ctx, traces)
	if err == nil && len(k.forwarders) > 0 {
		for _, f := range k.forwarders {
			f.Kick()
		}
	}
	return inserted, err
}

// run starts the forwarders and the backlog watch; the returned channel
// closes once they have stopped, after ctx ends.
func (k *sinks) run(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range k.forwarders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.Run(ctx); err != nil {
				k.log.Error("sink stopped", "sink", f.Name(), "err", err)
			}
		}()
	}
	if k.ob != nil && k.max > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.watch(ctx)
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// watch measures every sink's backlog and sets full while one is at the
// bound; it clears at 90% of it, so ingest does not flap at the edge.
func (k *sinks) watch(ctx context.Context) {
	t := time.NewTicker(backlogEvery)
	defer t.Stop()
	for {
		worst := int64(-1)
		for _, s := range k.sinks {
			n, err := k.ob.Backlog(ctx, s.Name())
			if err != nil {
				continue // the forwarder reports the store's failures
			}
			worst = max(worst, n)
		}
		switch {
		case worst >= k.max && !k.full.Load():
			k.full.Store(true)
			k.log.Warn("a sink's backlog is full: ingest answers 503 until it drains", "backlog", worst, "max", k.max)
		case worst >= 0 && worst < k.max*9/10 && k.full.Load():
			k.full.Store(false)
			k.log.Info("sink backlogs drained: ingest resumes", "backlog", worst)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// close closes every sink.
func (k *sinks) close() error {
	var errs []error
	for _, s := range k.sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sink %s: %w", s.Name(), err))
		}
	}
	return errors.Join(errs...)
}
