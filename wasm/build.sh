#!/bin/sh
# build.sh builds the browser bundle into wasm/dist/ (placeholder until the
# widget lands).
set -eu
cd "$(dirname "$0")"
mkdir -p dist
