//go:build js && wasm

package main

import (
	"strconv"
	"syscall/js"

	"github.com/rastrohq/rastro/wasm/core"
)

// css is the widget's style, adopted by every shadow root. Pages theme it
// through custom properties on the host element (--rastro-accent, ...).
// Only logical properties, so right-to-left pages mirror it.
const css = `:host{display:block;box-sizing:border-box;font:var(--rastro-font,14px/1.4 system-ui,sans-serif);color:var(--rastro-fg,#1f2937)}
*{box-sizing:border-box;font:inherit;color:inherit;margin:0}
form,.t{background:var(--rastro-bg,#fff);border:1px solid var(--rastro-border,#9ca3af);border-radius:var(--rastro-radius,8px);padding:8px 12px;min-block-size:100%}
.q{display:block;block-size:24px;line-height:24px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.g{display:flex;gap:4px;block-size:40px;margin-block:2px 6px}
.g button{flex:1 1 0;min-inline-size:0;max-inline-size:44px;block-size:40px;border:1px solid var(--rastro-border,#9ca3af);border-radius:6px;background:var(--rastro-bg,#fff);cursor:pointer;padding:0}
.g [aria-checked=true]{background:var(--rastro-accent,#1d4ed8);color:var(--rastro-on-accent,#fff);border-color:var(--rastro-accent,#1d4ed8)}
.star button,.star [aria-checked=true]{border:0;background:none;font-size:28px;line-height:40px;color:var(--rastro-muted,#6b7280)}
.star .on,.star [aria-checked=true]{color:var(--rastro-star,#b45309)}
.emoji button,.thumbs button{font-size:22px}
.h{display:flex;justify-content:space-between;block-size:18px;font-size:12px;line-height:18px;color:var(--rastro-muted,#4b5563);margin-block-start:-6px}
textarea{display:block;inline-size:100%;block-size:64px;resize:none;border:1px solid var(--rastro-border,#6b7280);border-radius:6px;padding:4px 8px;margin-block:2px 8px;background:var(--rastro-bg,#fff)}
.s{block-size:36px;padding-inline:16px;border:0;border-radius:6px;background:var(--rastro-accent,#1d4ed8);color:var(--rastro-on-accent,#fff);font-weight:600;cursor:pointer}
button:focus-visible,textarea:focus-visible,.t:focus-visible{outline:3px solid var(--rastro-focus,#1d4ed8);outline-offset:2px}
.t{display:flex;align-items:center;justify-content:center;font-weight:600}
[hidden]{display:none!important}
:host([data-rastro-button]){position:fixed!important;z-index:var(--rastro-z,2147483000);inset-block-end:var(--rastro-offset,16px);inset-inline-end:var(--rastro-offset,16px)}
:host([data-left]){inset-inline:var(--rastro-offset,16px) auto}
.fb{display:flex;align-items:center;gap:8px;block-size:44px;padding-inline:14px 18px;border:1px solid transparent;border-radius:22px;background:var(--rastro-accent,#1d4ed8);color:var(--rastro-on-accent,#fff);font-weight:600;cursor:pointer;box-shadow:0 2px 8px #0004}
.fb svg{inline-size:20px;block-size:20px;fill:currentColor}
dialog{margin:auto;inline-size:min(26rem,100vw - 32px);max-block-size:calc(100vh - 32px);padding:0;border:1px solid var(--rastro-border,#9ca3af);border-radius:var(--rastro-radius,8px);background:var(--rastro-bg,#fff);box-shadow:0 8px 32px #0005;overflow:auto}
dialog::backdrop{background:#1118}
dialog form,dialog .t{border:0}
dialog .t{min-block-size:120px}
dialog .q{white-space:normal;block-size:auto}
.hd{display:flex;align-items:center;justify-content:space-between;padding:8px 8px 0;padding-inline-start:12px}
h2{font-size:17px;font-weight:700}
.x{inline-size:36px;block-size:36px;border:0;border-radius:6px;background:none;cursor:pointer}
@media (prefers-reduced-motion:no-preference){dialog[open]{animation:rastro-in .15s ease-out}}
@keyframes rastro-in{from{transform:translateY(12px)}}
.l{position:absolute;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}`

// touchpoint is one element marked data-rastro-touchpoint.
type touchpoint struct {
	host, root js.Value
	name       string
	asks       []core.Ask
	sel        []int
	comment    bool
	done       bool
	// button is set on the floating button's touchpoint, whose questions
	// render in a modal dialog (button.go).
	button *core.Button
}

func (w *widget) initUI() {
	w.uiFn = js.FuncOf(w.onUI)
	if ctor := global.Get("CSSStyleSheet"); ctor.Type() == js.TypeFunction {
		func() {
			defer func() { _ = recover() }()
			s := ctor.New()
			s.Call("replaceSync", css)
			w.sheet = s
		}()
	}
	w.scan()
	// Touchpoints added later (single-page apps) render too.
	var pending bool
	obs := global.Get("MutationObserver").New(js.FuncOf(func(js.Value, []js.Value) any {
		if !pending {
			pending = true
			global.Call("requestAnimationFrame", js.FuncOf(func(this js.Value, _ []js.Value) any {
				pending = false
				w.scan()
				return nil
			}))
		}
		return nil
	}))
	obs.Call("observe", document.Get("documentElement"), map[string]any{"childList": true, "subtree": true})
	if w.btnCfg != nil {
		w.setButton(w.btnCfg)
	}
}

// scan renders every touchpoint not rendered yet.
func (w *widget) scan() {
	defer func() { _ = recover() }()
	els := document.Call("querySelectorAll", "[data-rastro-touchpoint]:not([data-rastro-id])")
	for i, n := 0, els.Length(); i < n; i++ {
		w.mount(els.Index(i))
	}
}

func (w *widget) mount(host js.Value) {
	if host.Get("shadowRoot").Truthy() {
		return // someone else's shadow root: leave the element alone
	}
	tp := &touchpoint{host: host, name: attr(host, "data-rastro-touchpoint")}
	var bad []string
	tp.asks, tp.comment, bad = core.ParseAsks(attr(host, "data-rastro-ask"))
	for _, b := range bad {
		console.Call("warn", "rastro: data-rastro-ask of touchpoint "+core.Quote(tp.name)+": unknown question "+core.Quote(b)+"; use stars, emoji, thumbs, nps, csat, ces, comment")
	}
	tp.sel = make([]int, len(tp.asks))
	setAttr(host, "data-rastro-id", len(w.tps))
	w.tps = append(w.tps, tp)
	host.Get("style").Set("minBlockSize", strconv.Itoa(core.Height(tp.asks, tp.comment))+"px")
	tp.root = host.Call("attachShadow", map[string]any{"mode": "open"})
	for _, ev := range []string{"click", "keydown", "submit"} {
		tp.root.Call("addEventListener", ev, w.uiFn)
	}
	w.render(tp)
}

// rerender renders every touchpoint again, e.g. after init changed the
// language; answers not sent yet are lost.
func (w *widget) rerender() {
	for _, tp := range w.tps {
		if !tp.done {
			w.render(tp)
		}
	}
}

func (w *widget) render(tp *touchpoint) {
	t := w.text
	var b []byte
	if w.sheet.IsUndefined() && tp.button == nil {
		b = append(b, "<style>"+css+"</style>"...)
	}
	var question string
	if tp.button != nil {
		question = tp.button.Question
		b = append(b, `<div class="hd"><h2 id="bt">`+esc(w.buttonLabel())+`</h2><button type="button" class="x" aria-label="`+esc(t.Close)+`">✕</button></div>`...)
	} else {
		question = attr(tp.host, "data-rastro-question")
	}
	b = append(b, `<form part="form" novalidate lang="`+t.Lang+`">`...)
	for i, a := range tp.asks {
		tp.sel[i] = -1
		is := strconv.Itoa(i)
		q := t.Prompt(a.Name)
		if i == 0 && question != "" {
			q = question
		}
		b = append(b, `<div class="q" id="q`+is+`">`+esc(q)+`</div><div class="g `+a.Kind+`" role="radiogroup" aria-labelledby="q`+is+`"`...)
		if a.Name == "nps" || a.Name == "ces" {
			b = append(b, ` aria-describedby="h`+is+`"`...)
		}
		b = append(b, ` data-a="`+is+`">`...)
		first := true
		for _, v := range values(a) {
			label, glyph := labelFor(t, a, v)
			tab := "-1"
			if first {
				tab, first = "0", false
			}
			b = append(b, `<button type="button" role="radio" aria-checked="false" tabindex="`+tab+`" data-v="`+strconv.Itoa(v)+`" aria-label="`+esc(label)+`">`+glyph+`</button>`...)
		}
		b = append(b, `</div>`...)
		switch a.Name {
		case "nps":
			b = append(b, `<div class="h" id="h`+is+`"><span>0 = `+esc(t.Low)+`</span><span>10 = `+esc(t.High)+`</span></div>`...)
		case "ces":
			b = append(b, `<div class="h" id="h`+is+`"><span>1 = `+esc(t.Hard)+`</span><span>7 = `+esc(t.Easy)+`</span></div>`...)
		}
	}
	if tp.comment {
		b = append(b, `<label class="q" for="c">`+esc(t.Comment)+`</label><textarea id="c" maxlength="2000"></textarea>`...)
	}
	if core.NeedsSubmit(tp.asks, tp.comment) {
		b = append(b, `<button type="submit" class="s">`+esc(t.Send)+`</button>`...)
	}
	b = append(b, `</form><p class="t" tabindex="-1" hidden>`+esc(t.Thanks)+`</p><div class="l" role="status" aria-live="polite"></div>`...)
	if tp.button != nil {
		w.renderButton(tp, string(b))
		return
	}
	tp.root.Set("innerHTML", string(b))
	if !w.sheet.IsUndefined() {
		tp.root.Set("adoptedStyleSheets", []any{w.sheet})
	}
}

// values lists the answers of a question in display order: thumbs up
// first, scales from low to high.
func values(a core.Ask) []int {
	if a.Name == "thumbs" {
		return []int{1, 0}
	}
	vs := make([]int, 0, a.Max-a.Min+1)
	for v := a.Min; v <= a.Max; v++ {
		vs = append(vs, v)
	}
	return vs
}

func labelFor(t *core.Strings, a core.Ask, v int) (label, glyph string) {
	n := strconv.Itoa(v)
	switch a.Name {
	case "stars":
		return t.StarLabel(v), "★"
	case "emoji":
		return t.Emoji[v-1], core.EmojiFor(v)
	case "thumbs":
		if v == 1 {
			return t.Yes, "👍"
		}
		return t.No, "👎"
	case "csat":
		return n + " – " + t.CSAT[v-1], n
	}
	return n, n
}

// onUI handles click, keydown and submit in every shadow root.
func (w *widget) onUI(_ js.Value, args []js.Value) any {
	defer func() { _ = recover() }()
	ev := args[0]
	root := ev.Get("currentTarget")
	id, ok := core.Atoi(attr(root.Get("host"), "data-rastro-id"))
	if !ok || id < 0 || id >= len(w.tps) {
		return nil
	}
	tp := w.tps[id]
	target := ev.Get("target")
	if tp.button != nil && w.onButton(tp, ev, target) {
		return nil
	}
	switch ev.Get("type").String() {
	case "submit":
		ev.Call("preventDefault")
		w.submit(tp)
	case "click":
		btn := target.Call("closest", "[role=radio]")
		if btn.Truthy() {
			w.choose(tp, btn)
		}
	case "keydown":
		if attr(target, "role") != "radio" {
			return nil
		}
		step := 0
		rtl := global.Call("getComputedStyle", tp.host).Get("direction").String() == "rtl"
		switch ev.Get("key").String() {
		case "ArrowRight":
			step = 1
			if rtl {
				step = -1
			}
		case "ArrowLeft":
			step = -1
			if rtl {
				step = 1
			}
		case "ArrowDown":
			step = 1
		case "ArrowUp":
			step = -1
		case "Home":
			step = -100
		case "End":
			step = 100
		default:
			return nil
		}
		ev.Call("preventDefault")
		btns := target.Get("parentElement").Call("querySelectorAll", "[role=radio]")
		n := btns.Length()
		cur := 0
		for i := 0; i < n; i++ {
			if btns.Index(i).Equal(target) {
				cur = i
			}
		}
		next := cur + step
		switch {
		case step == -100:
			next = 0
		case step == 100:
			next = n - 1
		case next < 0:
			next = n - 1
		case next >= n:
			next = 0
		}
		btn := btns.Index(next)
		focus(btn)
		w.choose(tp, btn)
	}
	return nil
}

// choose checks one radio of a group (roving tabindex: the checked radio
// is the group's one Tab stop).
func (w *widget) choose(tp *touchpoint, btn js.Value) {
	if tp.done {
		return
	}
	group := btn.Get("parentElement")
	ai, ok := core.Atoi(attr(group, "data-a"))
	if !ok || ai < 0 || ai >= len(tp.asks) {
		return
	}
	v, _ := core.Atoi(attr(btn, "data-v"))
	tp.sel[ai] = v
	star := tp.asks[ai].Name == "stars"
	btns := group.Call("querySelectorAll", "[role=radio]")
	for i, n := 0, btns.Length(); i < n; i++ {
		b := btns.Index(i)
		bv, _ := core.Atoi(attr(b, "data-v"))
		checked, tab := "false", "-1"
		if bv == v {
			checked, tab = "true", "0"
		}
		setAttr(b, "aria-checked", checked)
		setAttr(b, "tabindex", tab)
		if star {
			b.Get("classList").Call("toggle", "on", bv <= v)
		}
	}
	if !core.NeedsSubmit(tp.asks, tp.comment) {
		w.submit(tp)
	}
}

// submit captures the touchpoint's answers and thanks the visitor.
func (w *widget) submit(tp *touchpoint) {
	if tp.done {
		return
	}
	text := ""
	if tp.comment {
		// String.prototype.trim through call: js.Value.Call on a string
		// primitive throws (Reflect.get wants an object).
		text = str(global.Get("String").Get("prototype").Get("trim").Call("call", tp.root.Call("getElementById", "c").Get("value")))
	}
	any := text != ""
	for _, s := range tp.sel {
		any = any || s >= 0
	}
	live := qs(tp.root, ".l")
	if !any {
		live.Set("textContent", w.text.Choose)
		return
	}
	tp.done = true
	for i, a := range tp.asks {
		if tp.sel[i] >= 0 {
			w.capture(a.Kind, tp.name, core.Num(float64(tp.sel[i])))
		}
	}
	if text != "" {
		w.capture("comment", tp.name, core.Str(text))
	}
	qs(tp.root, "form").Set("hidden", true)
	thanks := qs(tp.root, ".t")
	thanks.Set("hidden", false)
	focus(thanks)
	live.Set("textContent", w.text.Thanks)
	if tp.button != nil {
		w.closeLater()
	}
}

// capture queues an answer from the UI through the same path as the API.
func (w *widget) capture(kind, touchpoint string, v core.Arg) {
	r := w.c.Call(kind, []core.Arg{core.Str(touchpoint), v})
	if r.Warn != "" {
		console.Call("warn", r.Warn)
	}
	if r.Queued {
		w.dirty = true
		w.schedule(0) // an answer from the UI goes out at once
	}
}

// esc escapes text for HTML. Byte by byte: the characters it escapes are
// ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte character.
func esc(s string) string {
	var b []byte
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '&':
			rep = "&amp;"
		case '"':
			rep = "&#34;"
		case '\'':
			rep = "&#39;"
		default:
			continue
		}
		b = append(append(b, s[start:i]...), rep...)
		start = i + 1
	}
	if b == nil {
		return s
	}
	return string(append(b, s[start:]...))
}

// DOM helpers: one call site each, as every call into JavaScript costs
// the module a few hundred bytes of code.
//
//go:noinline
func qs(v js.Value, sel string) js.Value { return v.Call("querySelector", sel) }

//go:noinline
func attr(v js.Value, name string) string { return str(v.Call("getAttribute", name)) }

//go:noinline
func setAttr(v js.Value, name string, value any) { v.Call("setAttribute", name, value) }

//go:noinline
func focus(v js.Value) { v.Call("focus") }
