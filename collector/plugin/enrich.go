package plugin

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
)

// Appender returns a store.Appender that runs the Host's enrich plugins,
// in the order of the configuration, on every trace before next stores
// it. Enrichment never costs a trace: a refused or failed patch leaves
// the trace as it was and is logged and counted; an enricher that crashes
// or times out is skipped for the rest of that call, so one bad plugin
// costs a batch at most one timeout. With no enrichers it returns next.
func (h *Host) Appender(next store.Appender) store.Appender {
	if h == nil || len(h.enrichers) == 0 {
		return next
	}
	return &enricher{enrichers: h.enrichers, next: next}
}

type enricher struct {
	enrichers []*Plugin
	next      store.Appender
}

var _ store.Appender = (*enricher)(nil)

func (e *enricher) Append(ctx context.Context, traces []trace.Trace) ([]bool, error) {
	for _, p := range e.enrichers {
		for i := range traces {
			err := p.Enrich(ctx, &traces[i])
			if err == nil {
				continue
			}
			p.log.event(slog.LevelWarn, "enrich failed; trace stored without it", "trace", traces[i].ID, "err", err)
			var ce *CallError
			if !errors.As(err, &ce) || ce.Result == ResultTrap || ce.Result == ResultTimeout || ce.Result == ResultCanceled {
				break
			}
		}
	}
	return e.next.Append(ctx, traces)
}
