//go:build js && wasm

// Command rastro is the widget's WebAssembly module (GOOS=js GOARCH=wasm),
// loaded by the loader rastro.js. See the package doc of wasm/core for the
// logic it shares with tests, and wasm/README.md for how pages use it.
package main

import (
	"math/rand/v2"
	"syscall/js"

	"github.com/rastrohq/rastro/sdk/wire"
	"github.com/rastrohq/rastro/wasm/core"
)

var (
	global   = js.Global()
	document = global.Get("document")
	console  = global.Get("console")
)

// widget is the page side of the module: the JS API, delivery and UI.
type widget struct {
	c        *core.Core
	storeKey string // this page's localStorage key for unsent events
	text     *core.Strings

	timer     js.Value // pending setTimeout id, or undefined
	timerSoon bool     // the pending timer was set for 0 ms
	tickFn    js.Func
	sending   bool
	dirty     bool       // the queue changed since it was last stored
	stored    bool       // storeKey holds events
	flushWait []js.Value // resolve functions of rastro("flush") promises

	tps   []*touchpoint
	uiFn  js.Func
	sheet js.Value

	btnCfg     *core.Button // the floating button's configuration; nil: no button
	btn        *touchpoint  // the floating button, once rendered
	closeFn    js.Func      // closes its dialog after the thanks
	closeTimer js.Value     // the pending closeFn timer, or undefined
}

func main() {
	// The loader starts the Go runtime in a task after the one that
	// instantiates the module; that task also runs this function, and
	// everything else happens in tasks of its own (start, then the UI),
	// so that the page sees four shorter tasks rather than one long one.
	// Calls made meanwhile wait in the loader's queue.
	var f js.Func
	f = js.FuncOf(func(js.Value, []js.Value) any {
		f.Release()
		start()
		return nil
	})
	global.Call("setTimeout", f, 0)
	select {}
}

// start sets the widget up: configuration, identity, stored events, the
// calls queued so far, listeners; then it schedules the UI.
func start() {
	w := &widget{c: core.New()}
	loader := global.Get("rastro")
	cfg := js.Undefined()
	if loader.Type() == js.TypeFunction {
		cfg = loader.Get("c")
	}
	if cfg.Type() != js.TypeObject {
		cfg = global.Get("Object").New()
	}
	w.c.Key = str(cfg.Get("key"))
	w.c.Endpoint = str(cfg.Get("endpoint"))
	for len(w.c.Endpoint) > 0 && w.c.Endpoint[len(w.c.Endpoint)-1] == '/' {
		w.c.Endpoint = w.c.Endpoint[:len(w.c.Endpoint)-1]
	}
	w.c.Lang = str(document.Get("documentElement").Get("lang"))
	if w.c.Lang == "" {
		w.c.Lang = str(global.Get("navigator").Get("language"))
	}
	loc := global.Get("location")
	w.c.URL = str(loc.Get("origin")) + str(loc.Get("pathname")) // never the query: it may carry personal data
	w.c.Referrer = str(document.Get("referrer"))
	w.c.UserAgent = str(global.Get("navigator").Get("userAgent"))
	w.c.AnonymousID = w.identity("localStorage", "rastro:aid")
	w.c.SessionID = w.identity("sessionStorage", "rastro:sid")
	if storageGet("localStorage", "rastro:consent") == "0" || (cfg.Get("dnt").Truthy() && dnt()) {
		w.c.Consent = false
	}
	w.btnCfg = buttonFromScript(cfg.Get("ds")) // calls replayed below may change it
	w.storeKey = "rastro:q:" + w.c.Key + ":" + w.c.ID()[24:]
	w.adoptStored()

	w.tickFn = js.FuncOf(func(js.Value, []js.Value) any { w.tick(); return nil })
	// window.rastro stays the loader's function: a call costs the page an
	// array push, and the loader wakes the module once per microtask with
	// rastro.d() to handle every queued call (a call into Go costs about
	// 100 µs of the main thread; one per burst of calls is cheap).
	if loader.Type() != js.TypeFunction || loader.Get("q").Type() != js.TypeObject {
		console.Call("error", "rastro: load the module with the loader rastro.js")
		return
	}
	q := loader.Get("q")
	drain := js.FuncOf(func(js.Value, []js.Value) any {
		for q.Length() > 0 {
			calls := q.Call("splice", 0, q.Length())
			for i, n := 0, calls.Length(); i < n; i++ {
				call := calls.Index(i)
				args := make([]js.Value, call.Length())
				for j := range args {
					args[j] = call.Index(j)
				}
				w.api(args)
			}
		}
		return nil
	})
	drain.Invoke() // what the page asked before the module was ready, in order
	loader.Set("d", drain)

	on(document, "visibilitychange", func(js.Value) {
		if document.Get("visibilityState").String() == "hidden" {
			w.leave()
		}
	})
	on(global, "pagehide", func(js.Value) { w.leave() })
	on(global, "online", func(js.Value) { w.c.ResetBackoff(); w.schedule(0) })
	if w.c.Queue.Len() > 0 {
		w.schedule(0)
	}
	// The UI renders in a task of its own, so that starting the runtime
	// and rendering are two shorter tasks rather than one long one.
	var ui js.Func
	ui = js.FuncOf(func(js.Value, []js.Value) any {
		ui.Release()
		w.text = core.StringsFor(w.c.Lang)
		w.initUI()
		loader.Set("ready", true)
		document.Call("dispatchEvent", global.Get("CustomEvent").New("rastro:ready"))
		return nil
	})
	global.Call("setTimeout", ui, 0)
}

// api handles one call rastro(method, ...args). A call to flush carries
// the resolve function of its promise as the last argument (the loader
// adds it).
func (w *widget) api(args []js.Value) {
	defer func() {
		if p := recover(); p != nil {
			console.Call("error", "rastro: internal error, call ignored")
		}
	}()
	if len(args) == 0 || args[0].Type() != js.TypeString {
		console.Call("warn", "rastro: argument 1 (method) must be a string")
		return
	}
	method := args[0].String()
	if method == "flush" {
		if last := args[len(args)-1]; last.Type() == js.TypeFunction {
			w.flushWait = append(w.flushWait, last)
		}
		args = args[:1]
	}
	cargs := make([]core.Arg, len(args)-1)
	for i, a := range args[1:] {
		cargs[i] = toArg(a, 2)
	}
	r := w.c.Call(method, cargs)
	if r.Warn != "" {
		console.Call("warn", r.Warn)
	}
	if r.Button != nil {
		w.setButton(r.Button)
	}
	if r.Init && w.text != nil {
		w.text = core.StringsFor(w.c.Lang)
		w.rerender()
	}
	if method == "consent" && len(args) > 1 && args[1].Type() == js.TypeBoolean {
		v := "1"
		if !w.c.Consent {
			v = "0"
		}
		storageSet("localStorage", "rastro:consent", v)
	}
	if r.Dropped {
		w.dirty = true
		w.persist()
	}
	switch {
	case r.Flush:
		w.dirty = w.dirty || r.Queued
		w.schedule(0)
	case r.Queued:
		// Not stored here: see persist.
		w.dirty = true
		w.schedule(int64(w.c.FlushInterval))
	}
}

// toArg converts a JS value for core, objects depth levels deep.
func toArg(v js.Value, depth int) core.Arg {
	switch v.Type() {
	case js.TypeUndefined:
		return core.Arg{T: core.Undefined}
	case js.TypeNull:
		return core.Arg{T: core.Null}
	case js.TypeBoolean:
		return core.Boolean(v.Bool())
	case js.TypeNumber:
		return core.Num(v.Float())
	case js.TypeString:
		return core.Str(v.String())
	case js.TypeObject:
		if depth == 0 || global.Get("Array").Call("isArray", v).Bool() {
			return core.Arg{T: core.Other}
		}
		keys := global.Get("Object").Call("keys", v)
		o := make(map[string]core.Arg, keys.Length())
		for i, n := 0, keys.Length(); i < n && i < 64; i++ {
			k := keys.Index(i).String()
			o[k] = toArg(v.Get(k), depth-1)
		}
		return core.Obj(o)
	}
	return core.Arg{T: core.Other}
}

// schedule runs tick after d milliseconds unless a tick is due sooner. A
// burst of calls sets one timer: each call into JavaScript costs
// main-thread time.
func (w *widget) schedule(d int64) {
	if !w.timer.IsUndefined() {
		if d > 0 || w.timerSoon {
			return
		}
		global.Call("clearTimeout", w.timer)
	}
	w.timerSoon = d <= 0
	w.timer = global.Call("setTimeout", w.tickFn, d)
}

// tick sends the next batch.
func (w *widget) tick() {
	w.timer = js.Undefined()
	if w.sending {
		return
	}
	if w.c.Endpoint == "" || w.c.Key == "" {
		return
	}
	body, _ := w.c.Batch()
	if body == nil {
		w.resolveFlush(true)
		return
	}
	w.sending = true
	headers := map[string]any{"Authorization": "Bearer " + w.c.Key, "Content-Type": "application/json"}
	init := map[string]any{"method": "POST", "headers": headers, "body": string(body), "credentials": "omit"}
	var onOK, onErr js.Func
	release := func() { onOK.Release(); onErr.Release() }
	onOK = js.FuncOf(func(_ js.Value, a []js.Value) any {
		release()
		resp := a[0]
		status := resp.Get("status").Int()
		ra := str(resp.Get("headers").Call("get", "Retry-After"))
		if status == 200 {
			w.reportRejected(resp)
		}
		w.done(status, ra)
		return nil
	})
	onErr = js.FuncOf(func(js.Value, []js.Value) any {
		release()
		w.done(0, "")
		return nil
	})
	global.Call("fetch", w.c.Endpoint+wire.BatchPath, init).Call("then", onOK, onErr)
}

func (w *widget) done(status int, retryAfter string) {
	w.sending = false
	wait, warn := w.c.Done(status, retryAfter, rand.Uint64())
	if warn != "" {
		console.Call("warn", warn)
	}
	w.dirty = true
	ok := !core.Retryable(status)
	if !ok || w.stored {
		w.persist() // keep what is unsent; drop what was acknowledged
	}
	if !ok {
		w.resolveFlush(false)
		w.schedule(wait)
		return
	}
	if w.c.Queue.Len() > 0 {
		w.schedule(0)
	} else {
		w.resolveFlush(true)
	}
	document.Call("dispatchEvent", global.Get("CustomEvent").New("rastro:sent"))
}

// reportRejected warns about events the collector refused for bad input.
func (w *widget) reportRejected(resp js.Value) {
	var f js.Func
	f = js.FuncOf(func(_ js.Value, a []js.Value) any {
		f.Release()
		rej := a[0].Get("rejected")
		if rej.Type() != js.TypeObject {
			return nil
		}
		for i, n := 0, rej.Length(); i < n; i++ {
			r := rej.Index(i)
			console.Call("warn", "rastro: the collector rejected event "+str(r.Get("id"))+": "+str(r.Get("field"))+" "+str(r.Get("error")))
		}
		return nil
	})
	resp.Call("json").Call("then", f, f)
}

func (w *widget) resolveFlush(sent bool) {
	for _, r := range w.flushWait {
		r.Invoke(sent)
	}
	w.flushWait = w.flushWait[:0]
}

// leave runs when the page is hidden or unloaded: it stores the queue and
// hands every event to sendBeacon (which outlives the page). The events stay
// stored until a fetch is acknowledged; their ids make the resend safe.
func (w *widget) leave() {
	w.dirty = true
	w.persist()
	if w.c.Queue.Len() == 0 || w.c.Endpoint == "" || w.c.Key == "" || !global.Get("navigator").Get("onLine").Bool() {
		return
	}
	nav := global.Get("navigator")
	if nav.Get("sendBeacon").Type() != js.TypeFunction {
		return
	}
	url := w.c.Endpoint + wire.BatchPath + "?key=" + global.Call("encodeURIComponent", w.c.Key).String()
	for _, b := range w.c.Beacons() {
		if !nav.Call("sendBeacon", url, string(b)).Bool() {
			break // over the browser's in-flight quota; the rest stays stored
		}
	}
}

// persist writes the queue to this page's localStorage key when it
// changed. It runs when the page is hidden or left, when a send fails,
// when a send is acknowledged while events are stored, and when events
// are dropped; not on every call: storing costs the main thread about as
// much as handling the call (localStorage.setItem alone ~130 µs here, see
// wasm/README.md), and what a call queues is sent, or stored by the
// pagehide handler, within the flush interval. Like Segment's browser
// SDK, which stores its queue on pagehide; the cost is that events of the
// last flush interval are lost if the tab's process crashes.
func (w *widget) persist() {
	if !w.dirty {
		return
	}
	w.dirty = false
	if w.c.Queue.Len() == 0 {
		if w.stored {
			storageRemove("localStorage", w.storeKey)
			w.stored = false
		}
		return
	}
	storageSet("localStorage", w.storeKey, string(w.c.Queue.Snapshot()))
	w.stored = true
}

// adoptStored takes over events earlier pages (or the loader) left in
// localStorage under this write key.
func (w *widget) adoptStored() {
	defer func() { _ = recover() }()
	ls := global.Get("localStorage")
	prefix := "rastro:q:" + w.c.Key + ":"
	var keys []string
	for i, n := 0, ls.Get("length").Int(); i < n; i++ {
		if k := str(ls.Call("key", i)); len(k) > len(prefix) && k[:len(prefix)] == prefix {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		w.c.Queue.Restore([]byte(str(ls.Call("getItem", k))))
		ls.Call("removeItem", k)
	}
	if len(keys) > 0 {
		w.dirty = true
		w.persist()
	}
}

// identity returns the id stored under key, making one when there is none.
func (w *widget) identity(storage, key string) string {
	id := storageGet(storage, key)
	if id == "" {
		id = w.c.ID()
		storageSet(storage, key, id)
	}
	return id
}

func dnt() bool {
	nav := global.Get("navigator")
	return str(nav.Get("doNotTrack")) == "1" || nav.Get("globalPrivacyControl").Truthy()
}

// Storage calls throw when storage is disabled; the widget then works
// without it.
func storageGet(storage, key string) (v string) {
	defer func() { _ = recover() }()
	return str(global.Get(storage).Call("getItem", key))
}

func storageSet(storage, key, v string) {
	defer func() { _ = recover() }()
	global.Get(storage).Call("setItem", key, v)
}

func storageRemove(storage, key string) {
	defer func() { _ = recover() }()
	global.Get(storage).Call("removeItem", key)
}

func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// on adds a listener that lives as long as the page.
func on(target js.Value, event string, fn func(js.Value)) {
	target.Call("addEventListener", event, js.FuncOf(func(_ js.Value, a []js.Value) any {
		defer func() { _ = recover() }()
		fn(a[0])
		return nil
	}))
}
