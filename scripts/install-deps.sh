#!/usr/bin/env bash
# Install what building and testing cabled needs and is missing: Debian
# packages (apt-get, as root) and the npm packages of the test clients.
# postgresql brings the server binaries that tests/services/postgres.sh runs
# (/usr/lib/postgresql/15/bin) and psql; chromium the headless browser that
# tests/integration/browser.test.js drives through the DevTools protocol.
# Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(gcc make pkg-config libuv1-dev libhttp-parser-dev libjansson-dev libjwt-dev libssl-dev
      libsqlite3-dev libpq-dev zlib1g-dev liburing-dev postgresql uthash-dev libhiredis-dev redis-server clang
      libclang-rt-14-dev chromium)
missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
        echo "cabled: missing packages: ${missing[*]}" >&2
        echo "cabled: run as root, or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "cabled: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "cabled: installing the npm test clients"
    (npm ci --no-audit --no-fund --loglevel=error)
fi
