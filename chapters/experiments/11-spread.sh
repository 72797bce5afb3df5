#!/usr/bin/env bash
# 11-spread.sh: who accepts, and who serves? The kernel's SO_REUSEPORT
# hash against one shared listener, measured from fastd's /stats.
#
#   chapters/experiments/11-spread.sh
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
# Markdown table; logs in $BUILD/experiments/11/. The runs hold
# /tmp/fast-servers-bench.lock so that no other measurement overlaps them
# (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 11-spread wrk curl fastd
secs=4
if exp_quick; then secs=1; fi

echo "| configuration | wrk connections | accepted by each thread | busiest / fair | served by each thread | hand-offs | req/s |"
echo "|---|---:|---|---:|---|---:|---:|"
run() { # connections label fastd-flags...
    local conns=$1 label=$2
    shift 2
    exp_quick || exp_wait_time_wait # old 4-tuples slow new connections
    exp_start_fastd "$out/fastd.out" --quiet "$@"
    wrk -t1 -c"$conns" -d${secs}s -H "Connection: close" "$url/plaintext" >"$out/wrk.out" 2>&1 || true
    curl -s "$url/stats" >"$out/stats.json"
    exp_stop_fastd
    local rps
    rps=$(wrk_rps "$out/wrk.out")
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

exp_lock
for c in 4 64; do
    run $c "shared-nothing, 2 threads (SO_REUSEPORT)" --arch shared-nothing --threads 2
    run $c "shared-nothing, 4 threads on 2 cores" --arch shared-nothing --threads 4
    run $c "staged, 1 accept + 1 request thread" --arch staged --threads 2
    run $c "staged, 2 accept + 2 request threads (EPOLLEXCLUSIVE)" --arch staged --threads 4 --accept-threads 2
done
exp_unlock
echo
echo "$(nproc) cores, kernel $(uname -r), wrk -t1 -d${secs}s, a new connection per request."
