package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

const buttonHost = "[data-rastro-button]"

// rect is an element's bounding box and what the viewport measures.
type rect struct {
	X, Y, W, H   float64
	VW, VH       float64
	Position     string
	ScrollHeight float64
}

func rectOf(t *testing.T, ctx context.Context, el string) rect {
	t.Helper()
	return eval[rect](t, ctx, `(function () { var e = `+el+`, r = e.getBoundingClientRect();
		return {X: r.x, Y: r.y, W: r.width, H: r.height, VW: document.documentElement.clientWidth, VH: document.documentElement.clientHeight,
			Position: getComputedStyle(e).position, ScrollHeight: document.documentElement.scrollHeight} })()`)
}

// buttonActive describes the focused element: "fb", "x", "s", "textarea",
// "radio[v]", "p" inside the button's shadow root, else the page element's
// id or tag.
func buttonActive(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `(function () {
		var a = document.activeElement, h = document.querySelector("[data-rastro-button]");
		if (!a || a !== h) return a ? a.id || a.tagName.toLowerCase() : "";
		var s = h.shadowRoot.activeElement;
		if (!s) return "host";
		if (s.getAttribute("role") == "radio") return "radio[" + s.getAttribute("data-v") + "]";
		return s.classList.length ? s.classList[0] : s.tagName.toLowerCase();
	})()`)
}

func dialogOpen(t *testing.T, ctx context.Context) bool {
	return eval[bool](t, ctx, `document.querySelector("[data-rastro-button]").shadowRoot.querySelector("dialog").open`)
}

func waitButton(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function () { var h = document.querySelector("[data-rastro-button]"); return !!(h && h.shadowRoot && h.shadowRoot.querySelector(".fb span").textContent) })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the floating button did not appear")
}

// TestFeedbackButton configures the floating button on the script tag
// (data-button="stars comment", data-button-touchpoint="page.feedback"):
// it appears fixed in the bottom-right corner without moving the page,
// opens a modal dialog from the keyboard and with a click, keeps focus
// inside, closes on Esc giving focus back, passes axe-core while open, and
// delivers the answers to the collector.
func TestFeedbackButton(t *testing.T) {
	e := setup(t)
	src := e.axeSource(t)
	ctx := e.tab(t)
	const key = "wk_t14"
	// The page's layout once the loader reserved the touchpoints' space
	// (load), before the module rendered anything.
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
addEventListener("load", function () { var r = document.querySelector("#tp-ces").getBoundingClientRect(), h = document.querySelector("h1").getBoundingClientRect();
	window.__layout = [h.x, h.y, r.x, r.y, r.width, r.height, document.documentElement.scrollHeight] });`})
	require.NoError(t, err)
	e.open(t, ctx, key, "&button=stars+comment")
	waitButton(t, ctx)
	host := `document.querySelector("[data-rastro-button]")`
	fb := host + `.shadowRoot.querySelector(".fb")`
	dlg := host + `.shadowRoot.querySelector("dialog")`

	// Fixed in the bottom-right corner, out of the flow: nothing moved.
	before := eval[[]float64](t, ctx, `window.__layout`)
	ces, h1 := rectOf(t, ctx, `document.querySelector("#tp-ces")`), rectOf(t, ctx, `document.querySelector("h1")`)
	require.Equal(t, before, []float64{h1.X, h1.Y, ces.X, ces.Y, ces.W, ces.H, ces.ScrollHeight}, "the page did not shift")
	hr, br := rectOf(t, ctx, host), rectOf(t, ctx, fb)
	require.Equal(t, "fixed", hr.Position)
	require.Equal(t, "body", eval[string](t, ctx, host+`.parentElement.tagName.toLowerCase()`))
	require.InDelta(t, br.VW-16, br.X+br.W, 1, "16px from the right edge: %+v", br)
	require.InDelta(t, br.VH-16, br.Y+br.H, 1, "16px from the bottom: %+v", br)
	require.Equal(t, "Feedback", eval[string](t, ctx, fb+`.textContent`))
	require.Equal(t, "dialog", eval[string](t, ctx, fb+`.getAttribute("aria-haspopup")`))
	require.Equal(t, "false", eval[string](t, ctx, fb+`.getAttribute("aria-expanded")`))
	// Themed by the same custom properties as the touchpoints.
	require.Equal(t, "rgb(29, 78, 216)", eval[string](t, ctx, `getComputedStyle(`+fb+`).backgroundColor`))
	axeCheck(t, ctx, src, "button shown", "data-rastro-button")
	e.shot(t, ctx, "button")

	// Keyboard: Enter opens; focus is on the first star.
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(shadow(buttonHost, ".fb")), chromedp.KeyEvent("\r")))
	require.True(t, dialogOpen(t, ctx))
	require.Equal(t, "radio[1]", buttonActive(t, ctx), "focus moves into the dialog")
	require.Equal(t, "true", eval[string](t, ctx, fb+`.getAttribute("aria-expanded")`))
	require.Equal(t, "dialog", eval[string](t, ctx, dlg+`.getAttribute("role")`))
	require.Equal(t, "true", eval[string](t, ctx, dlg+`.getAttribute("aria-modal")`))
	require.Equal(t, "Feedback", eval[string](t, ctx, host+`.shadowRoot.getElementById(`+dlg+`.getAttribute("aria-labelledby")).textContent`))
	// Tab stays inside: the star group (one stop), the comment, Send, then
	// around to the close button; Shift+Tab goes back around.
	for _, want := range []string{"textarea", "s", "x", "radio[1]", "textarea"} {
		require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)))
		require.Equal(t, want, buttonActive(t, ctx), "Tab")
	}
	for _, want := range []string{"radio[1]", "x", "s"} {
		require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))))
		require.Equal(t, want, buttonActive(t, ctx), "Shift+Tab")
	}
	// Esc closes and gives focus back to the button.
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)))
	closed := `!` + dlg + `.open && ` + fb + `.getAttribute("aria-expanded") == "false"`
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](closed, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "Esc closes the dialog")
	require.Equal(t, "fb", buttonActive(t, ctx), "focus returns to the button")

	// Click: opens again; answer with the arrows and type a comment.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow(buttonHost, ".fb"))))
	require.True(t, dialogOpen(t, ctx))
	require.Equal(t, "radio[1]", buttonActive(t, ctx))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight)))
	require.Equal(t, "radio[4]", buttonActive(t, ctx))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Botão flutuante: ótimo")))
	time.Sleep(300 * time.Millisecond) // the opening animation (transform only) is over
	axeCheck(t, ctx, src, "dialog open", "data-rastro-button")
	e.shot(t, ctx, "button-dialog")
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("\r")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](dlg+`.querySelector("[role=status]").textContent == "Thanks for your feedback!"`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the thanks are announced")
	require.Equal(t, "t", buttonActive(t, ctx), "focus on the thanks")
	axeCheck(t, ctx, src, "dialog thanks", "data-rastro-button")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](closed, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the dialog closes after the thanks")
	require.Equal(t, "fb", buttonActive(t, ctx), "focus returns to the button")

	trs := e.waitTraces(t, key, "the button's star and comment", func(trs []trace) bool {
		return has("star", "page.feedback")(trs) && has("comment", "page.feedback")(trs)
	})
	require.Len(t, find(trs, "star", "page.feedback"), 1)
	require.Equal(t, 4.0, *find(trs, "star", "page.feedback")[0].Data.Value)
	require.Equal(t, "Botão flutuante: ótimo", find(trs, "comment", "page.feedback")[0].Data.Text)

	// Opened again, the form starts afresh.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow(buttonHost, ".fb"))))
	require.True(t, dialogOpen(t, ctx))
	require.Equal(t, "false", eval[string](t, ctx, dlg+`.querySelector('[data-v="4"]').getAttribute("aria-checked")`))
	require.False(t, eval[bool](t, ctx, dlg+`.querySelector("form").hidden`))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow(buttonHost, ".x"))))
	require.False(t, dialogOpen(t, ctx), "the close button closes")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow(buttonHost, ".fb"))))
	require.True(t, dialogOpen(t, ctx))
	require.NoError(t, chromedp.Do(ctx, chromedp.MouseClickXY(5, 5)))
	require.False(t, dialogOpen(t, ctx), "a click on the backdrop closes")
}

// TestFeedbackButtonAPI configures the button with rastro("button", ...)
// on a right-to-left page in Spanish: it sits bottom-left (mirrored), and
// position "bottom-left" mirrors to the right; without a touchpoint the
// answers carry location.pathname; rastro("button", false) removes it.
func TestFeedbackButtonAPI(t *testing.T) {
	e := setup(t)
	ctx := e.tab(t)
	const key = "wk_t15"
	e.open(t, ctx, key, "&dir=rtl&lang=es")
	require.False(t, eval[bool](t, ctx, `!!document.querySelector("[data-rastro-button]")`), "no button unless asked")
	eval[any](t, ctx, `rastro("button", {ask: "thumbs"}); null`)
	waitButton(t, ctx)
	host := `document.querySelector("[data-rastro-button]")`
	fb := host + `.shadowRoot.querySelector(".fb")`
	dlg := host + `.shadowRoot.querySelector("dialog")`
	r := rectOf(t, ctx, fb)
	require.InDelta(t, 16, r.X, 1, "right to left: bottom-left, %+v", r)
	require.InDelta(t, r.VH-16, r.Y+r.H, 1)
	require.Equal(t, "Opinión", eval[string](t, ctx, fb+`.textContent`))
	e.shot(t, ctx, "button-rtl")

	eval[any](t, ctx, `rastro("button", {ask: "thumbs", position: "bottom-left", label: "¿Ideas?"}); null`)
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fb+`.textContent == "¿Ideas?"`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err)
	r = rectOf(t, ctx, fb)
	require.InDelta(t, r.VW-16, r.X+r.W, 1, "bottom-left mirrors to the right on a right-to-left page: %+v", r)
	require.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll("[data-rastro-button]").length`), "one button, reconfigured")

	require.NoError(t, chromedp.Do(ctx, chromedp.Click(shadow(buttonHost, ".fb"))))
	require.True(t, dialogOpen(t, ctx))
	require.Equal(t, "¿Ideas?", eval[string](t, ctx, dlg+`.querySelector("h2").textContent`))
	require.Equal(t, "Cerrar", eval[string](t, ctx, dlg+`.querySelector(".x").getAttribute("aria-label")`))
	require.Equal(t, "radio[1]", buttonActive(t, ctx))
	// One question: the choice sends at once.
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\r")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!`+dlg+`.open`, chromedp.WithPollingTimeout(6*time.Second)))
	require.NoError(t, err, "closes after the thanks")
	trs := e.waitTraces(t, key, "the thumbs answer", has("thumbs", "/"))
	require.Equal(t, 1.0, *find(trs, "thumbs", "/")[0].Data.Value)
	require.Equal(t, "es", find(trs, "thumbs", "/")[0].Data.Lang)

	eval[any](t, ctx, `rastro("button", {position: "top"}); null`) // a warning, nothing changes
	require.Equal(t, "¿Ideas?", eval[string](t, ctx, fb+`.textContent`))
	eval[any](t, ctx, `rastro("button", false); null`)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!document.querySelector("[data-rastro-button]")`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "rastro(\"button\", false) removes it")
}
