#!/usr/bin/env bash
# Chapter 8 experiment: what each arch does per request, counted - the
# figures a loaded machine does not blur - and how the work splits across
# its threads (accept balance, from /stats).
#
#   chapters/experiments/08-arch-counts.sh          staged and shared-nothing,
#                                                   both --io, 3 s runs
#   QUICK=1 chapters/experiments/08-arch-counts.sh  epoll only, 1 s runs
#   BUILD, CONNS (wrk connections, default 64)
#
# For each arch, --io and workload (keep-alive; churn: Connection: close)
# one wrk -t1 run under `perf stat -p` (task-clock, context switches,
# system calls), then /stats: connections accepted and requests answered
# by each thread. Churn runs wait out TIME_WAIT first (exp_wait_time_wait).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 08-arch-counts wrk curl perf fastd
secs=3 ios="epoll uring"
exp_quick && secs=1 ios=epoll
conns=${CONNS:-64}
events=task-clock,context-switches,raw_syscalls:sys_enter
perf_works "$events" || { echo "08-arch-counts: perf cannot count $events here" >&2; exit 1; }

# shares JSON FIELD: each thread's FIELD from /stats, "a/b" in percent.
shares() {
    python3 -c 'import json, sys
t = json.load(sys.stdin)["threads"]
f = sys.argv[1]
s = sum(x[f] for x in t)
print("/".join("%.0f" % (100.0 * x[f] / s if s else 0) for x in t))' "$1"
}

echo "| arch | --io | workload | CPU per request (us) | context switches per request | system calls per request | accepted per thread (%) | requests per thread (%) |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
exp_lock
for arch in staged shared-nothing; do
    for io in $ios; do
        for w in keep-alive churn; do
            tag=$arch-$io-$w
            args=()
            if [ $w = churn ]; then
                args=(-H 'Connection: close')
                exp_quick || exp_wait_time_wait
            fi
            exp_start_fastd "$out/$tag.out" --quiet --arch "$arch" --io "$io"
            perf stat -x, -e "$events" -p "$fastd_pid" -o "$out/$tag.csv" &
            pp=$!
            sleep 0.2
            wrk -t1 -c"$conns" -d"${secs}s" "${args[@]}" "$url/plaintext" >"$out/$tag.wrk" 2>&1 || true
            kill -INT "$pp"
            wait "$pp" 2>/dev/null || true
            curl -s "$url/stats" >"$out/$tag.json"
            exp_stop_fastd
            n=$(wrk_requests "$out/$tag.wrk")
            echo "| $arch | $io | $w" \
                "| $(ratio "$(perf_count "$out/$tag.csv" task-clock)" "$(awk -v n="$n" 'BEGIN { print n / 1000 }')" -)" \
                "| $(ratio "$(perf_count "$out/$tag.csv" context-switches)" "$n" -)" \
                "| $(ratio "$(perf_count "$out/$tag.csv" raw_syscalls:sys_enter)" "$n" -)" \
                "| $(shares accepted <"$out/$tag.json") | $(shares requests <"$out/$tag.json") |"
        done
    done
done
exp_unlock
echo
echo "fastd pinned (its default), wrk -t1 -c$conns, ${secs}s per run; $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
