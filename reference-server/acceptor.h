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

/**
 * Stopping: take the connections already waiting in the listener's queue
 * (at most one queue's worth, listener_backlog(), so that a flood cannot
 * hold the stop) and hand each on as accept_burst() does, to be answered
 * by the drain. Closing the listener over them would reset clients that
 * completed their handshake and sent their request. Call it just before
 * the listener is closed; any error (EAGAIN: the queue is empty) ends it.
 */
void accept_queued(struct thread *self, int listen_fd);

/* [accept seam] */
/**
 * Accept until the listener's queue is empty (accept4 says EAGAIN),
 * handing each new fd, non-blocking and close-on-exec before the
 * hand-off, to schedule_pick() (staged) or to self (shared-nothing,
 * single), and counting it in stats::accepted. A hand-off that fails
 * (handoff_to() closed the fd) does not end the burst.
 * - EINTR, ECONNABORTED, EPROTO: that connection is gone, the burst goes
 *   on.
 * - EMFILE, ENFILE (out of fds): shed one connection with the spare fd
 *   thread::reserve_fd - give it up, accept, close, take it back - so the
 *   client sees a close instead of a hang, and go on. A spare that could
 *   not be taken back is opened again at the next shortage. With no spare
 *   and none to be had: pause 10 ms and return - never spin.
 *   Several threads may accept at once (shared-nothing, several staged
 *   accept threads), sharing one fd table: no other thread's accept4()
 *   may take the slot a shed frees, or spares are lost one by one and new
 *   clients hang. So shed under server::shed_lock, taking any accepting
 *   thread's spare (one pool), and while fds are short (until
 *   server::shed_until_ms) take that lock around every accept4() too.
 * - Any other error (ENOBUFS, ENOMEM, EPERM...): warn, pause 1 ms,
 *   return.
 * (accept_burst.c says why.)
 */
void accept_burst(struct thread *self, int listen_fd);
/* [accept seam] */

#endif
