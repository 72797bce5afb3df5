#!/usr/bin/env bash
# The solutions' fastd against tests/server (issue 9): build `make mine`
# with every exercise's solution in place of the starter (MINE=all, the
# solutions copied into a folder of their own, a build tree of its own),
# then run each tests/server program that drives a live fastd on it
# ($FASTD_BIN), two at a time (the longest first), each within a time
# limit. Prints one line per program, "PROGRAM exit N passed P failed F",
# and exits 0 only if every program passed.
#
# usage: solutions-suite.sh BUILD [PROGRAM...]
#   PROGRAM  a program of BUILD/tests (default: every one that drives a
#            live fastd - test_fastd test_lifecycle test_http_replies
#            test_memory test_churn test_idle_clock - and test_fastd_uring,
#            where exercise 08's file runs; the other *_uring programs
#            can be named)
# env:  SUITE_TIMEOUT  seconds per program (default 180)
set -uo pipefail
unset MAKEFLAGS MFLAGS MAKELEVEL SAN BUILD MINE MINE_SRC
build=${1:?usage: solutions-suite.sh BUILD [PROGRAM...]}
shift
programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=(test_idle_clock test_lifecycle test_fastd test_fastd_uring
    test_memory test_churn test_http_replies)
limit=${SUITE_TIMEOUT:-180}
top=$build/learner-solutions
rm -rf "$top/src" "$top/logs"
mkdir -p "$top/src" "$top/logs"
for e in exercises/[0-9][0-9]-*/; do
    e=${e%/}
    [ -d "$e/solution" ] || continue
    mkdir -p "$top/src/${e##*/}"
    cp -L "$e"/solution/* "$top/src/${e##*/}/"
done
if ! make --no-print-directory -s -j2 MINE=all MINE_SRC="$top/src" BUILD="$top/build" \
    "$top/build/bin/fastd" >"$top/logs/build.log" 2>&1; then
    echo "BUILD the solutions' fastd failed:"
    sed -n 1,15p "$top/logs/build.log"
    exit 1
fi
for p in "${programs[@]}"; do
    [ -x "$build/tests/$p" ] || { echo "$p: no $build/tests/$p (make $build/tests/$p)"; exit 1; }
done
export FASTD_BIN=$top/build/bin/fastd
# One line per program, in the order given.
printf '%s\n' "${programs[@]}" | xargs -P 2 -I{} sh -c '
    timeout -k 5 "$1" "$2/tests/{}" >"$3/{}.log" 2>&1 </dev/null
    echo "{} $?" >"$3/{}.rc"' sh "$limit" "$build" "$top/logs"
bad=0
for p in "${programs[@]}"; do
    read -r _ rc <"$top/logs/$p.rc" 2>/dev/null || rc=-
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$top/logs/$p.log" | awk '{s+=$1} END {print s+0}')
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$top/logs/$p.log" | awk '{s+=$1} END {print s+0}')
    echo "$p exit $rc passed $passed failed $failed"
    if [ "$rc" != 0 ] || [ "$failed" != 0 ] || [ "$passed" = 0 ]; then
        bad=1
        grep -E '^\[  (FAILED|ERROR)|^\[   LINE' "$top/logs/$p.log" | head -n 6 | sed 's/^/    /'
    fi
done
exit $bad
