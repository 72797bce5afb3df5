#!/usr/bin/env bash
# Chapter 2 experiment: how much work one epoll_wait brings back. fastd
# (staged, its defaults) records an fdtrace while wrk loads it with
# keep-alive connections; every `wake` line is one epoll_wait that returned,
# its last field the number of events. The table summarises the request
# thread's wakes at each connection count: more connections, bigger batches,
# fewer system calls per request.
#
#   QUICK=1   1-second runs (default: 3-second runs)
#   BUILD     build directory (default build)
#   CONNS     the connection counts to try (default "1 4 16 64 256")
#
# Tracing costs time (a formatted line per event), so the req/s column is
# lower than an untraced run; compare rows with each other, not with other
# tables. Wall-clock runs hold /tmp/fast-servers-bench.lock so that no
# other measurement on this machine overlaps them (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 02 wrk fastd
secs=3
if exp_quick; then secs=1; fi
read -r -a counts <<<"${CONNS:-1 4 16 64 256}"

exp_lock
rows=()
for c in "${counts[@]}"; do
    trace=$out/c$c.fdt
    scripts/with-fastd --quiet --trace "$trace" -- \
        "wrk -t1 -c$c -d${secs}s \$FASTD_URL/plaintext" >"$out/c$c.log" 2>&1
    rps=$(wrk_rps "$out/c$c.log")
    # The request threads are the ones that trace `request` events; count
    # only their wakes that brought work (a timeout returns 0 events).
    rows+=("$(awk -v c="$c" -v rps="$rps" -v secs="$secs" '
        $4 == "request" { req[$2] = 1; nreq += $6 }
        $4 == "wake" && $6 > 0 { w[$2] += 1; ev[$2] += $6
                                 if ($6 == 1) one[$2] += 1
                                 if ($6 > mx[$2]) mx[$2] = $6 }
        END {
            for (t in req) { wakes += w[t]; events += ev[t]; ones += one[t]
                             if (mx[t] > max) max = mx[t] }
            if (wakes == 0) wakes = 1
            printf "| %d | %s | %.0f | %.1f | %d | %.0f%% | %.2f |",
                c, rps, wakes / secs, events / wakes, max, 100 * ones / wakes,
                1000 * wakes / (nreq ? nreq : 1)
        }' "$trace")")
    rm -f "$trace" # tens of MB each; the summary is all we keep
done
exp_unlock

echo "fastd --trace (staged, 2 threads), wrk -t1 keep-alive, ${secs} s per run, $(nproc) cores, kernel $(uname -r)"
echo
echo "| connections | req/s (traced) | request-thread wakes/s | events per wake | most in one wake | wakes with 1 event | epoll_waits per 1000 requests |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
