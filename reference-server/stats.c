#include "reference-server/stats.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "reference-server/conn.h"
#include "reference-server/server.h"

/* The longest thread entry: 10 counters of 20 digits plus names. */
#define STATS_THREAD_MAX 420
_Static_assert(MAX_THREADS *STATS_THREAD_MAX + 2 * 1024 + HTTP_MAX_RESPONSE <=
                   CONN_OUT_CAP,
               "/stats for MAX_THREADS threads must fit one output buffer");

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

size_t stats_write_json(const struct server *srv, char *out, size_t cap)
{
    size_t len = 0;
    uint64_t total[NFIELDS] = {0}, total_open = 0;
    if (!add(out, cap, &len, "{\"arch\":\"%s\",\"threads\":[",
             arch_name(srv->opt.arch)))
        return 0;
    for (int t = 0; t < srv->nthreads; t++) {
        const struct thread *th = &srv->threads[t];
        uint64_t v[NFIELDS];
        for (size_t i = 0; i < NFIELDS; i++)
            total[i] += v[i] = field(&th->stats, i);
        uint64_t open = stats_open_conns(&th->stats);
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
