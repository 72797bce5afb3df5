#include "reference-server/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
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

#define STREAM_PREFIX "unix:"
#define STREAM_CHUNK  (16 << 10)     /* bytes: a datagram's worth */
#define STREAM_AGE_NS (20 * 1000000) /* the live view's delay covers it */

/* Where a stream goes and the header each datagram starts with. Written
 * once by trace_open() before any thread starts, read-only after. */
static struct {
    struct sockaddr_un addr;
    char head[128];
    size_t headlen;
} stream;

/* The server's counts for `total` lines: set once before the threads. */
static trace_totals_fn totals_fn;
static void *totals_ctx;

void trace_set_totals(trace_totals_fn fn, void *ctx)
{
    totals_fn = fn;
    totals_ctx = ctx;
}

static bool is_stream(const char *path)
{
    return strncmp(path, STREAM_PREFIX, strlen(STREAM_PREFIX)) == 0;
}

static int stream_open(const char *path, char *err, size_t errlen)
{
    const char *name = path + strlen(STREAM_PREFIX);
    if (!*name || strlen(name) >= sizeof stream.addr.sun_path) {
        snprintf(err, errlen,
                 "--trace %s: a unix socket path, up to %zu "
                 "bytes",
                 path, sizeof stream.addr.sun_path - 1);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket(AF_UNIX): %s", strerror(errno));
        return -1;
    }
    stream.addr.sun_family = AF_UNIX;
    snprintf(stream.addr.sun_path, sizeof stream.addr.sun_path, "%s", name);
    /* The header alone, so that a reader already there lays out early. */
    sendto(fd, stream.head, stream.headlen, MSG_DONTWAIT | MSG_NOSIGNAL,
           (struct sockaddr *)&stream.addr, sizeof stream.addr);
    return fd;
}

int trace_open(const char *path, const char *arch, int threads, int cores,
               char *err, size_t errlen)
{
    char head[128];
    int n =
        snprintf(head, sizeof head, "# fdtrace 1 arch=%s threads=%d cores=%d\n",
                 arch, threads, cores);
    if (is_stream(path)) {
        /* The pid: a reader can tell a stopped fastd from an idle one. */
        n = snprintf(stream.head, sizeof stream.head,
                     "# fdtrace 1 arch=%s threads=%d cores=%d pid=%ld\n", arch,
                     threads, cores, (long)getpid());
        stream.headlen = (size_t)n;
        return stream_open(path, err, errlen);
    }
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "open(%s): %s", path, strerror(errno));
        return -1;
    }
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
    struct stat st;
    if (tb)
        *tb = (struct trace_buf){
            .fd = fd,
            .thread = thread,
            .core = core,
            .origin = origin,
            .stream = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode),
        };
    return tb;
}

/* Lost: what the buffer held is added to what the next datagram reports. */
static void stream_lose(struct trace_buf *tb)
{
    for (int k = 0; k < FD_NKINDS; k++) {
        tb->lost[k] += tb->held[k];
        tb->held[k] = 0;
    }
    for (const char *p = tb->buf;
         (p = memchr(p, '\n', tb->len - (size_t)(p - tb->buf))); p++)
        tb->dropped++;
    tb->len = 0;
}

/* One datagram: the header, a drop line per kind lost, the buffer.
 * MSG_DONTWAIT: a full or absent reader costs the buffer, never a wait.
 * Returns false if a reader that is there was behind (EAGAIN). */
static bool stream_send(struct trace_buf *tb)
{
    char drop[FD_NKINDS * 64];
    int dl = 0;
    unsigned long long now = trace_now_ns() - tb->origin;
    for (int k = 0; k < FD_NKINDS && tb->dropped; k++)
        if (tb->lost[k])
            dl += snprintf(drop + dl, sizeof drop - (size_t)dl,
                           "%llu %d %d drop %d %llu\n", now, tb->thread,
                           tb->core, k, (unsigned long long)tb->lost[k]);
    /* The server's counts, after the events they include. */
    char total[4 * 64];
    int tl = 0;
    if (totals_fn) {
        static const enum fd_kind counted[] = {FD_ACCEPT, FD_HANDOFF,
                                               FD_REQUEST, FD_CLOSE};
        uint64_t n[FD_NKINDS] = {0};
        totals_fn(totals_ctx, n);
        for (int i = 0; i < 4; i++)
            tl += snprintf(total + tl, sizeof total - (size_t)tl,
                           "%llu %d %d total %d %llu\n", now, tb->thread,
                           tb->core, counted[i],
                           (unsigned long long)n[counted[i]]);
    }
    struct iovec iov[4] = {{stream.head, stream.headlen},
                           {drop, (size_t)dl},
                           {tb->buf, tb->len},
                           {total, (size_t)tl}};
    struct msghdr msg = {.msg_name = &stream.addr,
                         .msg_namelen = sizeof stream.addr,
                         .msg_iov = iov,
                         .msg_iovlen = 4};
    tb->last_try = trace_now_ns();
    if (sendmsg(tb->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
        tb->behind = false;
        tb->dropped = 0;
        tb->len = 0;
        memset(tb->held, 0, sizeof tb->held);
        memset(tb->lost, 0, sizeof tb->lost);
        return true;
    }
    /* A reader that is there but behind: keep the buffer while it has
     * room, and try again when it is due again. */
    bool behind = errno == EAGAIN || errno == EWOULDBLOCK;
    tb->behind = behind;
    if (behind && tb->len < sizeof tb->buf * 3 / 4) {
        tb->since = trace_now_ns();
        return false;
    }
    stream_lose(tb);
    return !behind;
}

void trace_flush(struct trace_buf *tb)
{
    if (tb->stream) {
        /* The thread is about to exit: what it holds is the end of the
         * story, so give a reader that is behind a moment (the server no
         * longer serves on this thread), then count what is left. */
        for (int i = 0; i < 100 && (tb->len || tb->dropped); i++) {
            if (stream_send(tb))
                break;
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
        if (tb->len)
            stream_lose(tb);
        return;
    }
    /* One write() of whole lines: with O_APPEND the kernel places it at
     * the end of the file as one piece, so threads never split lines. */
    if (tb->len > 0 && write_all(tb->fd, tb->buf, tb->len) < 0)
        fprintf(stderr, "fastd: thread %d: trace write: %s\n", tb->thread,
                strerror(errno));
    tb->len = 0;
}

/* Write out what is buffered without waiting (the hot path's flush). */
static void flush_now(struct trace_buf *tb)
{
    if (!tb->stream)
        trace_flush(tb);
    else if (tb->len > 0)
        stream_send(tb);
}

/* Write v in decimal and then end; return the byte after. */
static char *put_int(char *p, long long v, char end)
{
    char digits[24];
    int n = 0;
    unsigned long long u =
        v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        *p++ = '-';
    while (n > 0)
        *p++ = digits[--n];
    *p++ = end;
    return p;
}

//! [trace emit]
void trace_emit(struct trace_buf *tb, enum fd_kind event, int fd, long arg)
{
    if ((unsigned)event >= FD_NKINDS)
        return;
    if (sizeof tb->buf - tb->len < 128) {
        flush_now(tb);
        if (tb->len) { /* a stream's reader is behind: this event is lost */
            tb->dropped++;
            tb->lost[event] +=
                event == FD_REQUEST && arg > 0 ? (uint64_t)arg : 1;
            return;
        }
    }
    uint64_t now = trace_now_ns();
    int core = tb->core >= 0 ? tb->core : sched_getcpu();
    if (tb->len == 0)
        tb->since = now;
    /* By hand, not snprintf: this runs for every event, and a format
     * string costs several times the digits it writes. */
    char *p = tb->buf + tb->len;
    p = put_int(p, (long long)(now - tb->origin), ' ');
    p = put_int(p, tb->thread, ' ');
    p = put_int(p, core, ' ');
    const char *name = fd_kind_name(event);
    size_t nlen = strlen(name);
    memcpy(p, name, nlen);
    p[nlen] = ' ';
    p = put_int(p + nlen + 1, fd, ' ');
    p = put_int(p, arg, '\n');
    tb->len = (size_t)(p - tb->buf);
    if (!tb->stream)
        return;
    /* What the drop lines would report if this buffer were lost. */
    tb->held[event] += event == FD_REQUEST && arg > 0 ? (uint32_t)arg : 1;
    /* After a hand-off the accept thread may sleep long: send then. But
     * when the reader is behind (its queue holds only
     * net.unix.max_dgram_qlen datagrams, 10 by default), not more than
     * once a millisecond: a datagram per connection would keep it full. */
    if ((event == FD_HANDOFF &&
         (!tb->behind || now - tb->last_try >= STREAM_AGE_NS / 20)) ||
        now - tb->since >=
            (tb->len >= STREAM_CHUNK ? STREAM_AGE_NS / 20 : STREAM_AGE_NS))
        flush_now(tb);
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
    if (is_stream(path))
        return 0;
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
