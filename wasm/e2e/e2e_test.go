package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

const chromium = "/usr/bin/chromium"

// env is what every browser test shares: one collector, one page server,
// one browser.
type env struct {
	root      string
	collector string // http://127.0.0.1:port
	page      string // http://127.0.0.1:port
	browser   context.Context
}

var (
	setupOnce sync.Once
	shared    *env
	setupErr  error
	cleanups  []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test")
		}
		dir = parent
	}
}

func setup(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests: skipped with -short")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("browser tests: " + chromium + " is missing; install Debian's chromium (scripts/install-deps.sh does as root)")
	}
	setupOnce.Do(func() { shared, setupErr = start() })
	require.NoError(t, setupErr)
	return shared
}

func start() (*env, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	e := &env{root: root}
	bin, err := os.MkdirTemp("", "rastro-e2e")
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(bin) })
	// The bundle is built afresh for every run, into a folder of the
	// run's own: a wasm/dist left by an earlier make widget would test an
	// old module.
	dist := filepath.Join(bin, "dist")
	build := exec.Command(filepath.Join(root, "wasm", "build.sh"))
	build.Env = append(os.Environ(), "OUT="+dist)
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("wasm/build.sh: %v\n%s", err, out)
	}
	for _, pkg := range []string{"collector/cmd/rastro-collector", "examples/widget-page"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, filepath.Base(pkg)), "./"+pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	caddr := freeAddr()
	args := []string{"serve", "-addr", caddr, "-data", filepath.Join(bin, "data"), "-write-key-rate", "-1", "-widget-dir", dist}
	for i := range 20 {
		args = append(args, "-write-key", fmt.Sprintf("wk_t%d", i))
	}
	if err := startProc(filepath.Join(bin, "rastro-collector"), args, "rastro-collector ready", nil); err != nil {
		return nil, err
	}
	e.collector = "http://" + caddr
	re := regexp.MustCompile(`widget page on (http://\S+?)/? `)
	var pageURL string
	if err := startProc(filepath.Join(bin, "widget-page"), []string{"-addr", "127.0.0.1:0", "-collector", e.collector, "-key", "wk_t0"},
		"widget page on", func(line string) {
			if m := re.FindStringSubmatch(line); m != nil {
				pageURL = m[1]
			}
		}); err != nil {
		return nil, err
	}
	e.page = pageURL

	profile, err := os.MkdirTemp("", "rastro-chromium")
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(900, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		cancelBrowser()
		cancelAlloc()
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	cleanups = append(cleanups, cancelAlloc, cancelBrowser)
	e.browser = browser
	return e, nil
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProc starts a program and waits for a line containing ready on its
// stdout or stderr.
func startProc(bin string, args []string, ready string, onLine func(string)) error {
	cmd := exec.Command(bin, args...)
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return err
	}
	pw.Close()
	cleanups = append(cleanups, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan struct{})
	var logs strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			logs.WriteString(line + "\n")
			mu.Unlock()
			if strings.Contains(line, ready) {
				if onLine != nil {
					onLine(line)
				}
				once.Do(func() { close(found) })
			}
		}
	}()
	select {
	case <-found:
		return nil
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("%s not ready after 30s:\n%s", filepath.Base(bin), logs.String())
	}
}

// tab opens a fresh tab in its own browser context (own localStorage).
func (e *env) tab(t *testing.T) context.Context {
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 45*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

// trace is the part of a stored trace the tests look at.
type trace struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Data   struct {
		Kind       string   `json:"kind"`
		Touchpoint string   `json:"touchpoint"`
		Value      *float64 `json:"value"`
		Text       string   `json:"text"`
		Target     string   `json:"target"`
		Lang       string   `json:"lang"`
		Emoji      string   `json:"emoji"`
		Props      map[string]string
	} `json:"data"`
}

// traces reads every stored trace sent with key.
func (e *env) traces(t *testing.T, key string) []trace {
	t.Helper()
	resp, err := http.Get(e.collector + "/v1/traces/export")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var out []trace
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var tr trace
		require.NoError(t, json.Unmarshal(sc.Bytes(), &tr))
		if strings.HasSuffix(tr.Source, "/"+key) { // rastro://wk_t1, not rastro://wk_t14
			out = append(out, tr)
		}
	}
	return out
}

// waitTraces polls until want reports true for the traces of key.
func (e *env) waitTraces(t *testing.T, key string, what string, want func([]trace) bool) []trace {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		trs := e.traces(t, key)
		if want(trs) {
			return trs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen in the store after 20s; traces of %s: %+v", what, key, trs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func find(trs []trace, kind, touchpoint string) []trace {
	var out []trace
	for _, tr := range trs {
		if tr.Data.Kind == kind && tr.Data.Touchpoint == touchpoint {
			out = append(out, tr)
		}
	}
	return out
}

func has(kind, touchpoint string) func([]trace) bool {
	return func(trs []trace) bool { return len(find(trs, kind, touchpoint)) > 0 }
}

func (e *env) shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	require.NoError(t, err)
	dir := filepath.Join(e.root, "testout")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "widget-"+name+".jpg"), buf, 0o644))
}

// open navigates to the example page with a write key and waits until the
// module is ready.
func (e *env) open(t *testing.T, ctx context.Context, key, query string) {
	t.Helper()
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
window.__lt = []; try { new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { window.__lt.push(e.duration) }) }).observe({type: "longtask", buffered: true}) } catch (e) {}
document.addEventListener("rastro:ready", function () { window.__readyAt = performance.now() });`})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(e.page+"/?key="+key+query)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`window.rastro && window.rastro.ready === true && !!document.querySelector("#tp-payment").shadowRoot`, chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "the widget did not become ready")
}

func shadow(host, sel string) chromedp.JSPath {
	return chromedp.JSPath(`document.querySelector(` + jsq(host) + `).shadowRoot.querySelector(` + jsq(sel) + `)`)
}

func jsq(s string) string { b, _ := json.Marshal(s); return string(b) }

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// TestMouse clicks the stars, types a comment and submits; the call made
// before the module loaded and a marked click arrive too.
func TestMouse(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t1"
	e.open(t, ctx, key, "")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("pay")),
		chromedp.Click(shadow("#tp-payment", `[data-v="4"]`)),
		chromedp.SendKeys(shadow("#tp-payment", "textarea"), "  Entrega rápida, \"ótima\" <b>  "),
	))
	require.Equal(t, "true", eval[string](t, ctx, `document.querySelector("#tp-payment").shadowRoot.querySelector('[data-v="4"]').getAttribute("aria-checked")`))
	e.shot(t, ctx, "mouse-before-submit")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow("#tp-payment", `button[type=submit]`))))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#tp-payment").shadowRoot.querySelector(".l").textContent.length > 0`))
	require.NoError(t, err)
	require.Equal(t, "Thanks for your feedback!", eval[string](t, ctx, `document.querySelector("#tp-payment").shadowRoot.querySelector(".l").textContent`))
	e.shot(t, ctx, "mouse-thanks")

	trs := e.waitTraces(t, key, "star, comment, click and the queued call", func(trs []trace) bool {
		return has("star", "checkout.payment")(trs) && has("comment", "checkout.payment")(trs) &&
			has("click", "checkout.pay")(trs) && has("star", "delivery")(trs)
	})
	require.Equal(t, 4.0, *find(trs, "star", "checkout.payment")[0].Data.Value)
	require.Equal(t, "Entrega rápida, \"ótima\" <b>", find(trs, "comment", "checkout.payment")[0].Data.Text)
	require.Equal(t, "button#pay", find(trs, "click", "checkout.pay")[0].Data.Target)
	queued := find(trs, "star", "delivery")
	require.Len(t, queued, 1)
	require.Equal(t, 5.0, *queued[0].Data.Value)
	require.Equal(t, "inline", queued[0].Data.Props["source"])

	// Long tasks and readiness, reported (the widget's budget is 50 ms).
	lt := eval[[]float64](t, ctx, `window.__lt`)
	t.Logf("long tasks on the page: %v ms; module ready %.0f ms after navigation start", lt, eval[float64](t, ctx, `window.__readyAt`))
	// The caller pays an array push; the module handles each burst of calls
	// in one microtask. Both are main-thread time, measured together: a
	// loop of single calls each followed by its microtask, and bursts.
	for _, n := range []int{1, 20, 1, 20} { // twice: the first runs meet cold (baseline-compiled) wasm
		cost, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(async function (n) {
			var calls = 400, t0, t1;
			rastro("consent", false); rastro("consent", true); await new Promise(function (f) { setTimeout(f, 0) });
			t0 = performance.now();
			for (var i = 0; i < calls; i += n) {
				for (var j = 0; j < n; j++) rastro("star", "bench", 1 + j % 5);
				await Promise.resolve();
			}
			t1 = performance.now();
			rastro("consent", false); rastro("consent", true);
			return [(t1 - t0) / calls * 1000];
		})(`+fmt.Sprint(n)+`)`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		t.Logf("rastro(\"star\") after load, bursts of %d: %.1f µs/call of main thread (caller and module)", n, cost[0])
	}
}

// TestKeyboard answers with the keyboard only: one Tab stop per radio
// group, arrows move the choice, Enter submits.
func TestKeyboard(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t2"
	e.open(t, ctx, key, "&lang=pt-BR")
	active := func() string {
		return eval[string](t, ctx, `(function () { var a = document.activeElement; if (a && a.shadowRoot && a.shadowRoot.activeElement) { var s = a.shadowRoot.activeElement; return a.id + " " + s.tagName.toLowerCase() + (s.getAttribute("data-v") ? "[" + s.getAttribute("data-v") + "]" : "") } return a ? a.id || a.tagName.toLowerCase() : "" })()`)
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(chromedp.ID("pay"))))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	require.Equal(t, "tp-payment button[1]", active())
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kArrowRight), chromedp.KeyEvent(kArrowRight)))
	require.Equal(t, "tp-payment button[3]", active())
	require.Equal(t, "true", eval[string](t, ctx, `document.querySelector("#tp-payment").shadowRoot.querySelector('[data-v="3"]').getAttribute("aria-checked")`))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	require.Equal(t, "tp-payment textarea", active(), "the star group is one Tab stop")
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("só teclado")))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	require.Equal(t, "tp-payment button", active())
	e.shot(t, ctx, "keyboard-focus-submit")
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\r")))
	// Then the NPS: Tab into the group, End picks 10 and sends at once.
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	require.Equal(t, "tp-nps button[0]", active())
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kEnd)))
	require.Equal(t, "tp-nps p", active(), "focus moves to the thanks message")
	require.Equal(t, "Obrigado pela sua opinião!", eval[string](t, ctx, `document.querySelector("#tp-nps").shadowRoot.querySelector(".l").textContent`))
	e.shot(t, ctx, "keyboard-pt")

	trs := e.waitTraces(t, key, "keyboard answers", func(trs []trace) bool {
		return has("star", "checkout.payment")(trs) && has("comment", "checkout.payment")(trs) && has("nps", "home.nps")(trs)
	})
	require.Equal(t, 3.0, *find(trs, "star", "checkout.payment")[0].Data.Value)
	require.Equal(t, "só teclado", find(trs, "comment", "checkout.payment")[0].Data.Text)
	require.Equal(t, 10.0, *find(trs, "nps", "home.nps")[0].Data.Value)
	require.Equal(t, "pt-BR", find(trs, "nps", "home.nps")[0].Data.Lang)
}

const (
	kArrowRight = kb.ArrowRight
	kEnd        = kb.End
)

// TestBeaconOnClose queues an answer that waits for its batch and closes
// the tab: the beacon delivers it.
func TestBeaconOnClose(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t3"
	e.open(t, ctx, key, "")
	e.waitTraces(t, key, "the queued call", has("star", "delivery"))
	eval[any](t, ctx, `rastro("init", {flushInterval: 600000}); rastro("thumbs", "help.close", true); null`)
	time.Sleep(200 * time.Millisecond)
	require.Empty(t, find(e.traces(t, key), "thumbs", "help.close"), "the batch waits for its interval")
	_, err := chromedp.Call(ctx, page.Close, struct{}{})
	require.NoError(t, err)
	trs := e.waitTraces(t, key, "the beacon", has("thumbs", "help.close"))
	require.Equal(t, 1.0, *find(trs, "thumbs", "help.close")[0].Data.Value)
}

func offline(t *testing.T, ctx context.Context, off bool) {
	t.Helper()
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	conds := []*network.Conditions{}
	if off {
		conds = append(conds, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
	}
	_, err = chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
	require.NoError(t, err)
}

// TestOfflineThenOnline answers while offline, leaves the page, comes back
// online: the stored answer is delivered exactly once.
func TestOfflineThenOnline(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t4"
	e.open(t, ctx, key, "")
	e.waitTraces(t, key, "the queued call", has("star", "delivery"))
	offline(t, ctx, true)
	eval[any](t, ctx, `rastro("csat", "checkout.offline", 5); rastro("flush"); null`)
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`Object.keys(localStorage).some(function (k) { return k.indexOf("rastro:q:wk_t4:") == 0 && localStorage.getItem(k).indexOf("checkout.offline") > 0 })`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the unsent answer is kept in localStorage")
	time.Sleep(500 * time.Millisecond)
	require.Empty(t, find(e.traces(t, key), "csat", "checkout.offline"), "not delivered while offline")
	// Leave the page. Headless Chromium lets the pagehide beacon through
	// its offline emulation; either way the answer stays stored until a
	// fetch is acknowledged, and the collector dedupes on the event id.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	t.Logf("delivered by the pagehide beacon: %d", len(find(e.traces(t, key), "csat", "checkout.offline")))
	offline(t, ctx, false)
	e.open(t, ctx, key, "")
	e.waitTraces(t, key, "the stored answer", has("csat", "checkout.offline"))
	time.Sleep(time.Second) // any duplicate send lands by now
	require.Len(t, find(e.traces(t, key), "csat", "checkout.offline"), 1, "exactly once")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!Object.keys(localStorage).some(function (k) { return k.indexOf("rastro:q:") == 0 })`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "localStorage is empty once the collector acknowledged")
}

// TestStoredOnLeave: a call does not write localStorage (storing costs
// the main thread as much as the call); leaving the page stores what has
// not been sent, and the next page delivers it exactly once.
func TestStoredOnLeave(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t14"
	stored := `Object.keys(localStorage).some(function (k) { return k.indexOf("rastro:q:wk_t14:") == 0 && localStorage.getItem(k).indexOf("leave.stored") > 0 })`
	e.open(t, ctx, key, "")
	e.waitTraces(t, key, "the queued call", has("star", "delivery"))
	eval[any](t, ctx, `rastro("init", {flushInterval: 600000}); rastro("star", "leave.stored", 2); null`)
	time.Sleep(300 * time.Millisecond)
	require.False(t, eval[bool](t, ctx, stored), "the call wrote localStorage")
	// A page of the same origin without the widget (a 404), so that its
	// localStorage shows. The pagehide beacon may deliver the answer; it
	// stays stored until a fetch is acknowledged either way.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(e.page+"/no-widget-here")))
	require.True(t, eval[bool](t, ctx, stored), "pagehide stored the unsent answer")
	e.open(t, ctx, key, "")
	e.waitTraces(t, key, "the stored answer", has("star", "leave.stored"))
	time.Sleep(time.Second) // any duplicate send lands by now
	require.Len(t, find(e.traces(t, key), "star", "leave.stored"), 1, "exactly once")
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!Object.keys(localStorage).some(function (k) { return k.indexOf("rastro:q:") == 0 })`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "localStorage is empty once the collector acknowledged")
}

// TestCSPFallback loads the page under a CSP without 'wasm-unsafe-eval':
// the module cannot compile, and the loader delivers the queued call.
func TestCSPFallback(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t5"
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(e.page+"/csp.html?key="+key)))
	trs := e.waitTraces(t, key, "the queued call via the loader", has("star", "delivery"))
	require.Len(t, find(trs, "star", "delivery"), 1)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay"))))
	e.waitTraces(t, key, "a click after the fallback", has("click", "checkout.pay"))
	require.False(t, eval[bool](t, ctx, `!!(window.rastro && window.rastro.ready)`))
}

// axeSource returns axe-core's script, installing it with npm into
// wasm/e2e/node when it is missing; the test is skipped without npm.
func (e *env) axeSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(e.root, "wasm", "e2e", "node")
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	axeOnce.Do(func() {
		if _, err := os.Stat(file); err == nil {
			return
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			axeErr = errNoNPM
			return
		}
		cmd := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error")
		if out, err := cmd.CombinedOutput(); err != nil {
			axeErr = fmt.Errorf("npm install axe-core: %v\n%s", err, out)
		}
	})
	if axeErr == errNoNPM {
		t.Skip("accessibility check: npm is missing (it installs axe-core); install Node.js and npm")
	}
	require.NoError(t, axeErr)
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	return string(src)
}

var (
	axeOnce  sync.Once
	axeErr   error
	errNoNPM = fmt.Errorf("npm is missing")
)

// violation is the part of an axe-core result the test reports.
type violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeCheck runs axe-core (WCAG 2.x A and AA rules and best practices) on
// the page: serious or critical violations fail, and so does any violation
// on a node whose target mentions strict (e.g. the floating button's host).
func axeCheck(t *testing.T, ctx context.Context, src, state, strict string) {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`(async function () {
		if (!window.axe) { (0, eval)(`+jsq(src)+`) }
		var r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}, resultTypes: ["violations"]});
		return r.violations;
	})()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	var bad []string
	for _, x := range v {
		t.Logf("%s: axe %s (%s): %s, %d nodes", state, x.ID, x.Impact, x.Help, len(x.Nodes))
		for _, n := range x.Nodes {
			if x.Impact == "serious" || x.Impact == "critical" || (strict != "" && strings.Contains(fmt.Sprint(n.Target), strict)) {
				bad = append(bad, fmt.Sprintf("%s %v: %s", x.ID, n.Target, n.Summary))
			}
		}
	}
	require.Empty(t, bad, "%s: accessibility violations", state)
}

// TestAccessibility runs axe-core (WCAG 2.x A and AA rules) on the example
// page with the widget rendered, in its first state and after an answer, in
// English and right to left; serious or critical violations fail.
func TestAccessibility(t *testing.T) {
	e := setup(t)
	src := e.axeSource(t)
	ctx := e.tab(t)
	const key = "wk_t6"
	check := func(state string) { t.Helper(); axeCheck(t, ctx, src, state, "") }
	e.open(t, ctx, key, "")
	check("first view")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow("#tp-payment", `[data-v="2"]`))))
	check("a star chosen")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow("#tp-help", `[data-v="1"]`))))
	check("thanks shown")
	e.shot(t, ctx, "a11y")
}

// TestScales answers the emoji, CSAT and CES touchpoints: one question
// each, so a choice sends at once.
func TestScales(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t7"
	e.open(t, ctx, key, "")
	require.Equal(t, "Good", eval[string](t, ctx, `document.querySelector("#tp-mood").shadowRoot.querySelector('[data-v="4"]').getAttribute("aria-label")`))
	require.Equal(t, "5 – Very satisfied", eval[string](t, ctx, `document.querySelector("#tp-csat").shadowRoot.querySelector('[data-v="5"]').getAttribute("aria-label")`))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(shadow("#tp-mood", `[data-v="4"]`)),
		chromedp.Click(shadow("#tp-csat", `[data-v="5"]`)),
	))
	// CES by keyboard: focus its group, End picks 7 (very easy).
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(shadow("#tp-ces", `[data-v="1"]`)), chromedp.KeyEvent(kEnd)))
	e.shot(t, ctx, "scales")
	trs := e.waitTraces(t, key, "emoji, csat and ces answers", func(trs []trace) bool {
		return has("emoji", "visit.mood")(trs) && has("csat", "visit.support")(trs) && has("ces", "visit.returns")(trs)
	})
	mood := find(trs, "emoji", "visit.mood")[0]
	require.Equal(t, 4.0, *mood.Data.Value)
	require.Equal(t, "🙂", mood.Data.Emoji)
	require.Equal(t, 5.0, *find(trs, "csat", "visit.support")[0].Data.Value)
	require.Equal(t, 7.0, *find(trs, "ces", "visit.returns")[0].Data.Value)
}

// TestRightToLeft renders the page with dir=rtl: the scales run from the
// right, and ArrowLeft moves to the next (higher) answer.
func TestRightToLeft(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t8"
	e.open(t, ctx, key, "&dir=rtl&lang=ar")
	x := func(host, v string) float64 {
		return eval[float64](t, ctx, `document.querySelector(`+jsq(host)+`).shadowRoot.querySelector('[data-v="`+v+`"]').getBoundingClientRect().x`)
	}
	require.Greater(t, x("#tp-nps", "0"), x("#tp-nps", "10"), "NPS 0 is on the right")
	require.Greater(t, x("#tp-payment", "1"), x("#tp-payment", "5"), "the first star is on the right")
	e.shot(t, ctx, "rtl")
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(shadow("#tp-nps", `[data-v="0"]`)), chromedp.KeyEvent(kb.ArrowLeft)))
	// One step from 0 toward the left is 1, sent at once (one question).
	trs := e.waitTraces(t, key, "the NPS answer", has("nps", "home.nps"))
	require.Equal(t, 1.0, *find(trs, "nps", "home.nps")[0].Data.Value)
}

// TestConsent withdraws consent: the queue is dropped, nothing is captured,
// and the choice is remembered on the next page; granting it again
// captures again.
func TestConsent(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t10"
	e.open(t, ctx, key, "")
	e.waitTraces(t, key, "the queued call", has("star", "delivery"))
	// The page has the answer too (the acknowledged event left storage):
	// an event queued while a batch is in flight goes out as soon as the
	// batch is acknowledged, which would send consent.before at once.
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!Object.keys(localStorage).some(function (k) { return k.indexOf("rastro:q:") == 0 })`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the first batch is acknowledged")
	// An answer whose send failed is stored (see TestStoredOnLeave for
	// when else the queue is stored).
	offline(t, ctx, true)
	eval[any](t, ctx, `rastro("star", "consent.before", 3); rastro("flush"); null`)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`Object.keys(localStorage).some(function (k) { return k.indexOf("rastro:q:") == 0 && localStorage.getItem(k).indexOf("consent.before") > 0 })`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the waiting answer is stored")
	eval[any](t, ctx, `rastro("consent", false); rastro("star", "consent.after", 4); null`)
	offline(t, ctx, false)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay")), chromedp.Click(shadow("#tp-help", `[data-v="1"]`))))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`localStorage.getItem("rastro:consent") == "0" && !Object.keys(localStorage).some(function (k) { return k.indexOf("rastro:q:") == 0 })`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the choice is stored and the queue dropped")
	// The next page remembers it, before and after the module loads.
	e.open(t, ctx, key, "")
	eval[any](t, ctx, `rastro("star", "consent.reload", 2); rastro("flush"); null`)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank"))) // pagehide: no beacon either
	time.Sleep(500 * time.Millisecond)
	trs := e.traces(t, key)
	require.Len(t, trs, 1, "only the answer sent before consent was withdrawn: %+v", trs)
	// Granting it again captures again.
	e.open(t, ctx, key, "")
	eval[any](t, ctx, `rastro("consent", true); rastro("star", "consent.granted", 5); null`)
	e.waitTraces(t, key, "the answer after consent", has("star", "consent.granted"))
	require.Empty(t, find(e.traces(t, key), "star", "delivery")[1:], "the page's own call was made while consent was withdrawn")
}

// TestDoNotTrack: with data-respect-dnt="true", Global Privacy Control
// turns capture off; without the attribute it does not.
func TestDoNotTrack(t *testing.T) {
	e := setup(t)
	gpc := `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: function () { return true }});`
	for _, tc := range []struct {
		name, key, query string
		respected        bool
	}{
		{"respected", "wk_t11", "&dnt=1", true},
		{"not configured", "wk_t12", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := e.tab(t)
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: gpc})
			require.NoError(t, err)
			e.open(t, ctx, tc.key, tc.query)
			require.True(t, eval[bool](t, ctx, `navigator.globalPrivacyControl === true`))
			eval[any](t, ctx, `rastro("star", "dnt.call", 3); null`)
			require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay"))))
			_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`rastro("flush").then(function () { return true })`, chromedp.EvalAwaitPromise))
			require.NoError(t, err)
			if !tc.respected {
				e.waitTraces(t, tc.key, "the answers", func(trs []trace) bool {
					return has("star", "dnt.call")(trs) && has("star", "delivery")(trs) && has("click", "checkout.pay")(trs)
				})
				return
			}
			time.Sleep(300 * time.Millisecond)
			require.Empty(t, e.traces(t, tc.key), "GPC: nothing is captured")
		})
	}
}

// TestLangOverride switches the language with init after the module
// loaded: the UI renders again in Spanish and events carry the language.
func TestLangOverride(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t13"
	e.open(t, ctx, key, "")
	label := `document.querySelector("#tp-help").shadowRoot.querySelector(".q").textContent`
	require.Equal(t, "Was this helpful?", eval[string](t, ctx, label))
	eval[any](t, ctx, `rastro("init", {lang: "es-MX"}); null`)
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](label+` == "¿Te resultó útil?"`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the UI is in Spanish")
	require.Equal(t, "Enviar", eval[string](t, ctx, `document.querySelector("#tp-payment").shadowRoot.querySelector("button[type=submit]").textContent`))
	require.Equal(t, "es", eval[string](t, ctx, `document.querySelector("#tp-help").shadowRoot.querySelector("form").lang`))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow("#tp-help", `[data-v="0"]`))))
	require.Equal(t, "¡Gracias por tu opinión!", eval[string](t, ctx, `document.querySelector("#tp-help").shadowRoot.querySelector(".t").textContent`))
	e.shot(t, ctx, "lang-es")
	trs := e.waitTraces(t, key, "the thumbs answer", has("thumbs", "help.article"))
	tr := find(trs, "thumbs", "help.article")[0]
	require.Equal(t, 0.0, *tr.Data.Value)
	require.Equal(t, "es-MX", tr.Data.Lang)
}
