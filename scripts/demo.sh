#!/usr/bin/env bash
# The guided tour: start fastd, load it with wrk, show what each thread did,
# record a trace of real hand-offs, and replay it in the simulator (PNGs and
# a report table; with a display it prints the command that opens a window).
# It ends by itself and stops everything it started.
set -euo pipefail
# fastd_port, shared with the experiments and scripts/with-fastd.
source "$(dirname "$0")/../chapters/experiments/lib.sh"
build=${1:-build}
bin=$build/bin
out=$build/demo
mkdir -p "$out"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Start fastd with the given flags; sets $port and $fastd_pid.
start_fastd() {
    "$bin/fastd" --port 0 "$@" >"$out/fastd.out" 2>"$out/fastd.err" &
    fastd_pid=$!
    pids+=("$fastd_pid")
    port=$(fastd_port "$out/fastd.out" "$fastd_pid") ||
        { echo "demo: fastd did not start:"; cat "$out/fastd.err"; exit 1; }
    head -n 1 "$out/fastd.out"
}

stop_fastd() {
    kill -TERM "$fastd_pid"
    wait "$fastd_pid" || true
    sed -n '/summary/,$p' "$out/fastd.out"
}

load() { # seconds, connections, extra wrk args...
    local secs=$1 conns=$2
    shift 2
    if command -v wrk >/dev/null; then
        wrk -t1 -c"$conns" -d"${secs}s" "$@" "http://127.0.0.1:$port/plaintext" |
            grep -E 'Requests/sec|Latency|requests in|errors'
    else
        echo "(wrk is not installed - run 'make deps'; using curl)"
        for _ in $(seq 200); do curl -s "http://127.0.0.1:$port/" >/dev/null; done
    fi
}

say "1. The staged server: an accept thread hands each fd to a request thread"
start_fastd --threads 2
echo "curl says: $(curl -s "http://127.0.0.1:$port/")"

say "2. Keep-alive load: 64 connections for 3 s (wrk)"
load 3 64

say "3. Connection churn: every request on a new connection, 2 s"
load 2 16 -H 'Connection: close'

say "4. What each thread did (fastd's exit summary)"
stop_fastd

say "5. The same loads on the rival: shared-nothing (SO_REUSEPORT per thread)"
start_fastd --threads 2 --arch shared-nothing
load 3 64
load 2 16 -H 'Connection: close'
stop_fastd

say "6. Recording a trace of real hand-offs (fdtrace v1)"
start_fastd --threads 2 --trace "$out/trace.fdt"
load 1 16 -H 'Connection: close' >/dev/null
stop_fastd >/dev/null
echo "$(($(wc -l <"$out/trace.fdt") - 1)) events in $out/trace.fdt; the first few:"
head -n 8 "$out/trace.fdt"

if [ -x "$bin/fastsim" ]; then
    # The same pictures and tables with or without a display: a replay
    # given --report draws no window, and a window would not end by itself.
    say "7. Replaying it in the simulator"
    echo "(rendered to $out/replay.png, taken when the most connections were open)"
    "$bin/fastsim" --replay "$out/trace.fdt" --headless \
        --png "$out/replay.png" --report text
    say "8. The model: staged vs shared-nothing, same load"
    for arch in staged shared-nothing; do
        "$bin/fastsim" simulator/scenarios/$arch.ini --headless \
            --png "$out/sim-$arch.png" --report text
    done
    echo "pictures: $out/*.png"
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        echo "to watch the replay in a window (q closes it):"
        echo "  $bin/fastsim --replay $out/trace.fdt"
    fi
fi

say "Done. Next: 'make bench' compares fastd with nginx and h2o; the chapters start at chapters/00-introduction.md"
