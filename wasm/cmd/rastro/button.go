//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/rastrohq/rastro/wasm/core"
)

// The floating feedback button: a fixed button in its own shadow root,
// appended to body (out of the page's flow, so nothing shifts), which
// opens a modal <dialog> with the same questions as a touchpoint. The
// native modal dialog makes the page inert and closes on Esc; the widget
// moves focus in, keeps Tab inside, and gives focus back to the button.

// buttonHTML is the button host's shadow content; render fills the dialog.
const buttonHTML = `<button type="button" class="fb" aria-haspopup="dialog" aria-expanded="false"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg><span></span></button><dialog role="dialog" aria-modal="true" aria-labelledby="bt"></dialog>`

// closeAfter is how long the thanks stay in the dialog before it closes.
const closeAfter = 2500 // ms

// setButton applies rastro("button", ...) or the script tag's data-button:
// it creates, reconfigures or (Off) removes the button. Before the UI is
// ready it only keeps the configuration for initUI.
func (w *widget) setButton(b *core.Button) {
	w.btnCfg = b
	if w.text == nil {
		return
	}
	tp := w.btn
	if tp != nil {
		w.dialog().Call("close")
	}
	if b.Off {
		if tp != nil {
			tp.host.Call("remove")
		}
		return
	}
	if tp == nil {
		host := document.Call("createElement", "div")
		setAttr(host, "data-rastro-button", "")
		setAttr(host, "data-rastro-id", len(w.tps))
		tp = &touchpoint{host: host, root: host.Call("attachShadow", map[string]any{"mode": "open"})}
		w.tps = append(w.tps, tp)
		w.btn = tp
		html := buttonHTML
		if w.sheet.IsUndefined() {
			html = "<style>" + css + "</style>" + html
		} else {
			tp.root.Set("adoptedStyleSheets", []any{w.sheet})
		}
		tp.root.Set("innerHTML", html)
		for _, ev := range []string{"click", "keydown", "submit"} {
			tp.root.Call("addEventListener", ev, w.uiFn)
		}
		w.closeFn = js.FuncOf(func(js.Value, []js.Value) any { w.dialog().Call("close"); return nil })
		on(w.dialog(), "close", func(js.Value) { w.closed() })
	}
	tp.button, tp.asks, tp.comment, tp.done = b, b.Asks, b.Comment, false
	tp.sel = make([]int, len(b.Asks))
	tp.host.Call("toggleAttribute", "data-left", b.Left)
	w.render(tp)
	if !tp.host.Get("isConnected").Bool() {
		document.Get("body").Call("append", tp.host)
	}
}

// buttonFromScript reads data-button, data-button-touchpoint,
// data-button-position, data-button-label and data-button-question from
// the loader's script tag (the loader hands over its dataset as
// rastro.c.ds); nil without data-button.
func buttonFromScript(ds js.Value) *core.Button {
	if ds.Type() != js.TypeObject || ds.Get("button").Type() != js.TypeString {
		return nil
	}
	o := map[string]core.Arg{}
	for _, a := range [...][2]string{{"ask", "button"}, {"touchpoint", "buttonTouchpoint"}, {"position", "buttonPosition"}, {"label", "buttonLabel"}, {"question", "buttonQuestion"}} {
		if v := ds.Get(a[1]); v.Type() == js.TypeString {
			o[a[0]] = core.Str(v.String())
		}
	}
	b, warn := core.ParseButton(core.Obj(o))
	if warn != "" {
		console.Call("warn", "rastro: data-button attributes: "+warn)
	}
	if len(b.Asks) == 0 && !b.Comment {
		return nil
	}
	return &b
}

func (w *widget) buttonLabel() string {
	if w.btnCfg != nil && w.btnCfg.Label != "" {
		return w.btnCfg.Label
	}
	return w.text.Feedback
}

func (w *widget) dialog() js.Value { return qs(w.btn.root, "dialog") }

// renderButton puts a rendered form into the dialog and labels the button.
func (w *widget) renderButton(tp *touchpoint, html string) {
	d := w.dialog()
	d.Set("innerHTML", html)
	d.Set("lang", w.text.Lang)
	qs(tp.root, ".fb span").Set("textContent", w.buttonLabel())
}

// onButton handles the button's own events; false leaves the event to the
// touchpoint handlers (radios, submit).
func (w *widget) onButton(tp *touchpoint, ev, target js.Value) bool {
	d := w.dialog()
	switch ev.Get("type").String() {
	case "click":
		switch {
		case target.Call("closest", ".fb").Truthy():
			w.open(tp)
		case target.Call("closest", ".x").Truthy(), target.Equal(d):
			// The close button, or the backdrop (a click on the dialog
			// box itself lands on its content).
			d.Call("close")
		default:
			return false
		}
		return true
	case "keydown":
		if ev.Get("key").String() != "Tab" || !d.Get("open").Bool() {
			return false
		}
		// Keep Tab inside the dialog: from the last stop (or from outside
		// the stops, e.g. the thanks) to the first and, with Shift, from
		// the first to the last.
		const sel = `.x,form:not([hidden]) :is(textarea,button:not([tabindex="-1"]))`
		stops := d.Call("querySelectorAll", sel)
		n := stops.Length()
		if n == 0 {
			return false
		}
		next, edge := stops.Index(0), stops.Index(n-1)
		if ev.Get("shiftKey").Bool() {
			next, edge = edge, next
		}
		if a := tp.root.Get("activeElement"); a.Truthy() && a.Call("matches", sel).Bool() && !a.Equal(edge) {
			return false
		}
		ev.Call("preventDefault")
		focus(next)
		return true
	}
	return false
}

// open shows the dialog and moves focus to its first question. Answers
// chosen and not sent stay for the next open; a sent form starts afresh.
func (w *widget) open(tp *touchpoint) {
	d := w.dialog()
	if d.Get("open").Bool() {
		return
	}
	if tp.done {
		tp.done = false
		w.render(tp)
	}
	tp.name = tp.button.Touchpoint
	if tp.name == "" {
		tp.name = str(global.Get("location").Get("pathname"))
	}
	d.Call("showModal")
	setAttr(qs(tp.root, ".fb"), "aria-expanded", "true")
	focus(qs(d, `form [tabindex="0"],textarea,.s`))
}

// closeLater closes the dialog once the visitor has had time to read (and
// a screen reader to announce) the thanks.
func (w *widget) closeLater() {
	w.closeTimer = global.Call("setTimeout", w.closeFn, closeAfter)
}

// closed runs on the dialog's close event (Esc, the close button, the
// backdrop, after the thanks): focus goes back to the button.
func (w *widget) closed() {
	if !w.closeTimer.IsUndefined() {
		global.Call("clearTimeout", w.closeTimer)
		w.closeTimer = js.Undefined()
	}
	tp := w.btn
	fb := qs(tp.root, ".fb")
	setAttr(fb, "aria-expanded", "false")
	if tp.host.Get("isConnected").Bool() {
		focus(fb)
	}
	if tp.done {
		tp.done = false
		w.render(tp)
	}
}
