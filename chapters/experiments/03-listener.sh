#!/usr/bin/env bash
# Chapter 3 experiment: the listening socket.
#
#  1. What fastd asks of the kernel at start-up, and what it got: the fd
#     limit and backlog from its banner, the TCP_DEFER_ACCEPT value read
#     back, and how long a client that connects but sends nothing waits
#     before fastd accepts it anyway.
#  2. Three listener arrangements under connection churn (wrk with
#     "Connection: close": one connection per request):
#       staged          one listener, one accept thread, one request thread
#       staged, 2 acc.  one listener in two accept threads' epoll sets
#                       (EPOLLEXCLUSIVE), one request thread (--threads 3)
#       shared-nothing  one SO_REUSEPORT listener per thread, two threads
#     For each: req/s (median over rounds, and its ratio to staged in the
#     same rounds) and how the kernel spread the accepts over the
#     accepting threads.
#
#   QUICK=1   1-second runs, one round, no silent-client wait
#             (default: 3-second runs, 3 rounds)
#   BUILD     build directory (default build)
#   CONNS     wrk connections (default 64)
#
# Each round runs every arrangement once, in turn, so that slow periods of
# a shared machine hit all of them alike. Wall-clock runs hold
# /tmp/fast-servers-bench.lock so that no other measurement overlaps them
# (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 03 wrk curl fastd
secs=3 rounds=3
if exp_quick; then secs=1 rounds=1; fi
conns=${CONNS:-64}

# ---- 1. limits and options ---------------------------------------------

# Start fastd with the soft limit lowered to the usual default, 1024.
(ulimit -Sn 1024 && scripts/with-fastd -- 'true') >"$out/banner.log" 2>&1
nofile=$(sed -n 's/.*nofile=\([0-9]*\).*/\1/p' "$out/banner.log")
backlog=$(sed -n 's/.*backlog=\([0-9]*\).*/\1/p' "$out/banner.log")
hard=$(ulimit -Hn)
somaxconn=$(cat /proc/sys/net/core/somaxconn)

# A client that connects and stays silent. fastd counts its own /stats
# connections as accepted too, so the silent one has been accepted once
# "accepted" exceeds the number of /stats requests made so far.
silent='
exec {s}<>/dev/tcp/127.0.0.1/$FASTD_PORT
start=$(date +%s%N) polls=0
while [ $polls -lt 80 ]; do
    sleep 0.25
    polls=$((polls + 1))
    acc=$(curl -s $FASTD_URL/stats | grep -o "\"total\":{\"accepted\":[0-9]*" | grep -o "[0-9]*$")
    if [ "$acc" -gt $polls ]; then
        echo "accepted_after_ms $((($(date +%s%N) - start) / 1000000))"
        exit 0
    fi
done
echo "accepted_after_ms never"'
if exp_quick; then
    waited="(skipped: QUICK=1)"
else
    scripts/with-fastd -- "$silent" >"$out/silent.log" 2>&1
    ms=$(awk '/^accepted_after_ms/ { print $2 }' "$out/silent.log")
    waited=$(awk -v ms="$ms" 'BEGIN { if (ms == "never") print "not within 20 s"; else printf "%.2f s", ms / 1000 }')
fi

echo "## The listener as set up ($(nproc) cores, kernel $(uname -r))"
echo
echo "| what | value |"
echo "|---|---|"
echo "| RLIMIT_NOFILE fastd started with (soft / hard) | 1024 / $hard |"
echo "| fastd's nofile= (soft limit after nofile_raise()) | $nofile |"
echo "| net.core.somaxconn | $somaxconn |"
echo "| fastd's backlog= | $backlog |"
echo "| silent client (connects, sends nothing) accepted after | $waited |"
echo

# ---- 2. listener arrangements under churn -------------------------------

names=(staged staged-2acc shared-nothing)
declare -A flags=(
    [staged]="--arch staged"
    [staged-2acc]="--arch staged --accept-threads 2 --threads 3"
    [shared-nothing]="--arch shared-nothing"
)
declare -A label=(
    [staged]="staged: 1 listener, 1 accept thread"
    [staged-2acc]="staged: 1 listener, 2 accept threads (EPOLLEXCLUSIVE)"
    [shared-nothing]="shared-nothing: 2 SO_REUSEPORT listeners"
)

# One churn run; prints "req/s errors share", share being the accepts of
# each accepting thread in percent ("52/48").
measure() { # name round
    local log=$out/$1-$2.log
    # shellcheck disable=SC2086
    scripts/with-fastd ${flags[$1]} -- \
        "wrk -t1 -c$conns -d${secs}s -H 'Connection: close' \$FASTD_URL/plaintext" >"$log" 2>&1
    echo "$(wrk_rps "$log") $(wrk_errors "$log") $(fastd_shares "$log" 4 accept both)"
}

exp_lock
declare -A rps shares errs
tw_before=$(ss -Htan state time-wait | wc -l)
for ((r = 1; r <= rounds; r++)); do
    for n in "${names[@]}"; do
        read -r x e s < <(measure "$n" "$r")
        rps[$n]+="$x "
        errs[$n]=$((${errs[$n]:-0} + e))
        shares[$n]+="$s "
    done
done
exp_unlock

echo "## Listener arrangements under churn"
echo
echo "wrk -t1 -c$conns -H 'Connection: close', ${secs} s per run, median of $rounds round(s);"
echo "TIME_WAIT sockets on the machine before the first run: $tw_before"
echo
echo "| arrangement | req/s, median | req/s, each round | ratio to staged | accepts per accepting thread, % (each round) | socket errors |"
echo "|---|---:|---|---:|---|---:|"
base=$(median <<<"${rps[staged]}")
for n in "${names[@]}"; do
    v=$(median <<<"${rps[$n]}")
    ratio=$(ratio "$v" "$base")
    printf '| %s | %s | %s | %s | %s | %s |\n' "${label[$n]}" "$v" "${rps[$n]% }" "$ratio" "${shares[$n]% }" "${errs[$n]}"
done
