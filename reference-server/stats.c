#include "reference-server/stats.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>

#include "reference-server/conn.h"
#include "reference-server/server.h"

//! [open conns]
uint64_t stats_open_conns(const struct stats *s)
{
    /* Relaxed loads of different counters can be seen out of order by a
     * reader on another thread: never report "minus one" connections. */
    uint64_t closed = counter_get(&s->closed_normal) +
                      counter_get(&s->closed_error) +
                      counter_get(&s->closed_timeout);
    uint64_t in = counter_get(&s->conns_in);
    return in > closed ? in - closed : 0;
}
//! [open conns]

void stats_totals(void *server, uint64_t out[FD_NKINDS])
{
    const struct server *srv = server;
    uint64_t closes = 0, handoffs = 0, requests = 0, accepts = 0;
    for (int i = 0; i < srv->nthreads; i++) {
        const struct stats *s = &srv->threads[i].stats;
        closes += counter_get(&s->closed_normal) +
                  counter_get(&s->closed_error) +
                  counter_get(&s->closed_timeout);
        handoffs += counter_get(&s->handed_off);
        requests += counter_get(&s->requests);
    }
    for (int i = 0; i < srv->nthreads; i++) /* read last: the largest */
        accepts += counter_get(&srv->threads[i].stats.accepted);
    out[FD_ACCEPT] = accepts;
    out[FD_HANDOFF] = handoffs < accepts ? handoffs : accepts;
    out[FD_REQUEST] = requests;
    out[FD_CLOSE] = closes < accepts ? closes : accepts;
}

/* The counters in /stats order; one table keeps JSON and summary alike. */
static const struct {
    const char *name;
    size_t offset;
} fields[] = {
    {"accepted", offsetof(struct stats, accepted)},
    {"handed_off", offsetof(struct stats, handed_off)},
    {"requests", offsetof(struct stats, requests)},
    {"bytes_in", offsetof(struct stats, bytes_in)},
    {"bytes_out", offsetof(struct stats, bytes_out)},
    {"closed_normal", offsetof(struct stats, closed_normal)},
    {"closed_error", offsetof(struct stats, closed_error)},
    {"closed_timeout", offsetof(struct stats, closed_timeout)},
    {"wasted_wakes", offsetof(struct stats, wasted_wakes)},
    {"fixed_bytes", offsetof(struct stats, fixed_bytes)},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static uint64_t field(const struct stats *s, size_t i)
{
    return counter_get((const counter *)((const char *)s + fields[i].offset));
}

/* Append to out; returns false once cap is reached. */
static bool add(char *out, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool add(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    return true;
}

static bool add_counters(char *out, size_t cap, size_t *len,
                         const uint64_t *values, uint64_t open)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (!add(out, cap, len, "\"%s\":%" PRIu64 ",", fields[i].name,
                 values[i]))
            return false;
    return add(out, cap, len, "\"open_conns\":%" PRIu64 "}", open);
}

_Static_assert(offsetof(struct stats, closed_normal) >
                   offsetof(struct stats, bytes_out),
               "snapshot() takes the closes to be the last counters");

//! [stats snapshot]
/* One thread's counters as read for a snapshot. */
struct snap {
    uint64_t v[NFIELDS];
    uint64_t in;
};

/*
 * Read every thread's counters for one /stats body. A connection is
 * counted in (accepted, conns_in) on one thread before it can be counted
 * out (closed_*) on another, so the closes of *all* threads are read
 * first and the counts in after: then no snapshot can show more closes
 * than connections. Read thread by thread instead, the accept thread's
 * `accepted` came before the request threads' closes, and a connection
 * accepted and closed in between made the total look like one close too
 * many (issue 12's "counter drift": a torn read, not a double close).
 */
static void snapshot(const struct server *srv, struct snap *s)
{
    for (int t = 0; t < srv->nthreads; t++)
        for (size_t i = 0; i < NFIELDS; i++)
            if (fields[i].offset >= offsetof(struct stats, closed_normal))
                s[t].v[i] = field(&srv->threads[t].stats, i);
    atomic_thread_fence(memory_order_acquire);
    for (int t = 0; t < srv->nthreads; t++) {
        for (size_t i = 0; i < NFIELDS; i++)
            if (fields[i].offset < offsetof(struct stats, closed_normal))
                s[t].v[i] = field(&srv->threads[t].stats, i);
        s[t].in = counter_get(&srv->threads[t].stats.conns_in);
    }
}
//! [stats snapshot]

size_t stats_write_json(const struct server *srv, char *out, size_t cap)
{
    size_t len = 0;
    uint64_t total[NFIELDS] = {0}, total_open = 0;
    struct snap snaps[MAX_THREADS];
    snapshot(srv, snaps);
    if (!add(out, cap, &len, "{\"arch\":\"%s\",\"threads\":[",
             arch_name(srv->opt.arch)))
        return 0;
    for (int t = 0; t < srv->nthreads; t++) {
        const struct thread *th = &srv->threads[t];
        const uint64_t *v = snaps[t].v;
        uint64_t closed = 0;
        for (size_t i = 0; i < NFIELDS; i++) {
            total[i] += v[i];
            if (fields[i].offset >= offsetof(struct stats, closed_normal) &&
                fields[i].offset <= offsetof(struct stats, closed_timeout))
                closed += v[i];
        }
        uint64_t open = snaps[t].in > closed ? snaps[t].in - closed : 0;
        total_open += open;
        if (!add(out, cap, &len, "%s{\"id\":%d,\"stage\":\"%s\",\"core\":%d,",
                 t ? "," : "", t, stage_name(th->stage), th->core) ||
            !add_counters(out, cap, &len, v, open))
            return 0;
    }
    if (!add(out, cap, &len, "],\"total\":{") ||
        !add_counters(out, cap, &len, total, total_open) ||
        !add(out, cap, &len, "}\n"))
        return 0;
    return len;
}

void stats_print_summary(const struct server *srv, FILE *stream)
{
    fprintf(stream, "fastd: summary\n%-8s %-8s %-5s", "thread", "stage",
            "core");
    for (size_t i = 0; i < NFIELDS; i++)
        fprintf(stream, " %*s", i < 3 ? 10 : 13, fields[i].name);
    fputc('\n', stream);
    for (int t = 0; t < srv->nthreads; t++) {
        const struct thread *th = &srv->threads[t];
        fprintf(stream, "%-8d %-8s %-5d", t, stage_name(th->stage), th->core);
        for (size_t i = 0; i < NFIELDS; i++)
            fprintf(stream, " %*" PRIu64, i < 3 ? 10 : 13,
                    field(&th->stats, i));
        fputc('\n', stream);
    }
}
