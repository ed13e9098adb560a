#!/usr/bin/env bash
# The cluster fan-out benchmark (`make bench-cluster`): one room subscribed
# by PER_NODE WebSocket connections on each of 1, 2 and 3 cabled nodes that
# share a real redis-server for pub/sub and one SQLite database file, and
# broadcasts published through the first node's POST /api/v1/broadcast,
# every one reaching every subscriber of every node.
#
#   generator k ──PER_NODE ws──▶ node k ──SUBSCRIBE──┐
#                                  ▲                 redis-server
#   publisher ──POST /api/v1/broadcast──▶ node 1 ──PUBLISH──┘
#
# Each node listens on its own loopback port and has its own generator
# (build/bench_fanout --role subscribe), so exactly PER_NODE connections
# land on each node and no process (server or generator) goes past the
# descriptor limit of one process. A run:
#
#   1. starts node 1 on a fresh database (it creates the schema), creates the
#      member and the room through its admin API, then starts the others;
#   2. starts one generator per node; each connects and subscribes its
#      PER_NODE connections, prints "ready", and waits for the broadcasts;
#   3. once every generator is ready, round 1: PACED broadcasts at RATE per
#      second through node 1 (build/bench_fanout --role publish), slow
#      enough that each reaches every subscriber before the next leaves: the
#      latency of one broadcast to everyone;
#   4. once every generator has all of round 1 ("done round=1"), round 2:
#      BURST broadcasts sent at once (all in flight together): how many
#      deliveries per second the cluster drains;
#   5. each generator checks that every one of its subscribers got every
#      broadcast exactly once, times each delivery from the publish time in
#      the payload (CLOCK_MONOTONIC is machine-wide) and writes a report
#      file; `bench_fanout --merge` adds them into one "cluster" line per
#      round;
#   6. stops the nodes, and checks that none exited or logged anything.
#
# Nodes and redis-server are pinned to SERVER_CPUS, generators and the
# publisher to CLIENT_CPUS (taskset), so the two sides do not steal each
# other's core. One redis-server serves every run (each with its own channel
# prefix). Prints the lines of every process and a table at the end; exits
# non-zero if any delivery was lost or duplicated, a broadcast was refused,
# a process failed, or a phase timed out. See bench/README.md.
#
# Knobs (environment):
#   BENCH_NODES="1 2 3"       node counts, one run each
#   BENCH_PER_NODE=15000      subscribed connections per node (one generator each)
#   BENCH_PACED=5             broadcasts of round 1 ...
#   BENCH_RATE=0.5            ... at this many per second
#   BENCH_BURST=10            broadcasts of round 2, all at once
#   BENCH_THREADS=1           event-loop threads per node
#   BENCH_SERVER_CPUS=0       taskset CPU list of the nodes and redis-server ("": no pinning)
#   BENCH_CLIENT_CPUS=1       taskset CPU list of the generators and the publisher
#   BENCH_TIMEOUT=60          seconds before a phase gives up
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
NODES=${BENCH_NODES:-1 2 3}
PER_NODE=${BENCH_PER_NODE:-15000}
PACED=${BENCH_PACED:-5}
RATE=${BENCH_RATE:-0.5}
BURST=${BENCH_BURST:-10}
THREADS=${BENCH_THREADS:-1}
TIMEOUT=${BENCH_TIMEOUT:-60}
if [ "$(nproc)" -ge 2 ]; then
    SERVER_CPUS=${BENCH_SERVER_CPUS-0}
    CLIENT_CPUS=${BENCH_CLIENT_CPUS-1}
else
    SERVER_CPUS=${BENCH_SERVER_CPUS-}
    CLIENT_CPUS=${BENCH_CLIENT_CPUS-}
fi

SECRET=bench-secret
APP_TOKEN=bench-app-token
ORIGIN=http://localhost

make -s "$BUILD/cabled" "$BUILD/bench_fanout" || exit 2
. bench/lib.sh
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
    echo "bench-cluster: redis-server and redis-cli are needed (Debian: redis-server)" >&2
    exit 2
}

# Each subscriber costs a descriptor in its node and one in its generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((PER_NODE + 100)) ]; then
    echo "bench-cluster: $PER_NODE connections per process need more than the $(ulimit -n) descriptors allowed" >&2
    exit 2
fi

server_pin=()
client_pin=()
if command -v taskset >/dev/null; then
    [ -n "$SERVER_CPUS" ] && server_pin=(taskset -c "$SERVER_CPUS")
    [ -n "$CLIENT_CPUS" ] && client_pin=(taskset -c "$CLIENT_CPUS")
fi

tmp=$(mktemp -d -t cabled-bench-cluster.XXXXXX)
redis_pid=
node_pids=()
gen_pids=()

# Stop what a run started: generators first (they reset their sockets), then
# the nodes. SIGTERM, then SIGKILL after 5 s for anything still there.
stop_run() {
    local p
    for p in "${gen_pids[@]}" "${node_pids[@]}"; do kill "$p" 2>/dev/null; done
    for _ in $(seq 50); do
        local alive=0
        for p in "${gen_pids[@]}" "${node_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "${gen_pids[@]}" "${node_pids[@]}"; do
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    gen_pids=()
    node_pids=()
}
cleanup() {
    stop_run
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null
        wait "$redis_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A redis-server on a free loopback port, nothing persisted; sets redis_port.
start_redis() {
    mkdir -p "$tmp/redis"
    for _ in 1 2 3; do
        redis_port=$(free_port) || return 1
        "${server_pin[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
            --appendonly no --dir "$tmp/redis" --logfile "$tmp/redis.log" &
        redis_pid=$!
        for _ in $(seq 100); do
            [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
            kill -0 "$redis_pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$redis_pid" 2>/dev/null
        wait "$redis_pid" 2>/dev/null
        redis_pid= # the port was taken meanwhile: try another
    done
    echo "bench-cluster: redis-server did not start:" >&2
    tail -n 20 "$tmp/redis.log" >&2
    return 1
}

# The value of key=value field KEY in LINE.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

results=()
failures=0

# wait_generators PATTERN WHAT N DIR: wait until each of the N generators'
# stdout (DIR/genK.out) has a line matching PATTERN; fail if one exits
# first or after TIMEOUT seconds.
wait_generators() {
    local pattern=$1 what=$2 n=$3 dir=$4 i waited=0
    for (( ; ; )); do
        local have=0
        for ((i = 1; i <= n; i++)); do
            if grep -q "$pattern" "$dir/gen$i.out"; then
                have=$((have + 1))
            elif ! kill -0 "${gen_pids[i - 1]}" 2>/dev/null; then
                echo "bench-cluster: generator $i exited while $what:" >&2
                tail -n 5 "$dir/gen$i.err" >&2
                return 1
            fi
        done
        [ $have -lt "$n" ] || return 0
        sleep 0.1
        waited=$((waited + 1))
        if [ $waited -gt $((TIMEOUT * 10)) ]; then
            echo "bench-cluster: generators still $what after ${TIMEOUT}s" >&2
            return 1
        fi
    done
}

# publish FILE FLAGS...: publish through node 1 ($ports[0]), pinned with the
# generators; prints the publisher's line, stderr in FILE.err.
publish() {
    local file=$1 line rc
    shift
    line=$("${client_pin[@]}" "$BUILD/bench_fanout" --role publish --url "127.0.0.1:${ports[0]}" \
        --app-token "$APP_TOKEN" --room "$room" --timeout "$TIMEOUT" "$@" 2>"$file.err")
    rc=$?
    echo "  $line"
    [ $rc = 0 ] || tail -n 5 "$file.err" >&2
    return $rc
}

# run_cluster N: one run on N nodes. Prints its lines; returns non-zero if
# anything failed.
run_cluster() {
    local n=$1 dir=$tmp/run$n i ok=0
    mkdir -p "$dir"
    local flags=(--db "sqlite:$dir/bench.db" --pubsub "redis://127.0.0.1:$redis_port"
        --redis-channel-prefix "bench$n:" --secret "$SECRET" --app-token "$APP_TOKEN"
        --allowed-origin "$ORIGIN" --threads "$THREADS" --log-level warn)
    local ports=()

    # The first node creates the schema, the others open it.
    cabled_spawn "node$n.1" "${server_pin[@]}" -- "${flags[@]}"
    node_pids=("$cabled_pid")
    cabled_wait_port "node$n.1" "$cabled_pid" || return 1
    ports=("$cabled_port")
    create_room "${ports[0]}" "$APP_TOKEN" || return 1
    local token
    token=$("$BUILD/cabled" token --secret "$SECRET" --member "$member") || return 1
    for ((i = 2; i <= n; i++)); do
        cabled_spawn "node$n.$i" "${server_pin[@]}" -- "${flags[@]}"
        node_pids+=("$cabled_pid")
    done
    for ((i = 2; i <= n; i++)); do
        cabled_wait_port "node$n.$i" "${node_pids[i - 1]}" || return 1
        ports+=("$cabled_port")
    done

    # One generator per node, all connecting at once.
    local t0
    t0=$(date +%s%N)
    for ((i = 1; i <= n; i++)); do
        "${client_pin[@]}" "$BUILD/bench_fanout" --role subscribe --url "127.0.0.1:${ports[i - 1]}" \
            --token "$token" --origin "$ORIGIN" --room "$room" --subscribers "$PER_NODE" \
            --rounds "$PACED,$BURST" --server-pid "${node_pids[i - 1]}" --timeout "$TIMEOUT" \
            --report "$dir/gen$i.report" >"$dir/gen$i.out" 2>"$dir/gen$i.err" &
        gen_pids+=($!)
    done
    wait_generators '^ready ' "connecting" "$n" "$dir" || return 1
    local all_ready_ms=$((($(date +%s%N) - t0) / 1000000))
    local rss_sum=0
    for ((i = 1; i <= n; i++)); do
        rss_sum=$((rss_sum + $(awk '/^VmRSS:/ { print $2 }' "/proc/${node_pids[i - 1]}/status")))
    done

    # Round 1, one broadcast at a time; round 2, a burst. Both through node 1.
    publish "$dir/publish1" --broadcasts "$PACED" --rate "$RATE" || ok=1
    if [ $ok = 0 ]; then
        wait_generators '^done round=1' "round 1" "$n" "$dir" || ok=1
    fi
    if [ $ok = 0 ]; then
        publish "$dir/publish2" --first-seq "$PACED" --broadcasts "$BURST" --rate 0 \
            --pipeline "$BURST" || ok=1
    fi

    for ((i = 1; i <= n; i++)); do
        # A failed publisher leaves the generators waiting: stop them, they
        # still report what they got.
        [ $ok = 0 ] || kill "${gen_pids[i - 1]}" 2>/dev/null
        wait "${gen_pids[i - 1]}" || ok=1
        grep '^fanout' "$dir/gen$i.out" | sed "s/^/  node $i: /"
        grep -v '^ready ' "$dir/gen$i.err" | head -n 5 | sed "s/^/  node $i generator: /" >&2
    done
    gen_pids=()
    local cluster paced burst
    cluster=$("$BUILD/bench_fanout" --merge "$dir"/gen*.report) || ok=1
    sed 's/^/  /' <<<"$cluster"
    paced=$(grep '^cluster round=1 ' <<<"$cluster")
    burst=$(grep '^cluster round=2 ' <<<"$cluster")

    # The nodes must have survived the run without a word of complaint.
    for ((i = 1; i <= n; i++)); do
        if ! kill -0 "${node_pids[i - 1]}" 2>/dev/null; then
            wait "${node_pids[i - 1]}"
            echo "bench-cluster: node $i exited during the run with status $?" >&2
            ok=1
        fi
        if [ -s "$tmp/node$n.$i.err" ]; then
            echo "bench-cluster: node $i logged $(wc -l <"$tmp/node$n.$i.err") line(s) (first 5):" >&2
            head -n 5 "$tmp/node$n.$i.err" >&2
        fi
    done
    echo "  nodes=$n all_ready_ms=$all_ready_ms server_rss_total_kb=$rss_sum"
    # One table row: the paced round's latency, the burst's throughput.
    results+=("$n $(field subscribers "$paced") $(field p50_us "$paced") $(field p99_us "$paced") \
$(field max_us "$paced") $(field deliveries_per_s "$burst") $(field p99_us "$burst") \
$(field max_us "$burst") $(field connect_s_max "$paced") $(field rss_per_conn_bytes "$paced") \
$(field lost "$paced")+$(field lost "$burst") $(field dup "$paced")+$(field dup "$burst")")
    return $ok
}

echo "bench-cluster: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "$PER_NODE subscribers per node, $PACED broadcasts at ${RATE}/s then $BURST at once," \
    "server --threads $THREADS," \
    "servers+redis on CPUs ${SERVER_CPUS:-any}, generators+publisher on CPUs ${CLIENT_CPUS:-any}"
start_redis || exit 1
runs=0
for n in $NODES; do
    runs=$((runs + 1))
    echo "bench-cluster: $n node(s) x $PER_NODE subscribers"
    run_cluster "$n" || failures=$((failures + 1))
    stop_run
done

echo
echo "| nodes | subscribers | one at a time: p50 / p99 / max ms | burst of $BURST: deliveries/s | burst: p99 / max ms | connect s (slowest node) | server RSS per connection, bytes (per node) | lost | dup |"
echo "|---|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
    read -r n subs p50 p99 max dps bp99 bmax conn rss lost dup <<<"$r"
    awk -v n="$n" -v subs="$subs" -v p50="$p50" -v p99="$p99" -v max="$max" -v dps="$dps" \
        -v bp99="$bp99" -v bmax="$bmax" -v conn="$conn" -v rss="$rss" -v lost="$lost" \
        -v dup="$dup" 'BEGIN {
        printf "| %s | %s | %.0f / %.0f / %.0f | %s | %.0f / %.0f | %s | %s | %s | %s |\n",
            n, subs, p50 / 1000, p99 / 1000, max / 1000, dps, bp99 / 1000, bmax / 1000, conn,
            rss, lost, dup }'
done

# A run that broke off half-way leaves no result line.
[ ${#results[@]} -eq $runs ] || failures=$((failures + runs - ${#results[@]}))
if [ $failures -gt 0 ]; then
    echo "bench-cluster: FAIL: $failures run(s) lost or duplicated deliveries, or did not complete" >&2
    exit 1
fi
echo "bench-cluster: ok"
