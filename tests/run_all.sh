#!/usr/bin/env bash
# Everything `make test` runs, in order, with one summary line at the end:
#
#   0. a throwaway PostgreSQL 15 cluster (tests/services/postgres.sh), removed at the end
#      whatever happens; the unit tests of store/pg run against it (CABLED_TEST_PG_URL)
#   1. build (gcc, -Werror) and the unit tests
#   2. the integration tests: build/cabled driven by node ws and @rails/actioncable, on
#      SQLite (cluster.test.js starts its own redis-server); then the files that use the
#      database again on PostgreSQL, with the outage test (integration (postgres)); then
#      the chat, auth and notification files against three-node clusters on a real Redis
#      and PostgreSQL (plain build only)
#   3. the unit and SQLite integration suites again on an AddressSanitizer +
#      UndefinedBehaviorSanitizer build (a leak or any sanitizer report fails the run)
#   4. the integration suite on a ThreadSanitizer build: the event-loop threads and
#      the storage workers share payloads, the revoked set and the stream counts
#   5. each libFuzzer target for a short smoke run (clang)
#
# Exits non-zero when anything failed. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0
total_fail=0
started=$(date +%s)

count() { # add the counts a suite printed to the totals
    local log=$1 kind=$2 p=0 f=0
    case $kind in
    c) read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 | awk '{print $1, $3}') ;;
    node)
        p=$(grep -E '^# pass [0-9]+' "$log" | tail -n 1 | awk '{print $3}')
        f=$(grep -E '^# fail [0-9]+' "$log" | tail -n 1 | awk '{print $3}') ;;
    esac
    total_pass=$((total_pass + ${p:-0}))
    total_fail=$((total_fail + ${f:-0}))
}

run_suite() { # name kind command...
    local name=$1 kind=$2
    shift 2
    local log
    log=$(mktemp)
    echo "=== $name"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    count "$log" "$kind"
    if [ "$rc" -ne 0 ]; then
        echo "=== $name: FAILED (exit $rc)"
        # A suite that died before counting still counts as a failure.
        grep -qE '^[0-9]+ passed, [0-9]+ failed|^# fail [1-9]' "$log" || total_fail=$((total_fail + 1))
    fi
    rm -f "$log"
}

build() { # name make-args...
    local name=$1
    shift
    echo "=== build $name"
    if ! make --no-print-directory -j"$jobs" "$@"; then
        echo "=== build $name: FAILED"
        total_fail=$((total_fail + 1))
        return 1
    fi
}

# Files of the integration suite run one after another (each starts its own
# servers); older node releases run files serially anyway and lack the flag.
node_serial=()
node --help 2>/dev/null | grep -q -- '--test-concurrency' && node_serial=(--test-concurrency=1)

# PostgreSQL for the store tests and the integration files that use the database. The
# other integration suites run without it (env -u), on SQLite. A redis-server for the
# cluster runs. Both are stopped however the run ends.
pg=tests/services/postgres.sh
pg_files=(members auth notifications chat chat_members chat_threads circle_api persistence postgres)
pg_files=("${pg_files[@]/#/tests/integration/}")
pg_files=("${pg_files[@]/%/.test.js}")
services=$(mktemp -d)
stop_services() {
    "$pg" stop
    tests/services/redis.sh stop "$services/redis" >/dev/null 2>&1
    rm -rf "$services"
}
trap 'exit 130' INT TERM
trap stop_services EXIT
if CABLED_TEST_PG_URL=$("$pg" start); then
    export CABLED_TEST_PG_URL CABLED_TEST_PG_SCRIPT="$PWD/$pg"
    echo "=== postgres: $CABLED_TEST_PG_URL"
else
    echo "=== postgres: FAILED to start"
    total_fail=$((total_fail + 1))
    unset CABLED_TEST_PG_URL
fi
if redis_url=$(tests/services/redis.sh start "$services/redis"); then
    echo "=== redis: $redis_url"
else
    echo "=== redis: FAILED to start"
    total_fail=$((total_fail + 1))
    redis_url=
fi
cluster_files=(chat chat_members chat_threads circle_api notifications auth)
cluster_files=("${cluster_files[@]/#/tests/integration/}")
cluster_files=("${cluster_files[@]/%/.test.js}")

if build default build/cabled build/run_tests; then
    run_suite "unit" c build/run_tests
    run_suite "integration" node env -u CABLED_TEST_PG_URL CABLED_BIN="$PWD/build/cabled" \
        node --test "${node_serial[@]}" tests/integration/*.test.js
    if [ -n "${CABLED_TEST_PG_URL:-}" ]; then
        run_suite "integration (postgres)" node env CABLED_BIN="$PWD/build/cabled" \
            node --test "${node_serial[@]}" "${pg_files[@]}"
    fi
    if [ -n "$redis_url" ]; then
        run_suite "integration (three-node clusters on Redis and PostgreSQL)" node env \
            CABLED_BIN="$PWD/build/cabled" CABLED_TEST_REDIS_URL="$redis_url" \
            node --test "${node_serial[@]}" "${cluster_files[@]}"
    fi
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if build "asan+ubsan" SANITIZE=address,undefined build/san/cabled build/san/run_tests; then
    run_suite "unit (asan+ubsan)" c build/san/run_tests
    run_suite "integration (asan+ubsan)" node env -u CABLED_TEST_PG_URL CABLED_BIN="$PWD/build/san/cabled" \
        CABLED_SANITIZED=1 node --test "${node_serial[@]}" tests/integration/*.test.js
fi

if build "tsan" SANITIZE=thread BUILD=build/tsan build/tsan/cabled; then
    run_suite "integration (tsan)" node env -u CABLED_TEST_PG_URL CABLED_BIN="$PWD/build/tsan/cabled" \
        CABLED_SANITIZED=1 node --test "${node_serial[@]}" tests/integration/*.test.js
fi

if build fuzz fuzz-build; then
    echo "=== fuzz smoke"
    log=$(mktemp)
    FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-10} scripts/fuzz.sh build/fuzz/fuzz_* 2>&1 | tee "$log"
    total_pass=$((total_pass + $(grep -c ': ok' "$log")))
    total_fail=$((total_fail + $(grep -c ': FAILED' "$log")))
    rm -f "$log"
fi

echo "=== done in $(($(date +%s) - started))s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
