/*
 * A connection on the io_uring path. The epoll path (conn.c) reads when
 * told the socket is readable; here the bytes arrive in a completion, in a
 * buffer the kernel chose, and a connection keeps memory only for what it
 * cannot answer yet: `in` exists while a request is incomplete (or answers
 * wait for room), `out` while a response is unsent.
 *
 * Rules that keep the kernel and the thread from stepping on each other:
 * - at most one send in flight, and out[] is not moved or freed while it
 *   is (the kernel may still copy from it);
 * - a connection is freed, and its fd closed, only when no send is in
 *   flight; its multishot receive is cancelled by user_data, and any
 *   completion that still comes carries an old generation and is dropped.
 */
#include "reference-server/uring_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reference-server/routes.h"
#include "reference-server/uring_recv.h"

/* Freed connections and output buffers kept per thread for reuse. */
#define SPARE_MAX 64
/* Pipelined input may outgrow CONN_IN_CAP while a slow reader holds the
 * output back: the receive is paused then, but completions already on
 * their way still land. Past this, the client is abusive. */
#define IN_MAX (1u << 20)

static void touch(struct uring_thread *u, struct uring_conn *c)
{
    c->last_active = u->self->now;
    if (u->newest == c)
        return;
    if (c->older)
        c->older->newer = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    if (u->oldest == c)
        u->oldest = c->newer;
    c->older = u->newest;
    c->newer = NULL;
    if (u->newest)
        u->newest->newer = c;
    u->newest = c;
    if (!u->oldest)
        u->oldest = c;
}

static void unlink_conn(struct uring_thread *u, struct uring_conn *c)
{
    if (c->older)
        c->older->newer = c->newer;
    else if (u->oldest == c)
        u->oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else if (u->newest == c)
        u->newest = c->older;
    c->older = c->newer = NULL;
}

static struct uring_conn *lookup(struct uring_thread *u, uint64_t tag)
{
    int fd = uring_tag_fd(tag);
    if (fd < 0 || fd >= u->conns_cap)
        return NULL;
    struct uring_conn *c = u->conns[fd];
    return c && c->gen == uring_tag_gen(tag) ? c : NULL;
}

static char *out_get(struct uring_thread *u)
{
    if (u->nspare_bufs > 0)
        return u->spare_bufs[--u->nspare_bufs];
    return malloc(CONN_OUT_CAP);
}

static void out_put(struct uring_thread *u, char *buf)
{
    if (u->nspare_bufs < SPARE_MAX)
        u->spare_bufs[u->nspare_bufs++] = buf;
    else
        free(buf);
}

static void uconn_free(struct uring_thread *u, struct uring_conn *c);

void uring_conn_open(struct uring_thread *u, int fd)
{
    struct thread *self = u->self;
    struct uring_conn *c = NULL;
    if (fd < u->conns_cap) {
        c = u->spare;
        if (c) {
            u->spare = c->newer;
            u->nspare--;
        } else {
            c = malloc(sizeof *c);
        }
    }
    if (!c) {
        thread_warn(self, "no room for connection on fd %d", fd);
        TRACE(self->trace, TRACE_CLOSE, fd, CLOSE_ERROR);
        counter_add(&self->stats.closed_error, 1);
        close(fd);
        return;
    }
    *c = (struct uring_conn){.fd = fd, .gen = ++u->next_gen & 0xffffff};
    u->conns[fd] = c;
    u->nconns++;
    touch(u, c);
    c->recv_armed =
        uring_recv_arm(u, fd, uring_tag(URING_RECV, c->gen, fd)) == 0;
    if (!c->recv_armed) {
        thread_warn(self, "fd %d: cannot arm its receive", fd);
        c->why = CLOSE_ERROR;
        uconn_free(u, c);
    }
}

/* Free the connection: the fd closes now (a cancelled receive still
 * holding the socket lets go when the cancel runs). No send is in flight. */
static void uconn_free(struct uring_thread *u, struct uring_conn *c)
{
    struct thread *self = u->self;
    TRACE(self->trace, TRACE_CLOSE, c->fd, c->why);
    counter *which = c->why == CLOSE_NORMAL  ? &self->stats.closed_normal
                     : c->why == CLOSE_ERROR ? &self->stats.closed_error
                                             : &self->stats.closed_timeout;
    counter_add(which, 1);
    if (c->recv_armed)
        uring_cancel(u, uring_tag(URING_RECV, c->gen, c->fd));
    unlink_conn(u, c);
    u->conns[c->fd] = NULL;
    u->nconns--;
    close(c->fd);
    free(c->in);
    free(c->tail_owned);
    c->tail_owned = NULL;
    if (c->out)
        out_put(u, c->out);
    if (u->nspare < SPARE_MAX) {
        c->newer = u->spare;
        u->spare = c;
        u->nspare++;
    } else {
        free(c);
    }
}

//! [uring shut]
/* Close c for the reason why. A send in flight still owns out[]: a
 * graceful close waits for it, a forced one (error, timeout) cancels it;
 * either way the connection is freed when its completion comes back. */
static void uconn_shut(struct uring_thread *u, struct uring_conn *c,
                       enum close_reason why)
{
    if (c->closing)
        return;
    c->why = why;
    if (!c->send_busy) {
        uconn_free(u, c);
        return;
    }
    c->closing = true;
    unlink_conn(u, c); /* out of the idle list: expire() must not see it */
    if (why != CLOSE_NORMAL)
        uring_cancel(u, uring_tag(URING_SEND, c->gen, c->fd));
}
//! [uring shut]

/* Queue a send of what is pending, unless one is in flight already.
 * Returns false if it had to close c instead. */
static bool uconn_flush(struct uring_thread *u, struct uring_conn *c)
{
    bool out = c->out && c->out_sent < c->out_len;
    if (c->send_busy || (!out && !c->tail_len))
        return true;
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe) {
        uconn_shut(u, c, CLOSE_ERROR);
        return false;
    }
    /* out[] first; the tail (a large body, routes.h) goes after it. */
    if (out)
        io_uring_prep_send(sqe, c->fd, c->out + c->out_sent,
                           c->out_len - c->out_sent, MSG_NOSIGNAL);
    else
        io_uring_prep_send(sqe, c->fd, c->tail, c->tail_len, MSG_NOSIGNAL);
    c->tail_busy = !out;
    io_uring_sqe_set_data64(sqe, uring_tag(URING_SEND, c->gen, c->fd));
    c->send_busy = true;
    return true;
}

/* The routes are the epoll path's (routes.c). route_request() takes a
 * struct conn only to set its close_after and bad_input flags, so a
 * scratch one carries them in and out. */
static size_t uconn_route(struct uring_thread *u, struct uring_conn *c,
                          const struct http_request *req, char *out,
                          size_t room)
{
    struct conn *flags = u->route_flags;
    flags->close_after = c->close_after;
    flags->bad_input = c->bad_input;
    flags->tail = NULL;
    flags->tail_len = 0;
    flags->body = NULL;
    size_t n = route_request(u->self, flags, req, out, room);
    c->close_after = flags->close_after;
    c->bad_input = flags->bad_input;
    c->tail = flags->tail;
    c->tail_len = flags->tail_len;
    if (flags->body) {
        /* /stats: the epoll path copies its body into out[] piece by
         * piece; here the kernel sends it from where it is, as a tail we
         * free once it is sent. */
        c->tail = c->tail_owned = flags->body;
        c->tail_len = flags->body_len;
        flags->body = NULL;
    }
    return n;
}

//! [uring answer]
/* Answer the complete requests at the start of buf; returns the bytes
 * used. *blocked says the answers stopped for want of room in out[]. */
static uint32_t uconn_answer(struct uring_thread *u, struct uring_conn *c,
                             const char *buf, uint32_t len, bool *blocked)
{
    struct thread *self = u->self;
    uint32_t used = 0;
    int answered = 0;
    *blocked = false;
    while (!c->close_after && used < len) {
        if (!c->out && !(c->out = out_get(u)))
            break;
        /* While a send is in flight the kernel reads out[] up to out_len:
         * answers may only be appended after it, and need the room. A
         * large body (tail) goes out before the next answer is written. */
        if (c->tail_len > 0 || CONN_OUT_CAP - c->out_len < HTTP_MAX_RESPONSE) {
            *blocked = true;
            break;
        }
        struct http_request req;
        enum http_parse_result r =
            http_parse(buf + used, len - used, &c->scanned, &req);
        if (r == HTTP_INCOMPLETE)
            break;
        size_t n;
        if (r == HTTP_ERROR) {
            n = http_write_error(c->out + c->out_len, req.status, &self->date);
            c->close_after = c->bad_input = true;
        } else {
            n = uconn_route(u, c, &req, c->out + c->out_len,
                            CONN_OUT_CAP - c->out_len);
            if (n == 0) {
                *blocked = true; /* /stats needs an empty buffer */
                break;
            }
            used += (uint32_t)req.length;
            c->scanned = 0;
            c->close_after |= !req.keep_alive || self->draining;
        }
        c->out_len += (uint32_t)n;
        answered++;
    }
    if (answered > 0) {
        counter_add(&self->stats.requests, (uint64_t)answered);
        TRACE(self->trace, TRACE_REQUEST, c->fd, answered);
        touch(u, c);
    }
    if (c->out && c->out_len == 0) {
        out_put(u, c->out);
        c->out = NULL;
    }
    return used;
}
//! [uring answer]

/* Append bytes to in[], growing it past CONN_IN_CAP only for the backlog
 * a paused receive can still deliver. */
static bool uconn_take(struct uring_conn *c, const char *data, uint32_t len)
{
    if (c->in_len + len > c->in_cap) {
        uint32_t cap = c->in_cap ? c->in_cap : CONN_IN_CAP;
        while (cap < c->in_len + len)
            cap *= 2;
        if (cap > IN_MAX)
            return false;
        char *grown = realloc(c->in, cap);
        if (!grown)
            return false;
        c->in = grown;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, data, len);
    c->in_len += len;
    return true;
}

//! [uring progress]
/* Answer what in[] holds, send, and pause or resume the receive to match. */
static void uconn_progress(struct uring_thread *u, struct uring_conn *c)
{
    bool blocked = false;
    if (c->in_len > 0) {
        uint32_t used = uconn_answer(u, c, c->in, c->in_len, &blocked);
        c->in_len -= used;
        memmove(c->in, c->in + used, c->in_len);
    }
    if (c->in_len == 0 || c->close_after) {
        free(c->in); /* an idle connection holds no input memory */
        c->in = NULL;
        c->in_len = c->in_cap = 0;
    }
    if (blocked && !c->recv_paused) {
        /* Backpressure: stop taking bytes from a client that sends faster
         * than it reads, as the epoll path stops calling recv(). */
        c->recv_paused = true;
        if (c->recv_armed)
            uring_cancel(u, uring_tag(URING_RECV, c->gen, c->fd));
    } else if (!blocked) {
        c->recv_paused = false;
    }
    if (!uconn_flush(u, c))
        return;
    if (!c->send_busy && c->close_after) {
        uconn_shut(u, c, c->bad_input ? CLOSE_ERROR : c->why);
        return;
    }
    if (!c->recv_armed && !c->recv_paused && !c->close_after) {
        c->recv_armed =
            uring_recv_arm(u, c->fd, uring_tag(URING_RECV, c->gen, c->fd)) == 0;
        if (!c->recv_armed)
            uconn_shut(u, c, CLOSE_ERROR);
    }
}
//! [uring progress]

//! [uring on recv]
void uring_conn_on_recv(struct uring_thread *u, const struct io_uring_cqe *cqe)
{
    struct thread *self = u->self;
    struct uring_conn *c = lookup(u, cqe->user_data);
    const char *data = uring_recv_data(&u->bufs, cqe);
    if (!c || c->closing) { /* stale: the connection is gone or going */
        uring_recv_done(&u->bufs, cqe);
        return;
    }
    if (!(cqe->flags & IORING_CQE_F_MORE))
        c->recv_armed = false; /* the multishot ended; re-armed if needed */
    if (data) {
        uint32_t len = (uint32_t)cqe->res, used = 0;
        counter_add(&self->stats.bytes_in, len);
        TRACE(self->trace, TRACE_RECV, c->fd, cqe->res);
        /* The common case: nothing left over from before, so parse in the
         * kernel's buffer and copy only an incomplete tail. */
        bool blocked; /* uconn_progress() finds out again from in[] */
        if (c->in_len == 0)
            used = uconn_answer(u, c, data, len, &blocked);
        bool ok = c->close_after || used == len ||
                  uconn_take(c, data + used, len - used);
        uring_recv_done(&u->bufs, cqe);
        if (!ok) {
            thread_warn(self, "fd %d: input beyond %u bytes", c->fd, IN_MAX);
            uconn_shut(u, c, CLOSE_ERROR);
            return;
        }
    } else if (cqe->res == 0) {
        /* The client's FIN: answer what it sent, then close. */
        c->close_after = true;
        c->why = CLOSE_NORMAL;
    } else if (cqe->res != -ENOBUFS && cqe->res != -ECANCELED) {
        uconn_shut(u, c, CLOSE_ERROR);
        return;
    }
    /* -ENOBUFS: every buffer was in use; they are back by now, re-arm.
     * -ECANCELED: we paused it. */
    uconn_progress(u, c);
}
//! [uring on recv]

void uring_conn_on_send(struct uring_thread *u, const struct io_uring_cqe *cqe)
{
    struct thread *self = u->self;
    struct uring_conn *c = lookup(u, cqe->user_data);
    if (!c)
        return;
    c->send_busy = false;
    if (cqe->res > 0 && c->tail_busy) {
        c->tail += cqe->res;
        c->tail_len -= (uint32_t)cqe->res;
        if (c->tail_len == 0 && c->tail_owned) {
            free(c->tail_owned);
            c->tail_owned = NULL;
        }
    } else if (cqe->res > 0) {
        c->out_sent += (uint32_t)cqe->res;
    }
    if (cqe->res > 0) {
        counter_add(&self->stats.bytes_out, (uint64_t)cqe->res);
        TRACE(self->trace, TRACE_SEND, c->fd, cqe->res);
        if (!c->closing)
            touch(u, c);
    } else if (!c->closing) {
        uconn_shut(u, c, CLOSE_ERROR);
        return;
    }
    if (c->closing) {
        uconn_free(u, c);
        return;
    }
    if (c->out && c->out_sent == c->out_len) {
        c->out_len = c->out_sent = 0;
        out_put(u, c->out);
        c->out = NULL;
    }
    uconn_progress(u, c);
}

//! [uring expire]
void uring_conns_expire(struct uring_thread *u)
{
    struct thread *self = u->self;
    long timeout = self->srv->opt.idle_timeout;
    while (timeout > 0 && u->oldest &&
           self->now - u->oldest->last_active > timeout)
        uconn_shut(u, u->oldest, CLOSE_TIMEOUT);
    if (!self->draining)
        return;
    bool give_up = self->now >= self->drain_deadline;
    for (struct uring_conn *c = u->oldest, *next; c; c = next) {
        next = c->newer;
        if (give_up ||
            (c->in_len == 0 && !c->out && !c->tail_len && !c->send_busy))
            uconn_shut(u, c, give_up ? CLOSE_TIMEOUT : CLOSE_NORMAL);
    }
}
//! [uring expire]

void uring_conns_release(struct uring_thread *u)
{
    /* The ring is gone (io_uring_queue_exit): nothing is in flight. */
    for (int fd = 0; fd < u->conns_cap && u->nconns > 0; fd++) {
        struct uring_conn *c = u->conns[fd];
        if (!c)
            continue;
        c->send_busy = c->recv_armed = false;
        c->why = c->closing ? c->why : CLOSE_NORMAL;
        uconn_free(u, c);
    }
    while (u->spare) {
        struct uring_conn *c = u->spare;
        u->spare = c->newer;
        free(c);
    }
    while (u->nspare_bufs > 0)
        free(u->spare_bufs[--u->nspare_bufs]);
    free(u->spare_bufs);
    free(u->conns);
}
