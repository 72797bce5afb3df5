#!/usr/bin/env bash
# Chapter 10: what an idle keep-alive connection costs in fastd's RSS under
# --io epoll and --io uring, with the io_uring receive buffers' fixed cost
# (/stats fixed_bytes) apart. Each row: a fresh fastd (2 threads), N
# connections each answered once and then left idle, RSS before and after.
#   chapters/experiments/10-uring-idle-memory.sh     # N = 1000
#   QUICK=1 chapters/experiments/10-uring-idle-memory.sh   # N = 300
source "$(dirname "$0")/lib.sh"
exp_setup 10 fastd curl
n=1000
if exp_quick; then n=300; fi
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

rss() { awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$1/status"; }

# row IO BUFS: one fastd, n idle connections, one table row.
row() {
    local io=$1 bufs=$2 fds=() fd i
    local flags=(--threads 2 --quiet --io "$io")
    [ "$bufs" = - ] || flags+=(--uring-bufs "$bufs")
    exp_start_fastd "$out/idle-$io-$bufs.log" "${flags[@]}"
    sleep 0.3
    local before after fixed
    before=$(rss "$fastd_pid")
    for ((i = 0; i < n; i++)); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" || break
        printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&"$fd"
        read -r -t 2 -u "$fd" _ || true
        fds+=("$fd")
    done
    sleep 0.5
    after=$(rss "$fastd_pid")
    fixed=$(curl -s "$url/stats" | grep -o '"total":{[^}]*}' |
        sed 's/.*"fixed_bytes":\([0-9]*\).*/\1/')
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    exp_stop_fastd
    echo "| $io | $bufs | ${#fds[@]} | $fixed | $(((after - before) / ${#fds[@]})) | $(((after - before - fixed) / ${#fds[@]})) |"
}

exp_lock
{
    echo "| --io | --uring-bufs | connections | fixed_bytes | RSS per connection | without fixed_bytes |"
    echo "|---|---:|---:|---:|---:|---:|"
    row epoll -
    row uring 64
    row uring 128
    row uring 1024
} >"$out/uring-idle-memory.md"
exp_unlock
cat "$out/uring-idle-memory.md"
