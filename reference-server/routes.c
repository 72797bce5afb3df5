/*
 * What fastd answers: the routes, kept apart from the I/O state machine in
 * conn.c, which only moves bytes.
 */
#include "reference-server/routes.h"

#include <stdlib.h>
#include <string.h>

#include "reference-server/server.h"
#include "reference-server/stats.h"
#include "reference-server/work.h"

/* The longest /stats body: MAX_THREADS entries (stats.c checks it). */
#define STATS_BODY_MAX (MAX_THREADS * STATS_THREAD_MAX + 2048)

static bool path_is(const struct http_request *req, const char *path)
{
    size_t n = strlen(path);
    return req->path_len == n && !memcmp(req->path, path, n);
}

//! [route stats]
/* /stats is the one long reply: its body is written once into memory of
 * its own, which conn.c copies into the output buffer piece by piece as
 * the socket takes it. No connection's buffer is sized for it. */
static size_t route_stats(struct thread *self, struct conn *c,
                          const struct http_request *req, bool keep, char *out)
{
    char *body = malloc(STATS_BODY_MAX);
    size_t n = body ? stats_write_json(self->srv, body, STATS_BODY_MAX) : 0;
    if (n == 0) {
        free(body);
        c->close_after = c->bad_input = true;
        return http_write_status(out, 500, req, false, &self->date);
    }
    size_t h =
        http_write_head(out, "application/json", n, req, keep, &self->date);
    if (req->method == HTTP_GET) {
        c->body = body;
        c->body_len = (uint32_t)n;
        c->body_sent = 0;
    } else {
        free(body);
    }
    return h;
}
//! [route stats]

//! [route request]
size_t route_request(struct thread *self, struct conn *c,
                     const struct http_request *req, char *out, size_t room)
{
    (void)room;                  /* every reply here fits HTTP_MAX_RESPONSE */
    bool keep = req->keep_alive; /* conn_answer() clears it to drain */
    if (req->method == HTTP_OPTIONS && path_is(req, "*"))
        return http_write_options(out, req, keep, &self->date);
    if (req->method == HTTP_OTHER || req->method == HTTP_OPTIONS) {
        c->close_after = c->bad_input = true;
        return http_write_status(out, 405, req, false, &self->date);
    }
    if (path_is(req, "/") || path_is(req, "/plaintext"))
        return http_write_hello(out, req, keep, &self->date);
    if (path_is(req, "/stats"))
        return route_stats(self, c, req, keep, out);
    if (self->srv->opt.work_max_us > 0 && path_is(req, "/work"))
        return work_answer(self, c, req, out); /* teaching only: work.h */
    if (self->srv->opt.body_kib > 0 && path_is(req, "/body")) {
        //! [large body]
        /* Zero bytes from a read-only array: all of it maps the kernel's
         * one zero page, so 1 MiB of it costs no memory. */
        static const char zeros[ROUTE_BODY_MAX_KIB * 1024];
        uint32_t len = (uint32_t)self->srv->opt.body_kib * 1024;
        size_t h = http_write_head(out, "application/octet-stream", len, req,
                                   keep, &self->date);
        if (req->method == HTTP_GET) {
            c->tail = zeros;
            c->tail_len = len;
        }
        c->close_after |= !keep;
        return h;
        //! [large body]
    }
    /* A path we do not serve is no reason to drop the connection. */
    return http_write_status(out, 404, req, keep, &self->date);
}
//! [route request]
