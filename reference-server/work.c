/*
 * The /work teaching endpoint (see work.h for why it exists and why it
 * is off by default).
 */
#include "reference-server/work.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reference-server/server.h"

long work_parse_us(const struct http_request *req, long max_us)
{
    /* The parser stops path at '?'; the request line it accepted goes on
     * to a space, so the query is read up to there and no further. */
    const char *q = req->path + req->path_len;
    if (strncmp(q, "?us=", 4) != 0)
        return -1;
    long n = 0;
    int digits = 0;
    for (q += 4; *q >= '0' && *q <= '9'; q++, digits++) {
        n = n * 10 + (*q - '0');
        if (n > max_us) /* also stops an overflow of n */
            return -1;
    }
    return digits > 0 && *q == ' ' ? n : -1;
}

//! [work spin]
/* Busy for us microseconds of wall time, as a slow handler would be: the
 * loop that runs it serves nothing else meanwhile. */
static void work_spin(long us)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long long end = t.tv_sec * 1000000000LL + t.tv_nsec + us * 1000LL;
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while (t.tv_sec * 1000000000LL + t.tv_nsec < end);
}
//! [work spin]

size_t work_answer(struct thread *self, struct conn *c,
                   const struct http_request *req, char *out)
{
    long us = work_parse_us(req, self->srv->opt.work_max_us);
    if (us < 0) {
        c->close_after = c->bad_input = true;
        return http_write_status(out, 400, req, false, &self->date);
    }
    work_spin(us);
    char body[48];
    int n = snprintf(body, sizeof body, "worked %ld us\n", us);
    bool keep = req->keep_alive; /* conn_answer() clears it to drain */
    size_t h =
        http_write_head(out, "text/plain", (size_t)n, req, keep, &self->date);
    c->close_after |= !keep;
    if (req->method == HTTP_HEAD)
        return h;
    memcpy(out + h, body, (size_t)n);
    return h + (size_t)n;
}
