package plugin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	abi "github.com/rastrohq/rastro/sdk/plugin"
)

// testCacheDir is the compilation cache of hosts without one, in tests
// that start collectors: each plugin is then compiled once per test
// binary.
var testCacheDir string

// ErrClosed is returned by calls to a plugin of a closed Host.
var ErrClosed = errors.New("plugin: host closed")

// Host runs the collector's plugins. It is safe for concurrent use.
type Host struct {
	opts      Options
	cache     wazero.CompilationCache
	byName    map[string]*Plugin
	all       []*Plugin
	enrichers []*Plugin
	metrics   *metrics

	closeOnce sync.Once
	closeErr  error
}

// New compiles and checks the plugins of cfgs: each must be a reactor
// module of ABI v1 with the export its kind needs, and start within its
// limits. It returns an error naming the first plugin that does not; with
// no plugins it returns a Host that serves none.
func New(ctx context.Context, cfgs []Config, opts Options) (*Host, error) {
	opts = opts.withDefaults()
	if opts.CacheDir == "" {
		opts.CacheDir = testCacheDir
	}
	h := &Host{opts: opts, byName: make(map[string]*Plugin, len(cfgs)), metrics: newMetrics()}
	if opts.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("plugin: cache dir: %w", err)
		}
		h.cache = c
	} else {
		h.cache = wazero.NewCompilationCache()
	}
	for _, c := range cfgs {
		c, err := c.withDefaults()
		if err == nil && h.byName[c.Name] != nil {
			err = fmt.Errorf("plugin %q: configured twice", c.Name)
		}
		var p *Plugin
		if err == nil {
			p, err = h.load(ctx, c)
		}
		if err != nil {
			_ = h.Close(ctx)
			return nil, err
		}
		h.byName[c.Name] = p
		h.all = append(h.all, p)
		if c.Kind == KindEnrich {
			h.enrichers = append(h.enrichers, p)
		}
	}
	return h, nil
}

// Source returns the source plugin named name.
func (h *Host) Source(name string) (*Plugin, bool) {
	if h == nil {
		return nil, false
	}
	p := h.byName[name]
	return p, p != nil && p.cfg.Kind == KindSource
}

// Plugins returns every plugin, in the order of the configuration.
func (h *Host) Plugins() []*Plugin {
	if h == nil {
		return nil
	}
	return slices.Clone(h.all)
}

// Close waits for the calls in flight (each bounded by its plugin's
// Timeout), stops every plugin and releases the compiled code. Calls after
// Close fail with ErrClosed. It is idempotent.
func (h *Host) Close(ctx context.Context) error {
	if h == nil {
		return nil
	}
	h.closeOnce.Do(func() {
		var errs []error
		for _, p := range h.all {
			errs = append(errs, p.close(ctx))
		}
		errs = append(errs, h.cache.Close(ctx))
		if err := errors.Join(errs...); err != nil {
			h.closeErr = fmt.Errorf("plugin: close: %w", err)
		}
	})
	return h.closeErr
}

// load compiles one plugin, checks its exports and starts its first
// instance, which answers its ABI version and capabilities.
func (h *Host) load(ctx context.Context, c Config) (*Plugin, error) {
	code, err := os.ReadFile(c.Path)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: %w", c.Name, err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(h.cache).
		WithMemoryLimitPages(uint32(c.MemoryMiB)*16). // 64 KiB pages
		WithCloseOnContextDone(true).
		WithDebugInfoEnabled(false))
	p := newPlugin(h, c, rt)
	fail := func(err error) (*Plugin, error) {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("plugin %q: %w", c.Name, err)
	}
	// WASI without a file system, environment, arguments or sockets:
	// a plugin sees its own memory, a clock and random bytes.
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return fail(err)
	}
	if p.code, err = rt.CompileModule(ctx, code); err != nil {
		return fail(fmt.Errorf("%s is not a WebAssembly module we can run: %w", c.Path, err))
	}
	if err := checkExports(p.code, p.export); err != nil {
		return fail(err)
	}
	p.modCfg = wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
	in, err := p.instantiate(ctx)
	if err != nil {
		return fail(err)
	}
	if err := p.handshake(ctx, in); err != nil {
		return fail(err)
	}
	p.slots <- struct{}{}
	p.idle <- in
	h.metrics.add(p)
	return p, nil
}

// checkExports checks the signatures of ABI v1.
func checkExports(m wazero.CompiledModule, call string) error {
	fns := m.ExportedFunctions()
	if _, ok := fns["_initialize"]; !ok {
		if _, ok := fns["_start"]; ok {
			return errors.New("the module is a command, not a reactor: build it with -buildmode=c-shared")
		}
	}
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	want := []struct {
		name            string
		params, results []api.ValueType
	}{
		{abi.ExportABIVersion, nil, []api.ValueType{i32}},
		{abi.ExportAlloc, []api.ValueType{i32}, []api.ValueType{i32}},
		{call, []api.ValueType{i32, i32}, []api.ValueType{i64}},
	}
	for _, w := range want {
		fn, ok := fns[w.name]
		if !ok {
			return fmt.Errorf("the module does not export %s: is it a Rastro plugin (import github.com/rastrohq/rastro/sdk/plugin)?", w.name)
		}
		if !slices.Equal(fn.ParamTypes(), w.params) || !slices.Equal(fn.ResultTypes(), w.results) {
			return fmt.Errorf("export %s has the wrong signature for ABI v%d", w.name, abi.ABIVersion)
		}
	}
	if fn, ok := fns[abi.ExportCapabilities]; ok && (len(fn.ParamTypes()) != 0 || !slices.Equal(fn.ResultTypes(), []api.ValueType{i32})) {
		return fmt.Errorf("export %s has the wrong signature for ABI v%d", abi.ExportCapabilities, abi.ABIVersion)
	}
	if _, ok := m.ExportedMemories()["memory"]; !ok {
		return errors.New(`the module does not export its memory as "memory"`)
	}
	return nil
}
