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
# measurement on this machine overlaps them (exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 01 wrk perf fastd
secs=5 rounds=${ROUNDS:-3}
if exp_quick; then secs=1 rounds=1; fi
conns=${CONNS:-64}

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
    scripts/with-fastd $flags --quiet -- "
        ($masks) > $out/run$1.masks
        perf stat -x, -e context-switches,cpu-migrations,task-clock -o $csv \
            -p \$FASTD_PID -- wrk -t1 -c$conns -d${secs}s \$FASTD_URL/plaintext" \
        >"$log" 2>&1
    echo "$(perf_count "$csv" context-switches) $(perf_count "$csv" cpu-migrations)" \
        "$(perf_count "$csv" task-clock) $(wrk_rps "$log") $(wrk_requests "$log")"
}

exp_lock
declare -A rps cs mig cpu
for ((r = 1; r <= rounds; r++)); do
    for i in "${!configs[@]}"; do
        read -r b c d a n < <(measure "$i")
        rps[$i]+="$a " cs[$i]+="$(awk -v v="$b" -v s="$secs" 'BEGIN { printf "%.0f", v / s }') "
        mig[$i]+="$c " cpu[$i]+="$(awk -v v="$d" -v n="$n" 'BEGIN { printf "%.2f", (n > 0 ? v * 1000 / n : 0) }') "
    done
done
exp_unlock

echo "fastd under wrk -t1 -c$conns keep-alive, ${secs} s per run, median of $rounds round(s), $(nproc) cores, kernel $(uname -r)"
echo
echo "| fastd | thread masks | req/s | ratio | context switches/s | migrations in the run | CPU us/request |"
echo "|---|---|---:|---:|---:|---:|---:|"
base=$(median <<<"${rps[0]}")
for i in "${!configs[@]}"; do
    v=$(median <<<"${rps[$i]}")
    ratio=$(ratio "$v" "$base")
    printf '| `%s` | `%s` | %s | %s | %s | %s | %s |\n' "${configs[$i]%%|*}" \
        "$(sed 's/ *$//' "$out/run$i.masks")" "$v" "$ratio" \
        "$(median <<<"${cs[$i]}")" "$(median <<<"${mig[$i]}")" "$(median <<<"${cpu[$i]}")"
done
