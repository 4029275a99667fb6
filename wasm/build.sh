#!/bin/sh
# build.sh builds the browser bundle into wasm/dist/ (make widget):
#
#   rastro.js           the loader (not hashed: pages link to it; short cache)
#   wasm_exec.js        Go's JS support for GOOS=js, from this Go's GOROOT
#   rastro.wasm         the module (GOOS=js GOARCH=wasm, -tags rastro_nojson)
#   wasm_exec.<h>.js, rastro.<h>.wasm
#                       the same files under content-hashed names (hard
#                       links), which the loader references and the
#                       collector serves as immutable
#   *.br, *.gz          precompressed copies when brotli/gzip are installed
#   manifest.json       name -> hashed name, sizes raw/gzip/brotli
set -eu
cd "$(dirname "$0")"
GO=${GO:-go}
out=${OUT:-dist} # OUT: another folder, e.g. for the size test
mkdir -p "$out"
rm -f "$out"/*

goroot=$($GO env GOROOT)
exec_js="$goroot/lib/wasm/wasm_exec.js"
[ -f "$exec_js" ] || exec_js="$goroot/misc/wasm/wasm_exec.js"
cp "$exec_js" "$out/wasm_exec.js"

# -l (no inlining) for Rastro's own packages, not the runtime's: measured
# 2.2 kB brotli smaller (509,662 -> 507,468 B), for 5-10% more time in a
# rastro() call's Go code (BenchmarkCallStar under Node: 4.5-4.8 -> 4.7-5.4
# us), which is small beside its crossings between JavaScript and Go.
GOOS=js GOARCH=wasm $GO build -tags rastro_nojson -trimpath -ldflags='-s -w' \
	-gcflags='github.com/rastrohq/rastro/...=-l' -o "$out/rastro.wasm" ./cmd/rastro
if [ "${WASM_OPT:-}" = 1 ] && command -v wasm-opt >/dev/null 2>&1; then
	# Measured: wasm-opt -Oz gains nothing on Go modules after brotli
	# (DESIGN.md); opt in with WASM_OPT=1 to re-measure.
	wasm-opt -Oz --enable-bulk-memory "$out/rastro.wasm" -o "$out/rastro.opt.wasm" && mv "$out/rastro.opt.wasm" "$out/rastro.wasm"
fi

hash() { sha256sum "$1" | cut -c1-12; }
hexec=wasm_exec.$(hash "$out/wasm_exec.js").js
hwasm=rastro.$(hash "$out/rastro.wasm").wasm
ln -f "$out/wasm_exec.js" "$out/$hexec"
ln -f "$out/rastro.wasm" "$out/$hwasm"

# The loader: comment lines and indentation stripped, hashed names in.
sed -e '/^[[:space:]]*\/\//d' -e 's/^[[:space:]]*//' \
	-e "s/\"wasm_exec\\.js\"/\"$hexec\"/" -e "s/\"rastro\\.wasm\"/\"$hwasm\"/" \
	loader/rastro.js >"$out/rastro.js"
grep -q "$hwasm" "$out/rastro.js" || { echo "build.sh: the loader does not name rastro.wasm" >&2; exit 1; }

size() { wc -c <"$1" | tr -d ' '; }
for f in rastro.js wasm_exec.js rastro.wasm; do
	if command -v gzip >/dev/null 2>&1; then gzip -9 -n -c "$out/$f" >"$out/$f.gz"; fi
	if command -v brotli >/dev/null 2>&1; then brotli -q 11 -c "$out/$f" >"$out/$f.br"; fi
done
for pair in "wasm_exec.js $hexec" "rastro.wasm $hwasm"; do
	set -- $pair
	[ -f "$out/$1.gz" ] && ln -f "$out/$1.gz" "$out/$2.gz"
	[ -f "$out/$1.br" ] && ln -f "$out/$1.br" "$out/$2.br"
done

entry() { # name hashed
	gz=0 br=0
	[ -f "$out/$1.gz" ] && gz=$(size "$out/$1.gz")
	[ -f "$out/$1.br" ] && br=$(size "$out/$1.br")
	printf '"%s":{"file":"%s","raw":%s,"gzip":%s,"brotli":%s}' "$1" "$2" "$(size "$out/$1")" "$gz" "$br"
}
{
	printf '{'
	entry rastro.js rastro.js; printf ','
	entry wasm_exec.js "$hexec"; printf ','
	entry rastro.wasm "$hwasm"
	printf '}\n'
} >"$out/manifest.json"
cat "$out/manifest.json"
