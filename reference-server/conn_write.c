/*
 * The write path: send pending output and report backpressure. Exercise
 * 06 replaces this file (exercises/seams.mk); conn.h is the contract.
 */
#include "reference-server/conn.h"

#include <errno.h>
#include <sys/socket.h>

#include "reference-server/server.h"

//! [conn flush]
int conn_flush(struct thread *self, struct conn *c)
{
    while (c->out_sent < c->out_len) {
        size_t want = c->out_len - c->out_sent;
        ssize_t n = send(c->fd, c->out + c->out_sent, want, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        c->out_sent += (uint32_t)n;
        conn_touch(self, c);
        counter_add(&self->stats.bytes_out, (uint64_t)n);
        TRACE(self->trace, TRACE_SEND, c->fd, n);
        /* A short write means the send buffer is full: skip the send()
         * that would only say EAGAIN. Edge-triggered EPOLLOUT fires when
         * space frees up. */
        if ((size_t)n < want)
            return 0;
    }
    c->out_len = c->out_sent = 0;
    return 1;
}
//! [conn flush]
