package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/plugin"
	"github.com/rastrohq/rastro/collector/store"
)

// loadPlugins compiles and starts cfg.Plugins, and counts their calls in
// /metrics. Without plugins, s.plugins stays nil, which serves none.
func (s *Server) loadPlugins(cfg Config) error {
	if len(cfg.Plugins) == 0 {
		return nil
	}
	h, err := plugin.New(context.Background(), cfg.Plugins, plugin.Options{Limits: cfg.Limits, Logger: cfg.Logger})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := s.metrics.reg.Register(h); err != nil {
		_ = h.Close(context.Background())
		return fmt.Errorf("server: plugin metrics: %w", err)
	}
	s.plugins = h
	for _, p := range h.Plugins() {
		s.log.Info("plugin loaded", "plugin", p.Name(), "kind", p.Kind())
	}
	return nil
}

// appender is what every ingest endpoint appends to: the enrich plugins,
// then the sinks and the store.
func (s *Server) appender() store.Appender { return s.plugins.Appender(s.sinks) }

// pluginSources returns the handler of POST /v1/sources/{plugin}, or nil
// without plugins.
func (s *Server) pluginSources(cfg Config, keys *ingest.Keys, budget *ingest.Budget) (http.Handler, error) {
	if s.plugins == nil {
		return nil, nil
	}
	h, err := plugin.NewHandler(plugin.HandlerConfig{
		Host: s.plugins, Keys: keys, Appender: s.appender(), Limits: cfg.Limits, Budget: budget, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return h, nil
}
