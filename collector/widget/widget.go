package widget

import (
	"net/http"
)

// Config says where the built bundle lives.
type Config struct {
	// Dir is the folder `make widget` wrote (wasm/dist). Empty disables
	// the widget routes.
	Dir string
}

// Handler serves the bundle under /widget/. It is mounted by the collector.
func Handler(cfg Config) http.Handler {
	if cfg.Dir == "" {
		return http.NotFoundHandler()
	}
	return http.StripPrefix("/widget/", http.FileServer(http.Dir(cfg.Dir)))
}

// DemoHandler serves the demo page under /demo/.
func DemoHandler(cfg Config) http.Handler {
	return http.NotFoundHandler()
}
