#!/usr/bin/env bash
# A throwaway redis-server (Debian's redis-server package) on a free loopback
# port, for the test suites.
#
#   tests/services/redis.sh start DIR    start one in DIR (created); prints its redis:// URL
#   tests/services/redis.sh stop DIR     stop it and remove DIR
#
# Nothing is persisted (no RDB, no AOF); it listens on 127.0.0.1 only.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case $cmd in
start)
    command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
    mkdir -p "$dir"
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null 2>&1; then
            for _ in $(seq 50); do
                redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "$port" >"$dir/port"; echo "redis://127.0.0.1:$port"; exit 0; }
                sleep 0.1
            done
        fi
        [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    done
    echo "could not start redis-server; log:" >&2
    cat "$dir/redis.log" >&2 2>/dev/null || true
    exit 1
    ;;
stop)
    if [ -f "$dir/redis.pid" ]; then
        pid=$(cat "$dir/redis.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
