#!/usr/bin/env bash
# Run every test program and check of `make test`, each in its own process
# with a time limit, keep each log under BUILD/test-logs/, and end with one
# closing line: "N passed, N failed".
#
# usage: run-tests.sh BUILD "TEST_PROGRAMS" "CHECK_TARGETS" ["WAITING_PROGRAMS"]
#   TEST_PROGRAMS are cmocka programs; their summary lines are counted.
#   CHECK_TARGETS are make targets (format-check, docs-check, ...), one
#   pass or fail each.
#   WAITING_PROGRAMS are cmocka programs that spend their time waiting
#   (idle timeouts, stalled clients, a server's grace period), not on a
#   CPU: they run one after another in a second lane, beside the first,
#   and their logs are printed when the first lane ends. That lane saves
#   about two minutes on two cores. The Makefile puts its LATE_LANE_TESTS
#   at the end of this list: long CPU-bound programs that run in the
#   second lane once the waiting ones are done (three minutes more). The first lane runs at a lower
#   priority (nice), so a waiting test still gets a CPU the moment it
#   needs one: its margins are the same as when it runs alone.
set -uo pipefail
build=$1 tests=$2 checks=$3 waiting=${4:-}
logs=$build/test-logs
mkdir -p "$logs"
limit=${TEST_TIMEOUT:-300}
passed=0 failed=0 failures=()

# run_one NAME PROGRAM: run it within the limit, its output in its log,
# its exit status and seconds in NAME.status (the second lane's programs).
run_one() {
    local name=$1 t=$2 start=$SECONDS rc
    timeout -k 5 "$limit" "$t" > "$logs/$name.log" 2>&1
    rc=$?
    echo "$rc $((SECONDS - start))" > "$logs/$name.status"
    return "$rc"
}

# count NAME: add a finished program's summary lines to the totals.
count() {
    local name=$1 rc secs p f why
    read -r rc secs < "$logs/$name.status"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$logs/$name.log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$logs/$name.log" | awk '{s+=$1} END {print s+0}')
    passed=$((passed + p)) failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # A crash, a timeout or a failed set-up: count it, never hide it.
        [ "$rc" -eq 124 ] && why="timed out after ${limit}s" || why="exit status $rc"
        echo "!!! $name: $why"
        failed=$((failed + 1))
    fi
    [ "$rc" -ne 0 ] && failures+=("$name")
    echo "--- $name: $secs s"
}

# The second lane, in the background: waiting programs, one at a time.
lane_pid=""
if [ -n "$waiting" ]; then
    (for t in $waiting; do run_one "$(basename "$t")" "$t"; done) &
    lane_pid=$!
    # Interrupted: stop the lane's test too (timeout runs it in a process
    # group of its own, which a ^C to this one does not reach).
    trap 'pkill -TERM -P "$lane_pid" 2>/dev/null; kill "$lane_pid" 2>/dev/null' EXIT
    echo "(in a second lane meanwhile:$(for t in $waiting; do printf ' %s' "$(basename "$t")"; done))"
fi

# The first lane: every other program, its output shown as it runs.
first=()
[ -n "$lane_pid" ] && first=(nice -n 5)
for t in $tests; do
    name=$(basename "$t")
    echo "=== $name"
    start=$SECONDS
    "${first[@]}" timeout -k 5 "$limit" "$t" 2>&1 | tee "$logs/$name.log"
    echo "${PIPESTATUS[0]} $((SECONDS - start))" > "$logs/$name.status"
    count "$name"
done

if [ -n "$lane_pid" ]; then
    wait "$lane_pid"
    trap - EXIT
    for t in $waiting; do
        name=$(basename "$t")
        echo "=== $name (second lane)"
        cat "$logs/$name.log"
        count "$name"
    done
fi

for c in $checks; do
    echo "=== $c"
    if timeout -k 5 "$limit" make --no-print-directory BUILD="$build" "$c" >"$logs/$c.log" 2>&1; then
        tail -n 1 "$logs/$c.log"
        passed=$((passed + 1))
    else
        tail -n 30 "$logs/$c.log"
        failed=$((failed + 1)) failures+=("$c")
    fi
done

echo
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]} (logs in $logs/)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
