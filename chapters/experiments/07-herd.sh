#!/usr/bin/env bash
# 07-herd.sh: the thundering herd, counted. How many times do staged's
# accept threads wake up per connection they accept, with and without
# EPOLLEXCLUSIVE on their one shared listener?
#
#   chapters/experiments/07-herd.sh            (2..4 accept threads, 2 s runs)
#   QUICK=1 chapters/experiments/07-herd.sh    (2 and 3 threads, 1 s, light load)
#   MAX_ACCEPT=8 chapters/experiments/07-herd.sh
#
# fastd runs staged with K accept threads and one request thread (--no-pin:
# a 2-core machine runs more threads than cores), under churn - wrk opens a
# new connection for every request - light (1 connection at a time: every
# accept thread is idle when a client arrives) and heavier (16). The
# listener is registered in each accept thread's epoll set one of three
# ways (fastd --listen-wake):
#   exclusive  EPOLLIN | EPOLLEXCLUSIVE: a connection wakes one waiter
#   level      EPOLLIN, level-triggered: it wakes every waiter
#   edge       EPOLLIN | EPOLLET: every waiter, once per edge
# Two counts per accepted connection:
#   wake-ups   times the accept threads went to sleep and were woken:
#              their voluntary context switches (/proc/PID/task/TID/status)
#              over the run, divided by the connections accepted; 1.00 is
#              one wake-up per connection, anything above is the herd
#   wasted     wake-ups that reached fastd's loop and found nothing to
#              accept (wasted_wakes in /stats). Fewer than the extra
#              wake-ups: a thread woken late sees the listener empty inside
#              epoll_wait, which goes back to sleep without returning
# and the simulator's count for the same set-up (fastsim, listener =
# exclusive or herd, same threads and clients): its wasted wake-ups per
# accepted connection (the model has no "edge" and charges no time for
# them). The runs do not wait for TIME_WAIT sockets to expire (lib.sh's
# exp_wait_time_wait): that slows new connections, and so req/s, but not
# the counts per connection, which are what this script is for. Output: a Markdown table; logs in $BUILD/experiments/07/. The runs
# hold the measurement lock (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 07-herd wrk curl fastd fastsim
secs=2 max=${MAX_ACCEPT:-4} loads="1 16"
if exp_quick; then secs=1 max=3 loads=1; fi

# Voluntary context switches of fastd's accept threads, summed.
accept_switches() {
    local pid=$1 sum=0 task
    for task in /proc/"$pid"/task/*; do
        grep -q '^fastd-acc' "$task/comm" 2>/dev/null || continue
        sum=$((sum + $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$task/status")))
    done
    echo $sum
}

# The model's wasted wake-ups per accepted connection.
model_wasted() { # accept-threads clients listener
    local ini=$out/herd-$1-$2-$3.ini
    cat >"$ini" <<EOF
[scenario]
name = herd
arch = staged
cores = $(nproc)
threads = $(($1 + 1))
accept_threads = $1
listener = $3
duration_ms = 200
warmup_ms = 20

[load]
clients = $2
think_us = 0
requests_per_conn = 1
service_us = 1
EOF
    "$build/bin/fastsim" "$ini" --report json >"$ini.json"
    local a w
    a=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$ini.json")
    w=$(sed -n 's/.*"wasted_wakes":\([0-9]*\).*/\1/p' "$ini.json")
    ratio "$w" "$a" -
}

echo "| accept threads | wrk connections | listener | accepted | wake-ups / accepted | wasted / accepted | model wasted / accepted | req/s |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|"
exp_lock
for c in $loads; do
    for k in $(seq 2 "$max"); do
        for wake in exclusive level edge; do
            exp_start_fastd "$out/fastd.out" --quiet --arch staged \
                --threads $((k + 1)) --accept-threads "$k" --no-pin \
                --listen-wake "$wake"
            before=$(accept_switches "$fastd_pid")
            wrk -t1 -c"$c" -d${secs}s -H "Connection: close" "$url/plaintext" \
                >"$out/wrk-$k-$c-$wake.out" 2>&1 || true
            after=$(accept_switches "$fastd_pid")
            curl -s "$url/stats" >"$out/stats-$k-$c-$wake.json"
            exp_stop_fastd
            total=$(sed 's/.*"total":{//' "$out/stats-$k-$c-$wake.json")
            accepted=$(echo "$total" | sed -n 's/.*"accepted":\([0-9]*\).*/\1/p')
            wasted=$(echo "$total" | sed -n 's/.*"wasted_wakes":\([0-9]*\).*/\1/p')
            case $wake in
            exclusive) model=$(model_wasted "$k" "$c" exclusive) ;;
            level) model=$(model_wasted "$k" "$c" herd) ;;
            *) model=- ;;
            esac
            echo "| $k | $c | $wake | $accepted | $(ratio $((after - before)) "$accepted") | $(ratio "$wasted" "$accepted") | $model | $(wrk_rps "$out/wrk-$k-$c-$wake.out") |"
        done
    done
done
exp_unlock
echo
echo "$(nproc) cores, kernel $(uname -r), wrk -t1 -d${secs}s, a new connection per request; fastd staged, K accept threads + 1 request thread, --no-pin."
