# tests/suites.sh: how `make test` (tests/run_all.sh) runs a suite and reports it. Sourced, not run.
#
# Each suite's whole output (TAP for the unit runner and node's test runner, the compiler's for a
# build) goes to a file in $LOG_DIR; the terminal gets one line per suite, and, when it failed,
# the names of its failing tests and the file to read. print_summary ends the run with a table of
# every suite and the line CI reads: "N passed, N failed".
#
#   LOG_DIR=build/test-logs
#   run_suite NAME KIND COMMAND...     KIND: c (build/run_tests) or node (node --test)
#   start_suite NAME KIND COMMAND...   the same in the background, beside others started so
#   finish_suites                      waits for them; reports each in the order started
#   run_build NAME MAKE-ARGS...        a build; a failure counts as one failed test
#   add_result NAME PASSED FAILED SKIPPED SECONDS LOG
#   print_summary                      the table, the time, then "N passed, N failed"
#
# Totals are in total_pass and total_fail; print_summary returns non-zero when anything failed.

LOG_DIR=${LOG_DIR:-build/test-logs}
total_pass=0
total_fail=0
total_skip=0
summary_rows=()

# A file name for a suite name: "integration (asan+ubsan)" -> integration-asan-ubsan.
suite_slug() {
    printf '%s' "$1" | tr 'A-Z' 'a-z' | tr -cs 'a-z0-9' '-' | sed 's/^-//; s/-$//'
}

# Record one suite's counts, print its line.
add_result() { # name passed failed skipped seconds log
    local name=$1 p=${2:-0} f=${3:-0} s=${4:-0} secs=$5 log=$6 status=ok
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    total_skip=$((total_skip + s))
    [ "$f" -ne 0 ] && status=FAILED
    summary_rows+=("$(printf '%-58s %7s %7s %8s %6ss  %s' "$name" "$p" "$f" "$s" "$secs" "$status")")
    printf '%-58s %6s passed %4s failed %4s skipped %5ss  %s\n' "$name" "$p" "$f" "$s" "$secs" "$status"
}

# The failing tests of a TAP log, one per line, indented by their depth: node's nested
# subtests, or the unit runner's flat list. Parents that failed only because a subtest did are
# left out, so each name is a test to look at.
failing_tests() { # log
    awk '
        function flush() {
            if (pending != "" && !parent) printf "    %*s%s\n", depth * 2, "", pending
            pending = ""
        }
        /^ *not ok [0-9]+ - / {
            flush()
            pending = $0
            sub(/^ *not ok [0-9]+ - /, "", pending)
            match($0, /^ */)
            depth = RLENGTH / 4
            parent = 0
            next
        }
        pending != "" && /failureType: .(subtestsFailed|cancelledByParent)./ { parent = 1; next }
        pending != "" && (/^ *\.\.\.$/ || /^ *ok [0-9]+/ || /^ *# Subtest/ || /^[0-9]+ passed/) { flush() }
        END { flush() }
    ' "$1"
}

# The log file of suite NAME ($LOG_DIR made if missing).
suite_log() { # name
    mkdir -p "$LOG_DIR"
    echo "$LOG_DIR/$(suite_slug "$1").tap"
}

run_suite() { # name kind command...
    local name=$1 kind=$2
    shift 2
    local log
    log=$(suite_log "$name")
    local started=$SECONDS
    "$@" >"$log" 2>&1
    report_suite "$name" "$kind" "$log" $? $((SECONDS - started))
}

# Suites started by start_suite and not yet finished: name, kind, log, pid, start (epoch s).
bg_names=()
bg_kinds=()
bg_logs=()
bg_pids=()
bg_starts=()

start_suite() { # name kind command...
    local name=$1 kind=$2
    shift 2
    local log
    log=$(suite_log "$name")
    rm -f "$log.end"
    # The exit status and the end time go beside the log: the suite's own time, not the slowest.
    ( "$@" >"$log" 2>&1; echo "$? $(date +%s)" >"$log.end" ) &
    bg_names+=("$name") bg_kinds+=("$kind") bg_logs+=("$log") bg_pids+=($!) bg_starts+=("$(date +%s)")
}

finish_suites() {
    local i rc ended
    for i in "${!bg_pids[@]}"; do
        wait "${bg_pids[$i]}"
        read -r rc ended <"${bg_logs[$i]}.end" 2>/dev/null || { rc=1 ended=$(date +%s); }
        rm -f "${bg_logs[$i]}.end"
        report_suite "${bg_names[$i]}" "${bg_kinds[$i]}" "${bg_logs[$i]}" "$rc" $((ended - bg_starts[i]))
    done
    bg_names=() bg_kinds=() bg_logs=() bg_pids=() bg_starts=()
}

# Count a finished suite's results from its log, print its line and, when it failed, what to read.
report_suite() { # name kind log rc seconds
    local name=$1 kind=$2 log=$3 rc=$4 secs=$5
    local p=0 f=0 s=0
    case $kind in
    c)
        read -r p f s < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 |
            sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
        ;;
    node)
        # Tests cancelled because a hook of theirs failed did not pass: they count as failed.
        local c
        p=$(grep -E '^# pass [0-9]+' "$log" | tail -n 1 | awk '{print $3}')
        f=$(grep -E '^# fail [0-9]+' "$log" | tail -n 1 | awk '{print $3}')
        c=$(grep -E '^# cancelled [0-9]+' "$log" | tail -n 1 | awk '{print $3}')
        s=$(grep -E '^# skipped [0-9]+' "$log" | tail -n 1 | awk '{print $3}')
        f=$((${f:-0} + ${c:-0}))
        ;;
    esac
    p=${p:-0} f=${f:-0} s=${s:-0}
    # A suite that failed without counting a failure (it died, or a hook failed) counts one.
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    add_result "$name" "$p" "$f" "$s" "$secs" "$log"
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        local names
        names=$(failing_tests "$log" | head -n 30)
        if [ -n "$names" ]; then
            echo "  failing tests:"
            echo "$names"
        else
            echo "  exited $rc without a failing test; the end of its output:"
            tail -n 15 "$log" | sed 's/^/    /'
        fi
        echo "  full output: $log"
    fi
    return 0
}

run_build() { # name make-args...
    local name=$1
    shift
    mkdir -p "$LOG_DIR"
    local log
    log="$LOG_DIR/build-$(suite_slug "$name").log"
    local started=$SECONDS
    if make --no-print-directory -j"${jobs:-2}" "$@" >"$log" 2>&1; then
        printf '%-58s %37s %5ss  ok\n' "build $name" "" $((SECONDS - started))
        return 0
    fi
    add_result "build $name" 0 1 0 $((SECONDS - started)) "$log"
    echo "  the compiler said:"
    grep -E 'error|Error' "$log" | head -n 15 | sed 's/^/    /'
    echo "  full output: $log"
    return 1
}

print_summary() {
    echo
    echo "=== summary (full output of each suite in $LOG_DIR/)"
    printf '%-58s %7s %7s %8s %7s\n' "suite" "passed" "failed" "skipped" "time"
    local row
    for row in "${summary_rows[@]}"; do echo "$row"; done
    printf '%-58s %7s %7s %8s\n' "total" "$total_pass" "$total_fail" "$total_skip"
    echo "=== done in ${SECONDS}s"
    echo "$total_pass passed, $total_fail failed"
    [ "$total_fail" -eq 0 ]
}
