#!/usr/bin/env bash
# A small driver for the exercises that extend fastd (01-07), used by
# tests/grader/test_learner.c and by hand until the grader runs them:
# links the learner's fastd for one exercise from a folder of learner
# files (as `make MINE=NN` would, in a folder of its own so that several
# checks can run at once), builds the exercise's unit (tests.c) and server (server_tests.c)
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
unset MAKEFLAGS MFLAGS MAKELEVEL SAN BUILD MINE MINE_SRC
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

# The learner's files, in a folder of their own.
tag=$(echo "$files" | tr -c 'A-Za-z0-9\n' _)
out=$build/check/out/$tag
rm -rf "$out"
mkdir -p "$out/src"
for f in $sources; do
    if [ -e "$files/$f" ]; then cp -L "$files/$f" "$out/src/$f"
    else cp -L "$ex/solution/$f" "$out/src/$f"; fi
done

# The reference's objects, built once for every check (several checks may
# run at once: the lock keeps them from building the same file together).
mkdir -p "$build/check"
refobjs=()
for c in reference-server/*.c; do refobjs+=("$build/check/obj/${c%.c}.o"); done
if ! flock "$build/check/.lock" make --no-print-directory -s \
    BUILD="$build/check" "${refobjs[@]}" >"$out/build.log" 2>&1; then
    echo "BUILD reference failed:"; sed -n 1,15p "$out/build.log"; exit 1
fi

# The learner's fastd is what `make MINE=NN` links: the reference's
# objects but the one the learner's file replaces, and the learner's.
seam=$(make --no-print-directory -s -f exercises/seams.mk -f - \
    MINE_SRC=x <<<"all: ; @echo \$(word 1,\$(SEAM_$nn))" 2>/dev/null)
objs=() main=
for o in "${refobjs[@]}"; do
    b=$(basename "$o" .o)
    [ "reference-server/$b.c" = "$seam" ] && continue
    if [ "$b" = main ]; then main=$o; else objs+=("$o"); fi
done
cflags=(-std=gnu11 -g -O2 -Wall -Wextra -D_GNU_SOURCE -I. -pthread)
cmocka=$(pkg-config --cflags --libs cmocka 2>/dev/null || echo -lcmocka)
learner=()
fastd_ok=1 unit_ok=1 server_ok=1
for f in $sources; do
    cc "${cflags[@]}" -c "$out/src/$f" -o "$out/src/${f%.c}.o" >>"$out/learner.log" 2>&1 || fastd_ok=0
    learner+=("$out/src/${f%.c}.o")
done
[ $fastd_ok = 1 ] && { cc -pthread -o "$out/fastd" "$main" "${objs[@]}" "${learner[@]}" -luring \
    >>"$out/learner.log" 2>&1 || fastd_ok=0; }
if [ $fastd_ok = 0 ]; then
    echo "BUILD fastd failed:"; sed -n 1,15p "$out/learner.log"
    unit_ok=0 server_ok=0
fi
# As the grader links the unit program (exercises/grader/grade.sh): the
# fault injection of inject.c and faults.c behind -Wl,--wrap (keep this
# list in step with grade.sh's), and the reference module the
# differential tests compare with (exercise.conf's `oracle`), its global
# symbols renamed ref_*.
wrapped="read write recv send writev accept accept4 epoll_wait mmap munmap socket setsockopt bind listen epoll_create1 epoll_create epoll_ctl open openat fopen pthread_create pthread_setaffinity_np sched_setaffinity getrlimit setrlimit prlimit"
oracle=()
for c in $(conf oracle); do
    o=$out/ref-$(basename "${c%.c}")
    if cc "${cflags[@]}" -c "$c" -o "$o.plain.o" >>"$out/unit.log" 2>&1; then
        nm -P -g --defined-only "$o.plain.o" | awk '{ print $1, "ref_" $1 }' >"$o.map"
        objcopy --redefine-syms="$o.map" "$o.plain.o" "$o.o" >>"$out/unit.log" 2>&1 || unit_ok=0
        oracle+=("$o.o")
    else
        unit_ok=0
    fi
done
# shellcheck disable=SC2086
[ $unit_ok = 1 ] && { cc "${cflags[@]}" -o "$out/unit" "$ex/tests.c" "${learner[@]}" \
    "${objs[@]}" "${oracle[@]}" exercises/grader/inject.c exercises/grader/faults.c \
    $(printf -- '-Wl,--wrap=%s ' $wrapped) $cmocka -luring -lm >"$out/unit.log" 2>&1 || unit_ok=0; }
# shellcheck disable=SC2086
cc "${cflags[@]}" -o "$out/server" "$ex/server_tests.c" \
    $cmocka -lm >"$out/server.log" 2>&1 || server_ok=0
[ $unit_ok = 1 ] || [ $fastd_ok = 0 ] || { echo "BUILD unit failed:"; sed -n 1,15p "$out/unit.log"; }
[ $server_ok = 1 ] || [ $fastd_ok = 0 ] || { echo "BUILD server failed:"; sed -n 1,15p "$out/server.log"; }

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
