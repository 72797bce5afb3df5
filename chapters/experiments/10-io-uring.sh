#!/usr/bin/env bash
# Chapter 10 experiment: fastd --io epoll against fastd --io uring, the
# same server and the same HTTP code, under the same load: requests per
# second, system calls, io_uring poll arms and CPU time per request.
#
#   chapters/experiments/10-io-uring.sh           3 archs, 4 workloads, 5 s runs
#   QUICK=1 chapters/experiments/10-io-uring.sh   arch single, keep-alive and
#                                                 the 64 KiB body, 1 s runs
#   BUILD, CONNS (wrk connections, default 64), ARCHS ("single staged ...")
#
# Workloads (wrk -t1): keep-alive (one request at a time per connection),
# pipelined (16 per write), churn (a new connection per request) and
# body64k (keep-alive GETs of a 64 KiB body: fastd --body-kib 64), the
# large-response case where each system call already moves 64 KiB.
# fastd runs unpinned (--no-pin), so neither side is helped or hurt by a
# core choice the other does not get. The script also times a system call
# that does nothing (`perf bench syscall basic`, fastest of 5): the price
# of the crossing io_uring saves.
#
# Per-request columns come from `perf stat -p` (task-clock, the
# raw_syscalls:sys_enter tracepoint, io_uring_enter, io_uring's
# poll-arm tracepoint: a request that found no data and had to wait;
# context switches: a thread's sleeps and preemptions; page faults: what
# a buffer mapped anew per request costs, issue 23);
# without perf's tracepoints they show n/a. Where io_uring is unavailable
# its rows say why and the epoll rows are still measured. The runs hold
# the measurement lock (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 10 wrk fastd
secs=5 archs=${ARCHS:-single shared-nothing staged}
workloads="keep-alive pipelined churn body64k"
if exp_quick; then secs=1 archs=${ARCHS:-single} workloads="keep-alive body64k"; fi
conns=${CONNS:-64}

events=task-clock,raw_syscalls:sys_enter,syscalls:sys_enter_io_uring_enter,context-switches,page-faults
use_perf=0
if perf_works "$events"; then
    use_perf=1
    perf_works "$events,io_uring:io_uring_poll_arm" && events=$events,io_uring:io_uring_poll_arm
fi
disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo "absent")
uring_ok=1 why=
rc=0
timeout 1 "$build/bin/fastd" --io uring --port 0 --quiet >"$out/probe.out" 2>&1 || rc=$?
[ $rc = 124 ] || { uring_ok=0 why=$(tail -n 1 "$out/probe.out"); }

# wrk_for WORKLOAD: sets wargs (wrk's options, an array: wrk sends a -H
# header only when ": " splits it, so "Connection:close" as one word was
# no header and churn measured keep-alive) and path.
wrk_for() {
    wargs=() path=/plaintext
    case $1 in
    pipelined) wargs=(-s scripts/bench/pipeline.lua) ;;
    churn) wargs=(-H 'Connection: close') ;;
    body64k) path=/body ;;
    esac
}

# measure ARCH IO WORKLOAD: prints "req/s syscalls/req enters/req arms/req
# cpu_us/req ctxsw/req faults/req"
measure() {
    local tag=$1-$2-$3
    wrk_for "$3"
    [ "$3" = churn ] && ! exp_quick && exp_wait_time_wait
    exp_start_fastd "$out/$tag.out" --quiet --no-pin --arch "$1" --io "$2" --body-kib 64
    local pp=
    if [ $use_perf = 1 ]; then
        perf stat -x, -e "$events" -p "$fastd_pid" -o "$out/$tag.csv" &
        pp=$!
        sleep 0.2
    fi
    wrk -t1 -c"$conns" -d${secs}s "${wargs[@]}" "$url$path" >"$out/$tag.wrk" 2>&1 || true
    if [ -n "$pp" ]; then kill -INT "$pp"; wait "$pp" 2>/dev/null || true; fi
    exp_stop_fastd
    local n
    n=$(wrk_requests "$out/$tag.wrk")
    if [ $use_perf = 1 ]; then
        echo "$(wrk_rps "$out/$tag.wrk")" \
            "$(ratio "$(perf_count "$out/$tag.csv" raw_syscalls:sys_enter)" "$n" n/a)" \
            "$(ratio "$(perf_count "$out/$tag.csv" syscalls:sys_enter_io_uring_enter)" "$n" n/a)" \
            "$(ratio "$(perf_count "$out/$tag.csv" io_uring:io_uring_poll_arm)" "$n" n/a)" \
            "$(ratio "$(perf_count "$out/$tag.csv" task-clock)" "$((n / 1000))" n/a)" \
            "$(ratio "$(perf_count "$out/$tag.csv" context-switches)" "$n" n/a)" \
            "$(ratio "$(perf_count "$out/$tag.csv" page-faults)" "$n" n/a)"
    else
        echo "$(wrk_rps "$out/$tag.wrk") n/a n/a n/a n/a n/a n/a"
    fi
}

exp_lock
crossing=n/a
if command -v perf >/dev/null; then
    crossing=$(for _ in 1 2 3 4 5; do
        perf bench syscall basic -l 1000000 2>/dev/null | awk '/usecs\/op/ { print $1 }'
    done | sort -g | head -n 1)
    crossing=${crossing:-n/a}
fi
declare -A row
for arch in $archs; do
    for w in $workloads; do
        row[$arch,$w,epoll]=$(measure "$arch" epoll "$w")
        if [ $uring_ok = 1 ]; then row[$arch,$w,uring]=$(measure "$arch" uring "$w"); fi
    done
done
exp_unlock

echo "fastd --no-pin, wrk -t1 -c$conns, ${secs} s per run, one run each."
echo "$(nproc) cores, kernel $(uname -r), kernel.io_uring_disabled=$disabled."
[ $use_perf = 1 ] || echo "(perf syscall tracepoints unavailable here: per-request columns are n/a)"
echo "One system call that does nothing (perf bench syscall basic, fastest of 5): $crossing us."
echo
echo "| arch | workload | --io | req/s | uring / epoll | syscalls per request | of which io_uring_enter | poll arms per request | CPU per request (us) | context switches per request | page faults per request |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for arch in $archs; do
    for w in $workloads; do
        for io in epoll uring; do
            if [ $io = uring ] && [ $uring_ok = 0 ]; then
                echo "| $arch | $w | uring | skipped: $why | | | | | | | |"
                continue
            fi
            read -r rps sys ue pa cpu cs pf <<<"${row[$arch,$w,$io]}"
            base=${row[$arch,$w,epoll]%% *}
            r=1.00
            [ $io = uring ] && r=$(ratio "$rps" "$base")
            echo "| $arch | $w | $io | $rps | $r | $sys | $ue | $pa | $cpu | $cs | $pf |"
        done
    done
done
