#!/usr/bin/env bash
# Install the servers the side-by-side benchmark (bench/compare.sh) measures
# cabled against, outside what building and testing cabled needs:
#   - Rails Action Cable 6.1 and puma: Debian packages (apt-get, as root);
#   - uWebSockets (npm "uwebsockets", prebuilt binaries, no install script
#     run) and ws: into build/peers/node_modules from bench/peers/package.json.
# Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(ruby-actioncable puma ruby-rack)
missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
        echo "bench: missing packages: ${missing[*]}" >&2
        echo "bench: run as root, or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "bench: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

dir=build/peers
mkdir -p "$dir"
if [ ! -d "$dir/node_modules/uwebsockets" ] || [ ! -d "$dir/node_modules/ws" ] ||
   ! cmp -s bench/peers/package.json "$dir/package.json"; then
    echo "bench: installing uwebsockets and ws into $dir"
    cp bench/peers/package.json "$dir/package.json"
    (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
