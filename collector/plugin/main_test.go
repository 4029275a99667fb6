package plugin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// The test plugins are built once per test binary, on first use, into
// testDir; their compiled code is cached there too, so each is compiled
// once however many hosts the tests start.
var (
	testDir string
	builds  sync.Map // name -> *build
)

type build struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rastro-plugin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	testCacheDir = filepath.Join(dir, "cache") // hosts of whole collectors too
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// pluginSources maps the test plugins to their packages, relative to the
// module root.
var pluginSources = map[string]string{
	"trivial":      "./collector/plugin/testdata/trivial",
	"evil":         "./collector/plugin/testdata/evil",
	"badabi":       "./collector/plugin/testdata/badabi",
	"zendesk-csat": "./examples/plugin-zendesk-csat",
}

// testPlugin returns the path of the named test plugin's .wasm, building
// it with the go command on PATH (go test puts its own first) the first
// time.
func testPlugin(t testing.TB, name string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(name, &build{})
	b := v.(*build)
	b.once.Do(func() {
		pkg, ok := pluginSources[name]
		if !ok {
			b.err = fmt.Errorf("no test plugin %q", name)
			return
		}
		goCmd, err := exec.LookPath("go")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(testDir, name+".wasm")
		cmd := exec.Command(goCmd, "build", "-buildmode=c-shared", "-o", b.path, pkg)
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// testOptions are Options for tests: the shared compilation cache, a
// logger that keeps quiet.
func testOptions(t testing.TB) Options {
	return Options{CacheDir: filepath.Join(testDir, "cache"), Logger: discardLogger()}
}

// registry registers h in a new Prometheus registry.
func registry(t testing.TB, h *Host) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(h))
	return reg
}
