#!/usr/bin/env bash
# make bench: fastd (staged and shared-nothing) against nginx and h2o, under
# the same load from wrk on the same machine, on loopback.
#
#   workloads  keep-alive   64 connections, one request at a time each
#              pipelined    the same, 16 requests per write (TechEmpower style)
#              churn        a new connection per request (Connection: close)
#   each run   wrk -t1 -c64 for BENCH_SECONDS (default 5) on GET /plaintext
#
# Every server is started here on 127.0.0.1 and stopped after its run.
# Results: a table on stdout and build/bench/results.json.
#
# Churn runs first wait until the kernel has few TIME_WAIT sockets left:
# each closed connection leaves one for 60 s, and a run that starts with
# tens of thousands of them is several times slower (new SYNs collide with
# old 4-tuples), whichever server it measures. BENCH_TW_WAIT=0 skips that.
#
# The whole run holds /tmp/fast-servers-bench.lock, as the chapters'
# experiment scripts do, so that no two measurements on this machine
# overlap; run from inside one of them, it goes ahead under its lock.
# Helpers (exp_setup, exp_lock, wrk_rps_exact, ...): chapters/experiments/lib.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../chapters/experiments/lib.sh"
BUILD=${1:-build}
exp_setup -o bench bench wrk curl fastd
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-64}
out=$(cd "$out" && pwd) # absolute: nginx and h2o run from their own folders

printf 'Hello, World!' >"$out/plaintext.txt"

# A port nobody listens on, below the ephemeral range wrk's sockets use.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 10000))
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
}

wait_http() { # port
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/plaintext" && return 0
        sleep 0.05
    done
    return 1
}

# start_server NAME: starts it, sets $port and $server_pid.
start_server() {
    case $1 in
    fastd-*)
        local flags=(--arch staged)
        case $1 in
        *shared-nothing*) flags=(--arch shared-nothing) ;;
        esac
        case $1 in
        *-nopin) flags+=(--no-pin) ;;
        *-traced) flags+=(--trace "unix:$out/live.sock") ;; # no reader: drops
        esac
        exp_start_fastd "$out/$1.out" "${flags[@]}" --quiet
        server_pid=$fastd_pid
        ;;
    nginx)
        port=$(free_port)
        sed -e "s|@DIR@|$out|g; s|@ADDR@|127.0.0.1|; s|@PORT@|$port|" \
            "$here/bench/nginx.conf.in" >"$out/nginx.conf"
        nginx -p "$out" -c "$out/nginx.conf" -e "$out/nginx-error.log" \
            >"$out/nginx.out" 2>&1 &
        server_pid=$!
        ;;
    h2o)
        port=$(free_port)
        sed -e "s|@DIR@|$out|g; s|@ADDR@|127.0.0.1|; s|@PORT@|$port|" \
            "$here/bench/h2o.conf.in" >"$out/h2o.conf"
        h2o -c "$out/h2o.conf" >"$out/h2o.out" 2>&1 &
        server_pid=$!
        ;;
    esac
    wait_http "$port" || { echo "bench: $1 did not start (see $out/$1.out)"; exit 1; }
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

run() { # server workload
    local args=()
    case $2 in
    pipelined) args=(-s "$here/bench/pipeline.lua") ;;
    churn) args=(-H 'Connection: close') ;;
    esac
    local log=$out/$1-$2.wrk
    wrk -t1 -c"$conns" -d"${secs}s" --latency "${args[@]}" \
        "http://127.0.0.1:$port/plaintext" >"$log" 2>&1 || true
    rps=$(wrk_rps_exact "$log")
    p50=$(wrk_latency_us "$log" 50)
    p99=$(wrk_latency_us "$log" 99)
    # wrk records no per-request latency when a script pipelines requests.
    [ "$2" = pipelined ] && p50=null p99=null
    errors=$(wrk_errors "$log")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$log")
    non2xx=${non2xx:-0}
    local flag=""
    [ "$errors" != 0 ] && flag="$flag  socket errors: $errors"
    [ "$non2xx" != 0 ] && flag="$flag  NON-2XX: $non2xx"
    printf '  %-22s %-10s %12.0f req/s  p50 %7s us  p99 %7s us%s\n' \
        "$1" "$2" "$rps" "${p50%.*}" "${p99%.*}" "$flag"
    results+=("{\"server\":\"$1\",\"workload\":\"$2\",\"rps\":$rps,\"p50_us\":$p50,\"p99_us\":$p99,\"socket_errors\":$errors,\"non2xx\":$non2xx}")
    eval "rps_${1//-/_}_${2//-/_}=$rps"
}

# fastd pinned (its default) and not: with wrk on the same cores, pinning
# can fight the scheduler - the table shows what that costs.
servers=(fastd-staged fastd-staged-nopin fastd-shared-nothing fastd-staged-traced)
for s in nginx h2o; do
    if command -v "$s" >/dev/null; then servers+=("$s"); else echo "bench: $s not installed: skipped"; fi
done
workloads=(keep-alive pipelined churn)
results=()

echo "bench: wrk -t1 -c$conns, ${secs}s per run, $(nproc) cores, kernel $(uname -r)"
exp_lock
for w in "${workloads[@]}"; do
    for s in "${servers[@]}"; do
        # The live trace's cost is a keep-alive question (issue 11).
        [ "$s" = fastd-staged-traced ] && [ "$w" != keep-alive ] && continue
        if [ "$w" = churn ] && [ "${BENCH_TW_WAIT:-1}" != 0 ]; then exp_wait_time_wait; fi
        start_server "$s"
        run "$s" "$w"
        stop_server
    done
done
exp_unlock

echo
printf '%-11s' workload
for s in "${servers[@]}"; do printf ' %21s' "$s"; done
printf ' %14s %14s %14s\n' "staged/nginx" "nopin/nginx" "shared/nginx"
ratios=()
for w in "${workloads[@]}"; do
    printf '%-11s' "$w"
    for s in "${servers[@]}"; do
        v="rps_${s//-/_}_${w//-/_}"
        printf ' %21.0f' "${!v:-0}"
    done
    st="rps_fastd_staged_${w//-/_}" np="rps_fastd_staged_nopin_${w//-/_}"
    sn="rps_fastd_shared_nothing_${w//-/_}" ng="rps_nginx_${w//-/_}"
    r1=$(ratio "${!st:-0}" "${!ng:-0}" null) r2=$(ratio "${!np:-0}" "${!ng:-0}" null)
    r3=$(ratio "${!sn:-0}" "${!ng:-0}" null)
    printf ' %13sx %13sx %13sx\n' "$r1" "$r2" "$r3"
    ratios+=("\"$w\":{\"staged_vs_nginx\":$r1,\"staged_nopin_vs_nginx\":$r2,\"shared_nothing_vs_nginx\":$r3}")
done

tr=$(ratio "${rps_fastd_staged_traced_keep_alive:-0}" "${rps_fastd_staged_keep_alive:-0}" null)
echo "live trace (--trace unix:, no reader): keep-alive traced/untraced = ${tr}x"
ratios+=("\"live_trace\":{\"traced_vs_untraced_keep_alive\":$tr}")

{
    printf '{"machine":{"cores":%d,"kernel":"%s","date":"%s","wrk":"-t1 -c%d -d%ss"},\n' \
        "$(nproc)" "$(uname -r)" "$(date -u +%FT%TZ)" "$conns" "$secs"
    printf ' "runs":[%s],\n' "$(IFS=,; echo "${results[*]}")"
    printf ' "ratios":{%s}}\n' "$(IFS=,; echo "${ratios[*]}")"
} >"$out/results.json"
echo
echo "bench: results in $out/results.json; wrk logs in $out/"
