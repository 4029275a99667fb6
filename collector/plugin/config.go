package plugin

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/rastrohq/rastro/sdk/wire"
)

// Kind says what a plugin does for the collector.
type Kind string

// The kinds of plugin.
const (
	// KindSource plugins turn the records posted to POST
	// /v1/sources/{name} into wire events (rastro_transform).
	KindSource Kind = "source"
	// KindEnrich plugins patch every trace before it is stored
	// (rastro_enrich).
	KindEnrich Kind = "enrich"
)

// Config names one plugin to load. Name, Path and Kind are required.
type Config struct {
	// Name identifies the plugin: the {name} of POST /v1/sources/{name},
	// the "plugin/<name>" origin of its traces and the plugin label of its
	// metrics. Lower-case letters, digits, '.', '_' and '-', at most 64
	// bytes. Required, unique.
	Name string `yaml:"name"`
	// Path is the .wasm file, built with GOOS=wasip1 GOARCH=wasm go build
	// -buildmode=c-shared (relative to the collector's working
	// directory). Required.
	Path string `yaml:"path"`
	// Kind is KindSource or KindEnrich. Required.
	Kind Kind `yaml:"kind"`
	// MemoryMiB bounds the linear memory of each instance of the plugin;
	// a plugin that needs more traps, and only the record at hand fails.
	// Defaults to 16 MiB.
	MemoryMiB int `yaml:"memory_mib"`
	// Timeout bounds one call (one record, or one trace for an enricher);
	// a call that takes longer is stopped and its instance dropped.
	// Defaults to 100ms.
	Timeout time.Duration `yaml:"timeout"`
	// Instances bounds the instances of the plugin that run at once, each
	// with up to MemoryMiB of memory; a call that finds all of them busy
	// waits for one. Defaults to GOMAXPROCS.
	Instances int `yaml:"instances"`
	// Kinds limits an enricher to traces of these kinds (say, comment);
	// empty means every trace. Unused for sources.
	Kinds []wire.Kind `yaml:"kinds"`
}

// Options configure a Host. The zero value is useful.
type Options struct {
	// CacheDir keeps compiled plugins on disk, so a restart skips the
	// compilation. Empty keeps them in memory only.
	CacheDir string
	// Limits bound the traces an enricher patches (props); zero fields
	// take wire's defaults.
	Limits wire.Limits
	// MaxRecordBytes bounds one input to a plugin: a record, or a trace's
	// JSON for an enricher. Defaults to 1 MiB.
	MaxRecordBytes int
	// MaxOutputBytes bounds one output of a plugin. Defaults to 1 MiB.
	MaxOutputBytes int
	// Logger receives what plugins write to stdout and stderr (a line at
	// most 512 bytes, at most 10 lines a second per plugin) and enricher
	// failures. Defaults to slog.Default().
	Logger *slog.Logger
}

// Defaults of Config and Options.
const (
	DefaultMemoryMiB = 16
	DefaultTimeout   = 100 * time.Millisecond
	defaultIOBytes   = 1 << 20
	maxNameBytes     = 64
)

// withDefaults validates c and fills its defaults.
func (c Config) withDefaults() (Config, error) {
	if err := checkName(c.Name); err != nil {
		return c, err
	}
	if c.Path == "" {
		return c, fmt.Errorf("plugin %q: path is required", c.Name)
	}
	switch c.Kind {
	case KindSource, KindEnrich:
	case "":
		return c, fmt.Errorf("plugin %q: kind is required: source or enrich", c.Name)
	default:
		return c, fmt.Errorf("plugin %q: kind %q is not source or enrich", c.Name, c.Kind)
	}
	switch {
	case c.MemoryMiB == 0:
		c.MemoryMiB = DefaultMemoryMiB
	case c.MemoryMiB < 0 || c.MemoryMiB > 4096:
		return c, fmt.Errorf("plugin %q: memory_mib %d is not between 1 and 4096", c.Name, c.MemoryMiB)
	}
	switch {
	case c.Timeout == 0:
		c.Timeout = DefaultTimeout
	case c.Timeout < 0:
		return c, fmt.Errorf("plugin %q: timeout must be positive", c.Name)
	}
	if c.Instances <= 0 {
		c.Instances = runtime.GOMAXPROCS(0)
	}
	for _, k := range c.Kinds {
		if !k.Valid() {
			return c, fmt.Errorf("plugin %q: kinds: %q is not a trace kind", c.Name, k)
		}
	}
	return c, nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("plugin: name is required")
	}
	if len(name) > maxNameBytes {
		return fmt.Errorf("plugin %q: name is over %d bytes", name[:maxNameBytes], maxNameBytes)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("plugin %q: name may hold only a-z, 0-9, '.', '_' and '-'", name)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = defaultIOBytes
	}
	if o.MaxOutputBytes <= 0 {
		o.MaxOutputBytes = defaultIOBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Limits = o.Limits.WithDefaults()
	return o
}
