/*
 * Exercise 06: the write path - your version of fastd's
 * reference-server/conn_write.c, behind reference-server/conn.h
 * (conn_flush).
 *
 * This starter works, naively: it writes once and drops the connection
 * when the socket cannot take everything (EAGAIN, or a short write). A
 * response that fits the socket buffer - curl's - goes out; a client that
 * reads slowly, or pipelines more than the buffer holds, is cut off.
 *
 * TODO 1: a full socket is not an error: keep what was not sent
 *         (c->out_sent says how far you got) and return 0; fastd stops
 *         reading that client until the edge-triggered EPOLLOUT, then calls
 *         you again.
 * TODO 2: a short write means the socket is full: return 0 at once rather
 *         than call send() again only to hear EAGAIN.
 * TODO 3: EINTR is not an error; everything sent: reset out_len and
 *         out_sent, return 1.
 * TODO 4: once out[] is all sent, the tail: c->tail_len bytes from
 *         c->tail (a large body sent from where it lives: GET /body),
 *         with the same rules, moving c->tail past what went out. Return
 *         1 only when both are sent.
 * Keep: MSG_NOSIGNAL (a client that is gone must not kill fastd with
 * SIGPIPE), counting stats::bytes_out, TRACE_SEND, conn_touch() on progress.
 */
#include "reference-server/conn.h"

#include <sys/socket.h>

#include "reference-server/server.h"

int conn_flush(struct thread *self, struct conn *c)
{
    size_t want = c->out_len - c->out_sent;
    ssize_t n = send(c->fd, c->out + c->out_sent, want, MSG_NOSIGNAL);
    if (n < 0)
        return -1; /* TODO 1, 3: EAGAIN, EINTR */
    c->out_sent += (uint32_t)n;
    conn_touch(self, c);
    counter_add(&self->stats.bytes_out, (uint64_t)n);
    TRACE(self->trace, TRACE_SEND, c->fd, n);
    if ((size_t)n < want)
        return -1; /* TODO 1, 2: the rest waits for EPOLLOUT */
    c->out_len = c->out_sent = 0;
    return 1;
}
