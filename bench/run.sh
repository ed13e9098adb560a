#!/usr/bin/env bash
# The fan-out benchmark suite (`make bench`): builds cabled and
# build/bench_fanout, then for each run starts a fresh server (empty database
# in a temporary directory, free loopback port, so every RSS figure starts
# from an idle process), creates a member and a group room holding it through
# the admin API (Chats::RoomChannel is allowed only to a room's
# participants), mints that member's token, runs bench_fanout on that room
# and stops the server. Prints one summary line per run and exits non-zero if
# any run lost or duplicated a delivery, or failed outright. See
# bench/README.md for what the figures mean.
#
# Knobs (environment):
#   BENCH_SIZES="100 1000 5000"   subscriber counts of the paced runs
#   BENCH_BROADCASTS=200          broadcasts per paced run
#   BENCH_RATE=100                broadcasts per second in the paced runs
#   BENCH_THROUGHPUT_SUBS=1000    subscribers of the throughput run (0: skip it)
#   BENCH_THROUGHPUT_BROADCASTS=500
#   BENCH_PIPELINE=4              requests in flight in the throughput run
#   BENCH_THREADS=2               server event-loop threads
#   BENCH_TIMEOUT=30              seconds before a run gives up
#   BENCH_TLS=0                   1: cabled serves TLS (a self-signed certificate made by
#                                 scripts/dev-cert.sh) and the generator speaks wss:// and
#                                 https:// (bench_fanout --tls); "0 1": every run twice, plain
#                                 then TLS, interleaved, for ratios on one machine state
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-100 1000 5000}
BROADCASTS=${BENCH_BROADCASTS:-200}
RATE=${BENCH_RATE:-100}
TP_SUBS=${BENCH_THROUGHPUT_SUBS:-1000}
TP_BROADCASTS=${BENCH_THROUGHPUT_BROADCASTS:-500}
PIPELINE=${BENCH_PIPELINE:-4}
THREADS=${BENCH_THREADS:-2}
TIMEOUT=${BENCH_TIMEOUT:-30}
TLS_MODES=${BENCH_TLS:-0}

SECRET=bench-secret
APP_TOKEN=bench-app-token
ORIGIN=http://localhost

make -s "$BUILD/cabled" "$BUILD/bench_fanout" || exit 2
. bench/lib.sh

# Each subscriber costs a descriptor in the server and one in the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

tmp=$(mktemp -d)
server_pid=
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Start cabled on a free loopback port with an empty database; sets
# $server_pid and $port.
start_server() {
    rm -f "$tmp"/bench.db*
    local tls_flags=()
    if [ "$tls" = 1 ]; then
        scripts/dev-cert.sh "$tmp/tls" >/dev/null || return 1
        tls_flags=(--tls-cert "$tmp/tls/cert.pem" --tls-key "$tmp/tls/key.pem")
    fi
    cabled_spawn server -- --db "sqlite:$tmp/bench.db" --secret "$SECRET" \
        --app-token "$APP_TOKEN" --allowed-origin "$ORIGIN" --threads "$THREADS" --log-level warn \
        "${tls_flags[@]}"
    server_pid=$cabled_pid
    cabled_wait_port server "$server_pid" || return 1
    port=$cabled_port
}

echo "bench: fan-out, $(nproc) cores, server --threads $THREADS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
failures=0
run() {
    if ! start_server; then
        failures=$((failures + 1))
        return
    fi
    local token
    local tls_args=()
    [ "$tls" = 1 ] && tls_args=(--tls --tls-ca "$tmp/tls/cert.pem")
    echo "bench: tls=$([ "$tls" = 1 ] && echo on || echo off) $*"
    if ! create_room "$port" "$APP_TOKEN" "$([ "$tls" = 1 ] && echo tls)" || ! token=$("$BUILD/cabled" token --secret "$SECRET" --member "$member"); then
        echo "bench: could not create the room's member, room or token" >&2
        stop_server
        failures=$((failures + 1))
        return
    fi
    "$BUILD/bench_fanout" --url "127.0.0.1:$port" --token "$token" --origin "$ORIGIN" \
        --app-token "$APP_TOKEN" --room "$room" --server-pid "$server_pid" --timeout "$TIMEOUT" \
        "${tls_args[@]}" "$@"
    local rc=$?
    if ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid"
        echo "bench: cabled exited during the run with status $?:" >&2
        tail -n 20 "$tmp/server.err" >&2
        server_pid=
        rc=1
    fi
    stop_server
    [ $rc -eq 0 ] || failures=$((failures + 1))
}

for n in $SIZES; do
    for tls in $TLS_MODES; do
        run --subscribers "$n" --broadcasts "$BROADCASTS" --rate "$RATE"
    done
done
if [ "$TP_SUBS" -gt 0 ]; then
    for tls in $TLS_MODES; do
        run --subscribers "$TP_SUBS" --broadcasts "$TP_BROADCASTS" --rate 0 --pipeline "$PIPELINE"
    done
fi

if [ $failures -gt 0 ]; then
    echo "bench: FAIL: $failures run(s) lost or duplicated deliveries, or did not complete" >&2
    exit 1
fi
echo "bench: ok"
