#!/usr/bin/env bash
# Run each libFuzzer target given on the command line for FUZZ_SECONDS
# (default 300), starting from its seed corpus in fuzz/corpus/<name>/.
# New inputs go to build/fuzz/work/<name>/, crashes to build/fuzz/artifacts/.
# Prints "fuzz <name>: ok" or "fuzz <name>: FAILED" per target; exits non-zero
# if any target found a crash, leak, timeout or sanitizer report.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-300}
status=0
mkdir -p build/fuzz/artifacts
for bin in "$@"; do
    name=$(basename "$bin")
    name=${name#fuzz_}
    work=build/fuzz/work/$name
    mkdir -p "$work"
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix=build/fuzz/artifacts/"$name"- "$work")
    [ -d "fuzz/corpus/$name" ] && args+=("fuzz/corpus/$name")
    [ -f "fuzz/$name.dict" ] && args=(-dict="fuzz/$name.dict" "${args[@]}")
    log=build/fuzz/$name.log
    if "$bin" "${args[@]}" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
        echo "fuzz $name: ok (${runs:-?} runs in ${seconds}s)"
    else
        echo "fuzz $name: FAILED (see $log)"
        tail -n 40 "$log"
        status=1
    fi
done
exit $status
