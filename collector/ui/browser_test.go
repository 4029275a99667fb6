package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestDashboardInChromium loads /ui in real headless Chromium, checks the
// ranked touchpoints and the quadrant chart are there with no console
// error, and saves a screenshot under testout/ at the repository root.
func TestDashboardInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	chromium := "/usr/bin/chromium"
	if p := os.Getenv("RASTRO_CHROMIUM"); p != "" {
		chromium = p
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no chromium at " + chromium)
	}
	url := collector(t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 15*time.Second)
	defer cancelT()

	// Console errors, uncaught exceptions and Content-Security-Policy
	// violations are collected in the page.
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		window.__problems = [];
		const err = console.error;
		console.error = function (...a) { window.__problems.push("console.error: " + a.join(" ")); err.apply(console, a); };
		window.addEventListener("error", e => window.__problems.push("error: " + e.message));
		document.addEventListener("securitypolicyviolation", e => window.__problems.push("csp: " + e.violatedDirective + " " + e.blockedURI));
	`})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url+"/ui?user=u1")))
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("alignment"))))

	ranked := eval[[]string](t, ctx, `[...document.querySelectorAll("table.ranked tbody th")].map(e => e.textContent.trim())`)
	require.Equal(t, []string{"checkout", "call", "support", "call.review"}, ranked)
	require.Equal(t, 4, eval[int](t, ctx, `document.querySelectorAll("#alignment svg text.quad").length`))
	require.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll("#alignment svg g.agent").length`))
	// The stylesheet loaded (CSP allows 'self').
	require.Equal(t, "rgb(11, 92, 173)", eval[string](t, ctx, `getComputedStyle(document.querySelector("button")).backgroundColor`))
	// Keyboard: the skip link is the first Tab stop.
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	require.Equal(t, "skip", eval[string](t, ctx, `document.activeElement.className`))
	require.Empty(t, eval[[]string](t, ctx, `window.__problems`))

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	require.NoError(t, err)

	dir := filepath.Join("..", "..", "testout")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ui-dashboard.jpg"), png, 0o644))
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}
