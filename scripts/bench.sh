#!/usr/bin/env bash
# make bench: fastd (every arch, on both --io values) against nginx and h2o
# and a no-parse responder (the ceiling), under the same load from wrk on
# the same machine, on loopback.
#
#   workloads  keep-alive   64 connections, one request at a time each
#              pipelined    the same, 16 requests per write (TechEmpower style)
#              churn        a new connection per request (Connection: close)
#              body64k      GET /body: 64 KiB of zero bytes (body1m: 1 MiB,
#                           only when BENCH_WORKLOADS names it)
#   servers    fastd-{staged,shared-nothing,single}[-uring], and
#              fastd-{staged,shared-nothing}[-uring]-nopin (--no-pin: on a
#              machine the client shares, pinning decides more than the
#              design, chapter 8), nginx (2 workers), h2o (2 threads),
#              ceiling[-uring]
#              (scripts/bench/ceiling.c: answers without parsing - what
#              this machine can do; each row's "ceil" is its share of it)
#   each cell  wrk -t1 -c64 for BENCH_SECONDS (default 5), BENCH_ROUNDS
#              (default 3; QUICK=1: 1) rounds, the rounds interleaved (every
#              server once per workload, then again), so that a burst of
#              load on a shared machine falls on all servers alike.
#
# For each server and workload it prints the median req/s, the spread of
# the rounds ((max - min) / median), the share of the ceiling, the server's
# CPU microseconds per request (utime + stime of its processes from
# /proc/PID/stat over the cell, divided by the requests wrk completed),
# wrk's own CPU share of its core (near 100%: the client was the limit),
# and from a separate short run under perf stat, system calls and context
# switches per request. Then p50/p99 at a fixed offered rate below
# saturation from an open-loop client (build/bin/mixload: latency counted
# from each request's intended send time), and RSS per idle keep-alive
# connection (scripts/bench/idle_rss.c). The counts per request are the
# figures that survive a loaded machine; req/s does not. It ends with
# the issue's comparisons and their verdicts (scripts/bench/verdicts.sh),
# also in results.json; scripts/bench/held.sh counts them over runs.
#
# A reader can trust a row because the bench checks, before every cell,
# that the server answers the workload's GET with 200 and exactly the
# expected body, and after it that wrk saw no other status. A server that
# fails either gets no row: "REFUSED" and why, and the bench exits 1. The
# files the peers serve live in a folder the bench creates under /tmp with
# modes their unprivileged workers can read, so a tree cloned under a
# private folder still measures them (scripts/bench/cell.sh, make_www).
#
# Narrow a run with BENCH_SERVERS and BENCH_WORKLOADS (space-separated
# names); BENCH_SYSCALLS=0, BENCH_LATENCY=0, BENCH_MEM=0 skip those
# parts; BENCH_LOCK=0 runs without the measurement lock. Results: tables on stdout, build/bench/results.json.
#
# make bench MINE=1 sets BENCH_REF_FASTD to the reference fastd: then
# scripts/bench/mine.sh runs instead, the learner's fastd beside the
# reference row by row (that script says how).
#
# Churn cells first wait until the kernel has at most BENCH_TW_MAX
# (default 60000) TIME_WAIT sockets left (exp_wait_time_wait;
# BENCH_TW_WAIT=0 skips it): a 3-second churn cell leaves about 14,000,
# and runs among 14,000 and among 84,000 measured within 5% of each other
# (chapter 8), while waiting each cell out to 2,000 cost a minute a cell.
# The whole run holds the measurement lock (exp_lock), as the chapters'
# experiment scripts do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../chapters/experiments/lib.sh"
BUILD=${1:-build}
[ -n "${BENCH_REF_FASTD:-}" ] && exec "$here/bench/mine.sh" "$BUILD" "$BENCH_REF_FASTD"
exp_setup -o bench bench wrk curl fastd mixload
source "$here/bench/cell.sh"
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-64}
rounds=${BENCH_ROUNDS:-3}
exp_quick && rounds=1
out=$(cd "$out" && pwd) # absolute: nginx and h2o run from their own folders
make_www
trap 'rm -rf "$www"; exp_cleanup' EXIT

cc -O2 -o "$out/idle_rss" "$here/bench/idle_rss.c"
cc -O2 -o "$out/ceiling" "$here/bench/ceiling.c" -luring -lpthread

servers=()
for s in ${BENCH_SERVERS:-fastd-staged fastd-staged-uring fastd-staged-nopin \
    fastd-staged-uring-nopin fastd-shared-nothing fastd-shared-nothing-uring \
    fastd-shared-nothing-nopin fastd-shared-nothing-uring-nopin fastd-single \
    fastd-single-uring nginx h2o ceiling ceiling-uring}; do
    case $s in
    nginx | h2o) command -v "$s" >/dev/null || { echo "bench: $s not installed: no row"; continue; } ;;
    esac
    servers+=("$s")
done
workloads=(${BENCH_WORKLOADS:-keep-alive pipelined churn body64k})
declare -A rps cpu client calls refused lat mem
nrefused=0

# refuse SERVER WORKLOAD: no row for this pair from now on, and why.
refuse() {
    refused[$1/$2]=$why
    nrefused=$((nrefused + 1))
    echo "bench: REFUSED $1 $2: $why" >&2
}

echo "bench: wrk -t1 -c$conns, ${secs}s per cell, $rounds rounds, $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
# BENCH_LOCK=0: no lock, for the self-checks (tests/load/test_bench.c),
# whose one-second figures nobody reads.
[ "${BENCH_LOCK:-1}" != 0 ] && exp_lock
for r in $(seq "$rounds"); do
    for w in "${workloads[@]}"; do
        for s in "${servers[@]}"; do
            [ -n "${refused[$s/$w]:-}" ] && continue
            if [ "$w" = churn ] && [ "${BENCH_TW_WAIT:-1}" != 0 ]; then exp_wait_time_wait "${BENCH_TW_MAX:-60000}"; fi
            if ! start_server "$s" "$w"; then
                refuse "$s" "$w"
                stop_server
                continue
            fi
            if ! check_answer "$w" || ! m=$(measure "$s" "$w"); then
                refuse "$s" "$w"
            else
                read -r m_rps m_cpu m_client <<<"$m"
                rps[$s/$w]+=" $m_rps" cpu[$s/$w]+=" $m_cpu" client[$s/$w]+=" $m_client"
                printf '  round %d %-32s %-10s %10.0f req/s %8s us CPU/req  wrk %s%%\n' \
                    "$r" "$s" "$w" "$m_rps" "$m_cpu" "$m_client"
            fi
            # The counts and the latency, once per cell, after round 1.
            if [ "$r" = 1 ] && [ -z "${refused[$s/$w]:-}" ]; then
                if [ "${BENCH_SYSCALLS:-1}" != 0 ] && perf_works raw_syscalls:sys_enter; then
                    calls[$s/$w]=$(count_calls "$s" "$w")
                fi
                if [ "$w" = keep-alive ] && [ "${BENCH_LATENCY:-1}" != 0 ]; then
                    lat[$s]=$(open_loop "$s")
                fi
            fi
            stop_server
        done
    done
done
# Memory: RSS per idle keep-alive connection (each answered once).
mem_conns=${BENCH_MEM_CONNS:-10000}
exp_quick && mem_conns=2000
if [ "${BENCH_MEM:-1}" != 0 ]; then
    for s in "${servers[@]}"; do
        start_server "$s" keep-alive || continue
        # shellcheck disable=SC2046
        mem[$s]=$("$out/idle_rss" "$port" "$mem_conns" $(server_pids | tr , ' ') \
            2>"$out/$s-mem.err" | awk '{ print $4 }') || true
        stop_server
    done
fi
exp_unlock

# spread: (max - min) / median of the numbers on stdin, as a percentage.
spread() {
    sort -g | awk '{ v[NR] = $1 } END {
        m = v[int((NR + 1) / 2)]; if (NR < 2 || m <= 0) print "-"; else printf "%.0f%%\n", 100 * (v[NR] - v[1]) / m }'
}

json=()
bound=${BENCH_CLIENT_BOUND:-95}
for w in "${workloads[@]}"; do
    echo
    echo "$w (median of $rounds; spread = (max - min) / median; ceil = share of the ceiling on the same --io;"
    echo "  wrk = the client's CPU share of one core, * when >= $bound%: the client was the limit):"
    printf '  %-32s %10s %7s %6s %9s %5s %10s %10s\n' server req/s spread ceil 'CPU us/rq' wrk 'calls/req' 'ctxsw/req'
    for s in "${servers[@]}"; do
        if [ -n "${refused[$s/$w]:-}" ]; then
            printf '  %-32s REFUSED: %s\n' "$s" "${refused[$s/$w]}"
            continue
        fi
        med=$(echo "${rps[$s/$w]:-}" | median)
        sp=$(echo "${rps[$s/$w]:-}" | tr ' ' '\n' | grep . | spread)
        c=$(echo "${cpu[$s/$w]:-}" | median)
        cl=$(echo "${client[$s/$w]:-}" | median)
        mark=
        [ "$cl" != - ] && [ "$cl" -ge "$bound" ] && mark='*'
        ceil=ceiling
        [[ $s == *-uring* ]] && ceil=ceiling-uring
        cm=$(echo "${rps[$ceil/$w]:-}" | median)
        share=$(ratio "$med" "$cm" -)
        read -r sc cs <<<"${calls[$s/$w]:-- -}"
        printf '  %-32s %10.0f %7s %6s %9s %5s %10s %10s\n' "$s" "$med" "$sp" "$share" "$c" "$cl$mark" "$sc" "$cs"
        json+=("{\"server\":\"$s\",\"workload\":\"$w\",\"rps\":$med,\"rounds\":[$(echo ${rps[$s/$w]} | tr ' ' ,)],\"cpu_us_per_req\":$([ "$c" = - ] && echo null || echo "$c"),\"client_cpu_percent\":$([ "$cl" = - ] && echo null || echo "$cl"),\"syscalls_per_req\":$([ "$sc" = - ] && echo null || echo "$sc"),\"ctxsw_per_req\":$([ "$cs" = - ] && echo null || echo "$cs")}")
    done
done

if [ "${BENCH_LATENCY:-1}" != 0 ] && [[ " ${workloads[*]} " == *" keep-alive "* ]]; then
    echo
    echo "latency at ${BENCH_RATE:-10000} req/s offered over $conns connections (mixload, open loop, ${BENCH_LAT_SECONDS:-3}s):"
    printf '  %-32s %9s %9s %12s\n' server p50_us p99_us achieved/s
    for s in "${servers[@]}"; do
        [ -n "${lat[$s]:-}" ] || continue
        read -r a b c <<<"${lat[$s]}"
        printf '  %-32s %9s %9s %12s\n' "$s" "$a" "$b" "$c"
    done
fi
if [ "${BENCH_MEM:-1}" != 0 ]; then
    echo
    echo "memory: RSS per idle keep-alive connection at $mem_conns connections (bytes):"
    for s in "${servers[@]}"; do printf '  %-32s %9s\n' "$s" "${mem[$s]:-?}"; done
fi

# The issue's comparisons, each with its target and verdict
# (scripts/bench/verdicts.sh says how they are judged); several runs'
# results.json: scripts/bench/held.sh counts how often each held.

{
    printf '{"machine":{"cores":%d,"kernel":"%s","date":"%s","load":"%s","wrk":"-t1 -c%d -d%ss","rounds":%d},\n' \
        "$(nproc)" "$(uname -r)" "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$conns" "$secs" "$rounds"
    printf ' "rows":[%s],\n' "$(IFS=,; echo "${json[*]}")"
    printf ' "refused":%d}\n' "$nrefused"
} >"$out/results.json"
echo
echo "comparisons (ratio of medians; >= target means the first is ahead by that much):"
"$here/bench/verdicts.sh" "$out/results.json"
jq --argjson c "$("$here/bench/verdicts.sh" --json "$out/results.json")" '. + {comparisons: $c}' \
    "$out/results.json" >"$out/results.json.new" && mv "$out/results.json.new" "$out/results.json"
echo
echo "bench: results in $out/results.json; logs in $out/"
if [ "$nrefused" -gt 0 ]; then
    echo "bench: $nrefused row(s) refused, each for the reason printed in its place" >&2
    exit 1
fi
