#!/usr/bin/env bash
# serves.sh PORT CHECK: does the fastd on 127.0.0.1:PORT do what a
# workload of make bench relies on? Exit 0 if it does; otherwise exit 1
# with one line on stdout saying what it did instead. make bench MINE=1
# (scripts/bench.sh) asks this of the learner's fastd before each row, so
# that a row is measured only when the learner's exercises can serve it.
#
#   plain      GET /plaintext answers "Hello, World!"
#   pipelined  two requests in one write get two answers      (exercise 05)
#   close      "Connection: close" is answered, then closed   (exercise 05)
#   body       four 64 KiB answers to a client that sends its requests
#              0.2 s apart and reads only after the last arrive whole: a full socket is waited
#              for, not taken as an error                     (exercise 06)
#
# Each check is a bash /dev/tcp conversation with a time limit of a few
# seconds; nothing here needs more than bash, timeout and wc.
set -uo pipefail
port=${1:?usage: serves.sh PORT plain|pipelined|close|body}
check=${2:?usage: serves.sh PORT plain|pipelined|close|body}
# req PATH [HEADER]: one request, its line ends as \r\n escapes (printf %b
# turns them into bytes when it is sent: $(...) would strip a last \n).
req() { printf '%s' "GET $1 HTTP/1.1\r\nHost: bench\r\n${2:-}\r\n"; }

# talk SECONDS: sends the parts in the array send (gap seconds apart, if
# gap is set) on a new connection, then prints everything read until the
# server closes or SECONDS pass.
talk() {
    local secs=$1
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    local part
    for part in "${send[@]}"; do
        # env printf: one write() per part. bash's own printf flushes at
        # every newline, so "two requests in one write" would arrive as
        # ten writes, and a parser that needs the whole buffer to end at
        # the blank line would pass the pipelined check by luck.
        env printf '%b' "$part" >&3
        [ -n "${gap:-}" ] && sleep "$gap"
    done
    timeout "$secs" cat <&3
    local rc=$?
    exec 3<&-
    return $rc
}

case $check in
plain)
    send=("$(req /plaintext 'Connection: close\r\n')")
    got=$(talk 2 | tr -d '\r') || true
    [[ $got == *"Hello, World!"* ]] && exit 0
    echo "GET /plaintext was not answered with Hello, World!"
    ;;
pipelined)
    send=("$(req /plaintext)$(req /plaintext)")
    n=$(talk 1 | grep -o 'HTTP/1.1 200' | wc -l) || true
    [ "$n" = 2 ] && exit 0
    echo "two requests sent in one write got ${n:-0} answer(s), not 2"
    ;;
close)
    send=("$(req /plaintext 'Connection: close\r\n')")
    rc=0
    talk 2 >/dev/null || rc=$?
    [ $rc = 0 ] && exit 0
    echo "a request with Connection: close was answered but the connection stayed open"
    ;;
body)
    # Four writes 0.2 s apart (not pipelined: this is not exercise 05's
    # check), nothing read until the last.
    send=("$(req /body)" "$(req /body)" "$(req /body)" "$(req /body 'Connection: close\r\n')")
    gap=0.2
    n=$(talk 1 | wc -c) || true
    want=$((4 * 65536))
    [ "${n:-0}" -gt "$want" ] && exit 0
    echo "four 64 KiB answers to a client that read late: ${n:-0} bytes arrived, not $want and more"
    ;;
*)
    echo "serves.sh: unknown check '$check' (plain, pipelined, close, body)" >&2
    exit 2
    ;;
esac
exit 1
