#!/usr/bin/env bash
# Chapter 9, claim 7: does one slow request stall everyone else's latency?
# Measured on fastd with its teaching endpoint (/work?us=N, enabled here
# with --work-max-us) and modelled in fastsim with a bimodal service time,
# for every architecture, against an all-fast baseline in the same run.
#
#   usage: chapters/experiments/09-slow-request.sh
#   env:   QUICK=1     short runs (about 20 s; used by the tests)
#          BUILD=dir   where `make` put bin/ (default build)
#          SECS=N REPS=N  seconds per run, runs per figure (median)
#          RATE=R SLOW_US=N SLOW_RATE=R  the load (default 4000 fast
#                      requests/s on 16 connections; one connection sends
#                      2 requests/s of 10000 us: one request in 2000 is
#                      slow, and slow ones take 2% of one core)
#
# The fast requests' latency is recorded apart from the slow ones' by
# tests/load/mixload.c (build/bin/mixload), a paced client that counts a
# late answer from when the next request was due (no coordinated
# omission). It also keeps apart the fast requests sent while a slow one
# was in flight: on a machine shared with other work their share delayed
# over SLOW_US/10 says what the slow request did, where the p99 of all
# fast requests also says what the neighbours did. The real-server part holds the measurement lock (lib.sh).
# Every server this script starts is stopped before it exits; it writes
# only under $BUILD/experiments/09/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 09 fastd fastsim mixload
if exp_quick; then
    SECS=${SECS:-1} REPS=${REPS:-1} MODEL_MS=${MODEL_MS:-20000}
else
    SECS=${SECS:-3} REPS=${REPS:-5} MODEL_MS=${MODEL_MS:-60000}
fi
RATE=${RATE:-4000} CONNS=${CONNS:-16}
SLOW_US=${SLOW_US:-10000} SLOW_RATE=${SLOW_RATE:-2}
MARK_US=$((SLOW_US / 10))
mixload=$build/bin/mixload
# The architectures: label, fastd flags, fastsim arch and threads. fastd
# has no worker pool; the model does, so the pool appears there only.
archs=(
    "single|--arch single|single 1"
    "staged, 1 request thread|--arch staged --threads 2|staged 2"
    "staged, 2 request threads|--arch staged --threads 3|staged 3"
    "shared-nothing, 2 threads|--arch shared-nothing --threads 2|shared-nothing 2"
    "pool: the loop and one worker on 2 cores (model only)||pool 2"
)

# ---- measured ------------------------------------------------------------

# run FLAGS... : one mixload run against a fresh fastd, with or without
# the slow connection ($slow = 1 or 0); appends "p50 p99 p999 slow_p50
# over_pct" of the run to $out/runs.txt under the key $key.
run() {
    exp_start_fastd "$out/fastd.out" --quiet --idle-timeout 0 \
        --work-max-us "$SLOW_US" "$@"
    local extra=()
    [ "$slow" = 1 ] && extra=(--slow-conns 1 --slow-rate "$SLOW_RATE" --slow-path "/work?us=$SLOW_US")
    "$mixload" --port "$port" --seconds "$SECS" --warmup 0.3 --conns "$CONNS" \
        --rate "$RATE" --mark-us "$MARK_US" "${extra[@]}" >"$out/mix.out" 2>&1 ||
        { echo "09-slow-request: mixload failed:" >&2; cat "$out/mix.out" >&2; exit 1; }
    exp_stop_fastd
    awk -v key="$key" '
        $1 == "fast" { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
        $1 == "slow" { for (i = 2; i <= NF; i++) { split($i, kv, "="); s[kv[1]] = kv[2] } }
        $1 == "fast_during_slow" { for (i = 2; i <= NF; i++) { split($i, kv, "="); d[kv[1]] = kv[2] } }
        function or(v) { return v == "" ? "-" : v }
        END { print key, f["p50_us"], f["p99_us"], f["p999_us"], or(s["p50_us"]), f["over_mark_pct"],
                    or(d["n"]), or(d["p50_us"]), or(d["over_mark_pct"]) }
    ' "$out/mix.out" >>"$out/runs.txt"
}
get() { awk -v k="$1" -v f="$2" '$1 == k { print $f }' "$out/runs.txt" | median; }

measured_table() {
    : >"$out/runs.txt"
    local a r label flags
    for r in $(seq "$REPS"); do
        for a in "${archs[@]}"; do
            IFS='|' read -r label flags _ <<<"$a"
            [ -n "$flags" ] || continue
            # shellcheck disable=SC2086
            key="${label// /_}:alone" slow=0 run $flags
            # shellcheck disable=SC2086
            key="${label// /_}:mixed" slow=1 run $flags
        done
    done
    echo "### Measured: fastd, $RATE fast requests/s on $CONNS connections, plus one connection sending $SLOW_RATE/s of /work?us=$SLOW_US"
    echo
    echo "$(nproc) cores, kernel $(uname -r), $(date -u +%F); ${SECS} s per run, median of $REPS; latency of the FAST requests only, in us."
    echo
    echo "| server | p50 alone | p99 alone | p99.9 alone | p50 with slow | p99 with slow | p99.9 with slow | p99 with / alone | % over $MARK_US us alone | % over $MARK_US us with slow | sent during a slow one: % over $MARK_US us | their p50 | slow request p50 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for a in "${archs[@]}"; do
        IFS='|' read -r label flags _ <<<"$a"
        [ -n "$flags" ] || continue
        local k=${label// /_}
        local a99 m99
        a99=$(get "$k:alone" 3) m99=$(get "$k:mixed" 3)
        printf '| fastd %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$flags" \
            "$(get "$k:alone" 2)" "$a99" "$(get "$k:alone" 4)" "$(get "$k:mixed" 2)" "$m99" "$(get "$k:mixed" 4)" \
            "$(ratio "$m99" "$a99" -)" "$(get "$k:alone" 6)" "$(get "$k:mixed" 6)" \
            "$(get "$k:mixed" 9)" "$(get "$k:mixed" 8)" "$(get "$k:mixed" 5)"
    done
    echo
}

# ---- modelled --------------------------------------------------------------

# The same load in fastsim, 2 cores, with a bimodal service time (the
# fast requests' application time ~0, one in 2000 takes SLOW_US). mixload
# keeps sending on schedule while the server stalls, so the model needs
# arrivals that do not wait for answers either: 400 keep-alive clients
# with a 100 ms mean think time make nearly Poisson arrivals at RATE (16
# clients would stop sending during a stall and hide it). The model has
# no per-class report: its p99 over all requests is the fast ones' (slow
# ones are 0.05%, above the 99.9th percentile).
modelled_table() {
    local clients=400 think_us
    think_us=$(awk -v c=$clients -v r="$RATE" 'BEGIN { printf "%.0f", c * 1e6 / r }')
    local frac
    frac=$(awk -v s="$SLOW_RATE" -v r="$RATE" 'BEGIN { printf "%.6f", s / r }')
    echo "### Modelled: fastsim, 2 cores, $clients clients at $RATE requests/s, one request in $(awk -v f="$frac" 'BEGIN { printf "%.0f", 1 / f }') takes $SLOW_US us (service = bimodal)"
    echo
    echo "${MODEL_MS} ms simulated per run, seed 1 (exact on any machine). Latency of all requests, in us."
    echo
    echo "| model of | threads | p50 alone | p99 alone | p50 with slow | p99 with slow | p99 with / alone |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    local a label arch threads
    for a in "${archs[@]}"; do
        IFS='|' read -r label _ arch_threads <<<"$a"
        read -r arch threads <<<"$arch_threads"
        local p=() f
        for f in 0 "$frac"; do
            cat >"$out/slow.ini" <<EOF
[scenario]
name = one slow request
arch = $arch
cores = 2
threads = $threads
duration_ms = $MODEL_MS
warmup_ms = 500
[load]
clients = $clients
think_us = $think_us
requests_per_conn = 0
service = bimodal
service_us = 0
slow_fraction = $f
slow_us = $SLOW_US
EOF
            local j
            j=$("$build/bin/fastsim" "$out/slow.ini" --report json)
            p+=("$(grep -o '"p50":[0-9.]*' <<<"$j" | cut -d: -f2)" "$(grep -o '"p99":[0-9.]*' <<<"$j" | cut -d: -f2)")
        done
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$threads" "$(round "${p[0]}")" \
            "$(round "${p[1]}")" "$(round "${p[2]}")" "$(round "${p[3]}")" "$(ratio "${p[3]}" "${p[1]}" -)"
    done
    echo
}

echo "## Claim 7: one slow request ($(date -u +%FT%TZ), QUICK=${QUICK:-0})"
echo
modelled_table
exp_lock
measured_table
exp_unlock
echo "Raw runs: $out/runs.txt (key, fast p50 p99 p99.9 us, slow p50 us, % of fast over ${MARK_US} us,"
echo "and for the fast requests sent during a slow one: count, p50 us, % over ${MARK_US} us)."
