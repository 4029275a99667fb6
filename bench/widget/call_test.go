package widget

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// callCost measures, in a page whose widget is ready, what one
// rastro("star", ...) call costs the main thread: caller is the call
// itself (the loader's array push); module is every entry into Go that the
// call causes (the microtask that drains the loader's queue, and the
// timers the module sets with a delay of 0, wrapped here), summed per call.
// Each call is alone, as a visitor's answers are: the queue is flushed
// before it (off the clock) and the page waits 20 ms after it. Sending is
// left out (batches of 500, no flush timer within the run). The page is
// cross-origin isolated, so performance.now() reads to 5 µs rather than
// 100 µs.
const callCost = `(async function (n) {
  var r = window.rastro, now = function () { return performance.now() };
  var st = window.setTimeout, sleep = function (ms) { return new Promise(function (f) { st.call(window, f, ms) }) };
  r("init", {batchSize: 500, flushInterval: 600000});
  await sleep(50);
  var busy = 0, caller = 0, module = [], d = r.d;
  var timed = function (f) { return function () { var t = now(); try { return f.apply(this, arguments) } finally { busy += now() - t } } };
  var timers = function (f, ms) { return st.call(window, ms ? f : timed(f), ms) };
  r.d = timed(d);
  try {
    for (var i = 0; i < n; i++) {
      window.setTimeout = st; await r("flush"); await sleep(20); window.setTimeout = timers;
      busy = 0;
      var t = now();
      r("star", "bench.call", 4);
      caller += now() - t;
      await sleep(20);
      module.push(busy);
    }
  } finally { window.setTimeout = st; r.d = d }
  // The reference: the same lone call's work done in plain JavaScript, as
  // a small JS SDK does it (an event with a UUID and an ISO time, a few
  // checks, JSON text, a push), timed the same way. It shows what a call
  // costs on this machine whatever the language.
  var queue = [], ref = [];
  var call = function (m, tp, v) {
    if (typeof tp != "string" || !tp || typeof v != "number" || v < 1 || v > 5 || v % 1) return;
    queue.push(JSON.stringify({id: crypto.randomUUID(), kind: m, touchpoint: tp, value: v, channel: "web",
      occurred_at: new Date().toISOString(), context: {url: location.origin + location.pathname}}));
  };
  for (var i = 0; i < n; i++) {
    await sleep(20);
    var t = now();
    call("star", "bench.call", 4);
    ref.push(now() - t);
  }
  module.sort(function (a, b) { return a - b });
  ref.sort(function (a, b) { return a - b });
  return { caller: caller / n * 1000, p50: module[n >> 1] * 1000, p90: module[Math.floor(n * 0.9)] * 1000,
    ref: ref[n >> 1] * 1000, isolated: window.crossOriginIsolated };
})`

type callResult struct {
	Caller   float64 `json:"caller"`
	P50      float64 `json:"p50"`
	P90      float64 `json:"p90"`
	Ref      float64 `json:"ref"`
	Isolated bool    `json:"isolated"`
}

// BenchmarkWidgetCall: one op is 200 lone calls in a warm, ready page;
// the metrics are microseconds of main thread per call: call-µs (the
// caller's push), module-p50-µs and module-p90-µs (the module's work for
// it, see callCost), and js-ref-p50-µs (the same work in plain
// JavaScript, for scale).
func BenchmarkWidgetCall(b *testing.B) {
	e := setup(b)
	ctx, cancel, err := e.newTab()
	if err != nil {
		b.Fatal(err)
	}
	defer cancel()
	url := e.page.URL + "/?load=eager&isolated=1"
	if _, err := loadPage(ctx, url); err != nil { // fills the cache
		b.Fatal(err)
	}
	var all []callResult
	for b.Loop() {
		if _, err := loadPage(ctx, url); err != nil {
			b.Fatal(err)
		}
		res, err := chromedp.Run(ctx, chromedp.Evaluate[callResult](callCost+"(200)", chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		if !res.Isolated {
			b.Fatal("the page is not cross-origin isolated: performance.now() is coarse")
		}
		all = append(all, res)
	}
	b.StopTimer()
	med := func(get func(callResult) float64) float64 {
		v := make([]float64, len(all))
		for i, r := range all {
			v[i] = get(r)
		}
		return medianOf(v)
	}
	b.ReportMetric(med(func(r callResult) float64 { return r.Caller }), "call-µs")
	b.ReportMetric(med(func(r callResult) float64 { return r.P50 }), "module-p50-µs")
	b.ReportMetric(med(func(r callResult) float64 { return r.P90 }), "module-p90-µs")
	b.ReportMetric(med(func(r callResult) float64 { return r.Ref }), "js-ref-p50-µs")
}
