/*
 * slow_reader PORT CLIENTS SECONDS KIB_PER_S - clients that ask for much
 * and read slowly, and what each one was delivered.
 *
 * Each client opens one connection to 127.0.0.1:PORT with a small receive
 * buffer (16 KiB), keeps pipelining GET /body (fastd --body-kib 64: a
 * 64 KiB answer each, so the server's socket fills within milliseconds,
 * however large the kernel lets its send buffer grow) as fast as the
 * server takes them, and reads at most KIB_PER_S KiB a second (in 10 ms
 * steps). After SECONDS it prints one line per client and a total:
 *
 *     client 0: 262144 bytes, open
 *     client 1: 1536 bytes, cut off by the server after 0.01 s
 *     delivered 1048576 bytes to 4 clients, 0 cut off
 *
 * A server that waits for a full socket to drain delivers what the
 * readers ask for, whatever its speed; one that takes a full socket for
 * an error (exercise 06's starter) cuts them off, and delivers almost
 * nothing. exercises/grader/measure.sh compiles and runs it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define REQ         "GET /body HTTP/1.1\r\nHost: m\r\n\r\n"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct client {
    int fd;
    long long got;
    double cut_at; /* seconds after the start, or -1: still open */
    size_t req_off;
};

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: slow_reader PORT CLIENTS SECONDS KIB_PER_S\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[2]);
    double secs = atof(argv[3]), rate = atof(argv[4]) * 1024;
    if (port <= 0 || port > 65535 || n <= 0 || n > MAX_CLIENTS || secs <= 0 ||
        rate <= 0) {
        fprintf(stderr, "slow_reader: bad arguments (PORT 1-65535, CLIENTS "
                        "1-64, SECONDS > 0, KIB_PER_S > 0)\n");
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    struct client c[MAX_CLIENTS];
    for (int i = 0; i < n; i++) {
        c[i] = (struct client){.fd = -1, .cut_at = -1};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int small = 16384;
        if (fd < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) < 0) {
            fprintf(stderr, "slow_reader: socket: %s\n", strerror(errno));
            return 1;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 &&
            errno != EINPROGRESS) {
            fprintf(stderr, "slow_reader: connect(127.0.0.1:%d): %s\n", port,
                    strerror(errno));
            return 1;
        }
        c[i].fd = fd;
    }
    /* Many requests per write, so that writing costs the client little. */
    static char reqs[sizeof REQ * 256];
    for (int i = 0; i < 256; i++)
        memcpy(reqs + i * (sizeof REQ - 1), REQ, sizeof REQ - 1);
    size_t reqs_len = 256 * (sizeof REQ - 1);

    static char buf[1 << 20];
    double start = now(), step = 0.01;
    double budget[MAX_CLIENTS] = {0};
    for (double t = 0; t < secs; t = now() - start) {
        struct pollfd p[MAX_CLIENTS];
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = c[i].fd, .events = POLLOUT};
        poll(p, (nfds_t)n, 1);
        for (int i = 0; i < n; i++) {
            if (c[i].fd < 0)
                continue;
            if (p[i].revents & POLLOUT) {
                ssize_t w = send(c[i].fd, reqs + c[i].req_off,
                                 reqs_len - c[i].req_off, MSG_NOSIGNAL);
                if (w > 0)
                    c[i].req_off = (c[i].req_off + (size_t)w) % reqs_len;
            }
        }
        /* The reads, paced: each client may take rate * step per step. */
        for (int i = 0; i < n; i++) {
            if (c[i].fd < 0)
                continue;
            budget[i] += rate * step;
            while (budget[i] >= 1) {
                size_t want =
                    budget[i] < sizeof buf ? (size_t)budget[i] : sizeof buf;
                ssize_t r = recv(c[i].fd, buf, want, 0);
                if (r > 0) {
                    c[i].got += r;
                    budget[i] -= (double)r;
                    continue;
                }
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    break;
                c[i].cut_at = now() - start; /* EOF or reset */
                close(c[i].fd);
                c[i].fd = -1;
                break;
            }
            /* Unused budget does not pile up: the pace is a ceiling. */
            if (budget[i] > rate * step)
                budget[i] = rate * step;
        }
        double next =
            start + (double)((long)((now() - start) / step) + 1) * step;
        double wait = next - now();
        if (wait > 0)
            usleep((useconds_t)(wait * 1e6));
    }
    long long total = 0;
    int cut = 0;
    for (int i = 0; i < n; i++) {
        total += c[i].got;
        if (c[i].cut_at >= 0) {
            cut++;
            printf("client %d: %lld bytes, cut off by the server after "
                   "%.2f s\n",
                   i, c[i].got, c[i].cut_at);
        } else {
            printf("client %d: %lld bytes, open\n", i, c[i].got);
            close(c[i].fd);
        }
    }
    printf("delivered %lld bytes to %d clients, %d cut off\n", total, n, cut);
    return 0;
}
