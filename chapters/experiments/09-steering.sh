#!/usr/bin/env bash
# Chapter 9, claim 2 (and chapter 11's steering section): does it pay to
# serve a connection on the core that processed its packets? Loopback
# cannot say - its packets are processed on the sender's CPU - so this
# script builds a network of its own: two network namespaces joined by a
# veth pair, wrk in one, fastd in the other, addresses only inside them.
# It then steers the server side's receive processing with RPS (rps_cpus
# on the veth's receive queue) onto the request thread's core or the other
# core, or spreads it by flow hash, with and without RFS, and compares
# staged with shared-nothing, each with and without --incoming-cpu.
#
#   usage: chapters/experiments/09-steering.sh      (as root)
#   env:   QUICK=1        short runs, churn for six configurations only
#                         (about 40 s; used by the tests)
#          BUILD=dir      where `make` put bin/ (default build)
#          SECS=N REPS=N  seconds per wrk run, runs per figure (median)
#          CONNS=N        wrk connections (default 32)
#          WRK_CPU=N      pin wrk to CPU N (default: unpinned). With more
#                         than two CPUs, give wrk one the server does not
#                         use; on two, every CPU is a server's, and 0 (the
#                         staged acceptor's, idle) disturbs staged least
#
# Needs CAP_NET_ADMIN (root) to create namespaces, and two CPUs. Where it
# cannot, it prints one line saying why and exits 0. Everything it creates
# - the namespaces, the veth pair (it lives and dies with them), the RFS
# table size it sets - is removed or restored at exit, whatever happens.
# The measurement holds the lock (lib.sh); it writes only under
# $BUILD/experiments/09/steering/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup -o experiments/09/steering 09-steering fastd wrk
if exp_quick; then SECS=${SECS:-1} REPS=${REPS:-1}; else SECS=${SECS:-4} REPS=${REPS:-3}; fi
CONNS=${CONNS:-32}
WRK_CPU=${WRK_CPU:-}
pin_wrk=()
[ -z "$WRK_CPU" ] || pin_wrk=(taskset -c "$WRK_CPU")

skip() { echo "09-steering: skipped: $*"; exit 0; }
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs to steer between, this machine offers $(nproc)"
command -v ip >/dev/null || skip "iproute2's ip is missing (make deps)"

ns_c=fs-cli-$$ ns_s=fs-srv-$$ dev_c=fsc$$ dev_s=fss$$
addr_c=10.231.0.1 addr_s=10.231.0.2
flow_entries_was=$(cat /proc/sys/net/core/rps_sock_flow_entries 2>/dev/null || echo 0)
cleanup() {
    exp_cleanup
    # Anything still running in our namespaces is ours: stop it first.
    local p
    for p in $(ip netns pids "$ns_s" 2>/dev/null) $(ip netns pids "$ns_c" 2>/dev/null); do
        kill -TERM "$p" 2>/dev/null || true
    done
    ip netns del "$ns_c" 2>/dev/null || true
    ip netns del "$ns_s" 2>/dev/null || true # the veth pair goes with it
    if [ "$(cat /proc/sys/net/core/rps_sock_flow_entries 2>/dev/null)" != "$flow_entries_was" ]; then
        echo "$flow_entries_was" >/proc/sys/net/core/rps_sock_flow_entries 2>/dev/null || true
    fi
}
trap cleanup EXIT
ip netns add "$ns_c" 2>/dev/null || skip "cannot create network namespaces here (needs CAP_NET_ADMIN)"
ip netns add "$ns_s"
ip link add "$dev_c" netns "$ns_c" type veth peer name "$dev_s" netns "$ns_s" 2>/dev/null ||
    skip "cannot create a veth pair here (no veth support in this kernel?)"
ip -n "$ns_c" addr add $addr_c/24 dev "$dev_c"
ip -n "$ns_s" addr add $addr_s/24 dev "$dev_s"
for ns in "$ns_c" "$ns_s"; do ip -n "$ns" link set lo up; done
ip -n "$ns_c" link set "$dev_c" up
ip -n "$ns_s" link set "$dev_s" up
# Churn runs open tens of thousands of connections: let the client's
# namespace reuse TIME_WAIT ports (its own sysctls; the host's are untouched).
ip netns exec "$ns_c" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="10000 65000"
rxq() { echo "/sys/class/net/$dev_s/queues/rx-0/$1"; }
in_srv() { ip netns exec "$ns_s" "$@"; }

# steer MASK RFS: the server side's receive processing. MASK is the CPU
# bitmask of rps_cpus (0 = no RPS: the sender's CPU does it); RFS = 1 lets
# the flow follow the CPU where its socket was last read.
steer() {
    in_srv sh -c "echo $1 > $(rxq rps_cpus)"
    if [ "$2" = 1 ]; then
        echo 4096 >/proc/sys/net/core/rps_sock_flow_entries
        in_srv sh -c "echo 4096 > $(rxq rps_flow_cnt)"
    else
        in_srv sh -c "echo 0 > $(rxq rps_flow_cnt)"
    fi
}

# The kernel must have RPS (CONFIG_RPS) for any of this; RFS also needs
# the global flow table, which only the host's root may size.
[ -w "$(rxq rps_cpus)" ] || in_srv test -w "$(rxq rps_cpus)" ||
    skip "this kernel has no RPS (no rps_cpus on the veth's receive queue)"
rfs_ok=1
{ echo "$flow_entries_was" >/proc/sys/net/core/rps_sock_flow_entries; } 2>/dev/null || rfs_ok=0

perf_ok=0
perf_works task-clock && perf_ok=1

# cpu_snapshot: per CPU "busy_ticks softirq_ticks net_rx_count" lines.
cpu_snapshot() {
    paste <(awk '/^cpu[0-9]/ { print $2 + $3 + $4 + $7 + $8, $8 }' /proc/stat) \
        <(awk '/NET_RX:/ { for (i = 2; i <= NF; i++) print $i }' /proc/softirqs)
}

# measure NAME KIND MASK RFS FASTD-FLAGS...: REPS runs; one line per run in
# $out/runs.txt: NAME KIND rps fastd_us_per_req all_cpu_us_per_req
# softirq_ms_cpu0 softirq_ms_cpu1 netrx_per_req_cpu0 netrx_per_req_cpu1
# fastd_ctxsw_per_kreq
measure() {
    local name=$1 kind=$2 mask=$3 rfs=$4 r
    shift 4
    local hz
    hz=$(getconf CLK_TCK)
    for r in $(seq "$REPS"); do
        local t0=$SECONDS
        steer "$mask" "$rfs"
        : >"$out/fastd.out"
        # ip netns exec execs fastd in its own process: $! is fastd's pid.
        ip netns exec "$ns_s" "$build/bin/fastd" --bind $addr_s --port 0 --quiet --idle-timeout 0 "$@" >"$out/fastd.out" 2>&1 &
        fastd_pid=$!
        port=$(fastd_port "$out/fastd.out" "$fastd_pid") ||
            { echo "09-steering: fastd $* did not start:" >&2; cat "$out/fastd.out" >&2; exit 1; }
        local args=()
        [ "$kind" = churn ] && args=(-H 'Connection: close')
        cpu_snapshot >"$out/c0"
        rm -f "$out/perf.csv"
        # perf counts fastd's threads for as long as wrk runs.
        local pp=
        if [ $perf_ok = 1 ]; then
            perf stat -x, -e task-clock,context-switches -p "$fastd_pid" \
                -o "$out/perf.csv" -- sleep "$SECS" 2>/dev/null &
            pp=$!
        fi
        ip netns exec "$ns_c" "${pin_wrk[@]}" wrk -t1 -c"$CONNS" -d"${SECS}s" "${args[@]}" \
            "http://$addr_s:$port/plaintext" >"$out/wrk.log" 2>&1 || true
        cpu_snapshot >"$out/c1"
        [ -z "$pp" ] || wait "$pp" || true
        local fastd_ticks
        fastd_ticks=$(sed 's/^.*) //' /proc/"$fastd_pid"/stat | awk '{ print $12 + $13 }')
        exp_stop_fastd
        local reqs rps task cs
        reqs=$(wrk_requests "$out/wrk.log") rps=$(wrk_rps "$out/wrk.log")
        task=$(perf_count "$out/perf.csv" task-clock) cs=$(perf_count "$out/perf.csv" context-switches)
        # Without perf: fastd's CPU from /proc (whole run, in ticks).
        [ "$task" = - ] && task=$(awk -v t="$fastd_ticks" -v hz="$hz" 'BEGIN { print t * 1000 / hz }')
        paste "$out/c0" "$out/c1" | awk -v n="$name" -v k="$kind" -v rps="$rps" -v reqs="$reqs" \
            -v task="$task" -v cs="$cs" -v hz="$hz" '
            { busy += $4 - $1; sirq[NR] = ($5 - $2) * 1000 / hz; rx[NR] = $6 - $3 }
            END { if (reqs < 1) reqs = 1
                  printf "%s %s %s %.2f %.2f %.0f %.0f %.2f %.2f %s\n", n, k, rps,
                      task * 1000 / reqs, busy * 1e6 / hz / reqs, sirq[1], sirq[2],
                      rx[1] / reqs, rx[2] / reqs, (cs == "-" ? "-" : sprintf("%.0f", cs * 1000 / reqs)) }' \
            >>"$out/runs.txt"
        echo "$name $kind: $((SECONDS - t0)) s" >>"$out/times.txt"
    done
}
get() { awk -v n="$1" -v k="$2" -v f="$3" '$1 == n && $2 == k { print $f }' "$out/runs.txt" | median; }

# The configurations: name | RPS mask | RFS | fastd flags | label.
# Staged with 2 threads: the acceptor on cpu0, the request thread on cpu1.
configs=(
    "st-off|0|0|--arch staged --threads 2|staged 1+1, no RPS (sender's CPU)"
    "st-same|2|0|--arch staged --threads 2|staged 1+1, RPS to cpu1 = request thread's core"
    "st-other|1|0|--arch staged --threads 2|staged 1+1, RPS to cpu0 = the other core"
    "st-rfs|3|1|--arch staged --threads 2|staged 1+1, RPS hash + RFS"
    "st3-hash|3|0|--arch staged --threads 3|staged 1+2, RPS hash, round-robin hand-off"
    "st3-icpu|3|0|--arch staged --threads 3 --incoming-cpu|staged 1+2, RPS hash, hand-off by SO_INCOMING_CPU"
    "sn-hash|3|0|--arch shared-nothing --threads 2|shared-nothing 2, RPS hash, SO_REUSEPORT hash"
    "sn-icpu|3|0|--arch shared-nothing --threads 2 --incoming-cpu|shared-nothing 2, RPS hash, listener by SO_INCOMING_CPU"
    "sn-rfs|3|1|--arch shared-nothing --threads 2|shared-nothing 2, RPS hash + RFS"
)

# QUICK=1 (the tests) measures churn for the main comparisons only.
churn_only="st-same st-other st3-hash st3-icpu sn-hash sn-icpu"
wanted() {
    [ $rfs_ok = 1 ] || [[ $2 != *-rfs ]] || return 1
    [ "$1" = keep-alive ] || ! exp_quick || [[ " $churn_only " == *" $2 "* ]]
}

exp_lock
: >"$out/runs.txt"
: >"$out/times.txt"
for kind in keep-alive churn; do
    for c in "${configs[@]}"; do
        IFS='|' read -r name mask rfs flags _ <<<"$c"
        wanted $kind "$name" || continue
        # shellcheck disable=SC2086
        measure "$name" "$kind" "$mask" "$rfs" $flags
    done
done
exp_unlock

echo "## Claim 2: steering on one machine ($(date -u +%FT%TZ), QUICK=${QUICK:-0})"
echo
echo "Two namespaces joined by a veth pair; wrk -t1 -c$CONNS in one${WRK_CPU:+ (pinned to cpu$WRK_CPU)}, fastd in the other."
echo "$(nproc) cores, kernel $(uname -r); ${SECS} s per run, median of $REPS."
echo "CPU us/req: fastd's own (task-clock$([ $perf_ok = 1 ] || echo ' from /proc')), and every"
echo "CPU's busy time (wrk and the whole machine included). softirq ms: time each"
echo "CPU spent in softirq during the run (/proc/stat); NET_RX/req: receive softirqs"
echo "per request on each CPU (/proc/softirqs). ctxsw: fastd's context switches per 1000 requests."
echo
for kind in keep-alive churn; do
    echo "### $kind"
    echo
    echo "| configuration | req/s | vs first | fastd CPU us/req | all CPUs us/req | softirq ms cpu0 / cpu1 | NET_RX/req cpu0 / cpu1 | ctxsw/1k req |"
    echo "|---|---:|---:|---:|---:|---|---|---:|"
    base=
    for c in "${configs[@]}"; do
        IFS='|' read -r name _ _ _ label <<<"$c"
        wanted $kind "$name" || continue
        rps=$(get "$name" $kind 3)
        [ -n "$base" ] || base=$rps
        printf '| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s |\n' "$label" "$rps" \
            "$(ratio "$rps" "$base" -)" "$(get "$name" $kind 4)" "$(get "$name" $kind 5)" \
            "$(get "$name" $kind 6)" "$(get "$name" $kind 7)" "$(get "$name" $kind 8)" \
            "$(get "$name" $kind 9)" "$(get "$name" $kind 10)"
    done
    echo
done
echo "Raw runs: $out/runs.txt."
