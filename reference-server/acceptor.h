/**
 * \file
 * \brief The accept stage: take new connections off the listener.
 */
#ifndef FASTD_ACCEPTOR_H
#define FASTD_ACCEPTOR_H

#include "reference-server/server.h"

/**
 * The staged accept thread's loop: wait on its own epoll fd (the listener
 * and the stop eventfd), accept everything pending, hand each fd to a
 * request thread. Returns when the server stops.
 */
void acceptor_run(struct thread *self);

/* [accept seam] */
/**
 * Accept until the listener's queue is empty, handing each new fd to
 * schedule_pick() (staged) or to self (shared-nothing, single).
 * Survives EMFILE/ENFILE without spinning (see acceptor.c).
 */
void accept_burst(struct thread *self, int listen_fd);
/* [accept seam] */

#endif
