#!/bin/sh
# peers.sh fetches the peers' feedback widgets from npm (pinned versions)
# into bench/.cache (git-ignored) and writes bench/.cache/peers/peers.tsv:
# which files a page downloads at each stage, for cmd/widgetsize to weigh.
# It works offline once the cache holds everything; run.sh calls it.
#
#   widget/peers.sh          # fetch what is missing, write peers.tsv
#   FORCE=1 widget/peers.sh  # fetch and build everything again
#
# Stages (each lists every file downloaded by then, as a page gets them):
#   loader     the script tag's file: what the page itself references
#   page-load  what is fetched on page load without any interaction
#   full-ui    everything downloaded once the feedback UI is usable
#
# What a page loads, per peer:
#   Sentry   @sentry/browser's CDN bundles are not published on npm (its
#            tarball holds only the ES modules), so they are rebuilt here the
#            way a page's bundler would: esbuild --bundle --minify of
#            init() + feedbackAsyncIntegration() (the button; the form is
#            fetched on click) for page-load, and init() + feedbackIntegration()
#            (button, form, screenshot) for full-ui. Sentry's loader script is
#            generated per project by sentry.io and not on npm: no loader row.
#   PostHog  posthog-js dist/loader.js (the script tag), which loads
#            dist/array.js (the SDK) at once; the surveys UI dist/surveys.js is
#            fetched when a survey is due.
#   Formbricks
#            @formbricks/js (the loader, minified here as a page's bundler
#            would), which fetches /js/formbricks.umd.cjs (the core) from the
#            Formbricks app: that core is not on npm, so page-load is the
#            loader alone (a lower bound); the survey UI is @formbricks/surveys
#            dist/index.umd.js (question-date.umd.js, for date questions only,
#            is left out).
set -eu
cd "$(dirname "$0")/.."
cache=${CACHE:-.cache}

SENTRY=11.12.0     # @sentry/browser (its feedback integration: @sentry/feedback)
POSTHOG=1.449.2    # posthog-js
FORMBRICKS=5.1.0   # @formbricks/js
FB_SURVEYS=1.99.0  # @formbricks/surveys
ESBUILD=v0.28.2    # github.com/evanw/esbuild, a Go module, to rebuild Sentry's bundles

mkdir -p "$cache/npm" "$cache/bin" "$cache/peers"
cache=$(cd "$cache" && pwd)
[ -n "${FORCE:-}" ] && rm -rf "$cache/npm"/* "$cache/peers"/* "$cache/sentry" "$cache/bin/esbuild"

# pack NAME VERSION: npm pack into the cache and unpack to npm/NAME@VERSION/package.
pack() {
	dir="$cache/npm/$(echo "$1" | tr / +)@$2"
	[ -f "$dir/package/package.json" ] && return 0
	command -v npm >/dev/null 2>&1 || { echo "peers.sh: npm is needed to fetch $1@$2 (apt-get install npm)" >&2; exit 1; }
	tgz=$(cd "$cache/npm" && npm pack --silent "$1@$2" | tail -n 1)
	mkdir -p "$dir"
	tar -xzf "$cache/npm/$tgz" -C "$dir"
}

esbuild="$cache/bin/esbuild"
if [ ! -x "$esbuild" ]; then
	GOBIN="$cache/bin" GOFLAGS= go install "github.com/evanw/esbuild/cmd/esbuild@$ESBUILD"
fi

# Sentry: installed with its dependencies (@sentry/core, @sentry/feedback, ...)
# so that esbuild can bundle it.
sentry="$cache/sentry/$SENTRY"
if [ ! -f "$sentry/node_modules/@sentry/browser/package.json" ]; then
	mkdir -p "$sentry"
	echo '{"private":true}' >"$sentry/package.json"
	(cd "$sentry" && npm install --silent --ignore-scripts --no-audit --no-fund --save-exact "@sentry/browser@$SENTRY")
fi
out="$cache/peers/sentry@$SENTRY"
mkdir -p "$out"
dsn='"https://public@o0.ingest.sentry.io/0"'
entry() { # name, import list, integration call
	printf 'import { init, %s } from "@sentry/browser";\ninit({ dsn: %s, integrations: [%s] });\n' "$2" "$dsn" "$3" >"$sentry/$1.js"
	"$esbuild" "$sentry/$1.js" --bundle --minify --format=iife --target=es2020 --log-level=warning --outfile="$out/$1.min.js"
}
[ -f "$out/page.min.js" ] || entry page feedbackAsyncIntegration 'feedbackAsyncIntegration()'
[ -f "$out/full.min.js" ] || entry full feedbackIntegration 'feedbackIntegration()'

pack posthog-js "$POSTHOG"
ph="$cache/npm/posthog-js@$POSTHOG/package/dist"

pack @formbricks/js "$FORMBRICKS"
pack @formbricks/surveys "$FB_SURVEYS"
fb="$cache/peers/formbricks@$FORMBRICKS"
mkdir -p "$fb"
[ -f "$fb/loader.min.js" ] || "$esbuild" "$cache/npm/@formbricks+js@$FORMBRICKS/package/dist/index.js" \
	--minify --format=esm --target=es2020 --log-level=warning --outfile="$fb/loader.min.js"
fbs="$cache/npm/@formbricks+surveys@$FB_SURVEYS/package/dist/index.umd.js"

# peers.tsv: widget, stage, file (absolute), note, and "partial" when the
# stage misses a part that cannot be weighed (its size is a lower bound).
S="sentry@$SENTRY" P="posthog-js@$POSTHOG" F="formbricks@$FORMBRICKS"
core="+ the core (/js/formbricks.umd.cjs), served by the Formbricks app and not on npm"
{
	printf '%s\t%s\t%s\t%s\t%s\n' \
		"$S" page-load "$out/page.min.js" "init + feedbackAsyncIntegration, esbuild --minify" "" \
		"$S" full-ui "$out/full.min.js" "init + feedbackIntegration (button, form, screenshot), esbuild --minify" "" \
		"$P" loader "$ph/loader.js" "" "" \
		"$P" page-load "$ph/loader.js" "" "" \
		"$P" page-load "$ph/array.js" "" "" \
		"$P" full-ui "$ph/loader.js" "" "" \
		"$P" full-ui "$ph/array.js" "" "" \
		"$P" full-ui "$ph/surveys.js" "" "" \
		"$F" loader "$fb/loader.min.js" "@formbricks/js, esbuild --minify" "" \
		"$F" page-load "$fb/loader.min.js" "$core" partial \
		"$F" full-ui "$fb/loader.min.js" "$core" partial \
		"$F" full-ui "$fbs" "@formbricks/surveys@$FB_SURVEYS" ""
} >"$cache/peers/peers.tsv"
echo "peers: $cache/peers/peers.tsv"
