/**
 * \file
 * \brief The request stage: one thread serving the connections it owns.
 */
#ifndef FASTD_WORKER_H
#define FASTD_WORKER_H

#include "reference-server/server.h"

/**
 * The request thread's loop: wait on its own epoll fd, serve each ready
 * connection, expire idle ones. In shared-nothing and single it also
 * accepts from its own listener. Returns after a graceful drain.
 */
void worker_run(struct thread *self);

#endif
