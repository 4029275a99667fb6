// rastro.js — the Rastro widget loader. It defines window.rastro at once
// (calls are queued), captures clicks on [data-rastro-click], reserves the
// space of [data-rastro-touchpoint] elements, and loads wasm_exec.js and
// the module once the page is idle (or on first interaction); the module
// reads rastro.c, whose ds holds the script tag's data-* attributes. When
// the module cannot run (a CSP without 'wasm-unsafe-eval', a failed download),
// it sends the queued calls itself, so no answer is lost.
// build.sh strips the comment lines and indentation.
(function (w, d) {
  var r = w.rastro;
  if (r && r.v) return;
  var s = d.currentScript || d.querySelector("script[src*='rastro']") || {};
  var ds = s.dataset || {};
  var src = s.src || "";
  var base = src.slice(0, src.lastIndexOf("/") + 1);
  var q = (r && r.q) || [];
  var c = { key: ds.key || "", endpoint: ds.endpoint || (src && new URL(src).origin) || "", base: base, load: ds.load || "idle", dnt: ds.respectDnt == "true", ds: ds };
  var fb = 0;
  var init = function (a) { if (a[0] == "init" && a[1]) for (var k in a[1]) if (k in c) c[k] = a[1][k] };
  q.forEach(init);
  // Once the module runs it sets r.d, which handles every queued call; a
  // call costs the page an array push and one wake-up per microtask.
  r = function () {
    var a = [].slice.call(arguments), p;
    init(a);
    if (a[0] == "flush" && r.d) p = new Promise(function (f) { a.push(f) });
    q.push(a);
    if (fb) send();
    else if (r.d && !r.p) { r.p = 1; Promise.resolve().then(function () { r.p = 0; r.d() }) }
    return p;
  };
  r.q = q;
  r.c = c;
  w.rastro = r;
  var ls = function () { try { return w.localStorage } catch (e) {} };
  var KEY = "rastro:q:" + c.key + ":l";

  // Clicks on [data-rastro-click]: touchpoint = the attribute (or the
  // enclosing touchpoint), target = tag#id or tag + attribute. Never text
  // or input values.
  d.addEventListener("click", function (e) {
    var t = e.target && e.target.closest && e.target.closest("[data-rastro-click]");
    if (!t) return;
    var v = t.getAttribute("data-rastro-click");
    var p = t.closest("[data-rastro-touchpoint]");
    var tp = v || (p && p.getAttribute("data-rastro-touchpoint")) || location.pathname;
    w.rastro("click", tp, t.getAttribute("data-rastro-target") || t.tagName.toLowerCase() + (t.id ? "#" + t.id : "[" + (v || "data-rastro-click") + "]"));
  }, true);

  // Reserve each touchpoint's height (core.Height) so the page does not shift.
  var reserve = function () {
    d.querySelectorAll("[data-rastro-touchpoint]").forEach(function (e) {
      if (e.style.minBlockSize) return;
      var a = (e.getAttribute("data-rastro-ask") || "stars").split(/[\s,]+/), h = 18, n = 0, cm = 0;
      a.forEach(function (k) {
        if (k == "comment") { cm = 1; h += 98 } else if (k) { n++; h += k == "nps" || k == "ces" ? 90 : 72 }
      });
      if (cm || n > 1) h += 36;
      e.style.minBlockSize = h + "px";
    });
  };

  // The fallback: send queued calls as wire events (UUIDv7 ids), keep the
  // unsent in localStorage for a page where the module runs.
  var uuid = function () {
    var b = crypto.getRandomValues(new Uint8Array(16)), t = Date.now(), i, h;
    for (i = 5; i >= 0; i--) { b[i] = t % 256; t = Math.floor(t / 256) }
    b[6] = 112 | b[6] & 15;
    b[8] = 128 | b[8] & 63;
    h = [].map.call(b, function (x) { return (x + 256).toString(16).slice(1) }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  };
  var uid;
  var ok = !(ls() && ls().getItem("rastro:consent") == "0");
  var event = function (a) {
    var m = a[0], o = a[3] || {}, e;
    if (m == "consent") { ok = a[1]; return }
    if (m == "identify") { uid = a[1]; return }
    if (!ok || !/^(star|emoji|thumbs|nps|csat|ces|comment|click)$/.test(m)) return;
    e = { id: uuid(), kind: m, touchpoint: a[1], channel: "web", occurred_at: new Date().toISOString(), user_id: uid, context: { url: location.origin + location.pathname } };
    if (m == "comment") e.text = a[2]; else if (m == "click") e.target = a[2]; else e.value = a[2] === true ? 1 : a[2] === false ? 0 : a[2];
    for (var k in o) e[k] = o[k];
    return JSON.stringify(e);
  };
  var body = function (ev) { return '{"sent_at":"' + new Date().toISOString() + '","sdk":{"name":"rastro-web-loader","version":"0.1.0"},"events":[' + ev.join(",") + "]}" };
  var keep = function (ev) {
    try { var st = ls(), old = st.getItem(KEY); st.setItem(KEY, (old ? old + "\n" : "") + ev.join("\n")) } catch (e) {}
  };
  var send = function () {
    var ev = q.splice(0, q.length).map(event).filter(Boolean);
    if (!ev.length) return;
    fetch(c.endpoint + "/v1/batch", { method: "POST", keepalive: true, credentials: "omit", headers: { Authorization: "Bearer " + c.key, "Content-Type": "application/json" }, body: body(ev) })
      .then(function (x) { if (x.status != 200 && (x.status == 408 || x.status == 429 || x.status > 499)) keep(ev) }, function () { keep(ev) });
  };
  var fail = function (e) {
    if (fb) return;
    fb = 1;
    console.warn("rastro: module failed (" + (e && e.message) + "); sending without the UI. A CSP must allow 'wasm-unsafe-eval'");
    send();
  };

  var started = 0;
  var load = function () {
    if (started++) return;
    var x = d.createElement("script");
    x.src = base + "wasm_exec.js";
    x.onerror = fail;
    x.onload = function () {
      try {
        var go = new Go(), wasm = base + "rastro.wasm";
        // Go's start in a task of its own, not in the one that finishes
        // instantiating: two shorter tasks rather than one long one.
        var run = function (m) { setTimeout(function () { go.run(m.instance) }) };
        // Needs Content-Type application/wasm (the collector sends it).
        WebAssembly.instantiateStreaming(fetch(wasm), go.importObject).then(run).catch(fail);
      } catch (e) { fail(e) }
    };
    d.head.appendChild(x);
  };
  var ready = function (f) { d.readyState == "loading" ? d.addEventListener("DOMContentLoaded", f) : f() };
  ready(reserve);
  ["pointerdown", "keydown", "touchstart"].forEach(function (t) { d.addEventListener(t, load, { once: true, capture: true, passive: true }) });
  if (c.load == "eager") ready(load);
  else if (c.load != "interaction") {
    var idle = function () { (w.requestIdleCallback || setTimeout)(load, { timeout: 3000 }) };
    d.readyState == "complete" ? idle() : w.addEventListener("load", idle);
  }
  w.addEventListener("pagehide", function () { if (fb && q.length) send() });
})(window, document);
