package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/rastrohq/rastro/collector/trace"
	abi "github.com/rastrohq/rastro/sdk/plugin"
	"github.com/rastrohq/rastro/sdk/wire"
)

// The results of a call, as the result label of rastro_plugin_calls_total
// and CallError.Result name them.
const (
	ResultOK        = "ok"         // the plugin answered
	ResultRefused   = "refused"    // the plugin answered {"error": ...}
	ResultTrap      = "trap"       // the plugin crashed: a trap, a panic, an exit, out of memory
	ResultTimeout   = "timeout"    // the call ran over its Timeout
	ResultBadOutput = "bad_output" // the output broke ABI v1
	ResultCanceled  = "canceled"   // the caller gave up (client gone, shutdown)
)

var results = [...]string{ResultOK, ResultRefused, ResultTrap, ResultTimeout, ResultBadOutput, ResultCanceled}

// CallError is a failed call to a plugin: which plugin, what kind of
// failure (one of the Result constants) and what happened.
type CallError struct {
	Plugin string
	Result string
	Msg    string
}

func (e *CallError) Error() string { return "plugin " + e.Plugin + ": " + e.Msg }

// initTimeout bounds starting an instance, the plugin's init functions
// included.
func initTimeout(call time.Duration) time.Duration { return max(2*time.Second, 10*call) }

// Plugin is one loaded plugin: its compiled code and a pool of instances.
// It is safe for concurrent use; each instance serves one call at a time.
type Plugin struct {
	cfg    Config
	host   *Host
	export string
	rt     wazero.Runtime
	code   wazero.CompiledModule
	modCfg wazero.ModuleConfig
	log    *pluginLog
	stats  *pluginMetrics

	idle  chan *instance // instances ready for a call
	slots chan struct{}  // one token per live instance, at most cfg.Instances

	closeMu sync.RWMutex // held for reading by each call, for writing by close
	closed  bool
	wants   map[wire.Kind]bool // enrichers: the kinds they patch; nil means all
}

func newPlugin(h *Host, c Config, rt wazero.Runtime) *Plugin {
	p := &Plugin{
		cfg: c, host: h, rt: rt, export: abi.ExportTransform,
		log:   newPluginLog(h.opts.Logger, c.Name),
		idle:  make(chan *instance, c.Instances),
		slots: make(chan struct{}, c.Instances),
	}
	if c.Kind == KindEnrich {
		p.export = abi.ExportEnrich
	}
	if len(c.Kinds) > 0 {
		p.wants = make(map[wire.Kind]bool, len(c.Kinds))
		for _, k := range c.Kinds {
			p.wants[k] = true
		}
	}
	return p
}

// Name returns the plugin's configured name.
func (p *Plugin) Name() string { return p.cfg.Name }

// Kind returns the plugin's kind.
func (p *Plugin) Kind() Kind { return p.cfg.Kind }

// Origin is the origin of the traces the plugin's records become:
// trace.OriginPlugin followed by its name.
func (p *Plugin) Origin() string { return trace.OriginPlugin + p.cfg.Name }

// Transform runs a source plugin on one record and returns its events,
// not yet validated. A *CallError says why the record failed.
func (p *Plugin) Transform(ctx context.Context, record []byte) ([]wire.Event, error) {
	return p.TransformAppend(ctx, record, nil)
}

// TransformAppend is Transform appending the events to dst, to reuse its
// capacity.
func (p *Plugin) TransformAppend(ctx context.Context, record []byte, dst []wire.Event) ([]wire.Event, error) {
	if p.cfg.Kind != KindSource {
		return dst, &CallError{Plugin: p.cfg.Name, Result: ResultRefused, Msg: "not a source plugin"}
	}
	start := time.Now()
	in, out, err := p.invoke(ctx, record)
	if err != nil {
		return dst, p.done(start, err)
	}
	events, msg, err := decodeTransform(out, dst)
	switch {
	case err != nil:
		p.discard(in)
		return dst, p.done(start, p.fail(ResultBadOutput, err.Error()))
	case msg != "":
		p.idle <- in
		return dst, p.done(start, p.fail(ResultRefused, msg))
	}
	p.idle <- in
	return events, p.done(start, nil)
}

// Enrich runs an enrich plugin on t and applies its patch; t is unchanged
// on error. Traces of kinds the plugin does not want are left alone.
func (p *Plugin) Enrich(ctx context.Context, t *trace.Trace) error {
	if p.cfg.Kind != KindEnrich {
		return &CallError{Plugin: p.cfg.Name, Result: ResultRefused, Msg: "not an enrich plugin"}
	}
	if p.wants != nil && !p.wants[t.Data.Kind] {
		return nil
	}
	start := time.Now()
	buf := encodeTrace(t)
	in, out, err := p.invoke(ctx, *buf)
	putBuf(buf)
	if err != nil {
		return p.done(start, err)
	}
	var res abi.EnrichResult
	if err := res.UnmarshalJSON(out); err != nil {
		p.discard(in)
		return p.done(start, p.fail(ResultBadOutput, "output is not ABI v1 JSON: "+err.Error()))
	}
	p.idle <- in
	if res.Error != "" {
		return p.done(start, p.fail(ResultRefused, clean(res.Error)))
	}
	if err := applyPatch(&t.Data, &res, p.host.opts.Limits); err != nil {
		return p.done(start, p.fail(ResultBadOutput, err.Error()))
	}
	return p.done(start, nil)
}

// invoke copies input into an instance and calls the plugin's export. On
// success it returns the instance, still held, and its output, a view of
// the instance's memory valid until the instance is used again: decode it,
// then put the instance back (or discard it). On failure the instance is
// gone.
func (p *Plugin) invoke(ctx context.Context, input []byte) (*instance, []byte, error) {
	if len(input) > p.host.opts.MaxRecordBytes {
		return nil, nil, p.fail(ResultRefused, "input of "+strconv.Itoa(len(input))+" bytes, over the limit of "+
			strconv.Itoa(p.host.opts.MaxRecordBytes))
	}
	// Close waits for the calls in flight: wazero must not close a module
	// while it runs.
	p.closeMu.RLock()
	defer p.closeMu.RUnlock()
	if p.closed {
		return nil, nil, ErrClosed
	}
	in, err := p.get(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		p.idle <- in
		return nil, nil, p.fail(ResultCanceled, "call canceled: "+err.Error())
	}
	// The runtime checks the context at every branch of the plugin and
	// stops it when the deadline passes (WithCloseOnContextDone).
	cctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	out, err := in.call(cctx, input, p.host.opts.MaxOutputBytes)
	cancel()
	if err != nil {
		err = p.explain(ctx, in, err)
		p.discard(in)
		return nil, nil, err
	}
	return in, out, nil
}

// get takes an idle instance, or starts one while fewer than
// cfg.Instances run, or waits for one.
func (p *Plugin) get(ctx context.Context) (*instance, error) {
	select {
	case in := <-p.idle:
		return in, nil
	default:
	}
	select {
	case in := <-p.idle:
		return in, nil
	case p.slots <- struct{}{}:
		in, err := p.instantiate(ctx)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return in, nil
	case <-ctx.Done():
		return nil, p.fail(ResultCanceled, "gave up waiting for a free instance: "+ctx.Err().Error())
	}
}

// discard closes an instance that failed: it is never used again.
func (p *Plugin) discard(in *instance) {
	in.stdout.flush()
	in.stderr.flush()
	_ = in.mod.Close(context.Background())
	<-p.slots
}

// instantiate starts an instance: the Go runtime and the plugin's init
// functions run in _initialize, bounded by initTimeout.
func (p *Plugin) instantiate(ctx context.Context) (*instance, error) {
	in := &instance{
		stdout: newStream(p.log, "stdout", slog.LevelInfo, false),
		stderr: newStream(p.log, "stderr", slog.LevelWarn, true),
	}
	ictx, cancel := context.WithTimeout(ctx, initTimeout(p.cfg.Timeout))
	defer cancel()
	mod, err := p.rt.InstantiateModule(ictx, p.code, p.modCfg.WithStdout(in.stdout).WithStderr(in.stderr))
	if err != nil {
		var exit *sys.ExitError
		msg := firstLine(err.Error())
		switch {
		case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded:
			return nil, p.fail(ResultTimeout, "starting an instance timed out after "+initTimeout(p.cfg.Timeout).String())
		case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeContextCanceled:
			return nil, p.fail(ResultCanceled, "starting an instance canceled")
		case in.stderr.firstLine() != "":
			msg += ": " + in.stderr.firstLine()
		}
		return nil, p.fail(ResultTrap, "starting an instance failed: "+msg+p.memoryHint(in))
	}
	in.mod = mod
	in.mem = mod.ExportedMemory("memory")
	in.alloc = mod.ExportedFunction(abi.ExportAlloc)
	in.fn = mod.ExportedFunction(p.export)
	return in, nil
}

// handshake checks the ABI version and capabilities of a first instance.
func (p *Plugin) handshake(ctx context.Context, in *instance) error {
	ctx, cancel := context.WithTimeout(ctx, initTimeout(p.cfg.Timeout))
	defer cancel()
	r, err := in.mod.ExportedFunction(abi.ExportABIVersion).Call(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", abi.ExportABIVersion, err)
	}
	if v := uint32(r[0]); v != abi.ABIVersion {
		return fmt.Errorf("speaks plugin ABI version %d; this collector speaks version %d", v, abi.ABIVersion)
	}
	caps := in.mod.ExportedFunction(abi.ExportCapabilities)
	if caps == nil {
		return nil
	}
	if r, err = caps.Call(ctx); err != nil {
		return fmt.Errorf("%s: %w", abi.ExportCapabilities, err)
	}
	need := abi.CapTransform
	if p.cfg.Kind == KindEnrich {
		need = abi.CapEnrich
	}
	if uint32(r[0])&need == 0 {
		return fmt.Errorf("configured as kind %s, but the plugin registers no %s handler (plugin.Handle%s)",
			p.cfg.Kind, p.cfg.Kind, map[Kind]string{KindSource: "Transform", KindEnrich: "Enrich"}[p.cfg.Kind])
	}
	return nil
}

// explain turns the error of a call into a CallError.
func (p *Plugin) explain(ctx context.Context, in *instance, err error) *CallError {
	var ce *CallError
	if errors.As(err, &ce) {
		ce.Plugin = p.cfg.Name
		return ce
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch code := exit.ExitCode(); {
		case ctx.Err() != nil: // the caller's context, not the timeout
			return p.fail(ResultCanceled, "call canceled: "+ctx.Err().Error())
		case code == sys.ExitCodeDeadlineExceeded:
			return p.fail(ResultTimeout, "call timed out after "+p.cfg.Timeout.String())
		case code == sys.ExitCodeContextCanceled:
			return p.fail(ResultCanceled, "call canceled")
		default:
			msg := "exited with code " + strconv.FormatUint(uint64(code), 10)
			if l := in.stderr.firstLine(); l != "" {
				msg += ": " + l
			}
			return p.fail(ResultTrap, msg+p.memoryHint(in))
		}
	}
	// A trap. A Go plugin says why on stderr before it reaches one.
	msg := "crashed: " + firstLine(err.Error())
	if l := in.stderr.firstLine(); l != "" {
		msg = "crashed: " + l + " (" + firstLine(err.Error()) + ")"
	}
	return p.fail(ResultTrap, msg+p.memoryHint(in))
}

func (p *Plugin) memoryHint(in *instance) string {
	if strings.Contains(string(in.stderr.first), "out of memory") {
		return " (memory limit " + strconv.Itoa(p.cfg.MemoryMiB) + " MiB)"
	}
	return ""
}

func (p *Plugin) fail(result, msg string) *CallError {
	return &CallError{Plugin: p.cfg.Name, Result: result, Msg: msg}
}

// done counts a call and passes its error on.
func (p *Plugin) done(start time.Time, err error) error {
	result := ResultOK
	if ce, ok := err.(*CallError); ok {
		result = ce.Result
	} else if err != nil {
		result = ResultCanceled // ErrClosed
	}
	if p.stats != nil {
		p.stats.observe(result, time.Since(start))
	}
	return err
}

func (p *Plugin) close(ctx context.Context) error {
	p.closeMu.Lock()
	p.closed = true
	p.closeMu.Unlock()
	return p.rt.Close(ctx)
}

// instance is one instantiated module with the functions of ABI v1 looked
// up once, and the input buffer its rastro_alloc handed out, reused while
// inputs fit.
type instance struct {
	mod            api.Module
	mem            api.Memory
	alloc, fn      api.Function
	stack          [2]uint64
	inPtr, inCap   uint32
	stdout, stderr *stream
}

// minAlloc is the least input buffer asked of a plugin, so that most
// records fit the first one.
const minAlloc = 16 << 10

// call writes input into the instance's buffer (asking rastro_alloc for a
// larger one when it does not fit) and calls the export.
func (in *instance) call(ctx context.Context, input []byte, maxOut int) ([]byte, error) {
	in.stderr.reset()
	n := uint32(len(input))
	if n > in.inCap || in.inCap == 0 {
		size := max(uint32(minAlloc), nextPow2(n))
		in.stack[0] = uint64(size)
		if err := in.alloc.CallWithStack(ctx, in.stack[:]); err != nil {
			return nil, err
		}
		ptr := uint32(in.stack[0])
		if ptr == 0 {
			return nil, &CallError{Result: ResultBadOutput, Msg: abi.ExportAlloc + " refused " + strconv.FormatUint(uint64(size), 10) + " bytes"}
		}
		in.inPtr, in.inCap = ptr, size
	}
	if !in.mem.Write(in.inPtr, input) {
		return nil, &CallError{Result: ResultBadOutput, Msg: abi.ExportAlloc + " returned a buffer outside the plugin's memory"}
	}
	in.stack[0], in.stack[1] = uint64(in.inPtr), uint64(n)
	if err := in.fn.CallWithStack(ctx, in.stack[:]); err != nil {
		return nil, err
	}
	ptr, size := uint32(in.stack[0]>>32), uint32(in.stack[0])
	if int64(size) > int64(maxOut) {
		return nil, &CallError{Result: ResultBadOutput, Msg: "output of " + strconv.FormatUint(uint64(size), 10) +
			" bytes, over the limit of " + strconv.Itoa(maxOut)}
	}
	out, ok := in.mem.Read(ptr, size)
	if !ok {
		return nil, &CallError{Result: ResultBadOutput, Msg: "output lies outside the plugin's memory"}
	}
	return out, nil
}

func nextPow2(n uint32) uint32 {
	p := uint32(1)
	for p < n && p < 1<<31 {
		p <<= 1
	}
	return p
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// clean bounds a plugin's message and makes it valid UTF-8.
func clean(msg string) string {
	const max = 512
	if len(msg) > max {
		msg = msg[:max-3] + "..."
	}
	if !utf8.ValidString(msg) {
		msg = strings.ToValidUTF8(msg, "?")
	}
	return msg
}
