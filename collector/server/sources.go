package server

import (
	"fmt"
	"net/http"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/plugin"
	"github.com/rastrohq/rastro/collector/source/importer"
	"github.com/rastrohq/rastro/collector/source/segment"
)

// sources are the endpoints of the built-in foreign sources, which share
// the write keys of POST /v1/batch.
type sources struct {
	segment *segment.Handler
	imports *importer.Handler
	plugins http.Handler // POST /v1/sources/{plugin}; nil without plugins
}

func newSources(cfg Config, keys *ingest.Keys, s *Server, budget *ingest.Budget) (*sources, error) {
	seg, err := segment.New(segment.Config{
		Keys: keys, Appender: s.appender(), Limits: cfg.Limits, Budget: budget, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	imp, err := importer.NewHandler(importer.HandlerConfig{Keys: keys, Appender: s.appender(), Limits: cfg.Limits})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	plg, err := s.pluginSources(cfg, keys, budget)
	if err != nil {
		return nil, err
	}
	return &sources{segment: seg, imports: imp, plugins: plg}, nil
}

func (src *sources) register(mux *http.ServeMux) {
	mux.Handle(segment.BatchPath, src.segment)
	mux.Handle(segment.TrackPath, src.segment)
	mux.Handle("POST "+importer.Path, src.imports)
	if src.plugins != nil {
		mux.Handle(plugin.Pattern, src.plugins)
	}
}
