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
set -euo pipefail
build=${1:-build}
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-64}
here=$(cd "$(dirname "$0")" && pwd)
out=$build/bench
mkdir -p "$out"
out=$(cd "$out" && pwd)
fastd=$(cd "$build/bin" && pwd)/fastd

command -v wrk >/dev/null || { echo "bench: wrk is missing: run 'make deps'"; exit 1; }
printf 'Hello, World!' >"$out/plaintext.txt"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

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
        esac
        "$fastd" --port 0 "${flags[@]}" --quiet >"$out/$1.out" 2>&1 &
        server_pid=$!
        for _ in $(seq 100); do
            port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out/$1.out")
            [ -n "$port" ] && break
            sleep 0.05
        done
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
    pids+=("$server_pid")
    wait_http "$port" || { echo "bench: $1 did not start (see $out/$1.out)"; exit 1; }
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

time_wait_count() { ss -Htan state time-wait | wc -l; }

wait_time_wait() {
    [ "${BENCH_TW_WAIT:-1}" = 0 ] && return
    local n waited=0
    while n=$(time_wait_count) && [ "$n" -gt 2000 ] && [ $waited -lt 70 ]; do
        printf '\r  waiting for %6d TIME_WAIT sockets to expire (%2ds)' "$n" $waited
        sleep 5
        waited=$((waited + 5))
    done
    [ $waited -gt 0 ] && printf '\r%70s\r' ''
    return 0
}

# Convert wrk's "612.00us" / "1.23ms" / "1.01s" to microseconds.
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
        else if (v ~ /s$/) print n * 1000000; else print -1 }'
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
    rps=$(awk '/^Requests\/sec/ {print $2}' "$log")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$log")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$log")")
    # wrk records no per-request latency when a script pipelines requests.
    [ "$2" = pipelined ] && p50=null p99=null
    errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$log")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$log")
    rps=${rps:-0} errors=${errors:-0} non2xx=${non2xx:-0}
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
servers=(fastd-staged fastd-staged-nopin fastd-shared-nothing)
for s in nginx h2o; do
    if command -v "$s" >/dev/null; then servers+=("$s"); else echo "bench: $s not installed: skipped"; fi
done
workloads=(keep-alive pipelined churn)
results=()

echo "bench: wrk -t1 -c$conns, ${secs}s per run, $(nproc) cores, kernel $(uname -r)"
for w in "${workloads[@]}"; do
    for s in "${servers[@]}"; do
        [ "$w" = churn ] && wait_time_wait
        start_server "$s"
        run "$s" "$w"
        stop_server
    done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "null" }'; }

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
    r1=$(ratio "${!st:-0}" "${!ng:-0}") r2=$(ratio "${!np:-0}" "${!ng:-0}")
    r3=$(ratio "${!sn:-0}" "${!ng:-0}")
    printf ' %13sx %13sx %13sx\n' "$r1" "$r2" "$r3"
    ratios+=("\"$w\":{\"staged_vs_nginx\":$r1,\"staged_nopin_vs_nginx\":$r2,\"shared_nothing_vs_nginx\":$r3}")
done

{
    printf '{"machine":{"cores":%d,"kernel":"%s","date":"%s","wrk":"-t1 -c%d -d%ss"},\n' \
        "$(nproc)" "$(uname -r)" "$(date -u +%FT%TZ)" "$conns" "$secs"
    printf ' "runs":[%s],\n' "$(IFS=,; echo "${results[*]}")"
    printf ' "ratios":{%s}}\n' "$(IFS=,; echo "${ratios[*]}")"
} >"$out/results.json"
echo
echo "bench: results in $out/results.json; wrk logs in $out/"
