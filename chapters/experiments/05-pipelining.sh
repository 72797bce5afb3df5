#!/usr/bin/env bash
# Chapter 5 experiment: what pipelining does to the request stage. fastd
# (staged, its defaults) under wrk with one request in flight per
# connection (keep-alive), then 4 and 16 requests per write (pipelined,
# scripts/bench/pipeline.lua). For each run: requests per second, and from
# `perf stat -p` on fastd: system calls, recv() calls and CPU time per
# request.
#
#   QUICK=1   1-second runs, one round (default: 5-second runs, 3 rounds)
#   BUILD     build directory (default build)
#   CONNS     wrk connections (default 64)
#
# The syscall columns need perf's syscall tracepoints (root, or
# kernel.perf_event_paranoid <= -1); without them they show "n/a".
# Each round runs every depth once, in turn; the table shows medians and
# the ratio to keep-alive measured in the same run. Wall-clock runs hold
# /tmp/fast-servers-bench.lock so that no other measurement overlaps them.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
secs=5 rounds=3
if [ "${QUICK:-0}" = 1 ]; then secs=1 rounds=1; fi
conns=${CONNS:-64}
out=$build/experiments/05
mkdir -p "$out"
command -v wrk >/dev/null || { echo "05: wrk is missing: run 'make deps'" >&2; exit 1; }
[ -x "$build/bin/fastd" ] || { echo "05: build fastd first: make BUILD=$build" >&2; exit 1; }

events=task-clock,raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait
use_perf=0
if command -v perf >/dev/null && perf stat -e "$events" -o /dev/null -- true 2>/dev/null; then
    use_perf=1
fi

# One run against a fresh fastd; prints "req/s requests cpu_ms syscalls recvs".
measure() { # depth
    local depth=$1 log=$out/depth$1.log csv=$out/depth$1.csv args=""
    [ "$depth" -gt 1 ] && args="-s scripts/bench/pipeline.lua"
    local load="wrk -t1 -c$conns -d${secs}s $args \$FASTD_URL/plaintext"
    [ $use_perf = 1 ] &&
        load="perf stat -x, -e $events -o $csv -p \$FASTD_PID -- $load"
    rm -f "$csv"
    BENCH_DEPTH=$depth BUILD=$build scripts/with-fastd --quiet -- "$load" >"$log" 2>&1
    local rps reqs
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$log")
    reqs=$(awk '/ requests in / { print $1 }' "$log")
    if [ -s "$csv" ]; then
        awk -F, -v rps="$rps" -v reqs="$reqs" '
            $3 == "task-clock" { cpu = $1 }
            $3 == "raw_syscalls:sys_enter" { sys = $1 }
            $3 == "syscalls:sys_enter_recvfrom" { rcv = $1 }
            END { print rps, reqs, cpu, sys, rcv }' "$csv"
    else
        echo "$rps $reqs - - -"
    fi
}

median() { grep -v '^-$' | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }

depths=(1 4 16)
exec 9>/tmp/fast-servers-bench.lock
flock 9
declare -A col
for ((r = 1; r <= rounds; r++)); do
    for d in "${depths[@]}"; do
        read -r rps reqs cpu sys rcv < <(measure "$d")
        # Per-request figures of this run, kept for the medians.
        col[$d,rps]+="$rps "
        if [ "$sys" != - ] && [ "${reqs:-0}" -gt 0 ]; then
            col[$d,sys]+="$(awk -v a="$sys" -v n="$reqs" 'BEGIN { printf "%.3f", a / n }') "
            col[$d,rcv]+="$(awk -v a="$rcv" -v n="$reqs" 'BEGIN { printf "%.1f", n / a }') "
            col[$d,cpu]+="$(awk -v a="$cpu" -v n="$reqs" 'BEGIN { printf "%.2f", a * 1000 / n }') "
        else
            col[$d,sys]+="- " col[$d,rcv]+="- " col[$d,cpu]+="- "
        fi
    done
done
flock -u 9

med() { tr ' ' '\n' <<<"${col[$1]}" | grep . | median; }
echo "fastd (staged, defaults) under wrk -t1 -c$conns, ${secs} s per run, median of $rounds round(s), $(nproc) cores, kernel $(uname -r)"
[ $use_perf = 1 ] || echo "(perf syscall tracepoints unavailable here: per-request columns are n/a)"
echo
echo "| requests per write | req/s | ratio to keep-alive | requests per recv() | syscalls per request | fastd CPU per request (us) |"
echo "|---|---:|---:|---:|---:|---:|"
base=$(med 1,rps)
for d in "${depths[@]}"; do
    name="$d (pipelined)"
    [ "$d" = 1 ] && name="1 (keep-alive)"
    v=$(med "$d,rps")
    ratio=$(awk -v a="$v" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    s=$(med "$d,sys") q=$(med "$d,rcv") c=$(med "$d,cpu")
    [ "$s" = - ] && s=n/a q=n/a c=n/a
    printf '| %s | %.0f | %s | %s | %s | %s |\n' "$name" "$v" "$ratio" "$q" "$s" "$c"
done
