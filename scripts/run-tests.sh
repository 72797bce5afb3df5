#!/usr/bin/env bash
# Run every test program and check of `make test`, each in its own process
# with a time limit, keep each log under BUILD/test-logs/, and end with one
# closing line: "N passed, N failed".
#
# usage: run-tests.sh BUILD "TEST_PROGRAMS" "CHECK_TARGETS"
#   TEST_PROGRAMS are cmocka programs; their summary lines are counted.
#   CHECK_TARGETS are make targets (format-check, docs-check, ...), one
#   pass or fail each.
set -uo pipefail
build=$1 tests=$2 checks=$3
logs=$build/test-logs
mkdir -p "$logs"
limit=${TEST_TIMEOUT:-300}
passed=0 failed=0 failures=()

for t in $tests; do
    name=$(basename "$t")
    echo "=== $name"
    start=$SECONDS
    timeout -k 5 "$limit" "$t" 2>&1 | tee "$logs/$name.log"
    rc=${PIPESTATUS[0]}
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
    echo "--- $name: $((SECONDS - start)) s"
done

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
