/**
 * \file
 * \brief fastd on io_uring (`--io uring`): the same stages, completions
 *        instead of readiness.
 *
 * Each thread owns one ring instead of one epoll fd. What epoll needs a
 * system call for at every step, the ring asks for once and then reports:
 *
 * - accept is multishot: one request on the listener yields a completion
 *   per new connection until it is cancelled;
 * - receive is multishot too, into a ring of provided buffers the thread
 *   registered once (uring_recv.h): the kernel picks a buffer only when
 *   bytes arrive, so an idle connection holds no receive buffer;
 * - sends are queued while a batch of completions is handled and go to the
 *   kernel together, in the same io_uring_enter() that waits for the next
 *   batch;
 * - the staged hand-off is a message from the accept thread's ring to the
 *   request thread's ring (IORING_OP_MSG_RING carrying the fd number), so
 *   the request thread learns of its new connection as one more completion;
 * - shared-nothing runs one multishot accept per thread, each on its own
 *   SO_REUSEPORT listener.
 *
 * A connection is the epoll path's struct conn in the thread's own conn
 * table, answered by conn.c's conn_answer(): the HTTP side (parser,
 * routes, limits, keep-alive, 100 Continue, lingering close after an
 * error, half-close, drain, idle timeout, buffer pool, counters and
 * fdtrace events) is the epoll path's, and tests/server runs the same
 * suites against both (the *_uring programs).
 */
#ifndef FASTD_URING_H
#define FASTD_URING_H

#include <stddef.h>

#include "reference-server/server.h"

/**
 * Check that this kernel lets the process use io_uring with what fastd
 * needs (rings, IORING_OP_MSG_RING and the Linux 6.0 network operations).
 * Some systems switch it off: `kernel.io_uring_disabled`, or a container's
 * seccomp profile.
 * \return 0, or -1 with one line saying why in err.
 */
int uring_probe(char *err, size_t errlen);

/**
 * A thread's whole life with --io uring: name and pin itself, create its
 * ring and buffers, meet the others at the start barrier, run its stage's
 * loop, release everything. pool.c starts it in place of the epoll set-up.
 * \return NULL (a pthread start routine).
 */
void *uring_thread_main(struct thread *self);

#endif
