#!/usr/bin/env bash
# 08-instructions.sh: user-space instructions per request, counted by
# valgrind's cachegrind - a figure that does not move when the machine is
# busy, unlike req/s.
#
#   chapters/experiments/08-instructions.sh
#   QUICK=1 chapters/experiments/08-instructions.sh   (fewer requests)
#
# fastd runs under cachegrind (2 threads, staged). A client (curl) sends N
# requests one after the other on one keep-alive connection, then fastd is
# stopped; cachegrind reports the instructions (I refs) and the simulated
# cache misses of the whole run. Two runs with N1 and N2 requests: the
# difference divided by N2 - N1 is the cost of one request, start-up and
# shutdown cancelled out. Each pair runs twice to show how repeatable it is.
#
# What it cannot see: the kernel. recv, send and epoll_wait are opaque
# syscalls to valgrind, and they are most of a request's cost (chapter 8).
# Its caches are a simulation (first-level I and D, and a last level) with
# sizes taken from the host CPU, not the real hierarchy, and valgrind runs
# one thread at a time. Output: a Markdown table; files in
# $BUILD/experiments/08/. The count does not depend on the machine's load,
# but valgrind keeps a core busy, which would disturb any other measurement
# running beside it: the runs hold /tmp/fast-servers-bench.lock (exp_lock in
# lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 08-instructions curl fastd
n1=200 n2=2200
if exp_quick; then n1=100 n2=600; fi
command -v valgrind >/dev/null || { echo "08-instructions: valgrind is not installed (apt-get install valgrind)"; exit 0; }

# run N TAG: prints "Ir D1mr+D1mw LLmiss" for a run that served N requests.
run() {
    local n=$1 tag=$2 port vg_pid
    : >"$out/cg-$tag.stdout"
    valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file="$out/cg-$tag.out" \
        "$build/bin/fastd" --port 0 --threads 2 --quiet --idle-timeout 0 \
        >"$out/cg-$tag.stdout" 2>"$out/cg-$tag.stderr" &
    vg_pid=$!
    port=$(fastd_port "$out/cg-$tag.stdout" "$vg_pid") || {
        echo "08-instructions: fastd did not start under valgrind" >&2
        cat "$out/cg-$tag.stderr" >&2
        kill "$vg_pid" 2>/dev/null
        exit 1
    }
    # One curl, N URLs: curl reuses the connection, one request at a time.
    # Without User-Agent and Accept, its request is the one wrk sends.
    local urls=()
    for _ in $(seq "$n"); do urls+=("http://127.0.0.1:$port/plaintext"); done
    curl -s -H 'User-Agent:' -H 'Accept:' "${urls[@]}" >/dev/null
    kill -TERM "$vg_pid"
    wait "$vg_pid" || true
    # The summary lines: "==PID== I   refs:      1,234,567" and friends.
    awk '/I +refs:/ {gsub(",", "", $NF); ir = $NF}
         /D1  misses:/ {gsub(",", "", $4); d1 = $4}
         /LL misses:/ {gsub(",", "", $4); ll = $4}
         END {print ir + 0, d1 + 0, ll + 0}' "$out/cg-$tag.stderr"
}

echo "| pair | I refs, $n1 requests | I refs, $n2 requests | instructions per request | D1 misses per request | LL misses per request |"
echo "|---|---:|---:|---:|---:|---:|"
exp_lock
for pair in 1 2; do
    read -r i1 d1 l1 <<<"$(run $n1 "$pair-a")"
    read -r i2 d2 l2 <<<"$(run $n2 "$pair-b")"
    awk -v p="$pair" -v i1="$i1" -v i2="$i2" -v d1="$d1" -v d2="$d2" -v l1="$l1" -v l2="$l2" \
        -v n="$((n2 - n1))" -v n1="$n1" -v n2="$n2" 'BEGIN {
        printf "| %d | %d | %d | %.0f | %.2f | %.3f |\n", p, i1, i2, (i2 - i1) / n, (d2 - d1) / n, (l2 - l1) / n }'
done
exp_unlock
echo
echo "Where the instructions of the $n2-request run go (cg_annotate --show=Ir, top 8):"
echo
echo "| instructions | share | function |"
echo "|---:|---:|---|"
cg_annotate --show=Ir "$out/cg-1-b.out" 2>/dev/null |
    sed -n 's|^ *\([0-9,]*\) ( *\([0-9.]*%\)) *.*/\([^/]*:[^ ]*\)$|\| \1 \| \2 \| \3 \||p' |
    head -n 8 || true
