#!/usr/bin/env bash
# Everything `make test` runs, in order, with one summary line at the end:
#
#   0. a throwaway PostgreSQL 15 cluster (tests/services/postgres.sh), removed at the end
#      whatever happens; the unit tests of store/pg run against it (CABLED_TEST_PG_URL)
#   1. build (gcc, -Werror) and the unit tests
#   2. the integration tests: build/cabled driven by node ws and @rails/actioncable, on
#      SQLite (cluster.test.js starts its own redis-server); beside them, the files that
#      use the database again on PostgreSQL, with the outage test (integration (postgres)),
#      then the chat, auth and notification files against three-node clusters on a real
#      Redis and PostgreSQL (plain build only)
#   3. the unit and SQLite integration suites again on an AddressSanitizer +
#      UndefinedBehaviorSanitizer build (a leak or any sanitizer report fails the run)
#   4. the integration suite on a ThreadSanitizer build: the event-loop threads and
#      the storage workers share payloads, the revoked set and the stream counts;
#      it runs beside the ASan+UBSan integration suite
#   5. each libFuzzer target for a short smoke run (clang), one per core at a time
#
# Each suite's whole output (TAP) goes to build/test-logs/<suite>.tap; the terminal gets one line
# per suite, the failing tests' names and the file to read when one fails, and a table of every
# suite at the end (tests/suites.sh). Exits non-zero when anything failed. The last line is
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
LOG_DIR=build/test-logs
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"
. tests/suites.sh

# Files of the integration suite run one after another (each starts its own
# servers); older node releases run files serially anyway and lack the flag.
node_test=(node --test --test-reporter=tap)
node --help 2>/dev/null | grep -q -- '--test-concurrency' && node_test+=(--test-concurrency=1)

# PostgreSQL for the store tests and the integration files that use the database. The
# other integration suites run without it (env -u), on SQLite. A redis-server for the
# cluster runs. Both are stopped however the run ends.
pg=tests/services/postgres.sh
pg_files=(members auth notifications chat chat_members chat_threads circle_api persistence postgres)
pg_files=("${pg_files[@]/#/tests/integration/}")
pg_files=("${pg_files[@]/%/.test.js}")
services=$(mktemp -d)
stop_services() {
    # Suites still running in the background (an interrupted run) end with it.
    local pid
    for pid in "${bg_pids[@]}"; do
        pkill -TERM -P "$pid" 2>/dev/null
        kill "$pid" 2>/dev/null
    done
    "$pg" stop
    tests/services/redis.sh stop "$services/redis" >/dev/null 2>&1
    rm -rf "$services"
}
trap 'exit 130' INT TERM
trap stop_services EXIT
if CABLED_TEST_PG_URL=$("$pg" start 2>"$LOG_DIR/postgres.log"); then
    export CABLED_TEST_PG_URL CABLED_TEST_PG_SCRIPT="$PWD/$pg"
    echo "postgres: $CABLED_TEST_PG_URL"
else
    add_result "postgres (start)" 0 1 0 0 "$LOG_DIR/postgres.log"
    echo "  see $LOG_DIR/postgres.log"
    unset CABLED_TEST_PG_URL
fi
if redis_url=$(tests/services/redis.sh start "$services/redis" 2>"$LOG_DIR/redis.log"); then
    echo "redis: $redis_url"
else
    add_result "redis (start)" 0 1 0 0 "$LOG_DIR/redis.log"
    echo "  see $LOG_DIR/redis.log"
    redis_url=
fi
cluster_files=(chat chat_members chat_threads circle_api notifications auth)
cluster_files=("${cluster_files[@]/#/tests/integration/}")
cluster_files=("${cluster_files[@]/%/.test.js}")

if run_build default build/cabled build/run_tests; then
    run_suite "unit" c build/run_tests
    # The SQLite suite runs beside the two that use PostgreSQL, which run one after the other
    # (the postgres suite takes the server down and up again); it uses neither server.
    start_suite "integration" node env -u CABLED_TEST_PG_URL CABLED_BIN="$PWD/build/cabled" \
        "${node_test[@]}" tests/integration/*.test.js
    if [ -n "${CABLED_TEST_PG_URL:-}" ]; then
        run_suite "integration (postgres)" node env CABLED_BIN="$PWD/build/cabled" \
            "${node_test[@]}" "${pg_files[@]}"
    fi
    if [ -n "$redis_url" ]; then
        run_suite "integration (three-node clusters on Redis and PostgreSQL)" node env \
            CABLED_BIN="$PWD/build/cabled" CABLED_TEST_REDIS_URL="$redis_url" \
            "${node_test[@]}" "${cluster_files[@]}"
    fi
    finish_suites
fi

# The browser test runs once, on the plain build: the sanitizers would only slow Chromium's
# side of it down.
sanitized_files=()
for f in tests/integration/*.test.js; do
    [ "$f" = tests/integration/browser.test.js ] || sanitized_files+=("$f")
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
asan_built=
if run_build "asan+ubsan" SANITIZE=address,undefined build/san/cabled build/san/run_tests; then
    asan_built=1
    run_suite "unit (asan+ubsan)" c build/san/run_tests
fi
tsan_built=
run_build "tsan" SANITIZE=thread BUILD=build/tsan build/tsan/cabled && tsan_built=1

# The two sanitized integration suites run side by side: their tests mostly wait (on sockets,
# deadlines, restarts), so together they keep about one of two cores busy and take little more
# than the slower one alone. Each still runs its files one after another.
if [ -n "$asan_built" ]; then
    start_suite "integration (asan+ubsan)" node env -u CABLED_TEST_PG_URL CABLED_BIN="$PWD/build/san/cabled" \
        CABLED_SANITIZED=1 "${node_test[@]}" "${sanitized_files[@]}"
fi
if [ -n "$tsan_built" ]; then
    start_suite "integration (tsan)" node env -u CABLED_TEST_PG_URL CABLED_BIN="$PWD/build/tsan/cabled" \
        CABLED_SANITIZED=1 "${node_test[@]}" "${sanitized_files[@]}"
fi
finish_suites

if run_build fuzz fuzz-build; then
    log="$LOG_DIR/fuzz-smoke.log"
    started=$SECONDS
    FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-10} FUZZ_JOBS=$jobs scripts/fuzz.sh build/fuzz/fuzz_* >"$log" 2>&1
    add_result "fuzz smoke" "$(grep -c ': ok' "$log")" "$(grep -c ': FAILED' "$log")" 0 \
        $((SECONDS - started)) "$log"
    if grep -q ': FAILED' "$log"; then
        grep ': FAILED' "$log" | sed 's/^/    /'
        echo "  full output: $log"
    fi
fi

print_summary
