#!/usr/bin/env bash
# Chapter 0 experiment: the canonical single event loop against the staged
# design, first in fastd under wrk, then in fastsim's model.
#
#   QUICK=1   1-second runs, one round (default: 5-second runs, 3 rounds)
#   ROUNDS    rounds when not QUICK (default 3)
#   BUILD     build directory (default build)
#   CONNS     wrk connections (default 64)
#
# Each round runs every configuration once, in turn, so that slow periods
# of a shared machine hit all of them alike; the table shows the median
# over rounds and the ratio to --arch single measured in the same run.
# Wall-clock runs hold /tmp/fast-servers-bench.lock so that no other
# measurement on this machine overlaps them (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 00 wrk curl fastd fastsim
secs=5 rounds=${ROUNDS:-3}
if exp_quick; then secs=1 rounds=1; fi
conns=${CONNS:-64}

archs=(single staged)
workloads=(keep-alive pipelined)

# One wrk run against a fresh fastd; prints "req/s p99_us".
measure() { # arch workload
    local args=(--latency) log=$out/$1-$2.log
    [ "$2" = pipelined ] && args=(-s scripts/bench/pipeline.lua)
    scripts/with-fastd --arch "$1" --quiet -- \
        "wrk -t1 -c$conns -d${secs}s ${args[*]} \$FASTD_URL/plaintext" >"$log" 2>&1
    echo "$(wrk_rps "$log") $(round "$(wrk_latency_us "$log" 99)")"
}

exp_lock
declare -A rps p99
for ((r = 1; r <= rounds; r++)); do
    for w in "${workloads[@]}"; do
        for a in "${archs[@]}"; do
            read -r x y < <(measure "$a" "$w")
            rps[$a,$w]+="$x "
            p99[$a,$w]+="$y "
        done
    done
done
exp_unlock

echo "fastd under wrk -t1 -c$conns, ${secs} s per run, median of $rounds round(s), $(nproc) cores, kernel $(uname -r)"
echo
echo "| workload | arch | threads | req/s | ratio to single | p99 (us) | req/s of each round |"
echo "|---|---|---|---:|---:|---:|---|"
for w in "${workloads[@]}"; do
    base=$(median <<<"${rps[single,$w]}")
    for a in "${archs[@]}"; do
        v=$(median <<<"${rps[$a,$w]}")
        l=$(median <<<"${p99[$a,$w]}")
        [ "$w" = pipelined ] && l="-" # wrk records no latency for pipelined runs
        threads=$(sed -n 's/^fastd: listening on .*threads=\([0-9]*\) \(.*\)/\1 (`\2`)/p' "$out/$a-$w.log")
        each=$(sed 's/ *$//; s/ /, /g' <<<"${rps[$a,$w]}")
        ratio=$(ratio "$v" "$base")
        echo "| $w | $a | $threads | $v | $ratio | $l | $each |"
    done
done

echo
echo "fastsim: simulator/scenarios/single.ini and staged.ini (seed 1, deterministic)"
echo
echo "| scenario | cores | req/s | ratio to single | p99 (us) | busiest core | idlest core |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for cores in 2 4; do
    base=
    for s in single staged; do
        # One line per figure in --report text: throughput, latency, core N.
        read -r t p hi lo < <("$build/bin/fastsim" "simulator/scenarios/$s.ini" --cores "$cores" --report text |
            awk '$1 == "throughput" { t = $2 }
                 $1 == "latency" { for (i = 1; i < NF; i++) if ($i == "p99") p = $(i + 1) }
                 $1 == "core" { u = $3 + 0; if (hi == "" || u > hi) hi = u; if (lo == "" || u < lo) lo = u }
                 END { print t, p, hi / 100, lo / 100 }')
        base=${base:-$t}
        awk -v s="$s" -v c="$cores" -v t="$t" -v b="$base" -v p="$p" -v hi="$hi" -v lo="$lo" \
            'BEGIN { printf "| %s | %d | %.0f | %.2f | %.0f | %.0f%% | %.0f%% |\n", s, c, t, t / b, p, hi * 100, lo * 100 }'
    done
done
