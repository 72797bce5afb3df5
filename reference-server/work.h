/**
 * \file
 * \brief `GET /work?us=N`: a teaching endpoint that makes a slow request.
 *
 * fastd's own requests all cost a few microseconds, so a learner cannot
 * see what chapter 9's seventh critic claims: in a single event loop, one
 * slow request delays every other client of that loop. This endpoint
 * spins the CPU for N microseconds (on CLOCK_MONOTONIC, so N is wall time
 * on the thread's core) before it answers, and makes the claim testable.
 *
 * It is **off** unless fastd runs with `--work-max-us MAX`: without it
 * `/work` is an unknown path (404) and costs nothing, so a server that
 * did not ask for it cannot be pinned by it. With it, N must be a whole
 * number from 0 to MAX (at most one second); anything else is refused
 * with 400 before any work is done. It is a teaching tool, not a feature:
 * never enable it on a server that others can reach.
 */
#ifndef FASTD_WORK_H
#define FASTD_WORK_H

#include <stddef.h>

#include "reference-server/conn.h"
#include "reference-server/http.h"

struct thread;

/** The largest --work-max-us: one second of CPU per request. */
#define WORK_MAX_US 1000000

/**
 * Read N from the query of a request for /work: req->path is "/work" and
 * the query ("?us=N") follows it in the request line, up to the space
 * before the version.
 * \return N, or -1 if the query is not exactly us=N with 0 <= N <= max_us.
 */
long work_parse_us(const struct http_request *req, long max_us);

/**
 * Answer a request for /work (only called when --work-max-us is set):
 * spin for N us, then 200 with a short text body; 400 for a bad or too
 * large N.
 * \return bytes written to out (room for HTTP_MAX_RESPONSE is enough).
 */
size_t work_answer(struct thread *self, struct conn *c,
                   const struct http_request *req, char *out);

#endif
