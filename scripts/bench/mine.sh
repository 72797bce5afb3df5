#!/usr/bin/env bash
# make bench MINE=1: the learner's fastd beside the reference, row by row.
#
#   usage: scripts/bench/mine.sh BUILD REF_FASTD
#     BUILD      the learner's build tree (its bin/fastd is "mine")
#     REF_FASTD  the reference fastd
#
# Each row is an arch (staged, shared-nothing; --io uring) and a workload
# (keep-alive, pipelined, churn: wrk -t1 -c64 on GET /plaintext as in
# scripts/bench.sh; body64k: GET of a 64 KiB body). Before a row, the
# learner's fastd is started with the row's flags and asked, by
# scripts/bench/serves.sh, whether it does what the workload relies on
# (two pipelined requests get two answers, Connection: close closes, a
# slow reader gets whole 64 KiB bodies). If it cannot start or does not,
# the row says which exercise unlocks it and only the reference is
# measured: a row that measured a fastd doing something else than the
# workload asks (keep-alive under a churn label) would mislead. The
# memory line is RSS per idle keep-alive connection for both.
#
# Exit status: 0 unless the reference fails (to start, or to serve a
# row), whatever the learner's exercises do. Env: BENCH_SECONDS (per cell,
# default 5), BENCH_CONNS (64), BENCH_MEM_CONNS (10,000; QUICK=1: 2,000),
# BENCH_TW_WAIT=0 (no wait for TIME_WAIT sockets before churn),
# BENCH_URING=0 (no io_uring rows), BENCH_ROWS=PATTERN (only the rows
# whose label holds PATTERN, e.g. churn or shared-nothing), QUICK=1 (1 s
# per cell, 2,000 connections for memory, no TIME_WAIT wait).
# Results: build/bench/mine.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../chapters/experiments/lib.sh"
BUILD=${1:?usage: mine.sh BUILD REF_FASTD}
ref=${2:?usage: mine.sh BUILD REF_FASTD}
exp_setup -o bench bench wrk curl fastd
mine=$build/bin/fastd
secs=${BENCH_SECONDS:-5}
exp_quick && [ -z "${BENCH_SECONDS:-}" ] && secs=1
exp_quick && BENCH_TW_WAIT=${BENCH_TW_WAIT:-0}
conns=${BENCH_CONNS:-64}
[ -x "$ref" ] || { echo "bench: the reference $ref is missing" >&2; exit 1; }

# The rows: ARCH-IO WORKLOAD CHECK EXERCISE. CHECK is what serves.sh asks
# of the learner's fastd; EXERCISE is the one whose work the row needs
# when the check (or the start with the row's flags) fails.
rows=(
    "staged keep-alive plain 01"
    "staged pipelined pipelined 05"
    "staged churn close 05"
    "staged body64k body 06"
    "shared-nothing keep-alive plain 02"
    "shared-nothing churn close 05"
    "staged-uring keep-alive plain 08"
    "staged-uring pipelined pipelined 05"
)
[ "${BENCH_URING:-1}" = 0 ] && rows=("${rows[@]:0:6}")
if [ -n "${BENCH_ROWS:-}" ]; then
    keep=()
    for r in "${rows[@]}"; do
        read -r a w _ <<<"$r"
        [[ "$a $w" == *"$BENCH_ROWS"* ]] && keep+=("$r")
    done
    [ ${#keep[@]} -gt 0 ] || { echo "bench: no row matches BENCH_ROWS='$BENCH_ROWS'" >&2; exit 2; }
    rows=("${keep[@]}")
fi

# exercise_name NN: "exercise 05 (05-request-parser)".
exercise_name() {
    local d
    d=$(cd exercises && ls -d "$1"-*/ 2>/dev/null | head -n 1)
    echo "exercise $1 (${d%/})"
}

# flags ARCH-IO WORKLOAD: fastd's flags for the row.
flags() {
    local f=(--arch "${1%-uring}" --quiet)
    case $1 in *-uring) f+=(--io uring) ;; esac
    [ "$2" = body64k ] && f+=(--body-kib 64)
    echo "${f[@]}"
}

# start BIN LOG FLAGS...: sets pid and port; fails (1) if fastd did not start.
start() {
    local bin=$1 log=$2
    shift 2
    : >"$log"
    "$bin" --port 0 "$@" >"$log" 2>&1 &
    pid=$!
    port=$(fastd_port "$log" "$pid" 100) || { wait "$pid" 2>/dev/null || true; return 1; }
}
stop() {
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# measure WHO ROW WORKLOAD: wrk on $port; prints "rps errors".
measure() {
    local args=() path=/plaintext log=$out/mine-$1-$2-$3.wrk
    case $3 in
    pipelined) args=(-s "$here/pipeline.lua") ;;
    churn) args=(-H 'Connection: close') ;;
    body64k) path=/body ;;
    esac
    wrk -t1 -c"$conns" -d"${secs}s" "${args[@]}" "http://127.0.0.1:$port$path" >"$log" 2>&1 || true
    echo "$(wrk_rps "$log") $(wrk_errors "$log")"
}

echo "bench: the learner's fastd ($mine) beside the reference ($ref)"
echo "bench: wrk -t1 -c$conns, ${secs}s per run, $(nproc) cores, kernel $(uname -r)"
# io_uring on this machine is the reference's question, not the learner's.
uring_why=""
if [ "${BENCH_URING:-1}" != 0 ]; then
    rc=0
    timeout 1 "$ref" --io uring --port 0 --quiet >"$out/uring-probe.out" 2>&1 || rc=$?
    [ $rc = 124 ] || uring_why="io_uring is unavailable here: $(tail -n 1 "$out/uring-probe.out")"
fi

declare -A got
results=()
exp_lock
for r in "${rows[@]}"; do
    read -r arch w check ex <<<"$r"
    label="$arch $w"
    if [ -n "$uring_why" ] && [[ $arch == *-uring ]]; then
        printf '  %-26s not run: %s\n' "$label" "$uring_why"
        got[$label]="- - $uring_why"
        results+=("{\"row\":\"$label\",\"mine\":null,\"reference\":null}")
        continue
    fi
    read -ra f <<<"$(flags "$arch" "$w")"
    [ "$w" = churn ] && [ "${BENCH_TW_WAIT:-1}" != 0 ] && exp_wait_time_wait
    # Mine first: is the row open to it?
    why=""
    log=$out/mine-${arch}-$w.out
    if ! start "$mine" "$log" "${f[@]}"; then
        why="your fastd did not start with ${f[*]}: $(grep -v '^ *$' "$log" | tail -n 3 | paste -sd '|' | sed 's/|/; /g')"
    elif ! why=$("$here/serves.sh" "$port" "$check"); then
        stop
    else
        why=""
        read -r m_rps m_err <<<"$(measure mine "$arch" "$w")"
        kill -0 "$pid" 2>/dev/null || why="your fastd died during the run (see $log)"
        stop
    fi
    # The start failures name the exercise that owns that flag.
    unlock=$ex
    case $why in "your fastd did not start"*)
        case $arch in shared-nothing*) unlock=02 ;; *-uring) unlock=08 ;; *) unlock=01 ;; esac ;;
    esac
    start "$ref" "$out/ref-${arch}-$w.out" "${f[@]}" ||
        { echo "bench: the reference did not start with ${f[*]}:"; cat "$out/ref-${arch}-$w.out"; exit 1; }
    "$here/serves.sh" "$port" "$check" >"$out/ref-serves.out" ||
        { echo "bench: the reference fails the $check check: $(cat "$out/ref-serves.out")"; stop; exit 1; }
    read -r r_rps r_err <<<"$(measure reference "$arch" "$w")"
    stop
    if [ -n "$why" ]; then
        printf '  %-26s mine: not run, %s unlocks it  reference %8d req/s\n  %-26s (%s)\n' \
            "$label" "$(exercise_name "$unlock")" "$r_rps" "" "$why"
        got[$label]="- $r_rps needs $(exercise_name "$unlock")"
        results+=("{\"row\":\"$label\",\"mine\":null,\"reference\":$r_rps,\"unlocked_by\":\"$unlock\"}")
    else
        flag=""
        [ "$m_err" != 0 ] && flag="  (socket errors: mine $m_err)"
        [ "$r_err" != 0 ] && flag="$flag  (socket errors: reference $r_err)"
        printf '  %-26s mine %8d req/s  reference %8d req/s%s\n' "$label" "$m_rps" "$r_rps" "$flag"
        got[$label]="$m_rps $r_rps"
        results+=("{\"row\":\"$label\",\"mine\":$m_rps,\"reference\":$r_rps,\"socket_errors\":{\"mine\":$m_err,\"reference\":$r_err}}")
    fi
done

# Memory: RSS per idle keep-alive connection, both servers (staged).
mem_conns=${BENCH_MEM_CONNS:-10000}
exp_quick && [ -z "${BENCH_MEM_CONNS:-}" ] && mem_conns=2000
declare -A mem=([mine]=- [reference]=-)
if [ -z "${BENCH_ROWS:-}" ] || [[ memory == *"$BENCH_ROWS"* ]]; then
    cc -O2 -o "$out/idle_rss" "$here/idle_rss.c"
    for who in mine reference; do
        bin=$mine
        [ $who = reference ] && bin=$ref
        if ! start "$bin" "$out/mem-$who.out" --arch staged --quiet; then
            [ $who = reference ] && { echo "bench: the reference did not start:"; cat "$out/mem-$who.out"; exit 1; }
            mem[$who]="? (did not start)"
            continue
        fi
        m=$("$out/idle_rss" "$port" "$mem_conns" "$pid" 2>"$out/mem-$who.err" | awk '{ print $4 }') || true
        stop
        mem[$who]=${m:-?}
    done
fi
exp_unlock

echo
printf '%-26s %14s %14s %14s\n' "row (req/s)" mine reference mine/reference
for r in "${rows[@]}"; do
    read -r arch w _ <<<"$r"
    label="$arch $w"
    read -r m re rest <<<"${got[$label]}"
    if [ "$m" = - ]; then
        printf '%-26s %14s %14s   %s\n' "$label" - "$re" "$rest"
    else
        printf '%-26s %14d %14d %13sx\n' "$label" "$m" "$re" "$(ratio "$m" "$re" -)"
    fi
done
if [ "${mem[reference]}" = - ]; then
    echo "memory: not measured (BENCH_ROWS=$BENCH_ROWS leaves it out)"
else
    printf '%-26s %14s %14s   (RSS per idle keep-alive connection at %d, bytes)\n' \
        "memory" "${mem[mine]}" "${mem[reference]}" "$mem_conns"
fi
num() { [[ $1 =~ ^[0-9]+$ ]] && echo "$1" || echo null; }
{
    printf '{"machine":{"cores":%d,"kernel":"%s","date":"%s","wrk":"-t1 -c%d -d%ss"},\n' \
        "$(nproc)" "$(uname -r)" "$(date -u +%FT%TZ)" "$conns" "$secs"
    printf ' "rows":[%s],\n' "$(IFS=,; echo "${results[*]}")"
    printf ' "idle_rss_bytes":{"connections":%d,"mine":%s,"reference":%s}}\n' "$mem_conns" \
        "$(num "${mem[mine]}")" "$(num "${mem[reference]}")"
} >"$out/mine.json"
echo
echo "bench: results in $out/mine.json; wrk logs in $out/"
