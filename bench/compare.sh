#!/usr/bin/env bash
# The side-by-side benchmark: one scenario, run against cabled and the peer
# servers (uWebSockets, ws, Rails Action Cable 6.1) with the same generator
# (build/bench_fanout), interleaved, repeated, and summed up as medians and
# ratios cabled/peer. See bench/README.md for what each scenario measures.
#
#   bench/compare.sh A|B|C|D|E|F [short]
#
#   A  idle: 1k / 10k / 19k subscribed connections for 30 s: server RSS per
#      connection, kernel socket buffers apart, idle CPU with the 3 s ping
#   B  fan-out latency at 1k and 10k subscribers, 5 publishes/s
#   C  most deliveries/s at 10k subscribers: a ramp of publish rates until a
#      step falls under 99 % of the offered deliveries/s or its p99 passes
#      1 s; CPU and system calls (perf stat) per delivery
#   D  connect rate of 10k clients: connect, upgrade, (welcome,) subscribe,
#      confirmation
#   E  0, 1 and 10 of 1k subscribers stop reading: the others' p99, the
#      server's memory, whether it closed the stalled ones (not rails)
#   F  cabled only: a chat message through the REST API to N room
#      subscribers, end to end
#
# "short" runs each case for a few seconds at small sizes (one repetition),
# to check that the scenario works end to end.
#
# Each case starts a fresh server pinned to SERVER_CPU and runs the
# generator pinned to CLIENT_CPU (taskset). A repetition runs every server
# once, in an order that rotates between repetitions, so slow drifts of a
# shared machine fall on every server alike. Every generator line goes to
# build/compare/<scenario>-<time>.txt; the summary at the end gives, per
# case and figure, each server's median and the ratio cabled/peer. Exits
# non-zero if any run failed (a loss, a duplicate, a refusal, a timeout, a
# server that died).
#
# Knobs (environment):
#   BENCH_SERVERS="cabled uws ws rails"   servers to run (cabled first in the summary);
#                                         cabled-write is cabled with --no-io-uring (one
#                                         write() per socket), for the ratio of the two
#   BENCH_REPEAT=3                        repetitions (short: 1)
#   BENCH_SERVER_CPU=0 BENCH_CLIENT_CPU=1 taskset CPU of the server and of the generator
#   BENCH_SOURCES=4                       loopback source addresses of the generator
#   BENCH_THREADS=1                       cabled --threads (one core for every server)
#   BENCH_CABLED=build/cabled             the cabled binary to measure
set -uo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-}
mode=${2:-full}
if [ "$scenario" = --summary ]; then
    summary_only=${2:?"compare: --summary FILE"}
    scenario=X
fi
case "$scenario" in A | B | C | D | E | F | X) ;; *)
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
[ "$scenario" = X ] || [ "$mode" = full ] || [ "$mode" = short ] || {
    echo "compare: the second argument is \"short\" or nothing" >&2
    exit 2
}

# The figures the summary shows for each scenario, and which of them a
# server wants low (-) or high (+).
keys() {
    case "$1" in
    A) echo "rss_per_conn_bytes- sock_buf_bytes_per_conn- slab_per_conn_bytes- idle_server_cpu_pct- pings_per_conn+" ;;
    B) echo "p50_us- p99_us- max_us- server_cpu_us_per_delivery-" ;;
    C) echo "max_deliveries_per_s+ p99_us- server_cpu_us_per_delivery- syscalls_per_delivery- sends_per_delivery- waits_per_delivery- saturated_deliveries_per_s+" ;;
    D) echo "connects_per_s+ connect_server_cpu_us_per_conn- connect_s- rss_per_conn_bytes-" ;;
    E) echo "p50_us- p99_us- max_us- rss_growth_kb- stalled_closed+ stalled_drained_bytes- server_too_slow+ lost-" ;;
    F) echo "p50_us- p99_us- max_us- ack_mean_us-" ;;
    esac
}

# summarize FILE: the medians of every case and figure of a results file,
# per server, and the ratios cabled/peer. Runs that failed (a loss, a
# duplicate, a refusal, a timeout) are left out of the medians and counted
# on the "failed runs" line.
summarize() {
    local file=$1 scen reps
    scen=$(sed -n 's/^compare: scenario \([A-F]\) .*/\1/p' "$file" | head -1)
    reps=$(sed -n 's/.*, \([0-9]*\) repetition(s).*/\1/p' "$file" | head -1)
    local servers
    servers=$(sed -n 's/.*servers: \(.*\), [0-9]* repetition(s).*/\1/p' "$file" | head -1)
    echo "scenario $scen: medians over $reps repetition(s) of the runs that passed; ratio = cabled / peer (see bench/README.md)"
    awk -v keys="$(keys "$scen")" -v servers="$servers" '
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    if (n == 0) return ""
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
FNR == NR { if ($4 == "FAIL") { failed[$1, $2, $3] = 1; nfailed[$1, $2]++ } next }
/^compare:/ || $4 == "FAIL" { next }
$4 == "fanout" && $5 ~ /^step=/ { next }
{
    label = $1; server = $2
    if (!(label in seen)) { seen[label] = 1; order[++nlabels] = label }
    if (($1, $2, $3) in failed) next
    delete kv
    for (i = 4; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
    kv["connects_per_s"] = kv["connect_s"] > 0 ? sprintf("%.0f", kv["subscribers"] / kv["connect_s"]) : ""
    if (kv["connect_server_cpu_s"] != "" && kv["subscribers"] > 0)
        kv["connect_server_cpu_us_per_conn"] = sprintf("%.1f", kv["connect_server_cpu_s"] * 1e6 / kv["subscribers"])
    if (kv["rss_max_kb"] != "" && kv["rss_after_kb"] != "") kv["rss_growth_kb"] = kv["rss_max_kb"] - kv["rss_after_kb"]
    for (k in kv) if (kv[k] != "") vals[label, server, k] = vals[label, server, k] " " kv[k]
}
END {
    ns = split(servers, sv, " "); nk = split(keys, kl, " ")
    for (l = 1; l <= nlabels; l++) {
        label = order[l]
        printf "\n%s\n%-34s", label, "figure"
        for (s = 1; s <= ns; s++) printf " %14s", sv[s]
        for (s = 2; s <= ns; s++) if (sv[1] == "cabled") printf " %12s", "cabled/" sv[s]
        printf "\n%-34s", "failed runs"
        for (s = 1; s <= ns; s++) printf " %14d", nfailed[label, sv[s]]
        printf "\n"
        for (k = 1; k <= nk; k++) {
            key = kl[k]; sub(/[-+]$/, "", key)
            printf "%-34s", key
            for (s = 1; s <= ns; s++) { m[s] = median(vals[label, sv[s], key]); printf " %14s", m[s] == "" ? "-" : m[s] }
            for (s = 2; s <= ns; s++) if (sv[1] == "cabled")
                printf " %12s", (m[1] != "" && m[s] + 0 > 0) ? sprintf("%.2f", m[1] / m[s]) : "-"
            printf "\n"
        }
    }
}' "$file" "$file"
}

if [ -n "${summary_only:-}" ]; then
    summarize "$summary_only"
    exit
fi

BUILD=${BUILD:-build}
SERVERS=${BENCH_SERVERS:-cabled uws ws rails}
[ "$scenario" = F ] && SERVERS=cabled
# Action Cable cannot carry E's load even with no client stalled (it made
# 2-5 % of the deliveries in 40 s, then puma dropped the publisher): E
# leaves it out unless BENCH_SERVERS names it.
[ "$scenario" = E ] && [ -z "${BENCH_SERVERS:-}" ] && SERVERS="cabled uws ws"
if [ "$mode" = short ]; then REPEAT=${BENCH_REPEAT:-1}; else REPEAT=${BENCH_REPEAT:-3}; fi
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
SOURCES=${BENCH_SOURCES:-4}
THREADS=${BENCH_THREADS:-1}
CABLED=${BENCH_CABLED:-$BUILD/cabled}
SECRET=bench-secret
APP_TOKEN=bench-app-token
ORIGIN=http://localhost
PEER_ID='{"channel":"BenchChannel"}'

make -s "$BUILD/cabled" "$BUILD/bench_fanout" || exit 2
case " $SERVERS " in *" uws "* | *" ws "* | *" rails "*) scripts/install-bench-peers.sh || exit 2 ;; esac
export NODE_PATH=$PWD/$BUILD/peers/node_modules
. bench/lib.sh

# Up to 19,000 connections: as many descriptors in the server and in the
# generator, each under the machine's hard limit of 20,000.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pin_server=()
pin_client=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_server=(taskset -c "$SERVER_CPU")
    pin_client=(taskset -c "$CLIENT_CPU")
fi

tmp=$(mktemp -d -t cabled-compare.XXXXXX)
mkdir -p "$BUILD/compare"
results=$BUILD/compare/$scenario-$mode-$(date -u +%Y%m%dT%H%M%SZ).txt
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# wait_listening NAME PATTERN: wait (up to 20 s) until the server's output
# matches the sed PATTERN, which prints the port; sets $port.
wait_listening() {
    local name=$1 pattern=$2
    port=
    for _ in $(seq 200); do
        port=$(sed -n "$pattern" "$tmp/$name.out" | head -1)
        [ -n "$port" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "compare: $name did not start:" >&2
    tail -n 20 "$tmp/$name.out" "$tmp/$name.err" >&2
    return 1
}

# start_server NAME: a fresh server on a free loopback port, pinned; sets
# $server_pid, $port and gen_args (how the generator talks to it).
start_server() {
    local name=$1
    case "$name" in
    cabled | cabled-write)
        rm -f "$tmp"/bench.db*
        local write_flags=()
        [ "$name" = cabled-write ] && write_flags=(--no-io-uring)
        "${pin_server[@]}" "$CABLED" --listen 127.0.0.1:0 --db "sqlite:$tmp/bench.db" \
            --secret "$SECRET" --app-token "$APP_TOKEN" --allowed-origin "$ORIGIN" \
            --threads "$THREADS" --log-level warn "${write_flags[@]}" >"$tmp/$name.out" 2>"$tmp/$name.err" &
        server_pid=$!
        wait_listening "$name" 's|^cabled listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' || return 1
        local token
        create_room "$port" "$APP_TOKEN" &&
            token=$("$CABLED" token --secret "$SECRET" --member "$member") || return 1
        gen_args=(--token "$token" --origin "$ORIGIN" --app-token "$APP_TOKEN" --room "$room")
        chat_path=/api/headless/v1/messages/$room_uuid/chat_room_messages
        ;;
    uws | ws)
        "${pin_server[@]}" node "bench/peers/$name.js" 0 >"$tmp/$name.out" 2>"$tmp/$name.err" &
        server_pid=$!
        wait_listening "$name" 's/^listening on \([0-9]*\)$/\1/p' || return 1
        gen_args=(--protocol plain --identifier "$PEER_ID" --publish ws --origin "")
        ;;
    rails)
        "${pin_server[@]}" puma -b tcp://127.0.0.1:0 -t 5:5 -e production \
            bench/peers/rails/config.ru >"$tmp/rails.out" 2>"$tmp/rails.err" &
        server_pid=$!
        wait_listening rails 's|.*Listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' || return 1
        # puma 5.6 hands a pipelined request the bytes of the next one as its
        # body: one POST in flight (each carries every broadcast then due).
        gen_args=(--identifier "$PEER_ID" --stream bench --publish http --pipeline 1 --origin "")
        ;;
    esac
}

# server_metrics PORT: " too_slow=N drops=M" from cabled's GET /metrics.
server_metrics() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
cat <&3" 2>/dev/null | awk '
        $1 == "cabled_disconnect_too_slow_total" { printf " server_too_slow=%s", $2 }
        $1 == "cabled_drops_total" { printf " server_drops=%s", $2 }'
}

failures=0
# run CASE SERVER REP ARGS...: one generator run against a fresh SERVER;
# its lines go to $results prefixed with "CASE SERVER REP".
run() {
    local label=$1 name=$2 rep=$3
    shift 3
    if ! start_server "$name"; then
        echo "$label $name $rep FAIL server did not start" >>"$results"
        failures=$((failures + 1))
        stop_server
        return
    fi
    # Scenario F posts to the room the server was just given.
    [ "$scenario" = F ] && gen_args+=(--publish-path "$chat_path")
    "${pin_client[@]}" "$BUILD/bench_fanout" --url "127.0.0.1:$port" --server-pid "$server_pid" \
        --sources "$SOURCES" --timeout 120 "${gen_args[@]}" "$@" >"$tmp/gen.out" 2>"$tmp/gen.err"
    local rc=$?
    local extra=""
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "compare: $name exited during the run:" >&2
        tail -n 5 "$tmp/$name.err" >&2
        rc=1
    elif [ "$name" = cabled ] || [ "$name" = cabled-write ]; then
        # What cabled itself counted: clients it dropped as too slow, and
        # the frames it discarded for them.
        extra=$(server_metrics "$port")
    fi
    stop_server
    extra+=" server_log_lines=$(wc -l <"$tmp/$name.err")"
    sed "s/^fanout \(.*\)/fanout \1$extra/; s/^/$label $name $rep /" "$tmp/gen.out" >>"$results"
    if [ $rc -ne 0 ]; then
        failures=$((failures + 1))
        echo "$label $name $rep FAIL exit $rc" >>"$results"
        echo "compare: $label $name rep $rep failed:" >&2
        tail -n 3 "$tmp/gen.err" >&2
    fi
    grep -v '^fanout step=' "$tmp/gen.out" | sed "s/^/  $label $name: /" | cut -c1-400
}

# The cases of each scenario: "LABEL ARGS..." lines, full or short.
cases() {
    local s=$1 m=$2
    case "$s$m" in
    Afull) for n in 1000 10000 19000; do echo "n=$n --subscribers $n --broadcasts 0 --hold 30"; done ;;
    Ashort) echo "n=1000 --subscribers 1000 --broadcasts 0 --hold 3" ;;
    Bfull) for n in 1000 10000; do echo "n=$n --subscribers $n --broadcasts 50 --rate 5"; done ;;
    Bshort) echo "n=1000 --subscribers 1000 --broadcasts 10 --rate 5" ;;
    Cfull) echo "n=10000 --subscribers 10000 --perf --step-s 5 --ramp $RAMP" ;;
    Cshort) echo "n=1000 --subscribers 1000 --perf --step-s 0.5 --ramp 5,20,80,320" ;;
    Dfull) echo "n=10000 --subscribers 10000 --broadcasts 1 --rate 1" ;;
    Dshort) echo "n=1000 --subscribers 1000 --broadcasts 1 --rate 1" ;;
    Efull) for k in 0 1 10; do
        echo "stalled=$k --subscribers $((1000 + k)) --stalled $k --payload-bytes 16384 --rate 25 --broadcasts 750"
    done ;;
    Eshort) for k in 0 1; do
        echo "stalled=$k --subscribers $((100 + k)) --stalled $k --payload-bytes 16384 --rate 25 --broadcasts 50"
    done ;;
    Ffull) for n in 100 1000; do echo "n=$n --subscribers $n --publish chat --broadcasts 50 --rate 5"; done ;;
    Fshort) echo "n=100 --subscribers 100 --publish chat --broadcasts 10 --rate 5" ;;
    esac
}
# The ramp of scenario C: x1.6 from 2 to ~330 broadcasts/s, 20,000 to 3.3M
# deliveries/s at 10,000 subscribers.
RAMP=2,3.2,5,8,13,20,32,52,84,134,215,340

command -v perf >/dev/null || echo "compare: perf is missing: no system call counts (Debian: linux-perf)" >&2
echo "compare: scenario $scenario ($mode), servers: $SERVERS, $REPEAT repetition(s), server on CPU $SERVER_CPU, generator on CPU $CLIENT_CPU" | tee "$results"
echo "compare: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
read -ra server_list <<<"$SERVERS"
for rep in $(seq "$REPEAT"); do
    # Rotate the order: repetition 2 starts with the second server, ...
    n=${#server_list[@]}
    for i in $(seq 0 $((n - 1))); do
        name=${server_list[$(((i + rep - 1) % n))]}
        while read -r label args; do
            [ -n "$label" ] || continue
            # shellcheck disable=SC2086 # the case's arguments are words
            run "$label" "$name" "$rep" $args
        done < <(cases "$scenario" "$mode")
    done
done
echo "compare: load average after $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"

echo
summarize "$results"
echo
echo "compare: every line in $results"
if [ $failures -gt 0 ]; then
    echo "compare: FAIL: $failures run(s) lost or duplicated deliveries, were refused, timed out or lost their server" >&2
    exit 1
fi
echo "compare: ok"
