#include "reference-server/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t trace_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int trace_open(const char *path, const char *arch, int threads, int cores,
               char *err, size_t errlen)
{
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "open(%s): %s", path, strerror(errno));
        return -1;
    }
    char head[128];
    int n =
        snprintf(head, sizeof head, "# fdtrace 1 arch=%s threads=%d cores=%d\n",
                 arch, threads, cores);
    if (write_all(fd, head, (size_t)n) < 0) {
        snprintf(err, errlen, "write(%s): %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct trace_buf *trace_buf_new(int fd, int thread, int core, uint64_t origin)
{
    struct trace_buf *tb = malloc(sizeof *tb);
    if (tb)
        *tb = (struct trace_buf){
            .fd = fd, .thread = thread, .core = core, .origin = origin};
    return tb;
}

void trace_flush(struct trace_buf *tb)
{
    /* One write() of whole lines: with O_APPEND the kernel places it at
     * the end of the file as one piece, so threads never split lines. */
    if (tb->len > 0 && write_all(tb->fd, tb->buf, tb->len) < 0)
        fprintf(stderr, "fastd: thread %d: trace write: %s\n", tb->thread,
                strerror(errno));
    tb->len = 0;
}

//! [trace emit]
void trace_emit(struct trace_buf *tb, enum fd_kind event, int fd, long arg)
{
    if (sizeof tb->buf - tb->len < 128)
        trace_flush(tb);
    int core = tb->core >= 0 ? tb->core : sched_getcpu();
    int n = snprintf(tb->buf + tb->len, sizeof tb->buf - tb->len,
                     "%llu %d %d %s %d %ld\n",
                     (unsigned long long)(trace_now_ns() - tb->origin),
                     tb->thread, core, fd_kind_name(event), fd, arg);
    if (n > 0)
        tb->len += (size_t)n;
}
//! [trace emit]

/* A line and the time it starts with, for sorting. */
struct line {
    unsigned long long t;
    size_t index; /* original position: keeps the sort stable */
    char *text;
};

static int by_time(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int trace_sort(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "open(%s): %s", path, strerror(errno));
        return -1;
    }
    struct line *lines = NULL;
    size_t n = 0, cap = 0;
    char *header = NULL, *buf = NULL;
    size_t bufcap = 0;
    int rc = 0;
    while (getline(&buf, &bufcap, f) > 0) {
        if (!header) {
            header = strdup(buf);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            struct line *grown = realloc(lines, cap * sizeof *lines);
            if (!grown) {
                rc = -1;
                break;
            }
            lines = grown;
        }
        lines[n] = (struct line){strtoull(buf, NULL, 10), n, strdup(buf)};
        if (!lines[n].text) {
            rc = -1;
            break;
        }
        n++;
    }
    fclose(f);
    free(buf);
    if (rc == 0 && header) {
        qsort(lines, n, sizeof *lines, by_time);
        f = fopen(path, "w");
        if (f) {
            fputs(header, f);
            for (size_t i = 0; i < n; i++)
                fputs(lines[i].text, f);
            if (fclose(f) != 0)
                rc = -1;
        } else {
            rc = -1;
        }
    }
    if (rc < 0)
        snprintf(err, errlen, "sorting %s: %s", path, strerror(errno));
    for (size_t i = 0; i < n; i++)
        free(lines[i].text);
    free(lines);
    free(header);
    return rc;
}
