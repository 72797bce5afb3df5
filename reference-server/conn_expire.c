/*
 * Idle timeouts and the drain: the work that closes connections other than
 * the one whose event is being handled, so it runs after each batch of
 * events (see worker.c). Exercise 07 replaces this file
 * (exercises/seams.mk); conn.h is the contract.
 */
#include "reference-server/conn.h"

#include <stdatomic.h>

#include "reference-server/server.h"

//! [conns expire]
void conns_expire(struct thread *self)
{
    long timeout = self->srv->opt.idle_timeout;
    /* The list is in activity order: stop at the first one still fresh. */
    while (timeout > 0 && self->conns.oldest &&
           self->now - self->conns.oldest->last_active > timeout)
        conn_close(self, self->conns.oldest, CLOSE_TIMEOUT);
    if (!self->draining)
        return;
    bool give_up = self->now >= self->drain_deadline;
    for (struct conn *c = self->conns.oldest, *next; c; c = next) {
        next = c->newer;
        if (give_up || (c->in_len == 0 && c->out_len == 0))
            conn_close(self, c, give_up ? CLOSE_TIMEOUT : CLOSE_NORMAL);
    }
    if (self->conns.open == 0 &&
        atomic_load_explicit(&self->srv->acceptors_done, memory_order_acquire))
        self->done = true;
}
//! [conns expire]
