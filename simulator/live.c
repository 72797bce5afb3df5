/*
 * The live socket and its reader thread. The thread receives every
 * datagram as soon as it arrives, parses it, and appends its events to a
 * queue the frame loop empties each frame. Only the queue is shared, under
 * one mutex held for an append or a swap.
 */
#include "simulator/live.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "simulator/model/tracefile.h"

#define DATAGRAM_MAX (1 << 17) /* fastd sends at most 64 KiB and a header */
#define LINES_MAX    (DATAGRAM_MAX / 12) /* the shortest line: 12 bytes */

int live_open(struct live *l, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->have.offset_ns = INT64_MAX;
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "%s: path too long for a unix socket", path);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a socket", path);
            return -1;
        }
        unlink(path); /* a socket left by an earlier fastsim */
    }
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    snprintf(l->path, sizeof l->path, "%s", path);
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        snprintf(err, errlen, "socket(AF_UNIX): %s", strerror(errno));
        return -1;
    }
    /* Room for bursts: fastd drops what does not fit. */
    int size = 4 << 20;
    setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(l->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        snprintf(err, errlen, "bind(%s): %s", path, strerror(errno));
        close(l->fd);
        l->fd = -1;
        return -1;
    }
    pthread_mutex_init(&l->lock, NULL);
    return 0;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* What an event adds to the figures, for the counts of those not kept. */
static void count_over(uint64_t over[FD_NKINDS], const struct fd_event *e)
{
    if (e->kind == FD_DROP) /* a drop report: what it says was lost */
        over[e->fd >= 0 && e->fd < FD_NKINDS ? e->fd : FD_DROP] +=
            e->arg > 0 ? (uint64_t)e->arg : 0;
    else
        over[e->kind] +=
            e->kind == FD_REQUEST && e->arg > 0 ? (uint64_t)e->arg : 1;
}

/* Append one datagram's events to the shared queue. */
static void deliver(struct live *l, const struct fd_event *ev, size_t n,
                    int64_t newest, int64_t arrived, size_t bad)
{
    struct live_batch *b = &l->have;
    pthread_mutex_lock(&l->lock);
    if (b->len + n > b->cap && b->len + n <= LIVE_QUEUE_MAX) {
        size_t want = (b->len + n) * 2 + 4096;
        want = want > LIVE_QUEUE_MAX ? LIVE_QUEUE_MAX : want;
        struct fd_event *grown = realloc(b->events, want * sizeof *grown);
        if (grown)
            b->events = grown, b->cap = want;
    }
    for (size_t i = 0; i < n; i++) {
        if (b->len < b->cap)
            b->events[b->len++] = ev[i];
        else
            count_over(b->over, &ev[i]);
    }
    if (n && arrived - newest < b->offset_ns)
        b->offset_ns = arrived - newest;
    b->last_arrival = (double)arrived / 1e9;
    b->bad_lines += bad;
    pthread_mutex_unlock(&l->lock);
}

/* A header unlike the last: a new fastd (or a restarted one). */
static void new_head(struct live *l, const struct live_head *h)
{
    pthread_mutex_lock(&l->lock);
    l->have.head = *h;
    l->have.generation++;
    l->have.len = 0;
    memset(l->have.over, 0, sizeof l->have.over);
    l->have.offset_ns = INT64_MAX;
    pthread_mutex_unlock(&l->lock);
}

static void parse_datagram(struct live *l, char *text, struct live_head *cur,
                           struct fd_event *batch)
{
    int64_t arrived = mono_ns(), newest = INT64_MIN;
    size_t n = 0, bad = 0;
    char *save = NULL, err[128];
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            struct trace head = {0};
            if (trace_parse_header(&head, line) < 0) {
                bad++;
                continue;
            }
            const char *pid = strstr(line, " pid=");
            struct live_head h = {.threads = head.threads,
                                  .cores = head.cores,
                                  .pid = pid ? atol(pid + 5) : 0};
            memcpy(h.arch, head.arch, sizeof h.arch);
            if (memcmp(&h, cur, sizeof h)) {
                *cur = h;
                new_head(l, cur);
            }
            continue;
        }
        /* A stream is not a file: skip what does not parse, and count it. */
        if (cur->threads <= 0 || trace_parse_line(line, cur->threads, &batch[n],
                                                  err, sizeof err) < 0) {
            bad++;
            continue;
        }
        if (batch[n].t_ns > newest)
            newest = batch[n].t_ns;
        if (++n == LINES_MAX)
            break;
    }
    deliver(l, batch, n, newest, arrived, bad);
}

static void *read_loop(void *arg)
{
    struct live *l = arg;
    char *buf = malloc(DATAGRAM_MAX);
    struct fd_event *batch = malloc(LINES_MAX * sizeof *batch);
    struct live_head cur = {0};
    int error = buf && batch ? 0 : ENOMEM;
    while (!error && !l->stop) {
        struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0)
            continue; /* a timeout, or EINTR: look at stop again */
        for (;;) {
            ssize_t n = recv(l->fd, buf, DATAGRAM_MAX - 1, MSG_DONTWAIT);
            if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    error = errno;
                break;
            }
            buf[n] = 0;
            parse_datagram(l, buf, &cur, batch);
        }
    }
    if (error) {
        pthread_mutex_lock(&l->lock);
        l->error = error;
        pthread_mutex_unlock(&l->lock);
    }
    free(buf);
    free(batch);
    return NULL;
}

int live_start(struct live *l, char *err, size_t errlen)
{
    int rc = pthread_create(&l->reader, NULL, read_loop, l);
    if (rc) {
        snprintf(err, errlen, "pthread_create(live reader): %s", strerror(rc));
        return -1;
    }
    l->started = true;
    return 0;
}

int live_take(struct live *l, struct live_batch *out)
{
    pthread_mutex_lock(&l->lock);
    struct live_batch *b = &l->have;
    if (out->generation != b->generation) {
        out->len = 0;
        memset(out->over, 0, sizeof out->over);
    }
    if (out->len == 0) { /* the usual case: swap the arrays */
        struct fd_event *e = out->events;
        size_t cap = out->cap;
        out->events = b->events, out->len = b->len, out->cap = b->cap;
        b->events = e, b->cap = cap;
    } else if (b->len) {
        if (out->len + b->len > out->cap) {
            size_t want = (out->len + b->len) * 2;
            struct fd_event *grown = realloc(out->events, want * sizeof *grown);
            if (grown)
                out->events = grown, out->cap = want;
        }
        for (size_t i = 0; i < b->len; i++) {
            if (out->len < out->cap)
                out->events[out->len++] = b->events[i];
            else
                count_over(out->over, &b->events[i]);
        }
    }
    b->len = 0;
    for (int k = 0; k < FD_NKINDS; k++)
        out->over[k] += b->over[k], b->over[k] = 0;
    out->head = b->head;
    out->generation = b->generation;
    out->offset_ns = b->offset_ns;
    out->last_arrival = b->last_arrival;
    out->bad_lines = b->bad_lines;
    int error = l->error;
    pthread_mutex_unlock(&l->lock);
    return error ? -1 : 0;
}

void live_stop_reader(struct live *l)
{
    if (l->started) {
        l->stop = 1;
        pthread_join(l->reader, NULL);
        l->started = false;
    }
}

void live_close(struct live *l)
{
    live_stop_reader(l);
    if (l->fd >= 0) {
        close(l->fd);
        unlink(l->path);
        pthread_mutex_destroy(&l->lock);
    }
    l->fd = -1;
    free(l->have.events);
    l->have.events = NULL;
}
