#!/usr/bin/env bash
# Chapter 9: every critic's claim, measured twice - in the model (fastsim,
# deterministic: same numbers on every machine) and on the real server
# (fastd under wrk on loopback: noisy, so read the ratios). Prints one
# Markdown table per claim, then a verdict table.
#
#   usage: chapters/experiments/09-critics.sh
#   env:   QUICK=1        short runs (about a minute in all; used by the tests)
#          BUILD=dir      where `make` put bin/ (default build)
#          ONLY="a b"     run only some parts: model cache steer idle churn
#                         single cachegrind (default: all of them)
#          SECS=N REPS=N  seconds per wrk run, runs per figure (median)
#
# Measure on a quiet machine. The real-server and cachegrind parts hold
# /tmp/fast-servers-bench.lock, so that they never overlap another
# measurement on this machine (exp_lock in lib.sh); the model needs no lock.
# Every server and client this script starts is stopped before it exits.
# It writes only under $BUILD/critics/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup -o critics 09-critics fastd fastsim
QUICK=${QUICK:-0}
if exp_quick; then
    SECS=${SECS:-1} REPS=${REPS:-1} CG_N=${CG_N:-300}
else
    SECS=${SECS:-3} REPS=${REPS:-3} CG_N=${CG_N:-3000}
fi
ONLY=${ONLY:-model cache steer idle churn single cachegrind}
fastsim=$build/bin/fastsim
scen=simulator/scenarios
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- the model ---------------------------------------------------------

# variant SRC DEST section.key=value...: a copy of a scenario with some
# keys set (replaced where present, else added to their section).
variant() {
    local src=$1 dest=$2
    shift 2
    cp "$src" "$dest"
    local kv sec key val
    for kv in "$@"; do
        sec=${kv%%.*} key=${kv#*.} val=${key#*=} key=${key%%=*}
        awk -v sec="$sec" -v key="$key" -v val="$val" '
            function flush() { if (insec && !done) { print key " = " val; done = 1 } }
            /^\[/ { flush(); insec = ($0 == "[" sec "]") }
            insec && $1 == key { print key " = " val; done = 1; next }
            { print }
            END { flush(); if (!done) { print "[" sec "]"; print key " = " val } }
        ' "$dest" >"$dest.tmp"
        mv "$dest.tmp" "$dest"
    done
}

# sim FILE [fastsim flags]: one JSON report, as fields for the tables.
sim() {
    "$fastsim" "$@" --report json >"$out/sim.json"
    local j
    j=$(cat "$out/sim.json")
    rps=$(grep -o '"throughput_rps":[0-9.]*' <<<"$j" | cut -d: -f2)
    p50=$(grep -o '"p50":[0-9.]*' <<<"$j" | cut -d: -f2)
    p99=$(grep -o '"p99":[0-9.]*' <<<"$j" | cut -d: -f2)
    pen=$(grep -o '"cache_misses":[0-9]*' <<<"$j" | cut -d: -f2)
    # Busy % per core: all of them up to 4 cores, else core 0 and the range.
    util=$(grep -o '"util":[0-9.]*' <<<"$j" | cut -d: -f2 | awk '
        { u[NR] = $1 * 100 }
        END { if (NR <= 4) { for (i = 1; i <= NR; i++) printf "%s%.0f", (i > 1 ? " / " : ""), u[i] }
              else { lo = hi = u[2]; for (i = 3; i <= NR; i++) { if (u[i] < lo) lo = u[i]; if (u[i] > hi) hi = u[i] }
                     printf "%.0f / %.0f-%.0f (x%d)", u[1], lo, hi, NR - 1 } }')
    qmax=$(grep -o '"queue_mean":[0-9.]*' <<<"$j" | cut -d: -f2 |
        awk 'NR == 1 || $1 > m { m = $1 } END { printf "%.1f", m }')
}
k() { awk -v v="$1" 'BEGIN { printf "%.0fk", v / 1000 }'; }

model_tables() {
    local t=$out/model
    mkdir -p "$t"
    echo "## Model (fastsim, deterministic, seed 1)"
    echo
    echo "### M1. Cache locality: handoff-cache.ini, cache_penalty swept"
    echo
    echo "| cache_penalty | staged req/s | shared-nothing req/s | pool req/s | staged p99 us | shared-nothing p99 us | pool p99 us | SN/staged req/s |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    local pen_ns a
    for pen_ns in 0 2000 4000 8000 16000 24000 32000; do
        variant "$scen/handoff-cache.ini" "$t/hc.ini" "cost.cache_penalty=$pen_ns"
        sim "$t/hc.ini" --arch staged
        local s_r=$rps s_p=$p99
        sim "$t/hc.ini" --arch shared-nothing
        local n_r=$rps n_p=$p99
        sim "$t/hc.ini" --arch pool
        printf '| %d us | %s | %s | %s | %s | %s | %s | %s |\n' $((pen_ns / 1000)) \
            "$(k "$s_r")" "$(k "$n_r")" "$(k "$rps")" "$(round "$s_p")" "$(round "$n_p")" \
            "$(round "$p99")" "$(ratio "$n_r" "$s_r" -)"
    done
    echo
    echo "### M1b. The same at cache_penalty 8 us, as the machine grows (64 clients per core)"
    echo
    echo "| cores | staged req/s | shared-nothing req/s | SN/staged | staged p99 us | shared-nothing p99 us | staged util % per core |"
    echo "|---:|---:|---:|---:|---:|---:|---|"
    local c
    for c in 2 4 8 16; do
        variant "$scen/handoff-cache.ini" "$t/hc.ini" "scenario.cores=$c" "load.clients=$((64 * c))"
        sim "$t/hc.ini" --arch staged
        local s_r=$rps s_p=$p99 s_u=$util
        sim "$t/hc.ini" --arch shared-nothing
        printf '| %d | %s | %s | %s | %s | %s | %s |\n' "$c" "$(k "$s_r")" "$(k "$rps")" \
            "$(ratio "$rps" "$s_r" -)" "$(round "$s_p")" "$(round "$p99")" "$s_u"
    done
    echo
    echo "### M2. Steering: who wakes for a new connection (shared-nothing.ini, clients varied)"
    echo
    echo "| clients | listener | req/s | p50 us | p99 us | util % per core | longest mean queue |"
    echo "|---:|---|---:|---:|---:|---|---:|"
    local l
    for c in 16 64 128 256; do
        for l in reuseport exclusive; do
            variant "$scen/shared-nothing.ini" "$t/st.ini" "scenario.listener=$l" "load.clients=$c"
            sim "$t/st.ini"
            printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$l" "$(k "$rps")" \
                "$(round "$p50")" "$(round "$p99")" "$util" "$qmax"
        done
    done
    echo
    echo "### M3. Idle cores: idle-accept-core.ini (2 cores, 16 keep-alive clients)"
    echo
    echo "| arch | threads | req/s | p99 us | util % core 0 / core 1 |"
    echo "|---|---:|---:|---:|---|"
    for a in "staged 2" "staged 3" "shared-nothing 2" "single 1"; do
        set -- $a
        variant "$scen/idle-accept-core.ini" "$t/idle.ini" "scenario.arch=$1" "scenario.threads=$2"
        sim "$t/idle.ini"
        printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$(k "$rps")" "$(round "$p99")" "$util"
    done
    echo
    echo "### M4. Stage imbalance: churn.ini (4 cores, one request per connection)"
    echo
    echo "| arch | accept threads | threads | req/s | p99 us | util % per core |"
    echo "|---|---:|---:|---:|---:|---|"
    for a in "staged 1 4" "staged 2 4" "staged 1 5" "staged 2 6" "shared-nothing 1 4" "pool 1 4"; do
        set -- $a
        variant "$scen/churn.ini" "$t/churn.ini" "scenario.arch=$1" "scenario.accept_threads=$2" \
            "scenario.threads=$3"
        sim "$t/churn.ini"
        [ "$1" = staged ] || set -- "$1" - "$3"
        printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(k "$rps")" "$(round "$p99")" "$util"
    done
    echo
    echo "### M5. Skewed lifetimes (skewed-lifetimes.ini) and pool contention (pool-contention.ini)"
    echo
    echo "| scenario | arch / schedule | req/s | p50 us | p99 us | util % per core |"
    echo "|---|---|---:|---:|---:|---|"
    for a in "staged rr" "staged least" "shared-nothing rr"; do
        set -- $a
        variant "$scen/skewed-lifetimes.ini" "$t/skew.ini" "scenario.schedule=$2"
        sim "$t/skew.ini" --arch "$1"
        printf '| skewed-lifetimes | %s | %s | %s | %s | %s |\n' "$1${2:+ / $2}" "$(k "$rps")" \
            "$(round "$p50")" "$(round "$p99")" "$util"
    done
    for c in 4 16 32; do
        for a in pool staged shared-nothing; do
            variant "$scen/pool-contention.ini" "$t/pool.ini" "scenario.cores=$c"
            sim "$t/pool.ini" --arch "$a"
            printf '| pool-contention, %d cores | %s | %s | %s | %s | %s |\n' "$c" "$a" \
                "$(k "$rps")" "$(round "$p50")" "$(round "$p99")" "$util"
        done
    done
    echo
    echo "### M7. One loop for everything: 2 cores, exponential service (mean 20 us), 32 clients"
    echo
    echo "| arch | threads | req/s | p50 us | p99 us | p99 / p50 | util % per core |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    # Exponential service: variable, not heavy-tailed. The slow-request
    # case (a bimodal service, and fastd's /work endpoint) is measured by
    # chapters/experiments/09-slow-request.sh.
    cat >"$t/slow.ini" <<'EOF'
[scenario]
name = variable service
cores = 2
duration_ms = 2000
warmup_ms = 200
[load]
clients = 32
think_us = 1000
requests_per_conn = 50
service = exp
service_us = 20
EOF
    for a in "single 1" "staged 2" "staged 3" "shared-nothing 2"; do
        set -- $a
        variant "$t/slow.ini" "$t/slow2.ini" "scenario.arch=$1" "scenario.threads=$2"
        sim "$t/slow2.ini"
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(k "$rps")" "$(round "$p50")" \
            "$(round "$p99")" "$(ratio "$p99" "$p50" -)" "$util"
    done
    echo
}

# ---- the real server -----------------------------------------------------

# start FLAGS...: fastd on a free port; sets fastd_pid, port, url.
start() { exp_start_fastd "$out/fastd.out" --quiet --idle-timeout 0 "$@"; }

# Per-thread CPU: "name run_ns utime_ticks stime_ticks ctxsw" per line.
threads_cpu() {
    local t
    for t in /proc/"$fastd_pid"/task/*; do
        local name ns rest
        name=$(cat "$t/comm" 2>/dev/null) || continue
        read -r ns rest <"$t/schedstat" || continue
        local ut st
        read -r ut st < <(sed 's/^.*) //' "$t/stat" | awk '{ print $12, $13 }')
        local cs
        cs=$(awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "$t/status")
        echo "$name $ns $ut $st $cs"
    done
}
# Per-thread "accepted requests" from /stats, in thread order.
stats_threads() {
    curl -s "$url/stats" | grep -o '"accepted":[0-9]*,"handed_off":[0-9]*,"requests":[0-9]*' |
        sed '$d; s/"[a-z_]*"://g; s/,/ /g'
}

# load KIND SECS CONNS: wrk against $url; sets rps p50 p99 (us).
load() {
    local args=() pin=()
    case $1 in
    pipe*) args=(-s scripts/bench/pipeline.lua) ;;
    churn) args=(-H 'Connection: close') ;;
    esac
    # CLIENT_CPU pins the load generator (R1b); otherwise the kernel places it.
    [ -n "${CLIENT_CPU:-}" ] && pin=(taskset -c "$CLIENT_CPU")
    "${pin[@]}" wrk -t1 -c"$3" -d"$2s" --latency "${args[@]}" "$url/plaintext" >"$out/wrk.log" 2>&1 || true
    rps=$(wrk_rps_exact "$out/wrk.log")
    p50=$(wrk_latency_us "$out/wrk.log" 50)
    p99=$(wrk_latency_us "$out/wrk.log" 99)
}

# measure NAME KIND CONNS FASTD-FLAGS...: REPS runs; appends one line per
# run to $out/real.txt:
#   NAME KIND rps p50_us p99_us requests cpu_us_per_req sys_share
#   acc_cpu_pct req_cpu_pct ctxsw_per_kreq accepts_per_thread(a/b/..)
measure() {
    local name=$1 kind=$2 conns=$3 r
    shift 3
    for r in $(seq "$REPS"); do
        start "$@"
        stats_threads >"$out/s0"
        threads_cpu >"$out/c0"
        local t0 t1
        t0=$(date +%s%N)
        load "$kind" "$SECS" "$conns"
        t1=$(date +%s%N)
        threads_cpu >"$out/c1"
        stats_threads >"$out/s1"
        exp_stop_fastd
        local cpu accepts reqs
        reqs=$(paste "$out/s0" "$out/s1" | awk '{ n += $6 - $3 } END { print n }')
        accepts=$(paste "$out/s0" "$out/s1" | awk '{ printf "%s%d", (NR > 1 ? "/" : ""), $4 - $1 }')
        cpu=$(join <(sort "$out/c0") <(sort "$out/c1") | awk -v secs="$(((t1 - t0) / 1000000))e-3" -v reqs="$reqs" '
            { ns = $6 - $2; ut += $7 - $3; st += $8 - $4; cs += $9 - $5; all += ns
              if ($1 ~ /acc/) acc += ns; else if ($1 ~ /req|all/) req += ns }
            END { printf "%.2f %.0f %.1f %.1f %.0f",
                  reqs ? all / 1000 / reqs : 0, (ut + st) ? 100 * st / (ut + st) : 0,
                  acc / 1e7 / secs, req / 1e7 / secs, reqs ? cs * 1000 / reqs : 0 }')
        echo "$name $kind $rps $p50 $p99 $reqs $cpu $accepts" >>"$out/real.txt"
    done
}
# get NAME KIND FIELD: the median over the runs (field 3 = rps, ...).
get() {
    awk -v n="$1" -v k="$2" -v f="$3" '$1 == n && $2 == k { print $f }' "$out/real.txt" | median
}
getl() { # the text field of the median-rps run
    awk -v n="$1" -v k="$2" -v f="$3" '$1 == n && $2 == k { print $3, $f }' "$out/real.txt" |
        sort -g | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }'
}

real_tables() {
    : >"$out/real.txt"
    local w a
    echo "## Real server (fastd on loopback, wrk -t1, ${SECS}s per run, median of $REPS)"
    echo
    echo "$(nproc) cores, kernel $(uname -r), $(date -u +%F)."
    echo
    if want cache; then
        for w in keep-alive pipelined churn; do
            measure staged "$w" 64 --arch staged
            measure shared-nothing "$w" 64 --arch shared-nothing
        done
        echo "### R1. Cache locality: staged against shared-nothing, 64 connections"
        echo
        echo "| workload | staged req/s | shared-nothing req/s | SN/staged | staged CPU us/req | SN CPU us/req | staged kernel share % | SN kernel share % |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        for w in keep-alive pipelined churn; do
            local s n
            s=$(get staged "$w" 3) n=$(get shared-nothing "$w" 3)
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$w" "$(round "$s")" "$(round "$n")" \
                "$(ratio "$n" "$s" -)" "$(get staged "$w" 7)" "$(get shared-nothing "$w" 7)" \
                "$(get staged "$w" 8)" "$(get shared-nothing "$w" 8)"
        done
        echo
        # The price of one core crossing per request: fastd --arch single is
        # pinned to one CPU; wrk pinned to the same CPU, then to another.
        start --arch single
        local core other
        core=$(sed -n 's/.*t0:both@cpu\([0-9]*\).*/\1/p' "$out/fastd.out")
        exp_stop_fastd
        other=$(( (core + 1) % $(nproc) ))
        for w in keep-alive pipelined; do
            CLIENT_CPU=$core measure same "$w" 64 --arch single
            CLIENT_CPU=$other measure other "$w" 64 --arch single
        done
        echo "### R1b. The price of crossing cores: fastd --arch single on cpu$core, wrk pinned beside it or away"
        echo
        echo "| workload | wrk on cpu$core (same) req/s | wrk on cpu$other (other) req/s | same/other | CPU us/req same | CPU us/req other |"
        echo "|---|---:|---:|---:|---:|---:|"
        for w in keep-alive pipelined; do
            printf '| %s | %s | %s | %s | %s | %s |\n' "$w" "$(round "$(get same "$w" 3)")" \
                "$(round "$(get other "$w" 3)")" "$(ratio "$(get same "$w" 3)" "$(get other "$w" 3)" -)" \
                "$(get same "$w" 7)" "$(get other "$w" 7)"
        done
        echo
    fi
    if want steer; then
        measure sn4 churn 64 --arch shared-nothing --threads 4
        measure acc2 churn 64 --arch staged --accept-threads 2 --threads 4
        want cache || measure shared-nothing churn 64 --arch shared-nothing
        echo "### R2. Steering: who accepts under churn (accepts per thread, from /stats)"
        echo
        echo "| server | how a thread is woken | conn/s | accepts per thread |"
        echo "|---|---|---:|---|"
        printf '| shared-nothing, 2 threads | SO_REUSEPORT hash | %s | %s |\n' \
            "$(round "$(get shared-nothing churn 3)")" "$(getl shared-nothing churn 12)"
        printf '| shared-nothing, 4 threads | SO_REUSEPORT hash | %s | %s |\n' \
            "$(round "$(get sn4 churn 3)")" "$(getl sn4 churn 12)"
        printf '| staged, 2 accept + 2 request | one listener, EPOLLEXCLUSIVE | %s | %s |\n' \
            "$(round "$(get acc2 churn 3)")" "$(getl acc2 churn 12)"
        echo
    fi
    if want idle; then
        for w in ka4 pipe4; do
            measure staged $w 4 --arch staged
            measure staged3 $w 4 --arch staged --threads 3
            measure shared-nothing $w 4 --arch shared-nothing
            measure single $w 4 --arch single
        done
        echo "### R3. Idle cores: 4 clients, keep-alive (ka4) and pipelined 16 deep (pipe4)"
        echo
        echo "| server | load | req/s | vs staged | accept-thread CPU % | request-thread CPU % (sum) | CPU us/req | ctx switches per 1k req |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|"
        local base
        for w in ka4 pipe4; do
            base=$(get staged $w 3)
            for a in "staged:staged, 1 accept + 1 request" "staged3:staged, 1 accept + 2 request" \
                "shared-nothing:shared-nothing, 2 threads" "single:single, 1 thread"; do
                local id=${a%%:*} label=${a#*:}
                printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$w" "$(round "$(get "$id" $w 3)")" \
                    "$(ratio "$(get "$id" $w 3)" "$base" -)" "$(get "$id" $w 9)" "$(get "$id" $w 10)" \
                    "$(get "$id" $w 7)" "$(get "$id" $w 11)"
            done
        done
        echo
    fi
    if want churn; then
        want cache || measure staged churn 64 --arch staged
        want cache || measure shared-nothing churn 64 --arch shared-nothing
        measure staged3 churn 64 --arch staged --threads 3
        want steer || measure acc2 churn 64 --arch staged --accept-threads 2 --threads 4
        measure nopin churn 64 --arch staged --no-pin
        echo "### R4. Stage imbalance: churn (a new connection per request), 64 clients"
        echo
        echo "| server | conn/s | vs staged | accept-thread CPU % (sum) | request-thread CPU % (sum) | CPU us/conn |"
        echo "|---|---:|---:|---:|---:|---:|"
        local base
        base=$(get staged churn 3)
        for a in "staged:staged, 1 accept + 1 request" "staged3:staged, 1 accept + 2 request" \
            "acc2:staged, 2 accept + 2 request" "nopin:staged, --no-pin" \
            "shared-nothing:shared-nothing, 2 threads"; do
            local id=${a%%:*} label=${a#*:}
            printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(round "$(get "$id" churn 3)")" \
                "$(ratio "$(get "$id" churn 3)" "$base" -)" "$(get "$id" churn 9)" \
                "$(get "$id" churn 10)" "$(get "$id" churn 7)"
        done
        echo
    fi
    if want single; then
        echo "### R7. One loop for everything: a 4-connection probe, alone and beside a pipelining hog"
        echo
        echo "| server | probe p50 us alone | p99 alone | p50 with hog | p99 with hog | p99 with / alone | hog req/s |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for a in "single:--arch single" "staged:--arch staged" "staged3:--arch staged --threads 3" \
            "shared-nothing:--arch shared-nothing"; do
            local id=${a%%:*} flags=${a#*:} r
            local -a a50=() a99=() h50=() h99=() hog=()
            for r in $(seq "$REPS"); do
                # shellcheck disable=SC2086
                start $flags
                load keep-alive "$SECS" 4
                a50+=("$p50") a99+=("$p99")
                BENCH_DEPTH=256 wrk -t1 -c8 -d"$((SECS + 1))s" -s scripts/bench/pipeline.lua \
                    "$url/plaintext" >"$out/hog.log" 2>&1 &
                local hp=$!
                sleep 0.3
                load keep-alive "$SECS" 4
                h50+=("$p50") h99+=("$p99")
                wait "$hp" || true
                hog+=("$(wrk_rps_exact "$out/hog.log")")
                exp_stop_fastd
            done
            local m99 n99
            m99=$(median <<<"${a99[*]}") n99=$(median <<<"${h99[*]}")
            printf '| %s | %s | %s | %s | %s | %s | %s |\n' "fastd $flags" "$(round "$(median <<<"${a50[*]}")")" \
                "$(round "$m99")" "$(round "$(median <<<"${h50[*]}")")" "$(round "$n99")" "$(ratio "$n99" "$m99" -)" \
                "$(round "$(median <<<"${hog[*]}")")"
        done
        echo
    fi
}

# ---- cachegrind: simulated caches on a fixed workload ---------------------

cg_run() { # arch n mode -> "Ir I1mr D1mr DLmr"; tries again if a run failed
    local try res
    for try in 1 2 3; do
        res=$(cg_once "$@")
        [ "$(wc -w <<<"$res")" = 4 ] && { echo "$res"; return; }
    done
    echo "0 0 0 0"
}
cg_once() {
    local arch=$1 n=$2 mode=$3
    rm -f "$out/cg.err"
    : >"$out/fastd.out"
    valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null \
        "$build/bin/fastd" --port 0 --quiet --arch "$arch" >"$out/fastd.out" 2>"$out/cg.err" &
    fastd_pid=$!
    port=$(fastd_port "$out/fastd.out" "$fastd_pid" 400) ||
        { echo "09-critics: fastd under valgrind did not start" >&2; cat "$out/cg.err" >&2; exit 1; }
    if [ "$n" -gt 0 ]; then
        awk -v n="$n" -v port="$port" 'BEGIN { for (i = 0; i < n; i++)
            printf "url = \"http://127.0.0.1:%s/plaintext\"\noutput = \"/dev/null\"\n", port }' >"$out/urls"
        local h=()
        case $mode in
        churn) h=(-H 'Connection: close') ;;
        par) h=(--parallel --parallel-max 32) ;;
        esac
        curl -s --no-progress-meter "${h[@]}" -K "$out/urls" 2>/dev/null || true
    fi
    exp_stop_fastd
    awk '/ I +refs:/ { ir = $4 } / I1 +misses:/ { i1 = $4 } / D1 +misses:/ { d1 = $4 }
         / LLd +misses:/ { dl = $4 }
         END { gsub(",", "", ir); gsub(",", "", i1); gsub(",", "", d1); gsub(",", "", dl)
               if (ir != "" && i1 != "" && d1 != "" && dl != "") print ir, i1, d1, dl }' "$out/cg.err"
}

cachegrind_table() {
    command -v valgrind >/dev/null || { echo "(valgrind missing: cachegrind table skipped)"; return; }
    echo "## Cachegrind: fastd's own code and data, per request (simulated caches, threads serialised)"
    echo
    echo "$CG_N requests by curl; figures are (run with requests - run with none) / $CG_N."
    echo
    echo "| server | workload | instructions/req | I1 misses/req | D1 misses/req | LL data misses/req |"
    echo "|---|---|---:|---:|---:|---:|"
    local a m
    for a in staged shared-nothing; do
        local base
        base=$(cg_run "$a" 0 ka)
        for m in "ka:keep-alive, 1 connection" "par:keep-alive, 32 connections" "churn:churn"; do
            local id=${m%%:*} label=${m#*:}
            paste <(echo "$base") <(cg_run "$a" "$CG_N" "$id") | awk -v n="$CG_N" -v a="$a" -v l="$label" '
                { printf "| %s | %s | %.0f | %.3f | %.3f | %.3f |\n", a, l,
                  ($5 - $1) / n, ($6 - $2) / n, ($7 - $3) / n, ($8 - $4) / n }'
        done
    done
    echo
}

# ---- run ---------------------------------------------------------------

echo "# Chapter 9: the critics, measured ($(date -u +%FT%TZ), QUICK=$QUICK)"
echo
want model && model_tables
if want cache || want steer || want idle || want churn || want single; then
    exp_need wrk curl
    exp_lock
    real_tables
fi
if want cachegrind; then
    exp_lock
    cachegrind_table
fi
exp_unlock
echo "Raw runs: $out/real.txt (name kind rps p50 p99 requests cpu_us/req kernel% acc% req% ctxsw/1k accepts)."
