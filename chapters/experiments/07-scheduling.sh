#!/usr/bin/env bash
# Chapter 7 experiment: choosing the request thread.
#
#  1. fastd --threads 4 (one accept thread, three request threads),
#     --schedule rr against least, under a skewed load: six long, busy
#     keep-alive clients (curl, N requests each on one connection), each
#     followed by two short connections. Every third connection is long -
#     the worst case for round-robin with three request threads. Shows
#     open_conns per request thread while the long clients run, requests
#     served per thread, and when the long clients were done.
#  2. fastd --threads 3 on two cores (t0 accepts on cpu0; t1 serves on
#     cpu1, t2 on cpu0 beside the accept thread), rr against least, under
#     churn: req/s, and each request thread's share of the connections.
#  3. The kernel's own placement: who accepts, for one listener shared by
#     two accept threads (EPOLLEXCLUSIVE) and for two SO_REUSEPORT
#     listeners, under light load (sequential curl) and under churn (wrk).
#  4. fastsim, simulator/scenarios/skewed-lifetimes.ini with schedule rr
#     and least, for several shares of long-lived connections, 5 seeds.
#
#   QUICK=1   fewer requests and connections, 1-second wrk runs, one
#             round, 2 seeds (default: 2-second runs, 3 rounds, 5 seeds)
#   BUILD     build directory (default build)
#
# Wall-clock runs hold /tmp/fast-servers-bench.lock so that no other
# measurement on this machine overlaps them (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 07 wrk curl fastd fastsim
long_n=20000 seq_n=200 secs=2 seeds=5 rounds=3
if exp_quick; then long_n=10000 seq_n=50 secs=1 seeds=2 rounds=1; fi

# ---- 1. rr against least, fastd -----------------------------------------

skewed='
start=$(date +%s%N)
for i in 1 2 3 4 5 6; do
    curl -s "$FASTD_URL/plaintext?[1-'$long_n']" >/dev/null &
    sleep 0.05
    curl -s -o /dev/null $FASTD_URL/plaintext
    curl -s -o /dev/null $FASTD_URL/plaintext
done
sleep 0.2
echo "open $(curl -s $FASTD_URL/stats | grep -o "\"open_conns\":[0-9]*" | sed -n "2,4s/.*://p" | paste -sd/)"
wait
echo "done_ms $((($(date +%s%N) - start) / 1000000))"'

exp_lock
declare -A open served done_ms
for s in rr least; do
    scripts/with-fastd --threads 4 --schedule "$s" -- "$skewed" >"$out/skew-$s.log" 2>&1
    open[$s]=$(awk '/^open / { print $2 }' "$out/skew-$s.log")
    done_ms[$s]=$(awk '/^done_ms / { print $2 }' "$out/skew-$s.log")
    served[$s]=$(awk '/^fastd: summary/ { s = 1; next }
        s && $2 == "request" { r = r (r == "" ? "" : "/") $6 } END { print r }' "$out/skew-$s.log")
done

# ---- 2. rr against least beside the accept thread -------------------------

declare -A co_rps co_share
for ((r = 1; r <= rounds; r++)); do
    for s in rr least; do
        log=$out/colocated-$s-$r.log
        scripts/with-fastd --threads 3 --schedule "$s" -- \
            "wrk -t1 -c16 -d${secs}s -H 'Connection: close' \$FASTD_URL/plaintext" >"$log" 2>&1
        co_rps[$s]+="$(wrk_rps "$log") "
        co_share[$s]+="$(fastd_shares "$log" 6 request) "
    done
done

# ---- 3. the kernel's placement ------------------------------------------

names=(exclusive reuseport)
declare -A flags=(
    [exclusive]="--arch staged --accept-threads 2 --threads 3"
    [reuseport]="--arch shared-nothing"
)
declare -A share # accepts per accepting thread, %
for n in "${names[@]}"; do
    # shellcheck disable=SC2086
    scripts/with-fastd ${flags[$n]} -- \
        "for i in \$(seq $seq_n); do curl -s -o /dev/null \$FASTD_URL/plaintext; done" >"$out/light-$n.log" 2>&1
    share[$n,light]=$(fastd_shares "$out/light-$n.log" 4 accept both)
    # shellcheck disable=SC2086
    scripts/with-fastd ${flags[$n]} -- \
        "wrk -t1 -c64 -d${secs}s -H 'Connection: close' \$FASTD_URL/plaintext" >"$out/churn-$n.log" 2>&1
    share[$n,churn]=$(fastd_shares "$out/churn-$n.log" 4 accept both)
done
exp_unlock

echo "## fastd: round-robin against least-loaded, every third connection long"
echo
echo "--threads 4 (t0 accepts; t1, t2, t3 serve), $(nproc) cores, kernel $(uname -r);"
echo "6 long clients of $long_n requests each (curl, one keep-alive connection), 2 short connections after each"
echo
echo "| --schedule | open_conns t1/t2/t3 while the long clients run | requests served t1/t2/t3 | long clients done after (s) |"
echo "|---|---|---|---:|"
for s in rr least; do
    printf '| %s | %s | %s | %s |\n' "$s" "${open[$s]}" "${served[$s]}" \
        "$(awk -v ms="${done_ms[$s]}" 'BEGIN { printf "%.2f", ms / 1000 }')"
done
echo
echo "## fastd: rr against least when one request thread shares the accept thread's core"
echo
echo "--threads 3: t0 accepts on cpu0, t1 serves on cpu1, t2 serves on cpu0;"
echo "wrk -t1 -c16 -H 'Connection: close', ${secs} s per run, $rounds round(s)"
echo
echo "| --schedule | req/s, median | req/s, each round | requests served t1/t2, % (each round) |"
echo "|---|---:|---|---|"
for s in rr least; do
    printf '| %s | %s | %s | %s |\n' "$s" "$(median <<<"${co_rps[$s]}")" "${co_rps[$s]% }" "${co_share[$s]% }"
done
echo
echo "## The kernel's placement: accepts per accepting thread, %"
echo
echo "| listeners | light load: $seq_n sequential connections | churn: wrk -c64 -H 'Connection: close', ${secs} s |"
echo "|---|---|---|"
echo "| one listener, two accept threads, EPOLLEXCLUSIVE (staged --accept-threads 2 --threads 3) | ${share[exclusive,light]} | ${share[exclusive,churn]} |"
echo "| two SO_REUSEPORT listeners (shared-nothing) | ${share[reuseport,light]} | ${share[reuseport,churn]} |"
echo

# ---- 4. fastsim ----------------------------------------------------------

echo "## fastsim: simulator/scenarios/skewed-lifetimes.ini, seeds 1-$seeds"
echo
echo "| long_fraction | schedule | throughput (req/s), mean | p99 (us), mean | jobs queued per request core, mean of $seeds seeds |"
echo "|---:|---|---:|---:|---|"
for lf in 0 0.01 0.05 0.2; do
    for s in rr least; do
        ini=$out/skewed-$lf-$s.ini
        sed -e "s/^schedule = .*/schedule = $s/" -e "s/^long_fraction = .*/long_fraction = $lf/" \
            simulator/scenarios/skewed-lifetimes.ini >"$ini"
        "$build/bin/fastsim" "$ini" --replications "$seeds" --report text >"$ini.txt"
        awk -v lf="$lf" -v s="$s" '
            /^throughput/ { rps = $2 }
            /^latency/ { for (i = 1; i <= NF; i++) if ($i == "p99") p99 = $(i + 1) }
            /^core [1-9]/ { q = q (q == "" ? "" : " / ") sprintf("%.1f", $5) }
            END { printf "| %s | %s | %s | %s | %s |\n", lf, s, rps, p99, q }' "$ini.txt"
    done
done
