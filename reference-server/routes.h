/**
 * \file
 * \brief What fastd answers: `/`, `/plaintext`, `/stats`, 404 and 405.
 *
 * conn.c parses requests and moves bytes; this file decides the reply.
 */
#ifndef FASTD_ROUTES_H
#define FASTD_ROUTES_H

#include <stddef.h>

#include "reference-server/conn.h"
#include "reference-server/http.h"

struct thread;

/** Largest GET /body, in KiB (fastd --body-kib). */
#define ROUTE_BODY_MAX_KIB 1024

/**
 * Write the answer to one parsed request into out (room bytes free, at
 * least HTTP_MAX_RESPONSE). Sets c->close_after and c->bad_input when the
 * reply is an error after which the connection must end (405; a 404 keeps
 * it); for /stats, attaches the body as c->body, which conn.c copies into
 * the output buffer piece by piece. GET /body (only with --body-kib)
 * writes just the head and points c->tail at the body, a read-only buffer
 * shared by every connection: the write path sends it from there after
 * out[], without a copy into each connection. The reply keeps the
 * connection open as req->keep_alive says: while draining, conn_answer()
 * clears it for a connection's last request.
 * \return bytes written.
 */
size_t route_request(struct thread *self, struct conn *c,
                     const struct http_request *req, char *out, size_t room);

#endif
