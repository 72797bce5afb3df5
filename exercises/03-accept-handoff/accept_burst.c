/*
 * Exercise 03: the accept burst - your version of fastd's
 * reference-server/accept_burst.c, behind reference-server/acceptor.h.
 *
 * This starter works, naively: it takes ONE connection per wake-up. The
 * listener is level-triggered, so epoll wakes the accept thread again for
 * the next one - one epoll_wait per connection - and when the process is
 * out of fds (EMFILE) it returns, the listener stays readable, and the
 * accept thread spins at 100% CPU while the clients wait forever.
 *
 * TODO 1: accept until the queue is empty (EAGAIN), not once.
 * TODO 2: a signal (EINTR) or a client that gave up (ECONNABORTED, EPROTO)
 *         must not end the burst.
 * TODO 3: out of fds (EMFILE, ENFILE): shed the connection with the spare
 *         fd thread::reserve_fd (give it up, accept, close, take it back;
 *         a spare lost once is opened again at the next shortage); with
 *         no spare to be had, back off 10 ms and return - never spin.
 *         Several threads may accept at once (one fd table): shed under
 *         server::shed_lock, and while fds are short (shed_until_ms) take
 *         it around every accept4() too (acceptor.h, chapter 4).
 * TODO 4: any other error (ENOBUFS, ENOMEM, EPERM...): warn, pause 1 ms,
 *         return.
 * Keep: non-blocking and close-on-exec BEFORE the hand-off; count
 * stats::accepted; trace the accept; schedule_pick() when staged.
 */
#include "reference-server/acceptor.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "reference-server/handoff.h"

void accept_burst(struct thread *self, int listen_fd)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return; /* TODO 1-4: EAGAIN, EINTR, ECONNABORTED, EMFILE... */
    counter_add(&self->stats.accepted, 1);
    TRACE(self->trace, TRACE_ACCEPT, fd, listen_fd);
    struct thread *target =
        self->stage == STAGE_ACCEPT ? schedule_pick(self) : self;
    handoff_to(self, target, fd);
}
