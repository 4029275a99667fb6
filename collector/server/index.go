package server

// indexHTML is the collector's front page: where things are.
const indexHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rastro collector</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
code{background:#f1f1f1;padding:.1em .3em;border-radius:3px}a{color:#0b57d0}</style></head>
<body><h1>Rastro collector</h1>
<p>Send feedback events with <code>POST /v1/batch</code> and a write key. Read them with:</p>
<ul>
<li><a href="/v1/traces">/v1/traces</a> — traces, oldest first, with a cursor</li>
<li><a href="/v1/traces/export">/v1/traces/export</a> — every trace as NDJSON</li>
<li><a href="/v1/summary?group_by=touchpoint">/v1/summary?group_by=touchpoint</a> — score, CSAT, NPS, CES per touchpoint</li>
<li><a href="/v1/schema/trace">/v1/schema/trace</a> — the JSON Schema of trace format v1</li>
<li><a href="/metrics">/metrics</a>, <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a></li>
</ul>
<p>Try it:</p>
<pre><code>curl -H 'Authorization: Bearer %s' -d '{"events":[{"id":"my-first-event","kind":"star","touchpoint":"checkout","value":4}]}' http://%s/v1/batch
curl http://%s/v1/summary</code></pre>
</body></html>
`
