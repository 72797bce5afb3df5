/*
 * What fastd answers: the routes, kept apart from the I/O state machine in
 * conn.c, which only moves bytes.
 */
#include "reference-server/routes.h"

#include <string.h>

#include "reference-server/server.h"
#include "reference-server/stats.h"

//! [route request]
size_t route_request(struct thread *self, struct conn *c,
                     const struct http_request *req, char *out, size_t room)
{
    bool keep = req->keep_alive && !self->draining;
    int status = 0;
    if (req->method == HTTP_OTHER)
        status = 405;
    else if ((req->path_len == 1 && req->path[0] == '/') ||
             (req->path_len == 10 && !memcmp(req->path, "/plaintext", 10)))
        return http_write_hello(out, req, keep, &self->date);
    else if (req->path_len == 6 && !memcmp(req->path, "/stats", 6)) {
        char body[CONN_OUT_CAP - HTTP_MAX_RESPONSE];
        size_t n = stats_write_json(self->srv, body, sizeof body);
        if (n == 0 || n + HTTP_MAX_RESPONSE > room)
            return 0;
        size_t h =
            http_write_head(out, "application/json", n, keep, &self->date);
        if (req->method == HTTP_GET)
            memcpy(out + h, body, n);
        c->close_after |= !keep;
        return h + (req->method == HTTP_GET ? n : 0);
    } else
        status = 404;
    c->close_after = c->bad_input = true;
    return http_write_error(out, status, &self->date);
}
//! [route request]
