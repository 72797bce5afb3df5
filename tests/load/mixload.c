/*
 * mixload - a small HTTP/1.1 load client that keeps two classes of
 * requests apart: many connections send fast requests, a few send slow
 * ones, and each class's latency is recorded on its own. wrk reports one
 * latency for all requests, which hides the question chapter 9 asks: does
 * one slow request delay the *other* clients?
 *
 *   mixload --port N [--host ADDR] [--seconds S] [--warmup S]
 *           [--conns N] [--rate R] [--path P]
 *           [--slow-conns M] [--slow-rate R] [--slow-path P]
 *           [--mark-us U]
 *
 * Each connection is keep-alive with one request in flight, and is paced:
 * connection i of a class sends at fixed times, rate/conns apart. When the
 * answer to the previous request comes back late, the next request goes
 * at once and its latency counts from the time it *should* have been sent
 * (as wrk2 does), so a stalled server cannot hide its stall by slowing the
 * client down (coordinated omission, chapter 8). When the client itself is
 * late (it shares the CPUs with the server), latency counts from the real
 * send, so the client's own delay is not charged to the server.
 *
 * Output, one line per class, then one for the run:
 *   fast n=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=...
 *        over_mark_pct=... (share slower than --mark-us, default 1000)
 *   slow n=... ...
 *   fast_during_slow n=... ...  (the fast requests sent while a slow
 *                                request was in flight)
 *   run seconds=... rps=... errors=... late_sends=...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define BUF_CAP   65536

enum { FAST, SLOW, NCLASSES };
/* A third set of samples: the fast requests sent while a slow one was in
 * flight. Comparing them with all fast requests separates what the slow
 * request did from what the machine's other load did to everyone. */
#define DURING NCLASSES
static const char *const class_names[NCLASSES + 1] = {"fast", "slow",
                                                      "fast_during_slow"};

struct conn {
    int fd;
    int cls;
    int64_t interval_ns; /* time between this connection's sends */
    int64_t next_ns;     /* when its next request is due */
    int64_t start_ns;    /* latency origin of the request in flight */
    bool busy;           /* a request is in flight */
    bool during_slow;    /* fast, sent while a slow request was in flight */
    size_t have;         /* response bytes read so far */
    char buf[BUF_CAP];
};

struct samples {
    int64_t *v;
    size_t n, cap;
};

static struct {
    const char *host;
    int port;
    double seconds, warmup;
    double mark_us; /* report the share of requests slower than this */
    int conns[NCLASSES];
    double rate[NCLASSES];
    const char *path[NCLASSES];
} cfg = {.host = "127.0.0.1",
         .seconds = 3,
         .warmup = 0.5,
         .mark_us = 1000,
         .conns = {16, 0},
         .rate = {5000, 20},
         .path = {"/plaintext", "/work?us=1000"}};

static char request[NCLASSES][512];
static size_t request_len[NCLASSES];
static struct samples lat[NCLASSES + 1];
static int slow_in_flight;
static uint64_t errors, late_sends, answered;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "mixload: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void record(int cls, int64_t ns)
{
    struct samples *s = &lat[cls];
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 65536;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            die("realloc");
    }
    s->v[s->n++] = ns;
}

static int connect_to(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Non-blocking only after connect: a blocking connect is simplest,
     * and happens once per connection before the clock starts. */
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        die("fcntl(O_NONBLOCK)");
    return fd;
}

/* Bytes of a complete response at the start of buf, or 0 if not yet all
 * there. fastd always sends Content-Length. */
static size_t response_size(const char *buf, size_t len)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - buf) + 4;
    const char *cl = memmem(buf, head, "Content-Length:", 15);
    size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
    return len >= head + body ? head + body : 0;
}

/* Send c's next request; start_ns is where its latency counts from. */
static void send_request(struct conn *c, int64_t start_ns)
{
    ssize_t n = send(c->fd, request[c->cls], request_len[c->cls], MSG_NOSIGNAL);
    if (n != (ssize_t)request_len[c->cls]) {
        /* One small request into an empty send buffer: anything else is
         * the server gone. */
        errors++;
        return;
    }
    c->busy = true;
    c->have = 0;
    if (c->cls == SLOW)
        slow_in_flight++;
    else
        c->during_slow = slow_in_flight > 0;
    c->start_ns = start_ns;
    c->next_ns += c->interval_ns;
}

/* Read what arrived on c; on a whole response, record its latency. */
static void read_response(struct conn *c, int64_t measure_from)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->have, BUF_CAP - c->have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0 || (c->have += (size_t)n) == BUF_CAP) {
            fprintf(stderr, "mixload: a %s connection closed or overflowed\n",
                    class_names[c->cls]);
            errors++;
            close(c->fd);
            c->fd = -1;
            return;
        }
        size_t size = response_size(c->buf, c->have);
        if (size == 0)
            continue;
        int64_t t = now_ns();
        if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0)
            errors++;
        else if (c->start_ns >= measure_from) {
            record(c->cls, t - c->start_ns);
            if (c->cls == FAST && c->during_slow)
                record(DURING, t - c->start_ns);
        }
        if (c->cls == SLOW)
            slow_in_flight--;
        answered++;
        c->busy = false;
        if (c->next_ns <= t) /* late answer: the next request goes now */
            send_request(c, c->next_ns);
        return;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_us(const struct samples *s, double p)
{
    if (s->n == 0)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
    return (double)s->v[i] / 1e3;
}

static void usage(void)
{
    fputs("usage: mixload --port N [--host ADDR] [--seconds S] [--warmup S]\n"
          "               [--conns N] [--rate R] [--path P]\n"
          "               [--slow-conns M] [--slow-rate R] [--slow-path P]\n"
          "               [--mark-us U]\n",
          stderr);
    exit(2);
}

static double number(const char *s, double lo, double hi, const char *what)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "mixload: bad %s '%s' (%g to %g)\n", what, s, lo, hi);
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"seconds", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'},
        {"conns", required_argument, NULL, 'c'},
        {"rate", required_argument, NULL, 'r'},
        {"path", required_argument, NULL, 'P'},
        {"slow-conns", required_argument, NULL, 'C'},
        {"slow-rate", required_argument, NULL, 'R'},
        {"slow-path", required_argument, NULL, 'S'},
        {"mark-us", required_argument, NULL, 'm'},
        {0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'h':
            cfg.host = optarg;
            break;
        case 'p':
            cfg.port = (int)number(optarg, 1, 65535, "port");
            break;
        case 's':
            cfg.seconds = number(optarg, 0.1, 3600, "seconds");
            break;
        case 'w':
            cfg.warmup = number(optarg, 0, 600, "warmup");
            break;
        case 'c':
            cfg.conns[FAST] = (int)number(optarg, 1, 512, "conns");
            break;
        case 'r':
            cfg.rate[FAST] = number(optarg, 1, 1e7, "rate");
            break;
        case 'P':
            cfg.path[FAST] = optarg;
            break;
        case 'C':
            cfg.conns[SLOW] = (int)number(optarg, 0, 512, "slow-conns");
            break;
        case 'R':
            cfg.rate[SLOW] = number(optarg, 0.1, 1e7, "slow-rate");
            break;
        case 'S':
            cfg.path[SLOW] = optarg;
            break;
        case 'm':
            cfg.mark_us = number(optarg, 1, 1e9, "mark-us");
            break;
        default:
            usage();
        }
    }
    if (optind < argc || cfg.port == 0)
        usage();
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    /* Timers may fire up to 50 us late by default (timer slack); the
     * pacing wants them on time. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)cfg.port)};
    if (inet_pton(AF_INET, cfg.host, &addr.sin_addr) != 1) {
        fprintf(stderr, "mixload: '%s' is not an IPv4 address\n", cfg.host);
        return 2;
    }
    for (int k = 0; k < NCLASSES; k++) {
        int n = snprintf(request[k], sizeof request[k],
                         "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", cfg.path[k],
                         cfg.host);
        if (n < 0 || (size_t)n >= sizeof request[k]) {
            fprintf(stderr, "mixload: path too long\n");
            return 2;
        }
        request_len[k] = (size_t)n;
    }
    int nconns = cfg.conns[FAST] + cfg.conns[SLOW];
    struct conn *conns = calloc((size_t)nconns, sizeof *conns);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0)
        die("set-up");
    int64_t t0 = now_ns();
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->cls = i < cfg.conns[FAST] ? FAST : SLOW;
        int first = c->cls == FAST ? 0 : cfg.conns[FAST];
        int of = cfg.conns[c->cls];
        c->interval_ns = (int64_t)(1e9 * of / cfg.rate[c->cls]);
        /* Stagger the connections of a class over one interval. */
        c->next_ns = t0 + 1000000 + c->interval_ns * (i - first) / of;
        c->fd = connect_to(&addr);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            die("epoll_ctl");
    }
    int64_t measure_from = t0 + (int64_t)(cfg.warmup * 1e9);
    int64_t stop = measure_from + (int64_t)(cfg.seconds * 1e9);
    uint64_t answered_at_start = 0;
    bool measuring = false;
    struct epoll_event events[MAX_CONNS];
    for (;;) {
        int64_t now = now_ns(), due = stop;
        if (!measuring && now >= measure_from) {
            measuring = true;
            answered_at_start = answered;
        }
        if (now >= stop)
            break;
        for (int i = 0; i < nconns; i++) {
            struct conn *c = &conns[i];
            if (c->fd < 0)
                continue;
            if (!c->busy && c->next_ns <= now) {
                /* On time (within 50 us) counts from the schedule; later
                 * means this client was busy: count from now. */
                if (now - c->next_ns > 50000) {
                    late_sends++;
                    send_request(c, now);
                } else {
                    send_request(c, c->next_ns);
                }
            }
            if (!c->busy && c->next_ns < due)
                due = c->next_ns;
        }
        struct timespec wait = {.tv_sec = (due - now) / 1000000000,
                                .tv_nsec = (due - now) % 1000000000};
        if (due < now)
            wait = (struct timespec){0};
        int n = epoll_pwait2(ep, events, MAX_CONNS, &wait, NULL);
        if (n < 0 && errno != EINTR)
            die("epoll_pwait2");
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->fd >= 0)
                read_response(c, measure_from);
        }
    }
    double secs = (double)(now_ns() - measure_from) / 1e9;
    for (int k = 0; k <= DURING; k++) {
        struct samples *s = &lat[k];
        if (cfg.conns[k == DURING ? SLOW : k] == 0)
            continue;
        qsort(s->v, s->n, sizeof *s->v, cmp_i64);
        size_t over = 0;
        while (over < s->n && (double)s->v[s->n - 1 - over] > cfg.mark_us * 1e3)
            over++;
        printf("%s n=%zu p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f "
               "max_us=%.0f over_mark_pct=%.3f\n",
               class_names[k], s->n, percentile_us(s, 50), percentile_us(s, 90),
               percentile_us(s, 99), percentile_us(s, 99.9),
               percentile_us(s, 100),
               s->n ? 100.0 * (double)over / (double)s->n : 0);
    }
    printf("run seconds=%.2f rps=%.0f errors=%llu late_sends=%llu\n", secs,
           (double)(answered - answered_at_start) / secs,
           (unsigned long long)errors, (unsigned long long)late_sends);
    for (int i = 0; i < nconns; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    close(ep);
    free(conns);
    for (int k = 0; k <= DURING; k++)
        free(lat[k].v);
    return errors ? 1 : 0;
}
