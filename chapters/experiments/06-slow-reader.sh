#!/usr/bin/env bash
# Chapter 6 experiment: a reader that stops reading. A client with a tiny
# receive buffer (SO_RCVBUF 4 KiB) pipelines a burst of requests at fastd,
# then reads nothing for STALL ms, then reads every response. fastd's
# output backs up; the question is what fastd does while it waits.
#
# Measured in the same run, as a peer: a writer that retries send() at
# once on EAGAIN (the mistake exercise 06 warns against; its starter drops
# the client instead), against the same kind of
# stalled reader. CPU time comes from /proc/PID/task/TID/schedstat
# (nanoseconds on a CPU; no privileges needed).
#
#   QUICK=1   stall 500 ms, 40000 requests (default: 2000 ms, 80000)
#   BUILD     build directory (default build)
#
# fastd runs with --trace; the script then reads the slow connection's
# send events from the trace: how many, how big, and the longest pause.
# The runs hold /tmp/fast-servers-bench.lock (drain times are wall-clock;
# exp_lock in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 06 cc fastd
# Enough responses (130 bytes each) to overflow fastd's send buffer, which
# the kernel grows up to net.ipv4.tcp_wmem's maximum (4 MiB by default).
stall=2000 nreq=80000
if exp_quick; then stall=500 nreq=40000; fi

# The client and the spinning peer: small enough to keep here.
cat >"$out/slowread.c" <<'EOF'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Nanoseconds task tid of process pid has run (schedstat's first field). */
static long long task_ns(int pid, int tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", pid, tid);
    FILE *f = fopen(path, "r");
    long long ns = 0;
    if (f && fscanf(f, "%lld", &ns) != 1)
        ns = 0;
    if (f)
        fclose(f);
    return ns;
}

/* ... of every thread of pid. */
static long long proc_ns(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    long long sum = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            sum += task_ns(pid, atoi(e->d_name));
    if (d)
        closedir(d);
    return sum;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int small_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;
    /* Before connect, so that the advertised window starts small. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    return fd;
}

static int dial(int port)
{
    int fd = small_socket();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

static size_t read_all(int fd, char **buf)
{
    size_t cap = 1 << 20, len = 0;
    *buf = malloc(cap);
    for (;;) {
        if (len == cap)
            *buf = realloc(*buf, cap *= 2);
        ssize_t n = recv(fd, *buf + len, cap - len, 0);
        if (n <= 0)
            return len;
        len += (size_t)n;
    }
}

struct burst {
    int fd, n;
};

static void *send_burst(void *arg)
{
    struct burst *b = arg;
    const char *req = "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *last = "GET /plaintext HTTP/1.1\r\nHost: x\r\n"
                       "Connection: close\r\n\r\n";
    for (int i = 0; i < b->n; i++) {
        const char *r = i + 1 < b->n ? req : last;
        size_t len = strlen(r), off = 0;
        while (off < len) {
            ssize_t k = send(b->fd, r + off, len - off, MSG_NOSIGNAL);
            if (k <= 0)
                return NULL;
            off += (size_t)k;
        }
    }
    return NULL;
}

/* fastd PORT PID N STALL_MS */
static int run_fastd(int port, int pid, int n, int stall)
{
    int fd = dial(port);
    struct burst b = {fd, n};
    pthread_t th;
    pthread_create(&th, NULL, send_burst, &b);
    usleep(200000); /* let the burst fill every buffer on the way */
    long long c0 = proc_ns(pid);
    double t0 = now_ms();
    usleep((useconds_t)stall * 1000);
    long long c1 = proc_ns(pid);
    double t1 = now_ms();
    char *buf;
    size_t len = read_all(fd, &buf);
    double t2 = now_ms();
    long long c2 = proc_ns(pid);
    pthread_join(th, NULL);
    int answers = 0;
    for (char *p = buf; (p = memmem(p, len - (size_t)(p - buf), "Hello, World!", 13));
         p += 13)
        answers++;
    /* Every response is the same size but the last ("Connection: close"). */
    size_t each = n > 0 ? (len - strlen("Connection: close\r\n")) / (size_t)n : 0;
    printf("%.0f %.3f %.0f %.3f %zu %zu\n", t1 - t0, (c1 - c0) / 1e6, t2 - t1,
           (c2 - c1) / 1e6, each, len);
    return answers == n ? 0 : 1;
}

/* The peer: write 16 MiB to a stalled reader, retrying at once on EAGAIN. */
struct spinner {
    int fd;
    _Atomic int tid;
    long long end_ns; /* its CPU time when done */
};

static void *spin_write(void *arg)
{
    struct spinner *s = arg;
    s->tid = gettid();
    static char data[16 << 20];
    size_t off = 0;
    while (off < sizeof data) {
        ssize_t k = send(s->fd, data + off, sizeof data - off, MSG_NOSIGNAL);
        if (k > 0)
            off += (size_t)k;
        else if (k < 0 && errno != EAGAIN)
            break; /* EAGAIN: try again straight away - the mistake */
    }
    s->end_ns = task_ns(getpid(), gettid());
    close(s->fd);
    return NULL;
}

static int run_spin(int stall)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t salen = sizeof sa;
    bind(l, (struct sockaddr *)&sa, sizeof sa);
    listen(l, 1);
    getsockname(l, (struct sockaddr *)&sa, &salen);
    int c = dial(ntohs(sa.sin_port));
    struct spinner s = {accept(l, NULL, NULL), 0, 0};
    close(l);
    fcntl(s.fd, F_SETFL, O_NONBLOCK);
    pthread_t th;
    pthread_create(&th, NULL, spin_write, &s);
    usleep(200000);
    int pid = getpid(), tid = s.tid;
    long long c0 = task_ns(pid, tid);
    double t0 = now_ms();
    usleep((useconds_t)stall * 1000);
    long long c1 = task_ns(pid, tid);
    double t1 = now_ms();
    char *buf;
    size_t len = read_all(c, &buf);
    double t2 = now_ms();
    pthread_join(th, NULL);
    long long c2 = s.end_ns;
    printf("%.0f %.3f %.0f %.3f - %zu\n", t1 - t0, (c1 - c0) / 1e6, t2 - t1,
           (c2 - c1) / 1e6, len);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "fastd"))
        return run_fastd(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
                         atoi(argv[5]));
    if (argc == 3 && !strcmp(argv[1], "spin"))
        return run_spin(atoi(argv[2]));
    fprintf(stderr, "usage: slowread fastd PORT PID N STALL_MS | spin STALL_MS\n");
    return 2;
}
EOF
cc -O2 -Wall -pthread -o "$out/slowread" "$out/slowread.c"

trace=$out/trace.txt
rm -f "$trace"
# The drain times are wall-clock: hold the lock other measurements take.
exp_lock
scripts/with-fastd --trace "$trace" -- \
    "$out/slowread fastd \$FASTD_PORT \$FASTD_PID $nreq $stall >$out/fastd.txt" >"$out/fastd.log" 2>&1 ||
    { echo "06: the fastd run failed:" >&2; cat "$out/fastd.log" "$out/fastd.txt" >&2; exit 1; }
"$out/slowread" spin "$stall" >"$out/spin.txt"
exp_unlock

# The slow connection is the fd with the most send events. A send() that
# is not a whole number of responses was cut short by a full socket.
fd=$(awk '$4 == "send" { n[$5]++ } END { for (f in n) if (n[f] > best) { best = n[f]; fd = f } print fd }' "$trace")
each=$(awk '{ print $5 }' "$out/fastd.txt")
read -r sends total smallest largest partial pause wakes timer lastwake < <(awk -v fd="$fd" -v each="$each" '
    $4 == "send" && $5 == fd {
        n++; sum += $6
        if (min == "" || $6 < min) min = $6
        if ($6 > max) max = $6
        if (each > 0 && $6 % each) part++
        if (last != "" && $1 - last > gap) { gap = $1 - last; from = last; to = $1 }
        last = $1
    }
    { t[NR] = $1; ev[NR] = $4; arg[NR] = $6 }
    END {
        # Wakes inside the pause, not counting the one that ended it.
        for (i = 1; i <= NR; i++)
            if (ev[i] == "wake" && t[i] > from && t[i] < to - 1e6) {
                if (arg[i] > 0) { w++; lw = t[i] - from } else tw++
            }
        printf "%d %d %d %d %d %.0f %d %d %.0f\n", n, sum, min, max, part,
            gap / 1e6, w, tw, lw / 1e6
    }' "$trace")

echo "A reader with SO_RCVBUF 4 KiB stops reading for $stall ms, then reads all: $nreq pipelined"
echo "requests to fastd ($each-byte responses); the peer writes 16 MiB. CPU time from"
echo "/proc/PID/task/*/schedstat; $(nproc) cores, kernel $(uname -r)."
echo
echo "| writer | stall (ms) | writer CPU during the stall (ms) | CPU share of the stall | drain time (ms) | writer CPU while draining (ms) | bytes delivered |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row() { # name file
    read -r st cst dr cdr _ bytes <"$2"
    share=$(awk -v c="$cst" -v s="$st" 'BEGIN { printf "%.1f%%", (s > 0 ? 100 * c / s : 0) }')
    echo "| $1 | $st | $cst | $share | $dr | $cdr | $bytes |"
}
row "fastd (EPOLLOUT edge, stops reading)" "$out/fastd.txt"
row "retry send() on EAGAIN (busy loop)" "$out/spin.txt"
echo
echo "fastd's trace ($trace), the slow connection (fd $fd):"
echo
echo "| send() calls | bytes sent | smallest | largest | cut short (not whole responses) | longest pause between sends (ms) | wakes with events in it | the last of those, ms into the pause | timer wakes in it |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| $sends | $total | $smallest | $largest | $partial | $pause | $wakes | $lastwake | $timer |"
