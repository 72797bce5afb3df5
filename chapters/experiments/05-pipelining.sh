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
# /tmp/fast-servers-bench.lock so that no other measurement overlaps them
# (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 05 wrk fastd
secs=5 rounds=3
if exp_quick; then secs=1 rounds=1; fi
conns=${CONNS:-64}

events=task-clock,raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait
use_perf=0
perf_works "$events" && use_perf=1

# One run against a fresh fastd; prints "req/s requests cpu_ms syscalls recvs".
measure() { # depth
    local depth=$1 log=$out/depth$1.log csv=$out/depth$1.csv args=""
    [ "$depth" -gt 1 ] && args="-s scripts/bench/pipeline.lua"
    local load="wrk -t1 -c$conns -d${secs}s $args \$FASTD_URL/plaintext"
    [ $use_perf = 1 ] &&
        load="perf stat -x, -e $events -o $csv -p \$FASTD_PID -- $load"
    rm -f "$csv"
    BENCH_DEPTH=$depth scripts/with-fastd --quiet -- "$load" >"$log" 2>&1
    echo "$(wrk_rps_exact "$log") $(wrk_requests "$log")" \
        "$(perf_count "$csv" task-clock) $(perf_count "$csv" raw_syscalls:sys_enter)" \
        "$(perf_count "$csv" syscalls:sys_enter_recvfrom)"
}

depths=(1 4 16)
exp_lock
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
exp_unlock

med() { median <<<"${col[$1]}"; }
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
    ratio=$(ratio "$v" "$base")
    s=$(med "$d,sys") q=$(med "$d,rcv") c=$(med "$d,cpu")
    [ "$s" = - ] && s=n/a q=n/a c=n/a
    printf '| %s | %.0f | %s | %s | %s | %s |\n' "$name" "$v" "$ratio" "$q" "$s" "$c"
done
