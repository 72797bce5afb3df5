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

/**
 * Write the answer to one parsed request into out (room bytes free).
 * Sets c->close_after (and c->bad_input for an error status) when the
 * connection must close after this reply.
 * \return bytes written, or 0 if the reply needs more room (flush first).
 */
size_t route_request(struct thread *self, struct conn *c,
                     const struct http_request *req, char *out, size_t room);

#endif
