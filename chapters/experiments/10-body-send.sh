#!/usr/bin/env bash
# Chapter 10 experiment: three ways to send a large body, measured by what
# they cost the server per request - CPU microseconds and system calls -
# which a loaded machine blurs far less than requests per second.
#
#   chapters/experiments/10-body-send.sh          64 KiB and 1 MiB, 3 rounds of 3 s
#   QUICK=1 chapters/experiments/10-body-send.sh  64 KiB only, 1 round of 1 s
#   BUILD, CONNS (wrk connections, default 16), ROUNDS
#
# The server is the bench's no-parse responder (scripts/bench/ceiling.c,
# 2 threads) with --send copy (send() from memory: the body copied into
# the socket), sendfile (the body's pages from a memfd, no copy on the
# sending side; epoll only) or zerocopy (MSG_ZEROCOPY: pages pinned, a
# completion note read back from the socket's error queue on epoll; on
# io_uring IORING_OP_SEND_ZC, whose note is a second completion). With no
# parser or routes in the way, the difference between rows is the send
# path alone. Rounds are interleaved; each figure is the median.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 10-body-send wrk perf
secs=3 rounds=${ROUNDS:-3} sizes="64 1024"
exp_quick && secs=1 rounds=1 sizes=64
conns=${CONNS:-16}
cc -O2 -o "$out/ceiling" scripts/bench/ceiling.c -luring -lpthread
events=task-clock,raw_syscalls:sys_enter
perf_works "$events" || { echo "10-body-send: perf cannot count $events here" >&2; exit 1; }

# run KIB IO MODE: prints "req/s cpu_us/req syscalls/req"
run() {
    local tag=$1-$2-$3 log pid
    log=$out/body-$tag
    "$out/ceiling" --io "$2" --body-kib "$1" --send "$3" >"$log.out" 2>&1 &
    pid=$!
    port=$(fastd_port "$log.out" "$pid") || { cat "$log.out" >&2; exit 1; }
    perf stat -x, -e "$events" -p "$pid" -o "$log.csv" &
    local pp=$!
    sleep 0.2
    wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/body" >"$log.wrk" 2>&1 || true
    kill -INT "$pp"
    wait "$pp" 2>/dev/null || true
    # A server that is gone already would have measured less than it
    # should: say so rather than stop or stay silent.
    kill -TERM "$pid" 2>/dev/null || echo "10-body-send: the $tag server had exited before the end of its run ($log.out)" >&2
    wait "$pid" 2>/dev/null || true
    local n
    n=$(wrk_requests "$log.wrk")
    echo "$(wrk_rps "$log.wrk")" \
        "$(ratio "$(perf_count "$log.csv" task-clock)" "$(awk -v n="$n" 'BEGIN { print n / 1000 }')" -)" \
        "$(ratio "$(perf_count "$log.csv" raw_syscalls:sys_enter)" "$n" -)"
}

declare -A rps cpu sys
modes=("epoll copy" "epoll sendfile" "epoll zerocopy" "uring copy" "uring zerocopy")
exp_lock
for _ in $(seq "$rounds"); do
    for k in $sizes; do
        for m in "${modes[@]}"; do
            # shellcheck disable=SC2086
            read -r a b c <<<"$(run "$k" $m)"
            rps[$k/$m]+=" $a" cpu[$k/$m]+=" $b" sys[$k/$m]+=" $c"
        done
    done
done
exp_unlock

echo "ceiling, wrk -t1 -c$conns, ${secs}s, median of $rounds interleaved rounds;"
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo
echo "| body | --io | send | req/s | CPU per request (us) | system calls per request |"
echo "|---|---|---|---:|---:|---:|"
for k in $sizes; do
    for m in "${modes[@]}"; do
        echo "| $k KiB | ${m% *} | ${m#* } | $(echo "${rps[$k/$m]}" | median) |" \
            "$(echo "${cpu[$k/$m]}" | median) | $(echo "${sys[$k/$m]}" | median) |"
    done
done
