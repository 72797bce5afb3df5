#!/usr/bin/env bash
# 08-cost-model.sh: hold fastsim's cost model against fastd on this machine.
#
#   chapters/experiments/08-cost-model.sh
#   QUICK=1 chapters/experiments/08-cost-model.sh     (2 s runs, no waits)
#
# 1. Four wrk runs against fastd (keep-alive and churn, staged and
#    shared-nothing). During each, `perf stat --per-thread` counts every
#    fastd thread's task-clock and another `perf stat` counts wrk's; fastd's
#    /stats gives the requests and connections. CPU ns per request is
#    task-clock / requests - a ratio of two counts, so it is much steadier
#    on a noisy machine than req/s.
# 2. Syscalls per request, counted twice: by the kernel's syscall
#    tracepoints (cheap) and by `strace -c -f` (expensive: it stops the
#    thread at every call). The two disagree where timing matters.
# 3. Those costs become a [cost] section (build/experiments/08/calibrated-*.ini),
#    fastsim runs the same four workloads with default and calibrated costs,
#    and a table puts model and measurement side by side.
#
# Tools: wrk and fastsim are required; perf and strace are used when they
# work here (containers often forbid perf_event_open and ptrace) and their
# columns say "n/a" otherwise. Output: Markdown tables on stdout; logs in
# $BUILD/experiments/08/. The measurements (1 and 2) hold
# /tmp/fast-servers-bench.lock so that no other one overlaps them
# (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 08-cost-model wrk curl fastd fastsim
secs=5
if exp_quick; then secs=2; fi
conns=64
fastsim=$build/bin/fastsim

have_perf=0
perf_works task-clock && have_perf=1
have_tp=0
[ $have_perf = 1 ] && perf_works syscalls:sys_enter_close && have_tp=1
have_strace=0
strace -f -c -o /dev/null true >/dev/null 2>&1 && have_strace=1

start_fastd() { exp_start_fastd "$out/$1.fastd" --arch "$2" --quiet; } # name arch

# A total counter from /stats.
stat_total() { curl -s "http://127.0.0.1:$port/stats" | sed 's/.*"total":{//' |
    grep -o "\"$1\":[0-9]*" | cut -d: -f2; }

# user and system clock ticks of each fastd thread, "comm utime stime".
thread_ticks() { cat /proc/"$fastd_pid"/task/*/stat 2>/dev/null | awk '{print $2, $14, $15}' | tr -d '()'; }

# wrk drops a -H header unless a space follows its colon.
wrk_args=()
set_wrk_args() { # workload
    wrk_args=()
    [ "$1" = churn ] && wrk_args=(-H "Connection: close")
    return 0
}

# measure NAME ARCH WORKLOAD: sets req, conns_acc, rps, and task-clock ms
# per stage (tc_acc, tc_req, tc_all, tc_wrk), and user share of request work.
measure() {
    start_fastd "$1" "$2"
    set_wrk_args "$3"
    local t0 pp="" cpu0 cpu1
    t0=$(thread_ticks)
    cpu0=$(head -n 1 /proc/stat)
    if [ $have_perf = 1 ]; then
        perf stat -x, --per-thread -e task-clock,context-switches,cpu-migrations \
            -p "$fastd_pid" -o "$out/$1.perf" &
        pp=$!
        perf stat -x, -e task-clock -o "$out/$1.wrkperf" -- \
            wrk -t1 -c$conns -d${secs}s "${wrk_args[@]}" \
            "http://127.0.0.1:$port/plaintext" >"$out/$1.wrk" 2>&1 || true
        kill -INT "$pp" 2>/dev/null || true
        wait "$pp" 2>/dev/null || true
    else
        wrk -t1 -c$conns -d${secs}s "${wrk_args[@]}" \
            "http://127.0.0.1:$port/plaintext" >"$out/$1.wrk" 2>&1 || true
    fi
    cpu1=$(head -n 1 /proc/stat)
    req=$(stat_total requests)
    conns_acc=$(stat_total accepted)
    # The whole machine over the run, from /proc/stat's first line (user
    # nice system idle iowait irq softirq steal): idle, softirq and steal
    # (time the hypervisor gave our virtual CPUs to someone else).
    read -r idle_pct softirq_pct steal_pct <<<"$(printf '%s\n%s\n' "$cpu0" "$cpu1" | awk '
        NR == 1 {for (i = 2; i <= 9; i++) a[i] = $i}
        NR == 2 {for (i = 2; i <= 9; i++) {d[i] = $i - a[i]; t += d[i]}
                 printf "%.0f %.0f %.0f", 100 * (d[5] + d[6]) / t, 100 * d[8] / t, 100 * d[9] / t}')"
    { echo "$t0" | sed 's/^/before /'; thread_ticks | sed 's/^/after /'; } >"$out/$1.ticks"
    exp_stop_fastd
    rps=$(wrk_rps "$out/$1.wrk")
    tc() { [ -f "$out/$1.perf" ] && awk -F, -v tag="$2" '$4 == "task-clock" &&
        $1 ~ "^fastd-" tag "-" && $2 + 0 > 0 {s += $2} END {printf "%.1f", s}' "$out/$1.perf" || echo 0; }
    tc_acc=$(tc "$1" acc) tc_req=$(tc "$1" req) tc_all=$(tc "$1" all)
    tc_wrk=0
    [ -f "$out/$1.wrkperf" ] && tc_wrk=$(awk -F, '$3 == "task-clock" {print $1}' "$out/$1.wrkperf")
    # Share of user time in the serving threads (the rest is the kernel).
    user_share=$(awk '$2 ~ /^fastd-(req|all)/ {
        if ($1 == "before") {u[$2] -= $3; s[$2] -= $4} else {u[$2] += $3; s[$2] += $4} }
        END {for (k in u) {U += u[k]; S += s[k]}; if (U + S > 0) printf "%.3f", U / (U + S); else print 0}' "$out/$1.ticks")
}

cores() { awk -v ms="$1" -v s="$secs" 'BEGIN {printf "%.2f", ms / (s * 1000)}'; }

ns() { awk -v ms="$1" -v n="$2" 'BEGIN { if (n > 0 && ms > 0) printf "%.0f", ms * 1e6 / n; else print "n/a" }'; }

# ---- 1. CPU per request and per connection --------------------------------
exp_lock
rows=()
row() { # label rps fastd-text wrk-text fastd-ms wrk-ms
    # "other": cores busy on the machine minus fastd and wrk - softirq work
    # charged to no task, kernel threads, and anything else running. A run
    # with a large "other" was disturbed: measure it again.
    local other
    other=$(awk -v c="$(nproc)" -v i="$idle_pct" -v f="$(cores "$5")" -v w="$(cores "$6")" \
        'BEGIN {printf "%.2f", c * (100 - i) / 100 - f - w}')
    rows+=("| $1 | $2 | $3 | $4 | $(cores "$5") | $(cores "$6") | $other | ${idle_pct}% / ${softirq_pct}% / ${steal_pct}% |")
}
measure ka-staged staged keep-alive
ka_st_rps=$rps
R=$(ns "$tc_req" "$req")             # request thread, per request
W=$(ns "$tc_wrk" "$req")             # wrk, per request
ka_user=$user_share
row "keep-alive, staged" "$rps" "request thread $R ns/req (user share $ka_user)" "$W ns/req" \
    "$(awk -v a="$tc_acc" -v b="$tc_req" 'BEGIN {print a + b}')" "$tc_wrk"
measure ka-shared shared-nothing keep-alive
ka_sn_rps=$rps
Rsn=$(ns "$tc_all" "$req")
Wsn=$(ns "$tc_wrk" "$req")
row "keep-alive, shared-nothing" "$rps" "both threads $Rsn ns/req" "$Wsn ns/req" "$tc_all" "$tc_wrk"
exp_quick || exp_wait_time_wait # let earlier churn's TIME_WAIT sockets expire
measure churn-staged staged churn
ch_st_rps=$rps
A=$(ns "$tc_acc" "$conns_acc")       # accept thread, per connection
Q=$(ns "$tc_req" "$conns_acc")       # request thread, per connection
Wch=$(ns "$tc_wrk" "$conns_acc")
row "churn, staged" "$rps" "accept thread $A + request thread $Q ns/conn" "$Wch ns/conn" \
    "$(awk -v a="$tc_acc" -v b="$tc_req" 'BEGIN {print a + b}')" "$tc_wrk"
exp_quick || exp_wait_time_wait # let earlier churn's TIME_WAIT sockets expire
measure churn-shared shared-nothing churn
ch_sn_rps=$rps
S=$(ns "$tc_all" "$conns_acc")       # both threads, per connection
Wchsn=$(ns "$tc_wrk" "$conns_acc")
row "churn, shared-nothing" "$rps" "both threads $S ns/conn" "$Wchsn ns/conn" "$tc_all" "$tc_wrk"

echo "### CPU time per unit of work (perf stat task-clock / fastd /stats counts)"
echo
echo "| run | req/s (wrk) | fastd CPU | wrk CPU | fastd cores | wrk cores | other cores | machine idle / softirq / steal |"
echo "|---|---:|---|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo

# ---- 2. syscalls per request -------------------------------------------
calls="accept4 epoll_wait epoll_ctl recvfrom sendto close"
count_secs=$((secs > 2 ? secs / 2 : 1))
declare -A tp st
if [ $have_tp = 1 ]; then
    start_fastd sys-tp staged
    ev=$(for c in $calls; do printf 'syscalls:sys_enter_%s,' "$c"; done)
    perf stat -x, -e "${ev%,}" -p "$fastd_pid" -o "$out/sys-tp.perf" &
    pp=$!
    wrk -t1 -c$conns -d${count_secs}s "http://127.0.0.1:$port/plaintext" >"$out/sys-tp.wrk" 2>&1 || true
    kill -INT "$pp"; wait "$pp" 2>/dev/null || true
    n=$(stat_total requests)
    exp_stop_fastd
    for c in $calls; do
        tp[$c]=$(awk -F, -v c="syscalls:sys_enter_$c" -v n="$n" '$3 == c {printf "%.3f", $1 / n}' "$out/sys-tp.perf")
    done
    tp_rps=$(wrk_rps "$out/sys-tp.wrk")
fi
if [ $have_strace = 1 ]; then
    start_fastd sys-strace staged
    strace -c -f -p "$fastd_pid" -o "$out/sys-strace.txt" 2>/dev/null &
    sp=$!
    sleep 0.3 # let strace attach to every thread
    wrk -t1 -c$conns -d${count_secs}s "http://127.0.0.1:$port/plaintext" >"$out/sys-strace.wrk" 2>&1 || true
    kill -INT "$sp"; wait "$sp" 2>/dev/null || true
    n=$(stat_total requests)
    exp_stop_fastd
    for c in $calls; do
        st[$c]=$(awk -v c="$c" -v n="$n" '$NF == c {printf "%.3f", $4 / n}' "$out/sys-strace.txt")
    done
    st_rps=$(wrk_rps "$out/sys-strace.wrk")
fi
exp_unlock
echo "### Syscalls per request, keep-alive, staged (fastd threads only)"
echo
echo "| syscall | model charges | counted by tracepoints | counted by strace -c -f |"
echo "|---|---|---:|---:|"
declare -A charged=([accept4]="0 (no new connections)" [epoll_wait]="1 per wake-up of an idle thread"
    [epoll_ctl]="0" [recvfrom]="1 (cost recv)" [sendto]="1 (cost send)" [close]="0")
for c in $calls; do
    echo "| $c | ${charged[$c]} | ${tp[$c]:-n/a} | ${st[$c]:-n/a} |"
done
echo "| (wrk's req/s during the count) | | ${tp_rps:-n/a} | ${st_rps:-n/a} |"
echo

# ---- 3. the model with these costs ---------------------------------------
# Request job = recv + parse + send (+ service, set to 0: fastd has no
# application work). parse takes the user-space share of R, recv and send
# split the kernel share. From the churn runs:
#   A     = accept + handoff            (staged accept thread)
#   Q - R = close + cache_penalty       (staged request thread)
#   S - R = accept + close              (shared-nothing, both threads)
# Three equations, four unknowns: handoff keeps the default (1000 ns, one
# epoll_ctl), the rest follows. A negative result says the model's
# structure does not fit this machine; it is clamped to 0 and shown.
cal=$(awk -v R="$R" -v A="$A" -v Q="$Q" -v S="$S" -v u="$ka_user" 'BEGIN {
    if (R == "n/a" || A == "n/a" || Q == "n/a" || S == "n/a") { print "n/a"; exit }
    parse = R * u; recv = (R - parse) / 2; send = R - parse - recv
    handoff = 1000; accept = A - handoff; closing = S - R - accept; cache = Q - R - closing
    printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f", recv, parse, send, accept, handoff, closing, cache }')

ini() { # file arch requests_per_conn [costs...]
    local f=$1 arch=$2 rpc=$3
    shift 3
    {
        printf '[scenario]\nname = %s\narch = %s\ncores = %d\nduration_ms = 1000\nwarmup_ms = 100\n' \
            "$(basename "$f" .ini)" "$arch" "$(nproc)"
        printf '[load]\nclients = %d\nthink_us = 0\nrequests_per_conn = %d\nservice_us = 0\n' "$conns" "$rpc"
        if [ $# -gt 0 ]; then
            local recv=$1 parse=$2 send=$3 accept=$4 handoff=$5 close=$6 cache=$7
            clamp() { [ "$1" -lt 0 ] && echo 0 || echo "$1"; }
            printf '[cost]\nrecv = %d\nparse = %d\nsend = %d\naccept = %d\nhandoff = %d\nclose = %d\ncache_penalty = %d\n' \
                "$(clamp "$recv")" "$(clamp "$parse")" "$(clamp "$send")" "$(clamp "$accept")" \
                "$(clamp "$handoff")" "$(clamp "$close")" "$(clamp "$cache")"
            printf 'epoll_wait = 0   # already inside R: measured per request\n'
        fi
    } >"$f"
}
sim_rps() { "$fastsim" "$1" --report json | sed -n 's/.*"throughput_rps": *\([0-9.]*\).*/\1/p' | awk '{printf "%.0f", $1}'; }

echo "### Model vs measured ($(nproc) cores, wrk -t1 -c$conns, ${secs} s runs)"
echo
if [ "$cal" != n/a ]; then
    read -r c_recv c_parse c_send c_accept c_handoff c_close c_cache <<<"$cal"
    echo "Calibrated costs (ns): recv $c_recv, parse $c_parse, send $c_send, accept $c_accept," \
        "handoff $c_handoff (kept), close $c_close, cache_penalty $c_cache$(
            [ "$c_close" -lt 0 ] || [ "$c_cache" -lt 0 ] || [ "$c_accept" -lt 0 ] && echo " (negatives clamped to 0)")."
    echo
fi
# The back-of-envelope bound: every CPU-ns of fastd and wrk shared by the
# cores, and no single thread (wrk's one, a staged stage) past 100%.
bound() { # cores ns-per-unit...   (first is the sum, others single threads)
    awk -v c="$(nproc)" -v list="$*" 'BEGIN { n = split(list, v, " ")
        for (i = 1; i <= n; i++) if (v[i] == "n/a" || v[i] <= 0) { print "n/a"; exit }
        b = c * 1e9 / v[1]; for (i = 2; i <= n; i++) if (1e9 / v[i] < b) b = 1e9 / v[i]
        printf "%.0f", b }'
}
sum() { awk -v list="$*" 'BEGIN { n = split(list, v, " "); for (i = 1; i <= n; i++) { if (v[i] == "n/a") { print "n/a"; exit } s += v[i] } print s }'; }
echo "| workload | arch | measured req/s | fastsim, default costs | fastsim, calibrated | calibrated / measured | CPU bound with wrk | bound / measured |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for row in "keep-alive staged 0 $ka_st_rps $(sum "$R" "$W") $W $R" \
    "keep-alive shared-nothing 0 $ka_sn_rps $(sum "$Rsn" "$Wsn") $Wsn" \
    "churn staged 1 $ch_st_rps $(sum "$A" "$Q" "$Wch") $Wch $A $Q" \
    "churn shared-nothing 1 $ch_sn_rps $(sum "$S" "$Wchsn") $Wchsn"; do
    read -r w a rpc m units <<<"$row"
    ini "$out/default-$w-$a.ini" "$a" "$rpc"
    d=$(sim_rps "$out/default-$w-$a.ini")
    c=n/a ratio=n/a
    if [ "$cal" != n/a ]; then
        # shellcheck disable=SC2086
        ini "$out/calibrated-$w-$a.ini" "$a" "$rpc" $cal
        c=$(sim_rps "$out/calibrated-$w-$a.ini")
        ratio=$(ratio "$c" "$m" n/a)
    fi
    # shellcheck disable=SC2086
    b=$(bound $units)
    bratio=$(ratio "$b" "$m" n/a)
    echo "| $w | $a | $m | $d | $c | $ratio | $b | $bratio |"
done
echo
echo "Measured on $(nproc) cores, kernel $(uname -r); perf: $([ $have_perf = 1 ] && echo yes || echo no)," \
    "tracepoints: $([ $have_tp = 1 ] && echo yes || echo no), strace: $([ $have_strace = 1 ] && echo yes || echo no). Logs: $out/"
