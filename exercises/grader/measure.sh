#!/usr/bin/env bash
# Layer (c) of grading: what the learner's code is worth, measured.
#
# usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD
#   WORKLOAD  churn        wrk, a new connection per request (exercise 03);
#                          fastd traced, and the accepts per wake-up of
#                          its accept thread counted
#             pipelined    wrk, 16 requests per write (exercise 05)
#             keep-alive   wrk, one request at a time per connection
#             slow-reader  4 clients pipeline GET /body (fastd --body-kib
#                          64) and read 256 KiB/s each; the figure is what
#                          the server delivered to them (exercise 06: a
#                          full socket must be waited for, not dropped;
#                          exercises/grader/slow_reader.c)
#
# Both servers run in the same measurement, in MEASURE_ROUNDS short rounds
# (default 5) of MEASURE_SECONDS each (default 1), interleaved (reference
# then mine, then mine then reference, ...) so that a drift in the
# machine's load hits both alike. Each round gives one ratio mine /
# reference (req/s; for slow-reader, bytes delivered: higher is better for
# both). The last line - the one the grader shows, and `make progress`
# reads - gives their median and their spread (lowest to highest), and says
# "within the noise" when the spread holds 1.00x:
#
#   churn: mine/reference 0.97x (median of 5 rounds, spread 0.88x-1.10x): within the noise; mine 11800 req/s, reference 12100 req/s
#
# The lines above it show each round. On a busy machine the ratio is the
# figure to read, not the absolute numbers. The measurement holds the
# measurement lock (chapters/experiments/lib.sh); if another holds it for
# more than MEASURE_LOCK_WAIT seconds (default 5), the line says so and no
# figure is given: a grade must not wait for a benchmark. It earns no
# points: the grader prints it beside the score.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
workload=${1:?usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD}
ref=$(realpath "${2:?usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD}")
mine=$(realpath "${3:?usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD}")
source "$here/../../chapters/experiments/lib.sh"
exp_setup -o measure measure curl
secs=${MEASURE_SECONDS:-1}
case $workload in
churn | pipelined | keep-alive) exp_need wrk ;;
slow-reader) ;;
*) echo "measure: unknown workload '$workload' (churn, pipelined, keep-alive, slow-reader)" >&2; exit 2 ;;
esac
for b in "$ref" "$mine"; do [ -x "$b" ] || { echo "measure: $b is not a program" >&2; exit 2; }; done

# start WHO BIN: fastd on a free port; sets pid and port.
start() {
    local log=$out/$workload-$1.log flags=()
    [ "$workload" = slow-reader ] && flags=(--body-kib 64)
    # Under churn, the trace counts the accept thread's wake-ups (both
    # sides traced alike): exercise 03's starter takes one connection per
    # wake-up, which costs little throughput on a small machine but is
    # the defect the exercise is about.
    [ "$workload" = churn ] && rm -f "$out/$1.fdt" && flags=(--trace "$out/$1.fdt")
    : >"$log"
    "$2" --port 0 --threads 2 --quiet "${flags[@]}" >"$log" 2>&1 &
    pid=$!
    port=$(fastd_port "$log" "$pid") || { echo "measure: $2 did not start:" >&2; cat "$log" >&2; exit 1; }
}
stop() {
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# One run against $port: prints "FIGURE CUT" (req/s or bytes delivered;
# CUT: slow readers the server cut off, 0 for wrk).
run_one() {
    if [ "$workload" = slow-reader ]; then
        "$out/slow_reader" "$port" 4 "$secs" 256 >"$out/slow.log" 2>&1 || true
        awk '/^delivered/ { print $2, $7 }' "$out/slow.log"
        return
    fi
    local args=()
    case $workload in
    pipelined) args=(-s "$here/../../scripts/bench/pipeline.lua") ;;
    churn) args=(-H 'Connection: close') ;;
    esac
    wrk -t1 -c32 -d"${secs}s" "${args[@]}" "http://127.0.0.1:$port/plaintext" >"$out/wrk.log" 2>&1 || true
    echo "$(wrk_rps "$out/wrk.log") 0"
}

[ "$workload" = slow-reader ] && cc -O2 -o "$out/slow_reader" "$here/slow_reader.c"
rounds=${MEASURE_ROUNDS:-5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "measure: MEASURE_ROUNDS must be a whole number > 0" >&2; exit 2; }

# The lock, but never a long wait (see above).
if ! _exp_lock_held_above; then
    { exec {_exp_lock_fd}>>"$EXP_LOCK_FILE"; } 2>/dev/null || exec {_exp_lock_fd}<"$EXP_LOCK_FILE"
    if ! flock -w "${MEASURE_LOCK_WAIT:-5}" "$_exp_lock_fd"; then
        echo "$workload: not measured: another measurement holds $EXP_LOCK_FILE (try again later)"
        exit 0
    fi
    export FAST_SERVERS_BENCH_LOCK_HOLDER=$$
fi
# (No wait for old TIME_WAIT sockets under churn: a grade must stay short;
# MEASURE_TW_WAIT=1 waits, as make bench does.)
[ "$workload" = churn ] && [ "${MEASURE_TW_WAIT:-0}" = 1 ] && exp_wait_time_wait
unit="req/s"
[ "$workload" = slow-reader ] && unit=KiB
ratios=() mines=() refs=() cut_mine=0 cut_ref=0
rm -f "$out/mine.wakes" "$out/ref.wakes"
for round in $(seq "$rounds"); do
    order="ref mine"
    [ $((round % 2)) = 0 ] && order="mine ref"
    for who in $order; do
        bin=$ref
        [ $who = mine ] && bin=$mine
        start "$who" "$bin"
        read -r v cut < <(run_one)
        stop
        [ "$workload" = churn ] && awk '$2 == 0 && $4 == "wake" { w++ } $2 == 0 && $4 == "accept" { a++ }
            END { print w + 0, a + 0 }' "$out/$who.fdt" >>"$out/$who.wakes"
        v=${v:-0}
        [ "$workload" = slow-reader ] && v=$((v / 1024))
        if [ $who = mine ]; then m=$v cut_mine=$((cut_mine + ${cut:-0})); else r=$v cut_ref=$((cut_ref + ${cut:-0})); fi
    done
    x=$(ratio "$m" "$r" -)
    ratios+=("$x") mines+=("$m") refs+=("$r")
    echo "round $round: mine $m $unit, reference $r $unit: ${x}x"
done
exp_unlock

med=$(printf '%s\n' "${ratios[@]}" | median)
lo=$(printf '%s\n' "${ratios[@]}" | grep -v '^-$' | sort -g | head -n 1)
hi=$(printf '%s\n' "${ratios[@]}" | grep -v '^-$' | sort -g | tail -n 1)
if [ "$med" = - ]; then
    echo "$workload: not measured: the reference gave no figure (see $out)"
    exit 0
fi
verdict=$(awk -v lo="$lo" -v hi="$hi" 'BEGIN {
    if (lo <= 1 && hi >= 1) print "within the noise"
    else if (hi < 1) print "worse than the reference in every round"
    else print "better than the reference in every round" }')
detail="mine $(printf '%s\n' "${mines[@]}" | median) $unit, reference $(printf '%s\n' "${refs[@]}" | median) $unit"
if [ "$workload" = slow-reader ]; then
    detail="delivered to the slow readers per round: $detail"
    [ $cut_mine -gt 0 ] && detail="$detail; yours cut off $cut_mine of $((4 * rounds)) slow readers"
    [ $cut_ref -gt 0 ] && detail="$detail; the reference cut off $cut_ref"
fi
if [ "$workload" = churn ]; then
    per_wake() { awk '{ w += $1; a += $2 } END { if (w > 0) printf "%.1f", a / w; else print "-" }' "$out/$1.wakes"; }
    detail="$detail; accepts per wake-up of the accept thread: mine $(per_wake mine), reference $(per_wake ref)"
fi
printf '%s: mine/reference %sx (median of %d rounds, spread %sx-%sx): %s; %s\n' \
    "$workload" "$med" "$rounds" "$lo" "$hi" "$verdict" "$detail"
