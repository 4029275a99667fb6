package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The binaries the tests and benchmarks start are built once per test
// binary, into a temporary directory removed when it ends.
var bins struct {
	mu        sync.Mutex
	dir       string
	ceiling   built
	nostore   built
	collector built
}

type built struct {
	once sync.Once
	path string
	err  error
	skip string // why there is nothing to build yet
}

func TestMain(m *testing.M) {
	code := m.Run()
	bins.mu.Lock()
	if bins.dir != "" {
		_ = os.RemoveAll(bins.dir)
	}
	bins.mu.Unlock()
	os.Exit(code)
}

func binDir() (string, error) {
	bins.mu.Lock()
	defer bins.mu.Unlock()
	if bins.dir == "" {
		d, err := os.MkdirTemp("", "rastro-bench-bin-")
		if err != nil {
			return "", err
		}
		bins.dir = d
	}
	return bins.dir, nil
}

// ceilingBin builds ../cmd/ceiling once.
func ceilingBin(tb testing.TB) string {
	return buildOnce(tb, &bins.ceiling, "ceiling", "github.com/rastrohq/rastro/bench/cmd/ceiling")
}

// nostoreBin builds ../cmd/nostore once.
func nostoreBin(tb testing.TB) string {
	return buildOnce(tb, &bins.nostore, "nostore", "github.com/rastrohq/rastro/bench/cmd/nostore")
}

// buildOnce builds the bench module's package pkg into the binary
// directory as name, the first time it is called with b.
func buildOnce(tb testing.TB, b *built, name, pkg string) string {
	b.once.Do(func() {
		dir, err := binDir()
		if b.err = err; err != nil {
			return
		}
		b.path = filepath.Join(dir, name)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		b.err = Build(ctx, ".", pkg, b.path)
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// collectorBin returns $RASTRO_COLLECTOR_BIN when it is set, or builds
// collector/cmd/rastro-collector in the root module once. It skips tb when
// that package does not exist yet.
func collectorBin(tb testing.TB) string {
	b := &bins.collector
	b.once.Do(func() {
		if p := os.Getenv("RASTRO_COLLECTOR_BIN"); p != "" {
			b.path = p
			return
		}
		root, err := FindModule(".", RootModule)
		if b.err = err; err != nil {
			return
		}
		if !HasMainPackage(filepath.Join(root, CollectorPkg)) {
			b.skip = "no collector yet: " + filepath.Join(root, CollectorPkg) +
				" does not exist (or set RASTRO_COLLECTOR_BIN to a built rastro-collector)"
			return
		}
		dir, err := binDir()
		if b.err = err; err != nil {
			return
		}
		b.path = filepath.Join(dir, "rastro-collector")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		b.err = Build(ctx, root, CollectorPkg, b.path)
	})
	if b.skip != "" {
		tb.Skip(b.skip)
	}
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// A target is a server under load, started as its own process.
type target struct {
	name string
	// ok is the status of an answer that acknowledges a whole batch.
	ok int
	// start starts a fresh instance; dataDir is empty to make a new one;
	// the collector gets flags on top of its quick-start command line.
	start func(tb testing.TB, dataDir string, flags ...string) *server
}

// server is a started target, stopped and cleaned with close.
type server struct {
	*Process
	dataDir string
	ownData bool
}

func (s *server) close(tb testing.TB) {
	if s == nil {
		return
	}
	if exited, _ := s.Exited(); exited { // killed on purpose, or crashed (which the caller reports)
		s.Kill()
	} else if err := s.Stop(10 * time.Second); err != nil {
		tb.Logf("%s did not end cleanly on SIGTERM: %v; its output:\n%s", s.cmd.Path, err, tail(s.Output(), 4096))
	}
	if s.ownData {
		_ = os.RemoveAll(s.dataDir)
	}
}

var (
	ceilingTarget = target{name: "ceiling", ok: 204, start: func(tb testing.TB, _ string, _ ...string) *server {
		p, err := Start(context.Background(), ceilingBin(tb), "-addr", "{addr}")
		if err != nil {
			tb.Fatal(err)
		}
		return &server{Process: p}
	}}
	// nostoreTarget is the collector without its store (cmd/nostore): how
	// far from the ceiling the collector would be with a store that cost
	// nothing.
	nostoreTarget = target{name: "nostore", ok: 200, start: func(tb testing.TB, _ string, _ ...string) *server {
		return startNostore(tb)
	}}
	// logonlyTarget is cmd/nostore -fsync: the collector with the least a
	// durable store does, an append to a file and an fdatasync before the
	// answer, many calls a sync.
	logonlyTarget = target{name: "logonly", ok: 200, start: func(tb testing.TB, _ string, _ ...string) *server {
		return startNostore(tb, "-fsync")
	}}
	collectorTarget = target{name: "collector", ok: 200, start: startCollector}
)

// startNostore runs cmd/nostore with flags and a data directory of its
// own, removed by close.
func startNostore(tb testing.TB, flags ...string) *server {
	d, err := os.MkdirTemp(os.Getenv("RASTRO_BENCH_DATA"), "rastro-bench-nostore-")
	if err != nil {
		tb.Fatal(err)
	}
	args := append([]string{"-addr", "{addr}", "-data", d, "-write-key", WriteKey}, flags...)
	p, err := Start(context.Background(), nostoreBin(tb), args...)
	if err != nil {
		_ = os.RemoveAll(d)
		tb.Fatal(err)
	}
	return &server{Process: p, dataDir: d, ownData: true}
}

// startCollector runs rastro-collector serve -addr ADDR -data DIR
// -write-key wk_bench, then flags, then those in $RASTRO_COLLECTOR_FLAGS.
func startCollector(tb testing.TB, dataDir string, flags ...string) *server {
	bin := collectorBin(tb)
	s := &server{dataDir: dataDir}
	if dataDir == "" {
		d, err := os.MkdirTemp(os.Getenv("RASTRO_BENCH_DATA"), "rastro-bench-data-")
		if err != nil {
			tb.Fatal(err)
		}
		s.dataDir, s.ownData = d, true
	}
	args := append([]string{"serve", "-addr", "{addr}", "-data", s.dataDir, "-write-key", WriteKey}, flags...)
	args = append(args, strings.Fields(os.Getenv("RASTRO_COLLECTOR_FLAGS"))...)
	p, err := Start(context.Background(), bin, args...)
	if err != nil {
		if s.ownData {
			_ = os.RemoveAll(s.dataDir)
		}
		tb.Fatal(err)
	}
	s.Process = p
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
