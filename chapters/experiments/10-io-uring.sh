#!/usr/bin/env bash
# Chapter 10 experiment: system calls per request, epoll against io_uring,
# one thread each, same load. The epoll side is fastd --arch single; the
# io_uring side is exercise 08's uring_serve() (the reference solution, or
# your own file with URING_SRC=exercises/08-io-uring/uring.c) behind a tiny
# main that listens on a free port. Both run unpinned, so neither is helped
# or hurt by a core choice the other does not get.
#
#   QUICK=1     1-second runs, one round (default: 5-second runs, 3 rounds)
#   BUILD       build directory (default build)
#   CONNS       wrk connections (default 64)
#   URING_SRC   the uring_serve() to measure
#
# The script also times a system call that does nothing (`perf bench
# syscall basic`, a getppid() loop; the fastest of 5 runs): the price of
# one crossing into the kernel and back, which is what io_uring saves.
#
# Per-request columns come from `perf stat -p` with syscall tracepoints
# (root, or kernel.perf_event_paranoid <= -1); without them they show n/a.
# Where io_uring is unavailable (kernel.io_uring_disabled, seccomp, an old
# kernel) its row says so and the epoll rows are still measured.
# Wall-clock runs hold /tmp/fast-servers-bench.lock so that no other
# measurement on this machine overlaps them (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 10 wrk fastd
secs=5 rounds=3
if exp_quick; then secs=1 rounds=1; fi
conns=${CONNS:-64}
src=${URING_SRC:-exercises/08-io-uring/solution/uring.c}

events=task-clock,raw_syscalls:sys_enter,syscalls:sys_enter_io_uring_enter
use_perf=0
if perf_works "$events"; then
    use_perf=1
    # How often io_uring arms its internal poll (a receive that found no
    # data and must wait): readiness, hidden inside the kernel.
    perf_works "$events,io_uring:io_uring_poll_arm" && events=$events,io_uring:io_uring_poll_arm
fi

# A main for uring_serve(): listen on a free loopback port, print it, serve.
cat >"$out/uring-main.c" <<'EOF'
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "uring.h"

int main(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof sa;
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0) {
        perror("uring-serve: bind/listen");
        return 1;
    }
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    printf("port %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    if (uring_serve(lfd, INT_MAX) < 0) {
        fprintf(stderr, "uring-serve: io_uring_queue_init failed\n");
        return 1;
    }
    return 0;
}
EOF
uring_ok=1 why=""
if ! cc -O2 -Wall -Iexercises/08-io-uring -o "$out/uring-serve" "$out/uring-main.c" "$src" \
    -luring 2>"$out/cc.log"; then
    uring_ok=0 why="does not compile (see $out/cc.log)"
fi
disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo "absent")

# parse LOG CSV: prints "req/s requests cpu_ms syscalls uring_enters poll_arms"
parse() {
    echo "$(wrk_rps_exact "$1") $(wrk_requests "$1")" \
        "$(perf_count "$2" task-clock) $(perf_count "$2" raw_syscalls:sys_enter)" \
        "$(perf_count "$2" syscalls:sys_enter_io_uring_enter) $(perf_count "$2" io_uring:io_uring_poll_arm)"
}

wrk_cmd() { # workload -> wrk arguments before the URL
    case $1 in
    keep-alive) echo "wrk -t1 -c$conns -d${secs}s" ;;
    pipelined) echo "wrk -t1 -c$conns -d${secs}s -s scripts/bench/pipeline.lua" ;;
    esac
}

measure() { # server workload
    local log=$out/$1-$2.log csv=$out/$1-$2.csv load
    load=$(wrk_cmd "$2")
    rm -f "$csv" "$log"
    case $1 in
    epoll)
        [ $use_perf = 1 ] && load="perf stat -x, -e $events -o $csv -p \$FASTD_PID -- $load"
        scripts/with-fastd --arch single --no-pin --quiet -- \
            "$load \$FASTD_URL/plaintext" >"$log" 2>&1
        ;;
    uring)
        "$out/uring-serve" >"$out/uring.port" 2>"$out/uring.err" &
        local upid=$! port=
        for _ in $(seq 100); do
            port=$(awk '{ print $2 }' "$out/uring.port" 2>/dev/null)
            [ -n "$port" ] && break
            kill -0 "$upid" 2>/dev/null || break
            sleep 0.05
        done
        sleep 0.1 # uring_serve() sets its ring up after printing the port
        if [ -z "$port" ] || ! kill -0 "$upid" 2>/dev/null; then
            wait "$upid" 2>/dev/null || true
            return 1
        fi
        [ $use_perf = 1 ] && load="perf stat -x, -e $events -o $csv -p $upid -- $load"
        $load "http://127.0.0.1:$port/plaintext" >"$log" 2>&1 || true
        kill "$upid" 2>/dev/null
        wait "$upid" 2>/dev/null || true
        ;;
    esac
    parse "$log" "$csv"
}

runs=("epoll keep-alive" "uring keep-alive" "epoll pipelined")
exp_lock
crossing=n/a
if command -v perf >/dev/null; then
    crossing=$(for _ in 1 2 3 4 5; do
        perf bench syscall basic -l 1000000 2>/dev/null | awk '/usecs\/op/ { print $1 }'
    done | sort -g | head -n 1)
    crossing=${crossing:-n/a}
fi
declare -A col
for ((r = 1; r <= rounds; r++)); do
    for run in "${runs[@]}"; do
        set -- $run
        if [ "$1" = uring ] && [ $uring_ok = 0 ]; then continue; fi
        if ! res=$(measure "$1" "$2"); then
            uring_ok=0 why="unavailable: $(cat "$out/uring.err")"
            continue
        fi
        read -r rps reqs cpu sys ue pa <<<"$res"
        col[$run,rps]+="$rps "
        if [ "$sys" != - ] && [ "${reqs:-0}" -gt 0 ]; then
            col[$run,sys]+="$(awk -v a="$sys" -v n="$reqs" 'BEGIN { printf "%.3f", a / n }') "
            col[$run,ue]+="$(awk -v a="$ue" -v n="$reqs" 'BEGIN { printf "%.3f", a / n }') "
            col[$run,cpu]+="$(awk -v a="$cpu" -v n="$reqs" 'BEGIN { printf "%.2f", a * 1000 / n }') "
            [ "$pa" != - ] &&
                col[$run,pa]+="$(awk -v a="$pa" -v n="$reqs" 'BEGIN { printf "%.2f", a / n }') "
        fi
    done
done
exp_unlock

med() { median <<<"${col[$1]:-}"; }
echo "One server thread each, unpinned; wrk -t1 -c$conns, ${secs} s per run, median of $rounds round(s)."
echo "$(nproc) cores, kernel $(uname -r), kernel.io_uring_disabled=$disabled, io_uring side: $src"
[ $use_perf = 1 ] || echo "(perf syscall tracepoints unavailable here: per-request columns are n/a)"
echo "One system call that does nothing (perf bench syscall basic, fastest of 5): $crossing us."
echo
echo "| server | load | req/s | ratio to epoll keep-alive | syscalls per request | of which io_uring_enter | io_uring poll arms per request | server CPU per request (us) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
base=$(med "epoll keep-alive,rps")
for run in "${runs[@]}"; do
    set -- $run
    name="fastd --arch single (epoll)"
    [ "$1" = uring ] && name="exercise 08 uring_serve (io_uring)"
    if [ "$1" = uring ] && [ $uring_ok = 0 ]; then
        echo "| $name | $2 | skipped: io_uring $why | | | | | |"
        continue
    fi
    v=$(med "$run,rps")
    ratio=$(ratio "$v" "$base")
    s=$(med "$run,sys") u=$(med "$run,ue") c=$(med "$run,cpu") p=$(med "$run,pa")
    [ "$s" = - ] && s=n/a u=n/a c=n/a
    [ "$p" = - ] && p=n/a
    printf '| %s | %s | %.0f | %s | %s | %s | %s | %s |\n' "$name" "$2" "$v" "$ratio" "$s" "$u" "$p" "$c"
done
