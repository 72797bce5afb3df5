#!/usr/bin/env bash
# Chapter 4 experiment: what the hand-off costs, and what ThreadSanitizer
# says about passing more than an fd.
#
#  1. chapters/experiments/04-struct-handoff.c, built plain (-O2) and with
#     -fsanitize=thread, in its four modes: how many hand-offs the target
#     saw half-written, and how many races TSan reported.
#  2. fastd staged against shared-nothing, one connection per request
#     ("Connection: close"):
#       - sequential connections (curl, one at a time) with --trace:
#         the time from accept to the first recv of the same fd, and how
#         often fastd's threads went to sleep (voluntary context switches);
#       - the same under strace -c -f: system calls per connection;
#       - churn (wrk -c$CONNS): req/s, median over rounds, and the accept
#         to first recv time from one traced run.
#
#   QUICK=1   short runs: 100 sequential connections, 1-second wrk runs,
#             one round (default: 400, 3 seconds, 3 rounds)
#   BUILD     build directory (default build)
#   CONNS     wrk connections (default 64)
#
# Wall-clock runs hold /tmp/fast-servers-bench.lock so that no other
# measurement on this machine overlaps them (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 04 wrk curl clang fastd
seq_n=400 secs=3 rounds=3 n_struct=20000
if exp_quick; then seq_n=100 secs=1 rounds=1 n_struct=2000; fi
conns=${CONNS:-64}

# ---- 1. a struct across threads, under TSan ------------------------------

src=chapters/experiments/04-struct-handoff.c
cflags=(-std=gnu11 -Wall -Wextra -Werror -pthread -g)
clang "${cflags[@]}" -O2 "$src" -o "$out/struct-plain"
clang "${cflags[@]}" -O1 -fsanitize=thread "$src" -o "$out/struct-tsan"
echo "## Passing a struct with the fd ($n_struct hand-offs, $(nproc) cores)"
echo
echo "| mode | half-written seen, plain -O2 | half-written seen, TSan build | TSan data-race reports | TSan build exit status |"
echo "|---|---:|---:|---:|---:|"
for m in epoll epoll-late relaxed release; do
    plain=$("$out/struct-plain" $m $n_struct | awk '{ print $4 }')
    set +e
    TSAN_OPTIONS=halt_on_error=0 "$out/struct-tsan" $m $n_struct >"$out/tsan-$m.out" 2>"$out/tsan-$m.err"
    rc=$?
    set -e
    seen=$(awk '{ print $4 }' "$out/tsan-$m.out")
    races=$(grep -c 'WARNING: ThreadSanitizer: data race' "$out/tsan-$m.err" || true)
    echo "| $m | $plain | $seen | $races | $rc |"
done
echo

# ---- 2. fastd: the cost of the hand-off ----------------------------------

archs=(staged shared-nothing)

# accept -> first recv of the same fd, in microseconds, from a trace;
# prints "p50 p90 p99 count".
latencies() { # trace
    awk '$4 == "accept" { t[$5] = $1; open[$5] = 1 }
         $4 == "recv" && open[$5] { print ($1 - t[$5]) / 1000; open[$5] = 0 }' "$1" |
        sort -g | awk '{ v[NR] = $1 }
            END { if (NR == 0) { print "- - - 0"; exit }
                  printf "%.0f %.0f %.0f %d\n", v[int(NR * .5) + 1], v[int(NR * .9) + 1], v[int(NR * .99) + 1], NR }'
}

# Sum of voluntary context switches over fastd's threads.
sleeps='cat /proc/$FASTD_PID/task/*/status | awk "/^voluntary_ctxt_switches/ { s += \$2 } END { print s }"'
curls='for i in $(seq '$seq_n'); do curl -s -o /dev/null -H "Connection: close" $FASTD_URL/plaintext; done'

exp_lock
declare -A res rps
for a in "${archs[@]}"; do
    # Sequential, traced, counting sleeps.
    scripts/with-fastd --arch "$a" --trace "$out/seq-$a.trace" -- \
        "b=\$($sleeps); $curls; echo sleeps \$((\$($sleeps) - b))" >"$out/seq-$a.log" 2>&1
    res[$a,seq]=$(latencies "$out/seq-$a.trace")
    res[$a,sleeps]=$(awk -v n="$seq_n" '/^sleeps/ { printf "%.2f", $2 / n }' "$out/seq-$a.log")
    # Sequential under strace: system calls per connection.
    res[$a,sys]="n/a n/a n/a"
    scripts/with-fastd --arch "$a" -- \
        "strace -c -f -p \$FASTD_PID -o $out/strace-$a.txt & s=\$!; sleep 1; $curls; kill -INT \$s; wait \$s" \
        >"$out/strace-$a.log" 2>&1 || true
    if [ -s "$out/strace-$a.txt" ]; then
        res[$a,sys]=$(awk -v n="$seq_n" '$NF == "epoll_ctl" { c = $4 } $NF == "epoll_wait" { w = $4 }
            $NF == "accept4" { a = $4 }
            END { printf "%.2f %.2f %.2f\n", c / n, w / n, a / n }' "$out/strace-$a.txt")
    fi
    # Churn, traced once, for the latency under load.
    scripts/with-fastd --arch "$a" --trace "$out/churn-$a.trace" -- \
        "wrk -t1 -c$conns -d${secs}s -H 'Connection: close' \$FASTD_URL/plaintext" >"$out/churn-trace-$a.log" 2>&1
    res[$a,churn]=$(latencies "$out/churn-$a.trace")
    # Connections whose first recv (request thread) is stamped before the
    # accept thread's handoff line: the target ran before epoll_ctl returned.
    res[$a,early]=$(awk '$4 == "accept" { st[$5] = 1; n++ } $4 == "handoff" { st[$5] = 2 }
        $4 == "recv" { if (st[$5] == 1) e++; st[$5] = 0 }
        END { printf "%d of %d\n", e, n }' "$out/churn-$a.trace")
done
# Churn, untraced: throughput, architectures in turn each round.
for ((r = 1; r <= rounds; r++)); do
    for a in "${archs[@]}"; do
        scripts/with-fastd --arch "$a" --quiet -- \
            "wrk -t1 -c$conns -d${secs}s -H 'Connection: close' \$FASTD_URL/plaintext" >"$out/churn-$a-$r.log" 2>&1
        rps[$a]+="$(wrk_rps "$out/churn-$a-$r.log") "
    done
done
exp_unlock

field() { awk -v i="$2" '{ print $i }' <<<"$1"; }

echo "## fastd: the hand-off's cost, one request per connection"
echo
echo "$(nproc) cores, kernel $(uname -r); sequential: $seq_n curl connections one at a time;"
echo "churn: wrk -t1 -c$conns -H 'Connection: close', ${secs} s per run, median of $rounds round(s)"
echo
echo "| measure | staged | shared-nothing |"
echo "|---|---:|---:|"
row() { # label key field
    printf '| %s | %s | %s |\n' "$1" "$(field "${res[staged,$2]}" "$3")" "$(field "${res[shared-nothing,$2]}" "$3")"
}
row "accept to first recv, sequential, p50 (us)" seq 1
row "accept to first recv, sequential, p90 (us)" seq 2
row "times fastd's threads slept, per connection (sequential)" sleeps 1
row "epoll_ctl calls per connection (strace -c -f)" sys 1
row "epoll_wait calls per connection (strace -c -f)" sys 2
row "accept4 calls per connection (strace -c -f)" sys 3
row "accept to first recv under churn, p50 (us)" churn 1
row "accept to first recv under churn, p99 (us)" churn 3
printf '| %s | %s | n/a |\n' "first recv stamped before the handoff line (churn trace)" "${res[staged,early]}"
st=$(median <<<"${rps[staged]}") sn=$(median <<<"${rps[shared-nothing]}")
printf '| churn req/s (untraced) | %s | %s |\n' "$st" "$sn"
printf '| churn req/s, ratio to staged | 1.00 | %s |\n' "$(ratio "$sn" "$st")"
echo
echo "churn req/s per round: staged ${rps[staged]% }; shared-nothing ${rps[shared-nothing]% }"
