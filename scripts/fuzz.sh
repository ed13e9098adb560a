#!/usr/bin/env bash
# Run each libFuzzer target given on the command line for FUZZ_SECONDS
# (default 300), FUZZ_JOBS of them at a time (default 1), starting from its
# seed corpus in fuzz/corpus/<name>/.
# New inputs go to build/fuzz/work/<name>/, crashes to build/fuzz/artifacts/.
# Prints "fuzz <name>: ok" or "fuzz <name>: FAILED" per target; exits non-zero
# if any target found a crash, leak, timeout or sanitizer report.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-300}
# FUZZ_JOBS targets at a time (default 1): each fuzzer keeps one core busy.
jobs=${FUZZ_JOBS:-1}
mkdir -p build/fuzz/artifacts

# One target's run; its verdict (and the end of its log when it failed) goes to
# build/fuzz/<name>.result, printed in the order given once all have ended.
fuzz_one() { # bin
    local bin=$1 name work log result
    name=$(basename "$bin")
    name=${name#fuzz_}
    work=build/fuzz/work/$name
    log=build/fuzz/$name.log
    result=build/fuzz/$name.result
    mkdir -p "$work"
    local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                -artifact_prefix=build/fuzz/artifacts/"$name"- "$work")
    [ -d "fuzz/corpus/$name" ] && args+=("fuzz/corpus/$name")
    [ -f "fuzz/$name.dict" ] && args=(-dict="fuzz/$name.dict" "${args[@]}")
    if "$bin" "${args[@]}" >"$log" 2>&1; then
        local runs
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
        echo "fuzz $name: ok (${runs:-?} runs in ${seconds}s)" >"$result"
    else
        { echo "fuzz $name: FAILED (see $log)"; tail -n 40 "$log"; } >"$result"
    fi
}

results=()
for bin in "$@"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    name=$(basename "$bin")
    rm -f "build/fuzz/${name#fuzz_}.result"
    results+=("build/fuzz/${name#fuzz_}.result")
    fuzz_one "$bin" &
done
wait
status=0
for result in "${results[@]}"; do
    if [ -f "$result" ]; then
        cat "$result"
        grep -q ': FAILED' "$result" && status=1
    else
        echo "fuzz $(basename "$result" .result): FAILED (no verdict)"
        status=1
    fi
done
exit $status
