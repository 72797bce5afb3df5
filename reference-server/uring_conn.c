/*
 * A connection on the io_uring path. It is the epoll path's struct conn,
 * in the thread's own conn table (conn.h), answered by the same
 * conn_answer(): the parser, the routes, `100 Continue`, HEAD replies
 * without a body, keep-alive and the drain's `Connection: close` are one
 * code for both paths, and so are the buffer pool, the activity list and
 * the lingering close. What differs is who moves the bytes: here they
 * arrive in a completion, in a buffer the kernel chose, and are copied
 * into in[]; replies leave by a send the kernel runs while the thread
 * goes on.
 *
 * Rules that keep the kernel and the thread from stepping on each other:
 * - at most one send in flight (send_busy), and out[] is not moved, freed
 *   or rewound while it is: the kernel may still copy from it. New replies
 *   are only appended after out_len;
 * - a connection is closed, and its fd, only when no send is in flight
 *   (a close that must wait sets closing); its multishot receive is
 *   cancelled by user_data, and any completion that still comes carries
 *   an old generation and is dropped (uring_ring.h).
 */
#include "reference-server/uring_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/server.h"
#include "reference-server/uring_recv.h"

/* A paused receive still delivers the completions already on their way
 * (a multishot receive posts up to 32 in a row): what does not fit in[]
 * waits in spill. Past this much, the client is abusive. */
#define SPILL_MAX (1u << 20)

static struct conn *lookup(struct uring_thread *u, uint64_t tag)
{
    const struct conn_table *table = &u->self->conns;
    int fd = uring_tag_fd(tag);
    if (fd < 0 || fd >= table->cap)
        return NULL;
    struct conn *c = table->by_fd[fd];
    return c && c->gen == uring_tag_gen(tag) ? c : NULL;
}

static uint64_t recv_tag(const struct conn *c)
{
    return uring_tag(URING_RECV, c->gen, c->fd);
}

static bool arm_recv(struct uring_thread *u, struct conn *c)
{
    c->recv_armed = uring_recv_arm(u, c->fd, recv_tag(c)) == 0;
    return c->recv_armed;
}

//! [uring first recv]
/* A new connection's first receive is a one-shot one (the same provided
 * buffers, no IORING_RECV_MULTISHOT). Its request is usually there by the
 * time the connection arrives here, so it completes at once, and nothing
 * stays armed: a connection that asked for `Connection: close` then ends
 * with no receive to cancel. A multishot one would have armed a poll
 * after that first request and needed a cancel (an SQE, its work in the
 * kernel and a -ECANCELED completion) before the close: measured, 10% of
 * the server's CPU under churn went to io_uring itself, the cancel path a
 * sixth of it. Keep-alive connections arm the multishot receive once the
 * first request is answered (uconn_progress()): one SQE more for each. */
static bool arm_first_recv(struct uring_thread *u, struct conn *c)
{
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe)
        return false;
    io_uring_prep_recv(sqe, c->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = (uint16_t)u->bufs.group;
    io_uring_sqe_set_data64(sqe, recv_tag(c));
    c->recv_armed = true; /* until its completion, which has no F_MORE */
    return true;
}
//! [uring first recv]

//! [uring close]
/* Close c for the reason why. A send in flight still owns out[]: a
 * graceful close waits for it, a forced one (error, timeout) cancels it;
 * either way uring_conn_on_send() closes c when it comes back. */
static void uconn_close(struct uring_thread *u, struct conn *c,
                        enum close_reason why)
{
    if (c->closing)
        return;
    if (c->send_busy) {
        c->closing = true;
        c->why = (uint8_t)why;
        if (why != CLOSE_NORMAL)
            uring_cancel(u, uring_tag(URING_SEND, c->gen, c->fd));
        return;
    }
    if (c->recv_armed)
        uring_cancel(u, recv_tag(c));
    free(c->spill);
    c->spill = NULL;
    c->spill_len = 0;
    /* Close the fd from the ring, with the batch's other requests: under
     * churn a close() system call per connection saved. No completion
     * unless it fails. The fd number stays taken until the kernel has
     * closed it, so no new connection can land on it before. */
    int fd = conn_forget(u->self, c, why); /* counts, traces, frees c */
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe) {
        close(fd);
        return;
    }
    io_uring_prep_close(sqe, fd);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, uring_tag(URING_CLOSE, 0, fd));
}
//! [uring close]

void uring_conn_open(struct uring_thread *u, int fd)
{
    struct thread *self = u->self;
    struct conn *c = NULL;
    if (fd >= 0 && fd < self->conns.cap && !self->conns.by_fd[fd])
        c = conn_get(self, fd);
    if (!c) {
        thread_warn(self, "no room for a connection on fd %d", fd);
        TRACE(self->trace, TRACE_CLOSE, fd, CLOSE_ERROR);
        counter_add(&self->stats.closed_error, 1);
        close(fd);
        return;
    }
    c->gen = ++u->next_gen & 0xffffff;
    if (!arm_first_recv(u, c)) {
        thread_warn(self, "fd %d: cannot arm its receive", fd);
        uconn_close(u, c, CLOSE_ERROR);
    }
}

/* Move what waits in spill into in[], as far as it fits. Returns whether
 * anything moved. */
static bool uconn_unspill(struct conn *c)
{
    uint32_t n = CONN_IN_CAP - c->in_len;
    if (!c->spill_len || !c->in || n == 0)
        return false;
    if (n > c->spill_len)
        n = c->spill_len;
    memcpy(c->in + c->in_len, c->spill, n);
    c->in_len += n;
    c->spill_len -= n;
    memmove(c->spill, c->spill + n, c->spill_len);
    if (c->spill_len == 0) {
        free(c->spill);
        c->spill = NULL;
    }
    return true;
}

/* Take len received bytes into in[] (from the pool), the rest into spill.
 * Returns false when there is no memory for them, or too much. */
static bool uconn_take(struct thread *self, struct conn *c, const char *data,
                       uint32_t len)
{
    if (!c->in && !(c->in = conn_buf_take(&self->conns)))
        return false;
    /* Bytes keep their order: once some wait in spill, all go there. */
    uint32_t room = CONN_IN_CAP - c->in_len;
    uint32_t fit = c->spill_len > 0 ? 0 : len < room ? len : room;
    memcpy(c->in + c->in_len, data, fit);
    c->in_len += fit;
    if (fit == len)
        return true;
    uint32_t more = len - fit;
    if (c->spill_len + more > SPILL_MAX)
        return false;
    char *grown = realloc(c->spill, c->spill_len + more);
    if (!grown)
        return false;
    memcpy(grown + c->spill_len, data + fit, more);
    c->spill = grown;
    c->spill_len += more;
    return true;
}

/* Once out[] is all sent (and no send is in flight), start it over: room
 * for more replies, or for the next piece of a long body (copied into
 * out[] as conn_step() does). */
static void uconn_rewind(struct conn *c)
{
    if (c->send_busy || !c->out || c->out_sent < c->out_len)
        return;
    c->out_len = c->out_sent = 0;
    if (c->body)
        conn_refill(c);
}

/* Queue a send of what is pending, unless one is in flight: out[] first,
 * then the tail (a large body, routes.h). Returns false only if no SQE
 * could be had. */
static bool uconn_send(struct uring_thread *u, struct conn *c)
{
    if (c->send_busy)
        return true;
    uint32_t head = c->out_len - c->out_sent;
    if (head == 0 && c->tail_len == 0)
        return true;
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe)
        return false;
    if (head > 0 && c->tail_len > 0 && u->sendmsgs) {
        /* A reply's head and its large body in one sendmsg: one SQE, one
         * completion and one loop turn per response, not two (the head
         * alone would come back first and only then let the body go). */
        struct uring_sendmsg *m = &u->sendmsgs[sqe - u->ring.sq.sqes];
        m->iov[0] = (struct iovec){c->out + c->out_sent, head};
        m->iov[1] = (struct iovec){(void *)c->tail, c->tail_len};
        m->hdr = (struct msghdr){.msg_iov = m->iov, .msg_iovlen = 2};
        io_uring_prep_sendmsg(sqe, c->fd, &m->hdr, MSG_NOSIGNAL);
    } else if (head > 0) {
        io_uring_prep_send(sqe, c->fd, c->out + c->out_sent, head,
                           MSG_NOSIGNAL);
    } else {
        io_uring_prep_send(sqe, c->fd, c->tail, c->tail_len, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(sqe, uring_tag(URING_SEND, c->gen, c->fd));
    c->send_busy = true;
    return true;
}

/* Output done, the client may still be sending (an error reply, or bytes
 * past a Connection: close): lingering close (conn_linger()), with the
 * receive kept on to read and discard what the client still sends. */
static void uconn_linger(struct uring_thread *u, struct conn *c)
{
    struct thread *self = u->self;
    int fd = c->fd;
    uint64_t tag = recv_tag(c);
    bool armed = c->recv_armed;
    free(c->spill);
    c->spill = NULL;
    c->spill_len = 0;
    conn_linger(self, c);
    if (self->conns.by_fd[fd] != c) { /* shutdown() failed: closed */
        if (armed)
            uring_cancel(u, tag);
        return;
    }
    if (!c->recv_armed && !arm_recv(u, c))
        uconn_close(u, c, CLOSE_ERROR);
}

//! [uring progress]
/* What conn_step() is to the epoll path: answer what in[] holds, send,
 * end the connection when it is done, and stop or resume the receive to
 * match (backpressure: take no bytes from a client that sends faster than
 * it reads, as the epoll path stops calling recv()). */
static void uconn_progress(struct uring_thread *u, struct conn *c)
{
    struct thread *self = u->self;
    if (c->lingering) {
        if (!c->recv_armed && !arm_recv(u, c))
            uconn_close(u, c, CLOSE_ERROR);
        return;
    }
    do {
        uconn_rewind(c);
        int answered = conn_answer(self, c);
        if (answered < 0 || !uconn_send(u, c)) {
            thread_warn(self, "fd %d: no memory or no SQE", c->fd);
            uconn_close(u, c, CLOSE_ERROR);
            return;
        }
        /* A request answered is progress now, not when its send comes
         * back: the expiry pass at the end of this very batch (after a
         * stall, say) must not take the connection for idle. */
        if (answered > 0)
            conn_touch(self, c);
    } while (uconn_unspill(c));
    bool sending = c->send_busy;
    if (!sending && c->close_after) {
        bool drained = c->peer_done || (c->recv_short && !c->recv_armed);
        if (!c->spill_len && conn_input_done(c, drained))
            uconn_close(u, c, CLOSE_NORMAL);
        else
            uconn_linger(u, c); /* closing now would reset */
        return;
    }
    if (!sending && c->peer_done) { /* half-close: all answered, sent */
        uconn_close(u, c, CLOSE_NORMAL);
        return;
    }
    bool full =
        c->body || c->tail_len || CONN_OUT_CAP - c->out_len < HTTP_MAX_RESPONSE;
    bool pause = c->close_after || (full && c->in_len > 0);
    /* Holding input back while replies go out (backpressure, or the
     * drain's close) can last many turns, and the client may send more
     * meanwhile: what the last receive saw no longer holds. Only the
     * client's own Connection: close keeps it (it may send nothing more). */
    if (pause && (!c->close_after || self->draining))
        c->recv_short = false;
    if (pause && c->recv_armed && !c->recv_stopping) {
        c->recv_stopping = true;
        uring_cancel(u, recv_tag(c));
    } else if (!pause && !c->recv_armed && !c->peer_done && !arm_recv(u, c)) {
        uconn_close(u, c, CLOSE_ERROR);
        return;
    }
    conn_bufs_return(&self->conns, c); /* idle: it holds no buffer */
}
//! [uring progress]

/* A client that reset the connection or vanished: its own business, and
 * a hostile one could fill the log with it (the epoll path, which sees
 * the same errors from recv() and send(), says nothing either). */
static bool peer_gone(int res)
{
    return res == -ECONNRESET || res == -EPIPE || res == -ETIMEDOUT;
}

//! [uring on recv]
void uring_conn_on_recv(struct uring_thread *u, const struct io_uring_cqe *cqe)
{
    struct thread *self = u->self;
    struct conn *c = lookup(u, cqe->user_data);
    const char *data = uring_recv_data(&u->bufs, cqe);
    if (c && !(cqe->flags & IORING_CQE_F_MORE))
        c->recv_armed = c->recv_stopping = false; /* re-armed if needed */
    /* A receive that ended short took all the socket had (the first,
     * one-shot one, under churn): conn_input_done() need not peek, unless
     * the connection held its input back since (uconn_progress()). One
     * still armed may have bytes on the way: it must. */
    if (c)
        c->recv_short =
            !c->recv_armed && cqe->res > 0 && cqe->res < URING_BUF_SIZE;
    bool ok = true;
    if (c && !c->closing && data) {
        counter_add(&self->stats.bytes_in, (uint64_t)cqe->res);
        TRACE(self->trace, TRACE_RECV, c->fd, cqe->res);
        if (!c->lingering) /* a lingering one reads and discards */
            ok = uconn_take(self, c, data, (uint32_t)cqe->res);
    }
    uring_recv_done(&u->bufs, cqe); /* the bytes are ours now */
    if (!c || c->closing)           /* stale: the connection is gone or going */
        return;
    if (!ok) {
        thread_warn(self, "fd %d: no room for its input", c->fd);
        uconn_close(u, c, CLOSE_ERROR);
    } else if (cqe->res == 0 && c->lingering) {
        /* The FIN we lingered for: after a good reply, a normal end. */
        uconn_close(u, c, c->bad_input ? CLOSE_ERROR : CLOSE_NORMAL);
    } else if (cqe->res == 0) {
        c->peer_done = true; /* half-close: answer what came, then end */
        uconn_progress(u, c);
    } else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED) {
        if (!peer_gone(cqe->res))
            thread_warn(self, "fd %d: receive: %s", c->fd, strerror(-cqe->res));
        uconn_close(u, c, CLOSE_ERROR);
    } else {
        /* Bytes; or -ENOBUFS (every buffer was taken: they are back by
         * now, so re-arm), or -ECANCELED (we paused it). */
        uconn_progress(u, c);
    }
}
//! [uring on recv]

void uring_conn_on_send(struct uring_thread *u, const struct io_uring_cqe *cqe)
{
    struct thread *self = u->self;
    struct conn *c = lookup(u, cqe->user_data);
    if (!c)
        return;
    c->send_busy = false;
    int res = cqe->res;
    if (res > 0) {
        /* out[] goes before the tail: what was sent is out[]'s unsent
         * bytes first, the rest the tail's (no reply is appended while a
         * tail waits). */
        uint32_t sent = (uint32_t)res, head = c->out_len - c->out_sent;
        if (head > sent)
            head = sent;
        c->out_sent += head;
        if (sent > head) { /* no tail is NULL, and NULL + 0 is undefined */
            c->tail += sent - head;
            c->tail_len -= sent - head;
        }
        counter_add(&self->stats.bytes_out, (uint64_t)res);
        TRACE(self->trace, TRACE_SEND, c->fd, res);
        if (!c->closing)
            conn_touch(self, c);
    }
    if (c->closing) {
        c->closing = false;
        uconn_close(u, c, (enum close_reason)c->why);
    } else if (res <= 0) {
        if (!peer_gone(res))
            thread_warn(self, "fd %d: send: %s", c->fd,
                        res ? strerror(-res) : "nothing sent");
        uconn_close(u, c, CLOSE_ERROR);
    } else {
        uconn_progress(u, c);
    }
}

//! [uring idle]
/* Idle for the drain, as conn_expire.c's conn_idle(): nothing buffered,
 * nothing in flight, nothing waiting on the socket. Bytes that arrived
 * stay in the socket until the ring's next io_uring_enter() runs the
 * receive (DEFER_TASKRUN), so a peek sees them. */
static bool uconn_idle(const struct conn *c)
{
    if (c->in_len || c->out_len || c->body || c->tail_len || c->spill_len ||
        c->send_busy || c->closing)
        return false;
    char byte;
    ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n <= 0 && !(n < 0 && errno == EINTR);
}
//! [uring idle]

//! [uring expire]
void uring_conns_expire(struct uring_thread *u)
{
    struct thread *self = u->self;
    struct conn_table *table = &self->conns;
    long timeout = self->srv->opt.idle_timeout;
    struct conn *c, *next;
    /* Both lists are in time order; uconn_close() may leave one that
     * waits for its send in the list, so walk on past it. */
    for (c = table->linger_oldest;
         c && self->now - c->last_active >= CONN_LINGER_SECONDS; c = next) {
        next = c->newer;
        uconn_close(u, c, CLOSE_ERROR);
    }
    /* One whose socket still moves (conn_moving(): a request the ring
     * has not delivered yet, or a download the client is still taking)
     * goes to the fresh end instead, where the walk stops. */
    for (c = table->oldest;
         c && timeout > 0 && self->now - c->last_active > timeout; c = next) {
        next = c->newer;
        if (!c->closing && conn_moving(c)) {
            conn_touch(self, c);
        } else {
            uconn_close(u, c, CLOSE_TIMEOUT);
        }
    }
    conns_trim(table, self->now);
    if (!self->draining)
        return;
    bool give_up = self->now >= self->drain_deadline;
    /* Completions already posted (a ring without DEFER_TASKRUN posts them
     * any time) may hold a request: no idle close until they are seen. */
    bool quiet =
        clock_ms() >= self->drain_grace_end && io_uring_cq_ready(&u->ring) == 0;
    for (c = table->oldest; c; c = next) {
        next = c->newer;
        if (give_up || (quiet && uconn_idle(c)))
            uconn_close(u, c, give_up ? CLOSE_TIMEOUT : CLOSE_NORMAL);
    }
    for (c = table->linger_oldest; give_up && c; c = next) {
        next = c->newer;
        uconn_close(u, c, CLOSE_ERROR);
    }
}
//! [uring expire]

void uring_conns_release(struct uring_thread *u)
{
    /* The ring is gone (io_uring_queue_exit): nothing is in flight, and
     * conns_release() closes what is open. Only spill is ours to free. */
    struct conn_table *table = &u->self->conns;
    for (struct conn *c = table->oldest; c; c = c->newer) {
        free(c->spill);
        c->spill = NULL;
    }
    conns_release(u->self);
}
