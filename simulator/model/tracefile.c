#include "simulator/model/tracefile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int fail(char *err, size_t errlen, const char *name, size_t line,
                const char *what)
{
    snprintf(err, errlen, "%s:%zu: %s", name, line, what);
    return -1;
}

/* Parse "key=N" out of the header. */
static int header_int(const char *header, const char *key)
{
    const char *p = strstr(header, key);
    if (!p)
        return -1;
    char *end;
    long v = strtol(p + strlen(key), &end, 10);
    return end == p + strlen(key) || v < 1 || v > 4096 ? -1 : (int)v;
}

static int by_time(const void *a, const void *b)
{
    const struct fd_event *x = a, *y = b;
    return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

int trace_parse_header(struct trace *tr, const char *line)
{
    if (strncmp(line, "# fdtrace 1 ", 12) != 0)
        return -1;
    const char *a = strstr(line, "arch=");
    if (!a || sscanf(a + 5, "%31s", tr->arch) != 1)
        return -1;
    tr->threads = header_int(line, "threads=");
    tr->cores = header_int(line, "cores=");
    return tr->threads < 0 || tr->cores < 0 ? -1 : 0;
}

int trace_parse_line(const char *line, int threads, struct fd_event *ev,
                     char *err, size_t errlen)
{
    long long t;
    int thread, core, fd, used = 0;
    long arg;
    char kind[16];
    if (sscanf(line, "%lld %d %d %15s %d %ld%n", &t, &thread, &core, kind, &fd,
               &arg, &used) != 6 ||
        line[used] != 0) {
        snprintf(err, errlen,
                 "expected '<t_ns> <thread> <core> <event> <fd> <arg>'");
        return -1;
    }
    if (fd_kind_parse(kind, &ev->kind) < 0) {
        snprintf(err, errlen, "unknown event name");
        return -1;
    }
    if (t < 0 || thread < 0 || thread >= threads || core < -1 || core >= 4096 ||
        fd < -1 || fd > TRACE_MAX_FD) {
        snprintf(err, errlen,
                 "time, thread, core or fd out of range (fds up to %d)",
                 TRACE_MAX_FD);
        return -1;
    }
    if (ev->kind == FD_HANDOFF && (arg < 0 || arg >= threads)) {
        snprintf(err, errlen, "handoff to a thread that does not exist");
        return -1;
    }
    if (arg < 0 && ev->kind != FD_ACCEPT && ev->kind != FD_HANDOFF) {
        snprintf(err, errlen, "negative %s count", fd_kind_name(ev->kind));
        return -1;
    }
    if (ev->kind == FD_CLOSE && arg > CLOSE_TIMEOUT) {
        snprintf(err, errlen, "close reason must be 0, 1 or 2");
        return -1;
    }
    ev->t_ns = t;
    ev->thread = thread;
    ev->core = core;
    ev->fd = fd;
    ev->arg = arg;
    return 0;
}

void trace_infer_ready(const struct fd_event *events, size_t len, size_t i,
                       trace_sink sink, void *ctx)
{
    if (i >= len || events[i].kind != FD_WAKE)
        return;
    int t = events[i].thread;
    /* A batch is short; the bound keeps a pathological trace linear. */
    for (size_t j = i + 1; j < len && j < i + 4096; j++) {
        const struct fd_event *e = &events[j];
        if (e->thread != t)
            continue;
        if (e->kind == FD_WAKE)
            break;
        if (e->kind == FD_RECV) {
            struct fd_event ready = {events[i].t_ns, t,     e->core,
                                     FD_READY,       e->fd, 0};
            sink(ctx, &ready);
        }
    }
}

int trace_parse(struct trace *tr, const char *text, size_t len,
                const char *name, char *err, size_t errlen)
{
    memset(tr, 0, sizeof *tr);
    size_t cap = 0, lineno = 0;
    const char *p = text, *end = text + len;
    bool sorted = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char line[256];
        lineno++;
        if (n >= sizeof line) {
            trace_free(tr);
            return fail(err, errlen, name, lineno, "line too long");
        }
        memcpy(line, p, n);
        line[n] = 0;
        p += n + 1;
        if (lineno == 1) {
            if (strncmp(line, "# fdtrace 1 ", 12) != 0) {
                trace_free(tr);
                return fail(err, errlen, name, 1,
                            "not an fdtrace v1 file (expected '# fdtrace 1 "
                            "arch=... threads=N cores=N')");
            }
            if (trace_parse_header(tr, line) < 0) {
                trace_free(tr);
                return fail(err, errlen, name, 1,
                            "header needs arch=NAME, threads=N and cores=N "
                            "(each N from 1 to 4096)");
            }
            continue;
        }
        if (n == 0 || line[0] == '#')
            continue;
        struct fd_event ev;
        char what[128];
        if (trace_parse_line(line, tr->threads, &ev, what, sizeof what) < 0)
            return trace_free(tr), fail(err, errlen, name, lineno, what);
        if (tr->len == cap) {
            cap = cap ? cap * 2 : 4096;
            struct fd_event *grown = realloc(tr->events, cap * sizeof *grown);
            if (!grown)
                return trace_free(tr),
                       fail(err, errlen, name, lineno, "out of memory");
            tr->events = grown;
        }
        if (tr->len && ev.t_ns < tr->events[tr->len - 1].t_ns)
            sorted = false;
        tr->events[tr->len++] = ev;
    }
    if (lineno == 0)
        return fail(err, errlen, name, 1, "empty file");
    if (!sorted) /* fastd sorts at exit; a killed fastd may not have */
        qsort(tr->events, tr->len, sizeof *tr->events, by_time);
    return 0;
}

int trace_load(struct trace *tr, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode) &&
        !S_ISFIFO(st.st_mode)) {
        fclose(f);
        snprintf(err, errlen, "%s:1: %s", path,
                 S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                     : "not a regular file");
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char buf[65536];
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            text = grown;
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    int rc = trace_parse(tr, text ? text : "", len, path, err, errlen);
    free(text);
    return rc;
}

void trace_free(struct trace *tr)
{
    free(tr->events);
    tr->events = NULL;
    tr->len = 0;
}

void trace_count(const struct trace *tr, struct trace_counts *out)
{
    *out = (struct trace_counts){0};
    for (size_t i = 0; i < tr->len; i++) {
        const struct fd_event *ev = &tr->events[i];
        switch (ev->kind) {
        case FD_ACCEPT:
            out->connections++;
            break;
        case FD_REQUEST:
            out->requests += (uint64_t)ev->arg;
            break;
        case FD_HANDOFF:
            out->handoffs++;
            break;
        case FD_CLOSE:
            out->closes++;
            break;
        case FD_WAKE:
            out->wakes++;
            break;
        default:
            break;
        }
    }
    if (tr->len)
        out->duration_s =
            (double)(tr->events[tr->len - 1].t_ns - tr->events[0].t_ns) / 1e9;
}
