#!/usr/bin/env bash
# make bench: fastd (staged and shared-nothing) against nginx and h2o, under
# the same load from wrk on the same machine, on loopback.
#
#   workloads  keep-alive   64 connections, one request at a time each
#              pipelined    the same, 16 requests per write (TechEmpower style)
#              churn        a new connection per request (Connection: close)
#   each run   wrk -t1 -c64 for BENCH_SECONDS (default 5) on GET /plaintext
#   memory     RSS per idle keep-alive connection at BENCH_MEM_CONNS
#              (default 10,000; QUICK=1: 2,000) for fastd, nginx and h2o
#
# Every server is started here on 127.0.0.1 and stopped after its run.
# Results: a table on stdout and build/bench/results.json.
#
# make bench MINE=1 sets BENCH_REF_FASTD to the reference fastd: then
# scripts/bench/mine.sh runs instead, the learner's fastd
# ($BUILD/bin/fastd) beside the reference row by row, each row measured
# only where the learner's exercises can serve it (that script says how).
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
[ -n "${BENCH_REF_FASTD:-}" ] && exec "$here/bench/mine.sh" "$BUILD" "$BENCH_REF_FASTD"
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
# Memory: RSS per idle keep-alive connection (each answered once), in
# the same run; scripts/bench/idle_rss.c measures it.
mem_conns=${BENCH_MEM_CONNS:-10000}
exp_quick && mem_conns=2000
cc -O2 -o "$out/idle_rss" "$here/bench/idle_rss.c"
mem_line="" mem_json=()
for s in fastd-staged nginx h2o; do
    [[ " ${servers[*]} " == *" $s "* ]] || continue
    start_server "$s"
    pids=("$server_pid" $(pgrep -P "$server_pid" || true))
    m=$("$out/idle_rss" "$port" "$mem_conns" "${pids[@]}" 2>"$out/$s-mem.err" |
        awk '{ print $4 }') || true
    stop_server
    mem_line="$mem_line  $s ${m:-?} B"
    mem_json+=("\"$s\":${m:-null}")
done
exp_unlock

echo
echo "memory     RSS per idle keep-alive connection at $mem_conns:$mem_line"
printf '%-11s' workload
for s in "${servers[@]}"; do printf ' %21s' "$s"; done
ratios=()
printf ' %14s %14s %14s\n' "staged/nginx" "nopin/nginx" "shared/nginx"
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

# ---- io_uring rows, a 64 KiB body, syscalls per request (issue 13) ---------
# A self-contained block: fastd --io uring beside the epoll rows above (same
# run, same wrk); a large-response workload (GET of a 64 KiB body: fastd
# --body-kib 64, a 64 KiB file for nginx and h2o) for every server, to test
# whether io_uring's saving (system calls) still matters when each call
# moves 64 KiB; and system calls per request for each server and workload,
# counted by perf's raw_syscalls:sys_enter tracepoint (strace -c -f when
# perf may not), divided by the requests wrk completed in that run.
# BENCH_URING=0 skips it; where io_uring is unavailable it says so and
# runs the rest without the uring rows.
uring_block() {
    local uring=(fastd-staged-uring fastd-shared-nothing-uring)
    local rc=0 # fastd runs until timeout stops it, or says why it cannot
    timeout 1 "$build/bin/fastd" --io uring --port 0 --quiet \
        >"$out/uring-probe.out" 2>&1 || rc=$?
    if [ $rc != 124 ]; then
        echo "bench: no io_uring rows: $(tail -n 1 "$out/uring-probe.out")"
        uring=()
    fi
    head -c 65536 /dev/zero >"$out/body.bin"
    # nginx and h2o with a /body location serving that file.
    sed -e "s|@DIR@|$out|g; s|@ADDR@|127.0.0.1|" "$here/bench/nginx.conf.in" |
        sed "s|^\( *\)location / {|\1location = /body { default_type application/octet-stream; alias $out/body.bin; }\n&|" \
            >"$out/nginx-body.conf.in"
    sed -e "s|@DIR@|$out|g; s|@ADDR@|127.0.0.1|" "$here/bench/h2o.conf.in" |
        sed "s|^\( *\)/:\$|\1/body:\n\1  file.file: $out/body.bin\n&|" >"$out/h2o-body.conf.in"
    ustart() { # name: like start_server, with /body everywhere
        case $1 in
        fastd-*)
            local flags=(--arch staged --body-kib 64)
            case $1 in *shared-nothing*) flags=(--arch shared-nothing --body-kib 64) ;; esac
            case $1 in *-uring) flags+=(--io uring) ;; esac
            exp_start_fastd "$out/$1.out" "${flags[@]}" --quiet
            server_pid=$fastd_pid
            ;;
        nginx)
            port=$(free_port)
            sed "s|@PORT@|$port|" "$out/nginx-body.conf.in" >"$out/nginx.conf"
            nginx -p "$out" -c "$out/nginx.conf" -e "$out/nginx-error.log" >"$out/nginx.out" 2>&1 &
            server_pid=$!
            ;;
        h2o)
            port=$(free_port)
            sed "s|@PORT@|$port|" "$out/h2o-body.conf.in" >"$out/h2o.conf"
            h2o -c "$out/h2o.conf" >"$out/h2o.out" 2>&1 &
            server_pid=$!
            ;;
        esac
        wait_http "$port" || { echo "bench: $1 did not start (see $out/$1.out)"; exit 1; }
    }
    wrk_args() { # workload: wrk's options and URL path
        case $1 in
        pipelined) echo "-s $here/bench/pipeline.lua /plaintext" ;;
        churn) echo "-H Connection:close /plaintext" ;;
        body64k) echo "/body" ;;
        *) echo "/plaintext" ;;
        esac
    }
    urun() { # server workload
        local a path log=$out/$1-$2.wrk
        a=$(wrk_args "$2")
        path=${a##* }
        a=${a% *}
        [ "$a" = "$path" ] && a=
        # shellcheck disable=SC2086
        wrk -t1 -c"$conns" -d"${secs}s" --latency $a "http://127.0.0.1:$port$path" >"$log" 2>&1 || true
        local rps errors
        rps=$(wrk_rps_exact "$log")
        errors=$(wrk_errors "$log")
        printf '  %-26s %-10s %12.0f req/s%s\n' "$1" "$2" "$rps" \
            "$([ "$errors" != 0 ] && echo "  socket errors: $errors")"
        results+=("{\"server\":\"$1\",\"workload\":\"$2\",\"rps\":$rps,\"socket_errors\":$errors}")
        eval "rps_${1//-/_}_${2//-/_}=$rps"
    }
    # Syscalls per request: the server's processes, counted while wrk runs.
    have_perf=0
    perf_works raw_syscalls:sys_enter && have_perf=1
    syscalls() { # server workload: prints calls per request, or "-"
        local pids=$server_pid log=$out/$1-$2-sys
        case $1 in nginx) pids=$(pgrep -d, -P "$server_pid" || echo "$server_pid") ;; esac
        local a path
        a=$(wrk_args "$2")
        path=${a##* }
        a=${a% *}
        [ "$a" = "$path" ] && a=
        if [ $have_perf = 1 ]; then
            perf stat -x, -e raw_syscalls:sys_enter -p "$pids" -o "$log.perf" &
        else
            strace -c -f -p "${pids//,/ -p }" -o "$log.strace" 2>/dev/null &
        fi
        local tracer=$!
        sleep 0.3 # let the tracer attach to every thread
        # shellcheck disable=SC2086
        wrk -t1 -c"$conns" -d"$sys_secs"s $a "http://127.0.0.1:$port$path" >"$log.wrk" 2>&1 || true
        kill -INT "$tracer" 2>/dev/null || true
        wait "$tracer" 2>/dev/null || true
        local n calls
        n=$(wrk_requests "$log.wrk")
        if [ $have_perf = 1 ]; then
            calls=$(perf_count "$log.perf" raw_syscalls:sys_enter)
        else
            calls=$(awk '$NF == "total" { print $3 }' "$log.strace" 2>/dev/null)
        fi
        ratio "${calls:--}" "$n" -
    }

    local w s all=(fastd-staged "${uring[@]:0:1}" fastd-shared-nothing "${uring[@]:1:1}")
    for s in nginx h2o; do command -v "$s" >/dev/null && all+=("$s"); done
    echo
    echo "bench: io_uring rows and the 64 KiB body (wrk -t1 -c$conns, ${secs}s per run)"
    exp_lock
    for w in keep-alive pipelined churn; do
        for s in "${uring[@]}"; do
            if [ "$w" = churn ] && [ "${BENCH_TW_WAIT:-1}" != 0 ]; then exp_wait_time_wait; fi
            ustart "$s"
            urun "$s" "$w"
            stop_server
        done
    done
    for s in "${all[@]}"; do
        ustart "$s"
        urun "$s" body64k
        stop_server
    done
    sys_secs=$((secs > 4 ? secs / 2 : 2))
    declare -gA sys
    for w in keep-alive pipelined churn body64k; do
        for s in "${all[@]}"; do
            if [ "$w" = churn ] && [ "${BENCH_TW_WAIT:-1}" != 0 ]; then exp_wait_time_wait; fi
            ustart "$s"
            sys[$s/$w]=$(syscalls "$s" "$w")
            stop_server
        done
    done
    exp_unlock

    echo
    echo "io_uring against epoll, the same arch (req/s; ratio uring/epoll):"
    printf '%-11s %14s %14s %7s %14s %14s %7s %12s %12s\n' workload staged staged-uring ratio \
        shared-nothing shared-uring ratio nginx h2o
    local v1 v2 v3 v4 ng h2 r1 r2
    for w in keep-alive pipelined churn body64k; do
        v1="rps_fastd_staged_${w//-/_}" v2="rps_fastd_staged_uring_${w//-/_}"
        v3="rps_fastd_shared_nothing_${w//-/_}" v4="rps_fastd_shared_nothing_uring_${w//-/_}"
        ng="rps_nginx_${w//-/_}" h2="rps_h2o_${w//-/_}"
        r1=$(ratio "${!v2:-0}" "${!v1:-0}" null) r2=$(ratio "${!v4:-0}" "${!v3:-0}" null)
        printf '%-11s %14.0f %14.0f %6sx %14.0f %14.0f %6sx %12.0f %12.0f\n' "$w" \
            "${!v1:-0}" "${!v2:-0}" "$r1" "${!v3:-0}" "${!v4:-0}" "$r2" "${!ng:-0}" "${!h2:-0}"
        ratios+=("\"uring_$w\":{\"staged_uring_vs_epoll\":$r1,\"shared_nothing_uring_vs_epoll\":$r2}")
    done
    echo
    echo "System calls per request ($([ $have_perf = 1 ] && echo "perf raw_syscalls:sys_enter" || echo "strace -c -f"), ${sys_secs}s runs):"
    printf '%-11s' workload
    for s in "${all[@]}"; do printf ' %26s' "$s"; done
    echo
    local sysjson=()
    for w in keep-alive pipelined churn body64k; do
        printf '%-11s' "$w"
        for s in "${all[@]}"; do
            printf ' %26s' "${sys[$s/$w]}"
            sysjson+=("{\"server\":\"$s\",\"workload\":\"$w\",\"per_request\":$([ "${sys[$s/$w]}" = - ] && echo null || echo "${sys[$s/$w]}")}")
        done
        echo
    done
    printf '{"counted_by":"%s","runs":[%s]}\n' \
        "$([ $have_perf = 1 ] && echo perf || echo strace)" \
        "$(IFS=,; echo "${sysjson[*]}")" >"$out/syscalls.json"
    echo "bench: system calls per request in $out/syscalls.json"
}
[ "${BENCH_URING:-1}" != 0 ] && uring_block

{
    printf '{"machine":{"cores":%d,"kernel":"%s","date":"%s","wrk":"-t1 -c%d -d%ss"},\n' \
        "$(nproc)" "$(uname -r)" "$(date -u +%FT%TZ)" "$conns" "$secs"
    printf ' "runs":[%s],\n' "$(IFS=,; echo "${results[*]}")"
    printf ' "ratios":{%s},\n' "$(IFS=,; echo "${ratios[*]}")"
    printf ' "idle_rss_bytes":{"connections":%d,%s}}\n' "$mem_conns" \
        "$(IFS=,; echo "${mem_json[*]}")"
} >"$out/results.json"
echo
echo "bench: results in $out/results.json; wrk logs in $out/"
