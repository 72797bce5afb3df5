#!/usr/bin/env bash
# Chapters 5 and 6 experiment: how a connection ends. A small client (built
# here from the C below) plays three scenes against a fresh fastd:
#
#   half-close  three pipelined requests, then shutdown(SHUT_WR) at once:
#               are all three answered, and does fastd close its side?
#   linger      a bad request followed by 256 KiB the server will never
#               read: does the 400 arrive whole, and does the connection
#               end with a FIN (lingering close) or an RST?
#   drain       CLIENTS keep-alive clients under load (each sends its next
#               request as soon as the last is answered), SIGTERM in the
#               middle: are the requests in flight answered, do the
#               connections end cleanly, is a new client refused at once,
#               and how long does fastd take to exit?
#
#   usage: chapters/experiments/05-connection-ends.sh [half-close|linger|drain]...
#          (no argument: all three)
#   QUICK=1   50 drain clients (default 200)
#   BUILD     build directory (default build)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exp_setup 05 cc fastd
scenes=("$@")
[ ${#scenes[@]} -gt 0 ] || scenes=(half-close linger drain)
clients=200
if exp_quick; then clients=50; fi

cat >"$out/ends.c" <<'EOF'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
static int port;

static long ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int count(const char *s, const char *w)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, w)); p += strlen(w))
        n++;
    return n;
}

/* Read until FIN, RST or limit ms; returns "FIN", "RST" or "nothing". */
static const char *read_end(int fd, char *buf, size_t cap, int limit)
{
    size_t len = 0;
    long end = ms() + limit;
    buf[0] = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long left = end - ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return "nothing";
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n == 0)
            return "FIN";
        if (n < 0)
            return "RST";
        len += (size_t)n;
        buf[len] = 0;
    }
}

static void half_close(void)
{
    int fd = dial();
    char buf[8192];
    long t0 = ms();
    /* Corked, the requests leave in one segment with the FIN: fastd sees
     * the data and the end of input in a single event. */
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
    send(fd, REQ REQ REQ, 3 * strlen(REQ), 0);
    shutdown(fd, SHUT_WR);
    const char *how = read_end(fd, buf, sizeof buf, 3000);
    printf("half-close: 3 requests and the FIN in one segment -> %d answers, "
           "then %s after %ld ms\n",
           count(buf, "Hello, World!"), how, ms() - t0);
    close(fd);
}

static void linger_scene(void)
{
    static char junk[256 * 1024];
    memset(junk, 'x', sizeof junk);
    int fd = dial();
    char buf[8192];
    send(fd, "BLAH\r\n\r\n", 8, 0);
    send(fd, junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL);
    usleep(100000);
    const char *how = read_end(fd, buf, sizeof buf, 5000);
    printf("error reply with unread input: 400 %s, then %s\n",
           strstr(buf, "400 Bad Request\n") ? "whole" : "LOST", how);
    close(fd);
}

static void drain(int n, pid_t pid)
{
    struct pollfd *p = calloc(n, sizeof *p);
    int *sent = calloc(n, sizeof *sent), *got = calloc(n, sizeof *got);
    int fin = 0, rst = 0, open = n;
    for (int i = 0; i < n; i++) {
        p[i] = (struct pollfd){.fd = dial(), .events = POLLIN};
        send(p[i].fd, REQ, strlen(REQ), 0);
        sent[i] = 1;
    }
    long t0 = ms(), stop = 0;
    const char *newcomer = "not tried";
    while ((open > 0 || !strcmp(newcomer, "not tried")) && ms() - t0 < 8000) {
        if (!stop && ms() - t0 >= 300) {
            kill(pid, SIGTERM);
            stop = ms();
        }
        if (stop && !strcmp(newcomer, "not tried") && ms() - stop >= 20) {
            int fd = dial();
            newcomer = fd < 0 && errno == ECONNREFUSED ? "refused at once"
                       : fd < 0 ? "failed"
                                : "connected (queued on a listener no one serves)";
            if (fd >= 0)
                close(fd);
        }
        if (poll(p, n, 10) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            char buf[4096];
            ssize_t r = recv(p[i].fd, buf, sizeof buf - 1, MSG_DONTWAIT);
            if (r < 0 && errno == EAGAIN)
                continue;
            if (r > 0) {
                buf[r] = 0;
                got[i] += count(buf, "Hello, World!");
                if (got[i] == sent[i] && !strstr(buf, "Connection: close")) {
                    send(p[i].fd, REQ, strlen(REQ), MSG_NOSIGNAL);
                    sent[i]++;
                }
                continue;
            }
            fin += r == 0;
            rst += r < 0;
            close(p[i].fd);
            p[i].fd = -1;
            open--;
        }
    }
    long total = 0, answered = 0;
    for (int i = 0; i < n; i++)
        total += sent[i], answered += got[i];
    printf("drain: %d clients, %ld requests, %ld answered, %ld unanswered; "
           "%d ended with FIN, %d with RST, %d still open; new client during "
           "the drain: %s\n",
           n, total, answered, total - answered, fin, rst, open, newcomer);
}

int main(int argc, char **argv)
{
    port = atoi(argv[2]);
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(argv[1], "half-close"))
        half_close();
    else if (!strcmp(argv[1], "linger"))
        linger_scene();
    else
        drain(atoi(argv[3]), (pid_t)atoi(argv[4]));
    return 0;
}
EOF
cc -O2 -Wall -o "$out/ends" "$out/ends.c"

for scene in "${scenes[@]}"; do
    exp_start_fastd "$out/fastd-$scene.out" --threads 3 --no-pin \
        --idle-timeout 0
    case $scene in
    half-close | linger) "$out/ends" "$scene" "$port" ;;
    drain)
        t0=$(date +%s%N)
        "$out/ends" drain "$port" "$clients" "$fastd_pid"
        wait "$fastd_pid" && status=0 || status=$?
        echo "drain: fastd exited with status $status," \
            "$((($(date +%s%N) - t0) / 1000000 - 300)) ms after SIGTERM"
        continue
        ;;
    *) echo "05-connection-ends: unknown scene $scene" >&2; exit 2 ;;
    esac
    exp_stop_fastd
done
