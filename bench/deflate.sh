#!/usr/bin/env bash
# permessage-deflate on and off, interleaved (`make bench-deflate`): each
# repetition runs the same case twice against fresh servers, once with
# subscribers that offer permessage-deflate (bench_fanout --deflate) and
# once with plain ones against `cabled --no-deflate`, so drift in the
# machine's load falls on both sides alike. The broadcasts are chat
# messages posted by a member through the REST API (the newMessage event of
# docs/events.md, as the seed's chat page receives it), to a room every
# subscriber has joined. Prints each run's line prefixed with "deflate on" or
# "deflate off" and the repetition.
#
# Knobs (environment):
#   BENCH_SUBS=10000        subscribers
#   BENCH_REPS=3            repetitions of the on/off pair
#   BENCH_BROADCASTS=100    chat messages per run
#   BENCH_RATE=10           chat messages per second (0: as fast as acknowledged)
#   BENCH_PIPELINE=4        POSTs in flight when BENCH_RATE=0
#   BENCH_THREADS=2         server event-loop threads
#   BENCH_SOURCES=4         loopback source addresses of the subscribers
#   BENCH_TIMEOUT=120       seconds before a phase gives up
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SUBS=${BENCH_SUBS:-10000}
REPS=${BENCH_REPS:-3}
BROADCASTS=${BENCH_BROADCASTS:-100}
RATE=${BENCH_RATE:-10}
PIPELINE=${BENCH_PIPELINE:-4}
THREADS=${BENCH_THREADS:-2}
SOURCES=${BENCH_SOURCES:-4}
TIMEOUT=${BENCH_TIMEOUT:-120}

SECRET=bench-secret
APP_TOKEN=bench-app-token
ORIGIN=http://localhost

make -s "$BUILD/cabled" "$BUILD/bench_fanout" || exit 2
. bench/lib.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

tmp=$(mktemp -d)
server_pid=
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

echo "bench: deflate on/off, $SUBS subscribers, $BROADCASTS chat messages at ${RATE}/s, $(nproc) cores," \
    "server --threads $THREADS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
failures=0
# run on|off REP: one run against a fresh server.
run() {
    local mode=$1 rep=$2 server_flags=() gen_flags=()
    [ "$mode" = off ] && server_flags=(--no-deflate)
    [ "$mode" = on ] && gen_flags=(--deflate)
    rm -f "$tmp"/bench.db*
    cabled_spawn server -- --db "sqlite:$tmp/bench.db" --secret "$SECRET" --app-token "$APP_TOKEN" \
        --allowed-origin "$ORIGIN" --threads "$THREADS" --log-level warn "${server_flags[@]}"
    server_pid=$cabled_pid
    if ! cabled_wait_port server "$server_pid"; then
        failures=$((failures + 1))
        return
    fi
    local port=$cabled_port token
    if ! create_room "$port" "$APP_TOKEN" || ! token=$("$BUILD/cabled" token --secret "$SECRET" --member "$member"); then
        echo "bench: could not create the room's member, room or token" >&2
        stop_server
        failures=$((failures + 1))
        return
    fi
    local line load
    load=$(cut -d' ' -f1 /proc/loadavg)
    line=$("$BUILD/bench_fanout" --url "127.0.0.1:$port" --token "$token" --origin "$ORIGIN" \
        --room "$room" --publish chat --publish-path "/api/headless/v1/messages/$room_uuid/chat_room_messages" \
        --subscribers "$SUBS" --sources "$SOURCES" --broadcasts "$BROADCASTS" --rate "$RATE" \
        --pipeline "$PIPELINE" --server-pid "$server_pid" --timeout "$TIMEOUT" "${gen_flags[@]}")
    local rc=$?
    echo "deflate $mode rep=$rep load1=$load $line"
    stop_server
    [ $rc -eq 0 ] || failures=$((failures + 1))
}

for rep in $(seq "$REPS"); do
    # Alternate which side goes first.
    if [ $((rep % 2)) -eq 1 ]; then
        run on "$rep"
        run off "$rep"
    else
        run off "$rep"
        run on "$rep"
    fi
done
if [ $failures -gt 0 ]; then
    echo "bench: FAIL: $failures run(s) lost or duplicated deliveries, or did not complete" >&2
    exit 1
fi
echo "bench: ok"
