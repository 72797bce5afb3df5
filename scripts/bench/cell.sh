# cell.sh: what scripts/bench.sh does for one server and one workload -
# start the server, check its answer, measure, stop it. Sourced by
# bench.sh after chapters/experiments/lib.sh; uses its variables: build,
# out (logs), www (the files served), here (scripts/), secs, conns.
#
# Servers: fastd-ARCH[-uring][-nopin][-traced] (ARCH staged |
# shared-nothing | single; -nopin: --no-pin; -traced: --trace to a unix
# socket nobody reads, issue 11's cost of the live trace),
# ceiling[-uring] (scripts/bench/ceiling.c, the no-parse responder),
# nginx, h2o. Workloads: keep-alive, pipelined, churn (GET /plaintext:
# "Hello, World!"), body64k and body1m (GET /body: 64 KiB or 1 MiB of
# zero bytes).

# wl_path WORKLOAD: the URL path the workload requests.
wl_path() { case $1 in body*) echo /body ;; *) echo /plaintext ;; esac; }

# wl_file WORKLOAD: the file in $www holding the body a server must answer.
wl_file() { case $1 in body64k) echo "$www/body64k.bin" ;; body1m) echo "$www/body1m.bin" ;; *) echo "$www/plaintext.txt" ;; esac; }

# wl_kib WORKLOAD: the body size in KiB for fastd's and ceiling's --body-kib.
wl_kib() { case $1 in body64k) echo 64 ;; body1m) echo 1024 ;; *) echo 0 ;; esac; }

# wl_wrk WORKLOAD: sets wargs to wrk's options for the workload. An array:
# wrk splits -H at ": " and sends "Connection:close" (no space) as no
# header it knows, so a churn run written that way measures keep-alive.
wl_wrk() {
    wargs=()
    case $1 in
    pipelined) wargs=(-s "$here/bench/pipeline.lua") ;;
    churn) wargs=(-H 'Connection: close') ;;
    esac
}

# make_www: the folder the peers serve from, created here with modes their
# unprivileged workers can read (nginx's and h2o's run as nobody when
# started by root): a tree checked out under a private (0700) folder would
# otherwise answer 403. BENCH_WWW_MODE (default 0755) is the self-check's
# way to make it private on purpose.
make_www() {
    www=$(mktemp -d /tmp/fast-servers-bench-www.XXXXXX)
    printf 'Hello, World!' >"$www/plaintext.txt"
    head -c 65536 /dev/zero >"$www/body64k.bin"
    head -c 1048576 /dev/zero >"$www/body1m.bin"
    chmod 0644 "$www"/*
    chmod "${BENCH_WWW_MODE:-0755}" "$www"
}

# A port nobody listens on, below the ephemeral range wrk's sockets use.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 10000))
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
}

# conf TEMPLATE WORKLOAD: a peer's configuration, the body of /body the one
# the workload asks for.
conf() {
    sed -e "s|@DIR@|$out|g; s|@WWW@|$www|g; s|@BODY@|$(wl_file "$2")|g" \
        -e "s|@ADDR@|127.0.0.1|; s|@PORT@|$port|" "$1"
}

# start_server NAME WORKLOAD: starts it; sets port and server_pid. Returns
# 1 (why in $why) if it does not listen.
start_server() {
    local log=$out/$1.out kib
    kib=$(wl_kib "$2")
    case $1 in
    fastd-* | ceiling*)
        local cmd=("$build/bin/fastd" --port 0 --quiet)
        case $1 in
        fastd-*) cmd+=(--arch "$(echo "$1" | sed 's/^fastd-//; s/-uring//; s/-nopin//; s/-traced//')") ;;
        ceiling*) cmd=("$out/ceiling" ${BENCH_CEILING_FLAGS:-}) ;;
        esac
        case $1 in *-uring*) cmd+=(--io uring) ;; *) cmd+=(--io epoll) ;; esac
        case $1 in *-nopin*) cmd+=(--no-pin) ;; esac
        case $1 in *-traced*) cmd+=(--trace "unix:$out/live.sock") ;; esac # no reader: drops
        [ "$kib" != 0 ] && cmd+=(--body-kib "$kib")
        [ "$2" = churn ] && [[ $1 == ceiling* ]] && cmd+=(--close)
        "${cmd[@]}" >"$log" 2>&1 &
        server_pid=$!
        port=$(fastd_port "$log" "$server_pid") ||
            { why="did not start: $(tail -n 1 "$log")"; return 1; }
        return 0
        ;;
    nginx)
        port=$(free_port)
        conf "$here/bench/nginx.conf.in" "$2" >"$out/nginx.conf"
        nginx -p "$out" -c "$out/nginx.conf" -e "$out/nginx-error.log" >"$log" 2>&1 &
        ;;
    h2o)
        port=$(free_port)
        conf "$here/bench/h2o.conf.in" "$2" >"$out/h2o.conf"
        h2o -c "$out/h2o.conf" >"$log" 2>&1 &
        ;;
    esac
    server_pid=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    why="did not start (see $log)"
    return 1
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

# server_pids: the server's processes, comma-separated (nginx's master
# and its workers; one process for the others).
server_pids() {
    local kids
    kids=$(pgrep -d, -P "$server_pid" || true)
    echo "$server_pid${kids:+,$kids}"
}

# check_answer WORKLOAD: true when GET of the workload's path answers 200
# and exactly the expected body; otherwise false, why in $why. The bench
# measures nothing it has not checked: an error page is fast to serve.
check_answer() {
    local path file code got rc try
    path=$(wl_path "$1") file=$(wl_file "$1")
    # No answer at all (curl's 000: no connection, or none in 5 s) is
    # tried three times, the second after waiting out TIME_WAIT: after
    # churn cells run without that wait (BENCH_TW_WAIT=0), on a machine
    # others load too, a connect can fail for want of a free port,
    # whoever the server is. A wrong answer is never retried.
    for try in 1 2 3; do
        rc=0
        code=$(curl -s -m 5 -o "$out/check.body" -w '%{http_code}' "http://127.0.0.1:$port$path") || rc=$?
        [ "$code" != 000 ] && break
        if [ "$try" = 1 ]; then exp_wait_time_wait; else sleep 1; fi
    done
    if [ "$code" = 000 ]; then
        why="GET $path got no answer in $try tries (curl exit $rc)"
        return 1
    fi
    if [ "$code" != 200 ]; then
        why="GET $path answered $code (expected 200)"
        return 1
    fi
    if ! cmp -s "$out/check.body" "$file"; then
        got=$(stat -c %s "$out/check.body")
        why="GET $path answered 200 with a $got-byte body that is not the expected $(stat -c %s "$file") bytes of $file"
        return 1
    fi
}

# cpu_ticks PIDS: user + system clock ticks the processes (with all their
# threads) have used so far, from /proc/PID/stat fields 14 and 15.
cpu_ticks() {
    local p t=0 f
    for p in ${1//,/ }; do
        f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        # shellcheck disable=SC2086
        set -- $f
        t=$((t + ${12} + ${13}))
    done
    echo $t
}

# measure SERVER WORKLOAD: one wrk run on the started server; prints
# "RPS CPU_US_PER_REQUEST CLIENT_PERCENT" or returns 1 with $why (non-2xx
# answers). CLIENT_PERCENT is wrk's own CPU time (user + system, from
# bash's time) over the run's wall time: wrk -t1 is one thread, so near
# 100 it was the bottleneck, and the cell measured the client, not the
# server (bench.sh then compares CPU per request instead).
measure() {
    local log=$out/$1-$2.wrk pids t0 t1 n non2xx hz client TIMEFORMAT='%U %S %R'
    pids=$(server_pids)
    hz=$(getconf CLK_TCK)
    t0=$(cpu_ticks "$pids")
    wl_wrk "$2"
    { time wrk -t1 -c"$conns" -d"${secs}s" "${wargs[@]}" \
        "http://127.0.0.1:$port$(wl_path "$2")" >"$log" 2>&1; } 2>"$log.time" || true
    t1=$(cpu_ticks "$pids")
    client=$(awk '{ if ($3 > 0) printf "%.0f", 100 * ($1 + $2) / $3; else print "-" }' "$log.time")
    non2xx=$(awk '/Non-2xx/ { print $5 }' "$log")
    if [ "${non2xx:-0}" != 0 ]; then
        why="$non2xx answers other than 2xx during the run ($log)"
        return 1
    fi
    n=$(wrk_requests "$log")
    echo "$(wrk_rps_exact "$log") $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$n" \
        'BEGIN { if (n > 0) printf "%.2f", d * 1e6 / hz / n; else print "-" }') ${client:--}"
}

# count_calls SERVER WORKLOAD: a separate short run (BENCH_SYS_SECONDS,
# default 2) under perf stat; prints "SYSCALLS_PER_REQ CTXSW_PER_REQ".
# System calls from the raw_syscalls:sys_enter tracepoint; context
# switches are the times a server thread went to sleep and was woken
# again (plus preemptions) - counts that a loaded machine does not blur.
count_calls() {
    local log=$out/$1-$2-calls pids n tracer
    pids=$(server_pids)
    perf stat -x, -e raw_syscalls:sys_enter,context-switches -p "$pids" -o "$log.perf" &
    tracer=$!
    sleep 0.3 # let perf attach to every thread
    wl_wrk "$2"
    wrk -t1 -c"$conns" -d"${BENCH_SYS_SECONDS:-2}s" "${wargs[@]}" \
        "http://127.0.0.1:$port$(wl_path "$2")" >"$log.wrk" 2>&1 || true
    kill -INT "$tracer" 2>/dev/null || true
    wait "$tracer" 2>/dev/null || true
    n=$(wrk_requests "$log.wrk")
    echo "$(ratio "$(perf_count "$log.perf" raw_syscalls:sys_enter)" "$n" -) \
$(ratio "$(perf_count "$log.perf" context-switches)" "$n" -)"
}

# open_loop SERVER: p50 and p99 (us) of GET /plaintext at a fixed offered
# rate (BENCH_RATE, default 10000/s over $conns connections), measured by
# mixload from each request's intended send time (no coordinated
# omission); prints "P50 P99 ACHIEVED_RPS".
open_loop() {
    local log=$out/$1-openloop.txt
    "$build/bin/mixload" --port "$port" --seconds "${BENCH_LAT_SECONDS:-3}" --warmup 1 \
        --conns "$conns" --rate "${BENCH_RATE:-10000}" --path /plaintext >"$log" 2>&1 || true
    awk '$1 == "fast" { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
         $1 == "run" { split($3, r, "="); rps = r[2] }
         END { printf "%s %s %s\n", (v["p50_us"] == "" ? "-" : v["p50_us"]),
               (v["p99_us"] == "" ? "-" : v["p99_us"]), (rps == "" ? "-" : rps) }' "$log"
}
