#!/usr/bin/env bash
# A small driver for the exercises that extend fastd (01-07), used by
# tests/grader/test_learner.c and by hand until the grader runs them:
# builds the learner's fastd for one exercise from a folder of learner
# files, builds the exercise's unit (tests.c) and server (server_tests.c)
# programs, runs every `unit` and `server` line of its tests.manifest
# (asan/tsan lines are the grader's), and prints one line per test and a
# last line "points P MAX".
#
# usage: learner-check.sh BUILD NN [FILES_DIR]
#   FILES_DIR  the learner's files (default: the exercise's folder, i.e.
#              the starter); a file missing there is taken from solution/
# env:  CHECK_TIMEOUT  seconds per test (default 10)
set -uo pipefail
# A make above us (make test, make sanitize) must not pass its variables
# (SAN=asan...) down: these builds are plain, in their own tree.
unset MAKEFLAGS MFLAGS MAKELEVEL
build=${1:?usage: learner-check.sh BUILD NN [FILES_DIR]}
nn=${2:?}
ex=$(ls -d exercises/"$nn"-*/ 2>/dev/null | head -n 1)
ex=${ex%/}
[ -d "$ex" ] || { echo "learner-check: no exercise $nn" >&2; exit 2; }
files=${3:-$ex}
name=$(basename "$ex")
limit=${CHECK_TIMEOUT:-10}
conf() { sed -n "s/^$1=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}\$/\\1/p" "$ex/exercise.conf"; }
sources=$(conf sources)

# The learner's files, as a MINE_SRC tree of one exercise.
tag=$(echo "$files" | tr -c 'A-Za-z0-9\n' _)
src=$build/check/src/$tag
rm -rf "$src"
mkdir -p "$src/$name"
for f in $sources; do
    if [ -e "$files/$f" ]; then cp -L "$files/$f" "$src/$name/$f"
    else cp -L "$ex/solution/$f" "$src/$name/$f"; fi
done
out=$build/check/out/$tag
mkdir -p "$out"
log=$out/build.log
if ! make --no-print-directory -s MINE="$nn" MINE_SRC="$src" \
    BUILD="$build/check" "$build/check/bin/fastd" >"$log" 2>&1; then
    echo "BUILD fastd failed:"; sed -n 1,15p "$log"
    max=$(awk '$1 == "unit" || $1 == "server" { s += $3 } END { print s + 0 }' "$ex/tests.manifest")
    echo "points 0 $max"
    exit 0
fi
cp "$build/check/bin/fastd" "$out/fastd"

# The unit program: tests.c, the learner's files and the reference's
# objects except main and the files the learner's replace.
seam=$(make --no-print-directory -s -f exercises/seams.mk -f - \
    MINE_SRC=x <<<"all: ; @echo \$(word 1,\$(SEAM_$nn))" 2>/dev/null)
objs=()
for o in "$build"/check/obj/reference-server/*.o; do
    b=$(basename "$o" .o)
    [ "$b" = main ] && continue
    [ "reference-server/$b.c" = "$seam" ] && continue
    objs+=("$o")
done
cmocka=$(pkg-config --cflags --libs cmocka 2>/dev/null || echo -lcmocka)
learner=()
for f in $sources; do learner+=("$src/$name/$f"); done
cflags=(-std=gnu11 -g -O1 -Wall -Wextra -D_GNU_SOURCE -I. -pthread)
unit_ok=1 server_ok=1
# shellcheck disable=SC2086
cc "${cflags[@]}" -o "$out/unit" "$ex/tests.c" "${learner[@]}" "${objs[@]}" \
    $cmocka -lm >"$out/unit.log" 2>&1 || unit_ok=0
# shellcheck disable=SC2086
cc "${cflags[@]}" -o "$out/server" "$ex/server_tests.c" \
    tests/server/fastd_harness.c $cmocka -lm >"$out/server.log" 2>&1 || server_ok=0
[ $unit_ok = 1 ] || { echo "BUILD unit failed:"; sed -n 1,15p "$out/unit.log"; }
[ $server_ok = 1 ] || { echo "BUILD server failed:"; sed -n 1,15p "$out/server.log"; }

points=0 max=0
while read -r suite test pts _; do
    case $suite in unit | server) ;; *) continue ;; esac
    max=$((max + pts))
    ok=0 rc=- tlog=/dev/null
    if { [ "$suite" = unit ] && [ $unit_ok = 1 ]; } || { [ "$suite" = server ] && [ $server_ok = 1 ]; }; then
        tlog=$out/$suite-$test.log
        { FASTD_BIN=$out/fastd timeout -k 1 "$limit" "$out/$suite" "$test" \
            >"$tlog" 2>&1 </dev/null; } 2>/dev/null
        rc=$?
        [ $rc -eq 0 ] && grep -q '^\[  PASSED  \] 1 test' "$tlog" && ok=1
    fi
    if [ $ok = 1 ]; then
        points=$((points + pts))
        echo "PASS $suite $test $pts"
    else
        why=$(sed -n 's/^ERROR: //p; s/^\[  ERROR   \] --- //p' "$tlog" 2>/dev/null | head -n 1)
        [ -n "$why" ] || why="exit $rc"
        echo "FAIL $suite $test $pts: $why"
    fi
done < <(grep -v '^[[:space:]]*#' "$ex/tests.manifest")
echo "points $points $max"
