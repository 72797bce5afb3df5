#!/usr/bin/env bash
# 11-spread.sh: who accepts, and who serves? The kernel's SO_REUSEPORT
# hash against one shared listener, measured from fastd's /stats.
#
#   flock /tmp/fast-servers-bench.lock chapters/experiments/11-spread.sh
#   QUICK=1 chapters/experiments/11-spread.sh     (1 s runs, no waits)
#
# Four configurations of fastd take the same churn load (wrk, a new
# connection per request), light (4 connections) and heavy (64):
#   shared-nothing, 2 threads   a SO_REUSEPORT listener per thread
#   shared-nothing, 4 threads   the same with 2 threads per core
#   staged, 1 accept thread     one listener, round-robin hand-off
#   staged, 2 accept threads    one listener in two epoll sets
#                               (EPOLLEXCLUSIVE: the kernel wakes one)
# For each, /stats gives every thread's accepted and served connections.
# The table shows the share of connections each thread accepted, the
# busiest thread's share over a fair share (1.00 = perfectly even), how
# many connections changed thread after accept (hand-offs), and req/s.
# Counts do not depend on the machine's noise; req/s does. Output: a
# Markdown table; logs in $BUILD/experiments/11/.
set -euo pipefail
build=${BUILD:-build}
secs=4
[ "${QUICK:-0}" = 1 ] && secs=1
fastd=$build/bin/fastd
out=$build/experiments/11
mkdir -p "$out"
command -v wrk >/dev/null || { echo "11-spread: wrk is missing: run 'make deps'"; exit 1; }
[ -x "$fastd" ] || { echo "11-spread: run 'make' first"; exit 1; }

fastd_pid=
cleanup() { [ -n "$fastd_pid" ] && kill "$fastd_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_time_wait() { # as scripts/bench.sh: old 4-tuples slow new connections
    [ "${QUICK:-0}" = 1 ] && return 0
    local waited=0
    while [ "$(ss -Htan state time-wait | wc -l)" -gt 2000 ] && [ $waited -lt 70 ]; do
        sleep 5
        waited=$((waited + 5))
    done
}

echo "| configuration | wrk connections | accepted by each thread | busiest / fair | served by each thread | hand-offs | req/s |"
echo "|---|---:|---|---:|---|---:|---:|"
run() { # connections label fastd-flags...
    local conns=$1 label=$2 port=
    shift 2
    wait_time_wait
    "$fastd" --port 0 --quiet "$@" >"$out/fastd.out" 2>&1 &
    fastd_pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out/fastd.out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "11-spread: fastd did not start"; cat "$out/fastd.out"; exit 1; }
    wrk -t1 -c"$conns" -d${secs}s -H "Connection: close" "http://127.0.0.1:$port/plaintext" >"$out/wrk.out" 2>&1 || true
    curl -s "http://127.0.0.1:$port/stats" >"$out/stats.json"
    kill -TERM "$fastd_pid"
    wait "$fastd_pid" || true
    fastd_pid=
    local rps
    rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$out/wrk.out")
    # One thread object per line: id, stage, accepted, handed_off, conns
    # served (closed ones: every churn connection is closed by the end).
    sed 's/},{/}\n{/g; s/\],"total".*//' "$out/stats.json" |
        sed -n 's/.*"stage":"\([a-z]*\)".*"accepted":\([0-9]*\),"handed_off":\([0-9]*\).*"closed_normal":\([0-9]*\),"closed_error":\([0-9]*\),"closed_timeout":\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' |
        awk -v label="$label" -v rps="$rps" -v conns="$conns" '
            {stage[NR] = $1; acc[NR] = $2; hand += $3; served[NR] = $4 + $5 + $6; tacc += $2; tsrv += $4 + $5 + $6}
            END {
                na = 0; maxa = 0; sa = ""; ss = ""
                for (i = 1; i <= NR; i++) {
                    if (stage[i] != "request") {
                        na++; if (acc[i] > maxa) maxa = acc[i]
                        sa = sa sprintf("%s%.0f%%", sa == "" ? "" : " ", tacc ? 100 * acc[i] / tacc : 0)
                    }
                    if (stage[i] != "accept")
                        ss = ss sprintf("%s%.0f%%", ss == "" ? "" : " ", tsrv ? 100 * served[i] / tsrv : 0)
                }
                printf "| %s | %d | %s | %.2f | %s | %.0f%% | %s |\n", label, conns, sa,
                    tacc ? maxa / (tacc / na) : 0, ss, tacc ? 100 * hand / tacc : 0, rps
            }'
}

for c in 4 64; do
    run $c "shared-nothing, 2 threads (SO_REUSEPORT)" --arch shared-nothing --threads 2
    run $c "shared-nothing, 4 threads on 2 cores" --arch shared-nothing --threads 4
    run $c "staged, 1 accept + 1 request thread" --arch staged --threads 2
    run $c "staged, 2 accept + 2 request threads (EPOLLEXCLUSIVE)" --arch staged --threads 4 --accept-threads 2
done
echo
echo "$(nproc) cores, kernel $(uname -r), wrk -t1 -d${secs}s, a new connection per request."
