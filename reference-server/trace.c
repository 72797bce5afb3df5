#include "reference-server/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <limits.h>
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

/* Write all of buf; on failure, *done (if not NULL) says how much went. */
static int write_all(int fd, const char *buf, size_t len, size_t *done)
{
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = write(fd, buf + sent, len - sent);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            if (done)
                *done = sent;
            return -1;
        }
        sent += (size_t)n;
    }
    return 0;
}

/* Thread ids a sort looks for when the header does not say (fastd's
 * MAX_THREADS, server.h). */
#define MAX_SORT_THREADS 64

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
    int flags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC;
    /* O_NONBLOCK: a FIFO nobody reads yet says so (ENXIO) instead of
     * blocking here; it is said, then waited for. */
    int fd = open(path, flags | O_NONBLOCK, 0644);
    if (fd < 0 && errno == ENXIO) {
        fprintf(stderr,
                "fastd: --trace %s: a FIFO with no reader: waiting for "
                "one\n",
                path);
        fd = open(path, flags, 0644);
    }
    if (fd < 0) {
        snprintf(err, errlen, "open(%s): %s", path, strerror(errno));
        return -1;
    }
    /* A pipe, a FIFO or a device is written without blocking (a reader
     * that is slow or gone costs events, never the server's time): the
     * flag is set on this open file description only. A regular file
     * ignores it. */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "fcntl(%s, O_NONBLOCK): %s", path,
                 strerror(errno));
        close(fd);
        return -1;
    }
    if (write_all(fd, head, (size_t)n, NULL) < 0) {
        /* Full or gone already: fastd serves anyway, and says so once;
         * the threads then count what they cannot write. */
        if (errno != ENOSPC && errno != EDQUOT && errno != EFBIG &&
            errno != EPIPE && errno != EAGAIN) {
            snprintf(err, errlen, "write(%s): %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        fprintf(stderr, "fastd: --trace %s: write: %s: events are dropped\n",
                path, strerror(errno));
    }
    return fd;
}

struct trace_buf *trace_buf_new(int fd, int thread, int core, uint64_t origin)
{
    struct trace_buf *tb = malloc(sizeof *tb);
    struct stat st;
    bool known = fstat(fd, &st) == 0;
    if (tb)
        *tb = (struct trace_buf){
            .fd = fd,
            .thread = thread,
            .core = core,
            .origin = origin,
            .stream = known && S_ISSOCK(st.st_mode),
            .pipe = known && S_ISFIFO(st.st_mode),
            .warned_at = -1,
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

static uint64_t count_lines(const char *p, size_t len)
{
    uint64_t n = 0;
    for (const char *end = p + len; (p = memchr(p, '\n', (size_t)(end - p)));
         p++)
        n++;
    return n;
}

/* A write that failed costs the events: count them, and say so at most
 * once a second per thread (one line per flush would flood the log: a
 * full disk fails every flush). */
static void trace_lost(struct trace_buf *tb, const char *from, size_t len,
                       int err)
{
    tb->dropped += count_lines(from, len);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    if (tb->warned_at == (long)ts.tv_sec)
        return;
    tb->warned_at = (long)ts.tv_sec;
    fprintf(stderr,
            "fastd: thread %d: trace write: %s: %llu events dropped so "
            "far\n",
            tb->thread, strerror(err), (unsigned long long)tb->dropped);
}

/* A file that took only part of a write (it reached the size limit,
 * ulimit -f, or the disk filled) ends in a cut line, and a replay stops
 * at a cut line: take the cut part back off the end of the file (nothing
 * can have been written after it: the next write failed). Returns how
 * much of buf's first done bytes, whole lines, stays in the file. */
static size_t file_trim_cut(int fd, const char *buf, size_t done)
{
    const char *nl = done ? memrchr(buf, '\n', done) : NULL;
    size_t whole = nl ? (size_t)(nl + 1 - buf) : 0;
    struct stat st;
    if (done > whole && fstat(fd, &st) == 0 &&
        st.st_size >= (off_t)(done - whole) &&
        ftruncate(fd, st.st_size - (off_t)(done - whole)) < 0)
        return done; /* the cut line stays: count the rest lost */
    return whole;
}

/* A pipe or a FIFO takes whole lines PIPE_BUF bytes at a time: a write
 * of at most PIPE_BUF is atomic (all or, when full, EAGAIN), so lines of
 * different threads never mix and no line is cut. What does not fit is
 * dropped: the reader is behind. */
static void pipe_write(struct trace_buf *tb)
{
    const char *p = tb->buf, *end = tb->buf + tb->len;
    while (p < end) {
        size_t n = (size_t)(end - p);
        if (n > PIPE_BUF) {
            const char *cut = memrchr(p, '\n', PIPE_BUF);
            n = cut ? (size_t)(cut + 1 - p) : PIPE_BUF;
        }
        ssize_t w = write(tb->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            trace_lost(tb, p, (size_t)(end - p), w < 0 ? errno : EIO);
            return;
        }
        p += w;
    }
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
    if (tb->len > 0 && tb->pipe) {
        pipe_write(tb);
        tb->len = 0;
        return;
    }
    /* One write() of whole lines: with O_APPEND the kernel places it at
     * the end of the file as one piece, so threads never split lines. */
    size_t done = 0;
    if (tb->len > 0 && write_all(tb->fd, tb->buf, tb->len, &done) < 0) {
        int err = errno;
        size_t whole = file_trim_cut(tb->fd, tb->buf, done);
        trace_lost(tb, tb->buf + whole, tb->len - whole, err);
    }
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

/* One thread's lines in a trace file, read in file order. */
struct cursor {
    FILE *f;
    char *line; /* its next line, or NULL at the end */
    size_t cap; /* getline()'s buffer size */
    unsigned long long t;
};

/* The thread a line is from: its second field, or -1. */
static long line_thread(const char *line)
{
    const char *sp = strchr(line, ' ');
    if (!sp)
        return -1;
    char *end;
    long id = strtol(sp + 1, &end, 10);
    return end == sp + 1 || *end != ' ' ? -1 : id;
}

/* Move cur to the next line of thread id of threads (past the header);
 * NULL line at the end. Lines that name no thread of the header's belong
 * to thread 0, so that no line of a file fastd did not write is lost. */
static void cursor_next(struct cursor *cur, long id, long threads)
{
    ssize_t n;
    while ((n = getline(&cur->line, &cur->cap, cur->f)) > 0) {
        if (cur->line[0] == '#')
            continue;
        long of = line_thread(cur->line);
        if (of == id || (id == 0 && (of < 0 || of >= threads))) {
            cur->t = strtoull(cur->line, NULL, 10);
            return;
        }
    }
    free(cur->line);
    cur->line = NULL;
    cur->cap = 0;
}

/* Thread ids in a trace: the header's threads=N. */
static long header_threads(const char *header)
{
    const char *at = strstr(header, " threads=");
    long n = at ? strtol(at + 9, NULL, 10) : 0;
    return n > 0 && n <= MAX_SORT_THREADS ? n : MAX_SORT_THREADS;
}

//! [trace sort]
/* The merge: the cursor whose next line is earliest writes it, ties to
 * the lowest thread. Returns 0, 1 if stopped, -1 on a write error. */
static int merge(struct cursor *cur, long n, FILE *out, bool (*stop)(void *),
                 void *arg)
{
    for (unsigned long lines = 0;; lines++) {
        long first = -1;
        for (long i = 0; i < n; i++)
            if (cur[i].line && (first < 0 || cur[i].t < cur[first].t))
                first = i;
        if (first < 0)
            return 0;
        if (fputs(cur[first].line, out) == EOF)
            return -1;
        cursor_next(&cur[first], first, n);
        if (lines % 4096 == 4095 && stop && stop(arg))
            return 1;
    }
}
//! [trace sort]

int trace_sort(const char *path, bool (*stop)(void *arg), void *arg, char *err,
               size_t errlen)
{
    if (is_stream(path))
        return 0;
    /* O_NONBLOCK: opening a FIFO to read must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "open(%s): %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    FILE *in = fdopen(fd, "r");
    char *header = NULL;
    size_t hcap = 0;
    if (!in || getline(&header, &hcap, in) <= 0 || header[0] != '#') {
        if (in)
            fclose(in);
        else
            close(fd);
        free(header);
        return 0; /* empty, or not a trace: nothing to put in order */
    }
    fclose(in);
    long n = header_threads(header);
    /* The sorted file is written beside the trace, then renamed over it:
     * an interrupted or failed sort leaves the trace as it was. */
    char *tmp = NULL;
    int rc = -1;
    struct cursor *cur = calloc((size_t)n, sizeof *cur);
    FILE *out = NULL;
    if (!cur || asprintf(&tmp, "%s.sort-XXXXXX", path) < 0) {
        tmp = NULL;
        snprintf(err, errlen, "sorting %s: out of memory", path);
        goto done;
    }
    int ofd = mkstemp(tmp);
    if (ofd < 0 || !(out = fdopen(ofd, "w"))) {
        snprintf(err, errlen, "sorting %s: %s: %s", path, tmp, strerror(errno));
        if (ofd >= 0)
            close(ofd);
        free(tmp);
        tmp = NULL;
        goto done;
    }
    fchmod(ofd, st.st_mode & 07777);
    setvbuf(out, NULL, _IOFBF, TRACE_SORT_BUF);
    for (long i = 0; i < n; i++) {
        if (!(cur[i].f = fopen(path, "r"))) {
            snprintf(err, errlen, "sorting %s: open: %s", path,
                     strerror(errno));
            goto done;
        }
        setvbuf(cur[i].f, NULL, _IOFBF, TRACE_SORT_BUF);
        cursor_next(&cur[i], i, n);
    }
    if (fputs(header, out) == EOF)
        rc = -1;
    else
        rc = merge(cur, n, out, stop, arg);
    if (fclose(out) != 0 && rc == 0)
        rc = -1;
    out = NULL;
    if (rc < 0)
        snprintf(err, errlen, "sorting %s: write(%s): %s", path, tmp,
                 strerror(errno));
    else if (rc == 0 && rename(tmp, path) < 0) {
        snprintf(err, errlen, "sorting %s: rename(%s): %s", path, tmp,
                 strerror(errno));
        rc = -1;
    }
done:
    if (out)
        fclose(out);
    if (tmp && rc != 0)
        unlink(tmp);
    free(tmp);
    for (long i = 0; cur && i < n; i++) {
        if (cur[i].f)
            fclose(cur[i].f);
        free(cur[i].line);
    }
    free(cur);
    free(header);
    return rc;
}
