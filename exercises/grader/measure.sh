#!/usr/bin/env bash
# Layer (c) of grading: what the learner's code is worth, measured.
#
# usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD
#   WORKLOAD  churn        wrk, a new connection per request (exercise 03)
#             pipelined    wrk, 16 requests per write (exercise 05)
#             keep-alive   wrk, one request at a time per connection
#             slow-reader  4 clients pipeline 40000 requests each and read
#                          slowly; fastd's CPU time per MiB delivered
#                          (exercise 06: waiting must cost nothing)
# Prints ONE line: the workload, both figures and the ratio mine/reference
# (for slow-reader, CPU: lower is better). Both servers are measured in
# the same run, one after the other (reference, mine, mine, reference),
# 1 s each (MEASURE_SECONDS), under the measurement
# lock (chapters/experiments/lib.sh); if another measurement holds it for
# more than MEASURE_LOCK_WAIT seconds (default 5), the line says so and no
# figure is given - a grade must not wait for a benchmark. On a busy
# machine the ratio is the figure to read, not the absolute numbers.
# It earns no points: the grader prints it beside the score.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
workload=${1:?usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD}
ref=$(realpath "${2:?usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD}")
mine=$(realpath "${3:?usage: measure.sh WORKLOAD REF_FASTD MINE_FASTD}")
source "$here/../../chapters/experiments/lib.sh"
exp_setup -o measure measure curl
secs=${MEASURE_SECONDS:-1}
case $workload in
churn | pipelined | keep-alive) exp_need wrk ;;
slow-reader) ;;
*) echo "measure: unknown workload '$workload' (churn, pipelined, keep-alive, slow-reader)" >&2; exit 2 ;;
esac
for b in "$ref" "$mine"; do [ -x "$b" ] || { echo "measure: $b is not a program" >&2; exit 2; }; done

# start BIN: fastd on a free port; sets pid and port.
start() {
    local log=$out/$workload-$(basename "$(dirname "$(dirname "$1")")").log
    : >"$log"
    "$1" --port 0 --threads 2 --quiet >"$log" 2>&1 &
    pid=$!
    port=$(fastd_port "$log" "$pid") || { echo "measure: $1 did not start:" >&2; cat "$log" >&2; exit 1; }
}
stop() {
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# CPU time of all of a process's threads, in microseconds (schedstat's
# nanoseconds: /proc/PID/stat's 10 ms ticks are too coarse for 1 s runs).
cpu_ticks() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s / 1000 }'; }

# One slow-reader run against $port: prints "ticks bytes".
slow_reader() {
    local req='GET /plaintext HTTP/1.1\r\nHost: m\r\n\r\n' i before after
    local tmp=$out/slow
    mkdir -p "$tmp"
    before=$(cpu_ticks "$pid")
    for i in 1 2 3 4; do
        (
            exec 3<>"/dev/tcp/127.0.0.1/$port"
            # The requests go in the background; the reads are slow: 16 KiB
            # every 10 ms, so fastd's socket stays full most of the time.
            (for _ in $(seq 80); do printf "%0.s$req" $(seq 500); done >&3) 2>/dev/null &
            local got=0 n end=$((SECONDS + secs + 1))
            while [ $SECONDS -lt $end ]; do
                n=$(timeout 1 head -c 16384 <&3 2>/dev/null | wc -c) || true
                [ "$n" -gt 0 ] || break
                got=$((got + n))
                sleep 0.01
            done
            echo "$got" >"$tmp/$i"
            kill %1 2>/dev/null || true
        ) &
    done
    wait
    after=$(cpu_ticks "$pid")
    echo "$((after - before)) $(cat "$tmp"/[1-4] | awk '{ s += $1 } END { print s + 0 }')"
}

run_wrk() {
    local args=()
    case $workload in
    pipelined) args=(-s "$here/../../scripts/bench/pipeline.lua") ;;
    churn) args=(-H 'Connection: close') ;;
    esac
    wrk -t1 -c32 -d"${secs}s" "${args[@]}" "http://127.0.0.1:$port/plaintext" >"$out/wrk.log" 2>&1 || true
    wrk_rps "$out/wrk.log"
}

# The lock, but never a long wait (see above).
if ! _exp_lock_held_above; then
    { exec {_exp_lock_fd}>>"$EXP_LOCK_FILE"; } 2>/dev/null || exec {_exp_lock_fd}<"$EXP_LOCK_FILE"
    if ! flock -w "${MEASURE_LOCK_WAIT:-5}" "$_exp_lock_fd"; then
        echo "$workload: not measured: another measurement holds $EXP_LOCK_FILE (try again later)"
        exit 0
    fi
    export FAST_SERVERS_BENCH_LOCK_HOLDER=$$
fi
declare -A sum=([ref]=0 [mine]=0) bytes=([ref]=0 [mine]=0)
# In the order reference, mine, mine, reference: a drift in the machine's
# load (or, under churn, the TIME_WAIT sockets each run leaves behind)
# hits both alike. (No wait for old TIME_WAIT sockets: a grade must stay
# short; MEASURE_TW_WAIT=1 waits, as make bench does.)
[ "$workload" = churn ] && [ "${MEASURE_TW_WAIT:-0}" = 1 ] && exp_wait_time_wait
for round in 1 2; do
    order="ref mine"
    [ $round = 2 ] && order="mine ref"
    for who in $order; do
        bin=$ref
        [ $who = mine ] && bin=$mine
        start "$bin"
        if [ "$workload" = slow-reader ]; then
            read -r t b < <(slow_reader)
            sum[$who]=$((sum[$who] + t)) bytes[$who]=$((bytes[$who] + b))
        else
            sum[$who]=$((sum[$who] + $(run_wrk)))
        fi
        stop
    done
done
exp_unlock

if [ "$workload" = slow-reader ]; then
    per() { awk -v t="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", t / 1000 / (b / 1048576); else print "-" }'; }
    r=$(per "${sum[ref]}" "${bytes[ref]}") m=$(per "${sum[mine]}" "${bytes[mine]}")
    if [ $((bytes[mine] * 2)) -lt "${bytes[ref]}" ]; then
        # Cut off: little CPU per MiB would mean nothing.
        printf 'slow-reader: mine delivered %d KiB where the reference delivered %d KiB (%s ms CPU/MiB): the slow readers were cut off\n' \
            $((bytes[mine] / 1024)) $((bytes[ref] / 1024)) "$r"
    else
        printf 'slow-reader: mine %s ms CPU/MiB (%d KiB delivered), reference %s ms CPU/MiB (%d KiB): mine/reference %sx (lower is better)\n' \
            "$m" $((bytes[mine] / 1024)) "$r" $((bytes[ref] / 1024)) "$(ratio "$m" "$r" -)"
    fi
else
    printf '%s: mine %d req/s, reference %d req/s: mine/reference %sx\n' "$workload" \
        $((sum[mine] / 2)) $((sum[ref] / 2)) "$(ratio "${sum[mine]}" "${sum[ref]}" -)"
fi
