#!/bin/sh
# install-deps.sh installs what `make test` needs on a fresh Debian machine:
# Chromium for the widget's browser tests, PostgreSQL for the shared store's
# tests and nats-server for the JetStream sink's (they start a server of
# their own on 127.0.0.1 and stop it). It does
# nothing when everything is present, and only reports what is missing when
# not run as root.
set -eu

need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v brotli >/dev/null 2>&1 || need="$need brotli"
# Debian's postgresql puts initdb and pg_ctl under /usr/lib/postgresql/N/bin.
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
	need="$need postgresql"
fi
command -v nats-server >/dev/null 2>&1 || need="$need nats-server"

if [ -z "$need" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$need (run as root, or install them; browser and postgres tests will be skipped)" >&2
	exit 0
fi
echo "install-deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need fonts-dejavu-core >/dev/null
