#!/usr/bin/env bash
# Chapter 1 experiment: what pinning changes. fastd under wrk keep-alive
# load, pinned (its default) and --no-pin, staged and shared-nothing, and
# staged with twice as many threads as cores. For each run: requests per
# second, and from `perf stat -p` on fastd (software events, which work
# where hardware counters do not): context switches, CPU migrations and
# CPU time per request. The masks column is each thread's
# Cpus_allowed_list from /proc, read while the server runs.
#
#   QUICK=1   1-second runs, one round (default: 5-second runs, 3 rounds)
#   ROUNDS    rounds when not QUICK (default 3)
#   BUILD     build directory (default build)
#   CONNS     wrk connections (default 64)
#
# Each round runs every configuration once, in turn; the table shows the
# median over rounds and the ratio to pinned staged from the same run.
# Wall-clock runs hold /tmp/fast-servers-bench.lock so that no other
# measurement on this machine overlaps them.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
secs=5 rounds=${ROUNDS:-3}
if [ "${QUICK:-0}" = 1 ]; then secs=1 rounds=1; fi
conns=${CONNS:-64}
out=$build/experiments/01
mkdir -p "$out"
for tool in wrk perf; do
    command -v $tool >/dev/null || { echo "01: $tool is missing: run 'make deps'" >&2; exit 1; }
done
[ -x "$build/bin/fastd" ] || { echo "01: build fastd first: make BUILD=$build" >&2; exit 1; }

# name|fastd flags
configs=(
    "staged|--arch staged"
    "staged --no-pin|--arch staged --no-pin"
    "staged --threads 4|--arch staged --threads 4"
    "shared-nothing|--arch shared-nothing"
    "shared-nothing --no-pin|--arch shared-nothing --no-pin"
)

# Each thread's name and allowed CPUs, e.g. "acc-0:0 req-1:1".
masks='for t in /proc/$FASTD_PID/task/*; do
         n=$(cat $t/comm); [ "$n" = fastd ] && continue
         printf "%s:%s " "${n#fastd-}" "$(awk "/Cpus_allowed_list/ {print \$2}" $t/status)"
       done'

# One run; prints "context-switches migrations cpu_ms req/s requests".
measure() { # index
    local name=${configs[$1]%%|*} flags=${configs[$1]#*|}
    local log=$out/run$1.log csv=$out/run$1.csv
    # shellcheck disable=SC2086 # flags are words on purpose
    BUILD=$build scripts/with-fastd $flags --quiet -- "
        ($masks) > $out/run$1.masks
        perf stat -x, -e context-switches,cpu-migrations,task-clock -o $csv \
            -p \$FASTD_PID -- wrk -t1 -c$conns -d${secs}s \$FASTD_URL/plaintext" \
        >"$log" 2>&1
    awk -F, '$3 == "context-switches" { cs = $1 }
             $3 == "cpu-migrations" { mig = $1 }
             $3 == "task-clock" { cpu = $1 }
             END { printf "%s %s %s ", cs, mig, cpu }' "$csv"
    awk '/^Requests\/sec/ { rps = $2 } / requests in / { n = $1 }
         END { printf "%.0f %d\n", rps, n }' "$log"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

exec 9>/tmp/fast-servers-bench.lock
flock -n 9 || { echo "01: waiting for /tmp/fast-servers-bench.lock (another measurement is running)" >&2; flock 9; }
declare -A rps cs mig cpu
for ((r = 1; r <= rounds; r++)); do
    for i in "${!configs[@]}"; do
        read -r b c d a n < <(measure "$i")
        rps[$i]+="$a " cs[$i]+="$(awk -v v="$b" -v s="$secs" 'BEGIN { printf "%.0f", v / s }') "
        mig[$i]+="$c " cpu[$i]+="$(awk -v v="$d" -v n="$n" 'BEGIN { printf "%.2f", (n > 0 ? v * 1000 / n : 0) }') "
    done
done
flock -u 9

echo "fastd under wrk -t1 -c$conns keep-alive, ${secs} s per run, median of $rounds round(s), $(nproc) cores, kernel $(uname -r)"
echo
echo "| fastd | thread masks | req/s | ratio | context switches/s | migrations in the run | CPU us/request |"
echo "|---|---|---:|---:|---:|---:|---:|"
base=$(median <<<"${rps[0]}")
for i in "${!configs[@]}"; do
    v=$(median <<<"${rps[$i]}")
    ratio=$(awk -v a="$v" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '| `%s` | `%s` | %s | %s | %s | %s | %s |\n' "${configs[$i]%%|*}" \
        "$(sed 's/ *$//' "$out/run$i.masks")" "$v" "$ratio" \
        "$(median <<<"${cs[$i]}")" "$(median <<<"${mig[$i]}")" "$(median <<<"${cpu[$i]}")"
done
