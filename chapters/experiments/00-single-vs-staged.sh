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
# measurement on this machine overlaps them.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
secs=5 rounds=${ROUNDS:-3}
if [ "${QUICK:-0}" = 1 ]; then secs=1 rounds=1; fi
conns=${CONNS:-64}
out=$build/experiments/00
mkdir -p "$out"
for tool in wrk curl; do
    command -v $tool >/dev/null || { echo "00: $tool is missing: run 'make deps'" >&2; exit 1; }
done
[ -x "$build/bin/fastd" ] && [ -x "$build/bin/fastsim" ] ||
    { echo "00: build the programs first: make BUILD=$build" >&2; exit 1; }

archs=(single staged)
workloads=(keep-alive pipelined)

# One wrk run against a fresh fastd; prints "req/s p99_us".
measure() { # arch workload
    local args=(--latency) log=$out/$1-$2.log
    [ "$2" = pipelined ] && args=(-s scripts/bench/pipeline.lua)
    BUILD=$build scripts/with-fastd --arch "$1" --quiet -- \
        "wrk -t1 -c$conns -d${secs}s ${args[*]} \$FASTD_URL/plaintext" >"$log" 2>&1
    awk '/^Requests\/sec/ { rps = $2 }
         $1 == "99%" { v = $2 + 0
                       if ($2 ~ /ms$/) v *= 1000; else if ($2 ~ /[^mu]s$/) v *= 1e6
                       p99 = v }
         END { printf "%.0f %s\n", rps, p99 == "" ? "-" : sprintf("%.0f", p99) }' "$log"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

exec 9>/tmp/fast-servers-bench.lock
flock -n 9 || { echo "00: waiting for /tmp/fast-servers-bench.lock (another measurement is running)" >&2; flock 9; }
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
flock -u 9

echo "fastd under wrk -t1 -c$conns, ${secs} s per run, median of $rounds round(s), $(nproc) cores, kernel $(uname -r)"
echo
echo "| workload | arch | threads | req/s | ratio to single | p99 (us) | req/s of each round |"
echo "|---|---|---|---:|---:|---:|---|"
for w in "${workloads[@]}"; do
    base=$(tr ' ' '\n' <<<"${rps[single,$w]}" | grep . | median)
    for a in "${archs[@]}"; do
        v=$(tr ' ' '\n' <<<"${rps[$a,$w]}" | grep . | median)
        l=$(tr ' ' '\n' <<<"${p99[$a,$w]}" | grep . | median)
        [ "$w" = pipelined ] && l="-" # wrk records no latency for pipelined runs
        threads=$(sed -n 's/^fastd: listening on .*threads=\([0-9]*\) \(.*\)/\1 (`\2`)/p' "$out/$a-$w.log")
        each=$(sed 's/ *$//; s/ /, /g' <<<"${rps[$a,$w]}")
        ratio=$(awk -v a="$v" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
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
