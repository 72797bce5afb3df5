/*
 * Idle timeouts and the drain: the work that closes connections other than
 * the one whose event is being handled, so it runs after each batch of
 * events (see worker.c). Exercise 07 replaces this file
 * (exercises/seams.mk); conn.h is the contract.
 */
#include "reference-server/conn.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "reference-server/server.h"

//! [conn idle]
/* Idle for the drain: nothing buffered, nothing to send (a reply's tail
 * included: a download in progress is let finish), and nothing
 * waiting on the socket. The last check matters: a request that arrived
 * just before the stop signal has an event waiting in the next batch,
 * and closing the connection now would drop it unanswered (a FIN or an
 * RST instead of the reply). A peeked FIN (0) counts as idle. */
static bool conn_idle(const struct conn *c)
{
    if (c->in_len > 0 || c->out_len > 0 || c->body || c->tail_len > 0)
        return false;
    char byte;
    ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n <= 0 && !(n < 0 && errno == EINTR);
}
//! [conn idle]

//! [conns expire]
void conns_expire(struct thread *self)
{
    long timeout = self->srv->opt.idle_timeout;
    /* Both lists are in time order: stop at the first one still fresh. */
    while (self->conns.linger_oldest &&
           self->now - self->conns.linger_oldest->last_active >=
               CONN_LINGER_SECONDS)
        conn_close(self, self->conns.linger_oldest, CLOSE_ERROR);
    /* A timed-out connection whose socket still moves (conn_moving())
     * goes to the fresh end instead: the loop meets each one once. */
    while (timeout > 0 && self->conns.oldest &&
           self->now - self->conns.oldest->last_active > timeout) {
        if (conn_moving(self->conns.oldest))
            conn_touch(self, self->conns.oldest);
        else
            conn_close(self, self->conns.oldest, CLOSE_TIMEOUT);
    }
    if (!self->draining)
        return;
    bool give_up = self->now >= self->drain_deadline;
    bool grace_over = clock_ms() >= self->drain_grace_end;
    for (struct conn *c = self->conns.oldest, *next; c; c = next) {
        next = c->newer;
        if (give_up)
            conn_close(self, c, CLOSE_TIMEOUT);
        else if (grace_over && conn_idle(c))
            conn_close(self, c, CLOSE_NORMAL);
    }
    while (give_up && self->conns.linger_oldest)
        conn_close(self, self->conns.linger_oldest, CLOSE_ERROR);
    if (self->conns.open == 0 &&
        atomic_load_explicit(&self->srv->acceptors_done, memory_order_acquire))
        self->done = true;
}
//! [conns expire]
