# lib.sh: the helpers the experiment scripts share. Source it, do not run it:
#
#   source "$(dirname "$0")/lib.sh"
#   exp_setup 05 wrk fastd         # repo root, $build, $out; tools checked
#   if exp_quick; then secs=1; fi  # QUICK=1: run it short
#   exp_lock                       # measure...
#   exp_unlock                     # ...then print the tables
#
# Why here rather than in scripts/lib/: the chapters' experiments are its
# users, and the chapters send learners to read them, so it sits beside
# them, found from any of them as "$(dirname "$0")/lib.sh". scripts/bench.sh
# (make bench), its one user outside this folder, sources
# ../chapters/experiments/lib.sh. Each script keeps its own logic - what it
# runs, in which order, what its tables say; this file holds only what they
# all did alike: set-up, the measurement lock, medians and ratios, reading
# wrk's and perf's output, starting and stopping fastd on port 0.
#
# Functions named exp_* act on the calling script (set its variables, wait,
# exit on error); the others print a value and change nothing.

# ---- set-up ----------------------------------------------------------------

# exp_setup [-o DIR] NAME [TOOL...]: the start of every script. NAME ("05",
# "08-cost-model") prefixes the script's messages. Goes to the repository
# root; sets build (BUILD, default build; exported, so scripts/with-fastd
# uses it too); checks each TOOL (exp_need); sets and creates out, the
# script's output folder: $build/experiments/NN (NAME's first two
# characters), or $build/DIR. At exit, stops the background processes the
# script left running (exp_cleanup).
exp_setup() {
    local dir=
    if [ "$1" = -o ]; then dir=$2; shift 2; fi
    EXP_NAME=$1
    shift
    cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
    build=${BUILD:-build}
    export BUILD=$build
    exp_need "$@"
    out=$build/${dir:-experiments/${EXP_NAME:0:2}}
    mkdir -p "$out"
    trap exp_cleanup EXIT
    trap 'exit 130' INT TERM
}

# exp_need TOOL...: exits with a message unless every TOOL is there. fastd,
# fastsim and mixload are the course's programs, looked for in $build/bin; any
# other name is a command on PATH (installed by `make deps`).
exp_need() {
    local t
    for t in "$@"; do
        case $t in
        fastd | fastsim | mixload)
            [ -x "$build/bin/$t" ] ||
                { echo "$EXP_NAME: $build/bin/$t is missing: build it first: make BUILD=$build" >&2; exit 1; } ;;
        *)
            command -v "$t" >/dev/null ||
                { echo "$EXP_NAME: $t is missing: run 'make deps'" >&2; exit 1; } ;;
        esac
    done
}

# exp_quick: true when QUICK=1, the "run it short" the tests use.
exp_quick() { [ "${QUICK:-0}" = 1 ]; }

# ---- the measurement lock --------------------------------------------------

EXP_LOCK_FILE=/tmp/fast-servers-bench.lock

# exp_lock: take the lock every wall-clock measurement on this machine holds,
# so that no two overlap; says so on stderr when it has to wait. Re-entrant:
# the holder exports FAST_SERVERS_BENCH_LOCK_HOLDER=its pid, and a script
# started under it (an experiment run by another, make bench from a script)
# goes ahead without waiting for its own parent. The file is opened
# read-only when another user created it: flock(1) does not need to write.
exp_lock() {
    [ -n "${_exp_lock_fd:-}" ] && return 0
    _exp_lock_held_above && return 0
    { exec {_exp_lock_fd}>>"$EXP_LOCK_FILE"; } 2>/dev/null || exec {_exp_lock_fd}<"$EXP_LOCK_FILE"
    if ! flock -n "$_exp_lock_fd"; then
        echo "${EXP_NAME:-$0}: waiting for another measurement (lock $EXP_LOCK_FILE)" >&2
        flock "$_exp_lock_fd"
    fi
    export FAST_SERVERS_BENCH_LOCK_HOLDER=$$
}

# exp_unlock: release the lock exp_lock took (nothing when a parent holds it).
exp_unlock() {
    [ -n "${_exp_lock_fd:-}" ] || return 0
    flock -u "$_exp_lock_fd"
    exec {_exp_lock_fd}>&-
    _exp_lock_fd=
    unset FAST_SERVERS_BENCH_LOCK_HOLDER
}

# True when FAST_SERVERS_BENCH_LOCK_HOLDER names this process or one of its
# ancestors: a stale value (its holder gone, or not ours) does not count.
_exp_lock_held_above() {
    local holder=${FAST_SERVERS_BENCH_LOCK_HOLDER:-} p=$$
    [ -n "$holder" ] || return 1
    while [ -n "$p" ] && [ "$p" -gt 1 ]; do
        [ "$p" = "$holder" ] && return 0
        p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
    done
    return 1
}

# ---- processes -------------------------------------------------------------

# exp_cleanup: stop the background processes still running (servers, perf,
# load generators) and wait for them; exp_setup runs it at exit.
exp_cleanup() {
    local p
    for p in $(jobs -p); do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

# fastd_port LOG PID [TRIES]: waits (TRIES x 50 ms, default 200) until LOG
# shows fastd's "listening on ADDR:PORT" line and prints PORT; fails if
# process PID exits first or the time runs out.
fastd_port() {
    local p= _
    for _ in $(seq "${3:-200}"); do
        p=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\) .*/\1/p' "$1" 2>/dev/null)
        [ -n "$p" ] && { echo "$p"; return 0; }
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# exp_start_fastd LOG [FLAGS...]: starts $build/bin/fastd --port 0 FLAGS in
# the background, its output in LOG, and sets fastd_pid, port and url
# (http://127.0.0.1:PORT). Exits with LOG shown if fastd does not start.
exp_start_fastd() {
    local log=$1
    shift
    : >"$log" # emptied now, so that no earlier run's port is read
    "$build/bin/fastd" --port 0 "$@" >"$log" 2>&1 &
    fastd_pid=$!
    port=$(fastd_port "$log" "$fastd_pid") ||
        { echo "$EXP_NAME: fastd $* did not start:" >&2; cat "$log" >&2; exit 1; }
    url=http://127.0.0.1:$port
}

# exp_stop_fastd: SIGTERM to the fastd exp_start_fastd started; waits for it.
exp_stop_fastd() {
    kill -TERM "$fastd_pid" 2>/dev/null || true
    wait "$fastd_pid" 2>/dev/null || true
}

# exp_wait_time_wait [MAX]: waits (70 s at most) until the machine has no
# more than MAX (default 2000) TIME_WAIT sockets. Every closed connection
# leaves one for 60 s; a churn run that starts among many of them may be
# slower (new SYNs meet old 4-tuples), by a few percent here at 84,000
# (chapter 8), and beyond net.ipv4.tcp_max_tw_buckets the kernel drops
# them. Shows its progress on stderr when that is a terminal.
exp_wait_time_wait() {
    local n waited=0 max=${1:-2000}
    while n=$(ss -Htan state time-wait | wc -l) && [ "$n" -gt "$max" ] && [ $waited -lt 70 ]; do
        [ -t 2 ] && printf '\r  waiting for %6d TIME_WAIT sockets to expire (%2ds)' "$n" $waited >&2
        sleep 5
        waited=$((waited + 5))
    done
    [ $waited -gt 0 ] && [ -t 2 ] && printf '\r%70s\r' '' >&2
    return 0
}

# ---- numbers ---------------------------------------------------------------

# median: the median of the numbers on stdin (separated by spaces or lines;
# "-" entries skipped), the lower middle one of an even count; "-" if none.
median() {
    awk '{ for (i = 1; i <= NF; i++) if ($i != "-") print $i }' | sort -g |
        awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}

# ratio A B [ELSE]: A / B with two decimals; ELSE (default 0.00) when B is
# not a positive number or A is not a number.
ratio() {
    awk -v a="$1" -v b="$2" -v e="${3:-0.00}" 'BEGIN {
        num = "^[-+]?[0-9]*[.]?[0-9]+([eE][-+]?[0-9]+)?$"
        if (a ~ num && b ~ num && b + 0 > 0) printf "%.2f\n", a / b; else print e }'
}

# round VALUE: VALUE to a whole number.
round() { awk -v v="$1" 'BEGIN { printf "%.0f\n", v }'; }

# to_us TIME: wrk's "612.00us" / "1.23ms" / "1.01s" in microseconds; -1 if
# TIME is not one of those.
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
        else if (v ~ /s$/) print n * 1000000; else print -1 }'
}

# ---- reading wrk's and perf's output --------------------------------------

# wrk_rps LOG: requests per second from wrk's output in LOG, as a whole
# number; 0 if wrk printed none. wrk_rps_exact LOG: the same as wrk wrote it.
wrk_rps() { awk '/^Requests\/sec/ { r = $2 } END { printf "%.0f\n", r }' "$1"; }
wrk_rps_exact() { awk '/^Requests\/sec/ { r = $2 } END { print (r == "" ? 0 : r) }' "$1"; }

# wrk_latency_us LOG PERCENT: that percentile of wrk's --latency
# distribution ("99" for the p99) in microseconds; -1 if absent (wrk has
# none for pipelined runs).
wrk_latency_us() { to_us "$(awk -v p="$2%" '$1 == p { print $2 }' "$1")"; }

# wrk_requests LOG: how many requests the run completed ("N requests in").
wrk_requests() { awk '/ requests in / { n = $1 } END { print n + 0 }' "$1"; }

# wrk_errors LOG: socket errors of the run (connect, read, write, timeout).
wrk_errors() { awk '/Socket errors/ { gsub(",", ""); e = $4 + $6 + $8 + $10 } END { print e + 0 }' "$1"; }

# perf_works EVENTS: true when perf is installed and may count EVENTS
# (comma-separated) here; containers often forbid it, and the syscall
# tracepoints need root or kernel.perf_event_paranoid <= -1.
perf_works() { command -v perf >/dev/null && perf stat -e "$1" -o /dev/null -- true 2>/dev/null; }

# perf_count CSV EVENT: EVENT's count in a `perf stat -x,` file; "-" if
# there is no such file, or no count in it (perf could not count EVENT).
perf_count() {
    [ -s "$1" ] || { echo -; return 0; }
    awk -F, -v e="$2" '$3 == e && $1 ~ /^[0-9.]+$/ { v = $1 } END { print (v == "" ? "-" : v) }' "$1"
}

# fastd_shares LOG FIELD STAGE...: from fastd's exit summary in LOG, the
# column FIELD (4 accepted, 6 requests, ...) of each thread of one of the
# STAGEs (accept, request, both, all) as a percentage of their total:
# "52/48".
fastd_shares() {
    local log=$1 field=$2
    shift 2
    awk -v f="$field" -v stages=" $* " '
        /^fastd: summary/ { s = 1; next }
        s && $1 ~ /^[0-9]+$/ && index(stages, " " $2 " ") { v[++n] = $f; t += $f }
        END { for (i = 1; i <= n; i++) printf "%s%.0f", (i > 1 ? "/" : ""), (t ? 100 * v[i] / t : 0); print "" }' "$log"
}
