/*
 * The request stage's work on one connection. conn_serve() is a loop over
 * three steps - flush, answer, read - that stops when the socket has no
 * more to give or cannot take more. See conn.h for the ownership rules.
 */
#include "reference-server/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Keep at most this many freed connections per thread for reuse: under
 * connection churn it saves a malloc/free pair (48 KiB each) per client. */
#define SPARE_MAX 64

//! [conn touch]
/* Move c to the newest end of the activity list (O(1), so the idle sweep
 * only looks at connections that have actually expired). Only progress
 * counts as activity - a new connection, a request answered, bytes sent -
 * not bytes received: a slowloris client trickling a request one byte at a
 * time is still cut off after --idle-timeout. */
static void conn_touch(struct thread *self, struct conn *c)
{
    c->last_active = self->now;
    if (self->newest == c)
        return;
    if (c->older)
        c->older->newer = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    if (self->oldest == c)
        self->oldest = c->newer;
    c->older = self->newest;
    c->newer = NULL;
    if (self->newest)
        self->newest->newer = c;
    self->newest = c;
    if (!self->oldest)
        self->oldest = c;
}
//! [conn touch]

//! [lazy conn state]
static struct conn *conn_get(struct thread *self, int fd)
{
    if (fd < 0 || fd >= self->conns_cap)
        return NULL;
    struct conn *c = self->conns[fd];
    if (c)
        return c;
    if (self->spare) {
        c = self->spare;
        self->spare = c->newer;
        self->nspare--;
    } else if (!(c = malloc(sizeof *c))) {
        return NULL;
    }
    /* Only the header needs clearing: the buffers are read up to their
     * lengths, so 48 KiB of memset per connection would be wasted. */
    memset(c, 0, offsetof(struct conn, in));
    c->fd = fd;
    self->conns[fd] = c;
    self->nconns++;
    conn_touch(self, c);
    return c;
}
//! [lazy conn state]

//! [conn close]
void conn_close(struct thread *self, struct conn *c, enum close_reason why)
{
    TRACE(self->trace, TRACE_CLOSE, c->fd, why);
    counter *which = why == CLOSE_NORMAL  ? &self->stats.closed_normal
                     : why == CLOSE_ERROR ? &self->stats.closed_error
                                          : &self->stats.closed_timeout;
    counter_add(which, 1);
    if (c->older)
        c->older->newer = c->newer;
    else
        self->oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        self->newest = c->older;
    self->conns[c->fd] = NULL;
    self->nconns--;
    /* close() also removes the fd from our epoll set. */
    close(c->fd);
    if (self->nspare < SPARE_MAX) {
        c->newer = self->spare;
        self->spare = c;
        self->nspare++;
    } else {
        free(c);
    }
}
//! [conn close]

//! [conn flush]
/* Send what is pending. 1: all sent; 0: the socket is full; -1: error. */
static int conn_flush(struct thread *self, struct conn *c)
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

/* Write the answer to one request into out; 0 if it needs more room. */
static size_t conn_route(struct thread *self, struct conn *c,
                         const struct http_request *req, char *out, size_t room)
{
    bool keep = req->keep_alive && !self->draining;
    int status = 0;
    if (req->method == HTTP_OTHER)
        status = 405;
    else if ((req->path_len == 1 && req->path[0] == '/') ||
             (req->path_len == 10 && !memcmp(req->path, "/plaintext", 10)))
        return http_write_hello(out, req, keep, &self->date);
    else if (req->path_len == 6 && !memcmp(req->path, "/stats", 6)) {
        char body[CONN_OUT_CAP - HTTP_MAX_RESPONSE];
        size_t n = stats_write_json(self->srv, body, sizeof body);
        if (n == 0 || n + HTTP_MAX_RESPONSE > room)
            return 0;
        size_t h =
            http_write_head(out, "application/json", n, keep, &self->date);
        if (req->method == HTTP_GET)
            memcpy(out + h, body, n);
        c->close_after |= !keep;
        return h + (req->method == HTTP_GET ? n : 0);
    } else
        status = 404;
    c->close_after = c->bad_input = true;
    return http_write_error(out, status, &self->date);
}

//! [conn answer]
/* Answer every complete request in in[]; returns how many. */
static int conn_answer(struct thread *self, struct conn *c)
{
    size_t used = 0;
    int answered = 0;
    while (!c->close_after && CONN_OUT_CAP - c->out_len >= HTTP_MAX_RESPONSE) {
        struct http_request req;
        enum http_parse_result r =
            http_parse(c->in + used, c->in_len - used, &c->scanned, &req);
        if (r == HTTP_INCOMPLETE)
            break;
        size_t n;
        if (r == HTTP_ERROR) {
            n = http_write_error(c->out + c->out_len, req.status, &self->date);
            c->close_after = c->bad_input = true;
        } else {
            n = conn_route(self, c, &req, c->out + c->out_len,
                           CONN_OUT_CAP - c->out_len);
            if (n == 0)
                break; /* /stats needs an empty buffer: flush first */
            used += req.length;
            c->scanned = 0;
            c->close_after |= !req.keep_alive || self->draining;
        }
        c->out_len += (uint32_t)n;
        answered++;
    }
    if (used > 0) {
        c->in_len -= (uint32_t)used;
        memmove(c->in, c->in + used, c->in_len);
    }
    if (answered > 0) {
        counter_add(&self->stats.requests, (uint64_t)answered);
        TRACE(self->trace, TRACE_REQUEST, c->fd, answered);
    }
    return answered;
}
//! [conn answer]

void conn_serve(struct thread *self, int fd, uint32_t events)
{
    struct conn *c = conn_get(self, fd);
    if (!c) {
        thread_warn(self, "no memory for connection on fd %d", fd);
        close(fd);
        return;
    }
    //! [epoll error]
    if (events & EPOLLERR) {
        conn_close(self, c, CLOSE_ERROR);
        return;
    }
    //! [epoll error]
    //! [serve loop]
    bool drained = false;
    for (;;) {
        if (c->out_len > 0) {
            int r = conn_flush(self, c);
            if (r < 0) {
                conn_close(self, c, CLOSE_ERROR);
                return;
            }
            if (r == 0)
                return; /* backpressure: read nothing until EPOLLOUT */
        }
        if (c->close_after) {
            conn_close(self, c, c->bad_input ? CLOSE_ERROR : CLOSE_NORMAL);
            return;
        }
        if (conn_answer(self, c) > 0)
            continue;
        if (drained)
            return;
        size_t room = CONN_IN_CAP - c->in_len;
        if (room == 0) {
            /* The parser answers 431/413 before a request outgrows in[]
             * (conn.h); should that ever fail, recv() of 0 bytes would
             * look like the client's FIN. Call it what it is. */
            thread_warn(self, "fd %d: input buffer full", fd);
            conn_close(self, c, CLOSE_ERROR);
            return;
        }
        ssize_t n = recv(fd, c->in + c->in_len, room, 0);
        if (n > 0) {
            c->in_len += (uint32_t)n;
            counter_add(&self->stats.bytes_in, (uint64_t)n);
            TRACE(self->trace, TRACE_RECV, fd, n);
            /* A short read emptied the socket: the next recv() would only
             * say EAGAIN, and new data brings a new edge anyway. */
            drained = (size_t)n < room;
        } else if (n == 0) {
            conn_close(self, c, CLOSE_NORMAL);
            return;
        } else if (errno == EAGAIN) {
            return;
        } else if (errno != EINTR) {
            conn_close(self, c, CLOSE_ERROR);
            return;
        }
    }
    //! [serve loop]
}

int conns_open(const struct thread *self)
{
    return self->nconns;
}

//! [conns expire]
void conns_expire(struct thread *self)
{
    long timeout = self->srv->opt.idle_timeout;
    /* The list is in activity order: stop at the first one still fresh. */
    while (timeout > 0 && self->oldest &&
           self->now - self->oldest->last_active > timeout)
        conn_close(self, self->oldest, CLOSE_TIMEOUT);
    if (!self->draining)
        return;
    bool give_up = self->now >= self->drain_deadline;
    for (struct conn *c = self->oldest, *next; c; c = next) {
        next = c->newer;
        if (give_up || (c->in_len == 0 && c->out_len == 0))
            conn_close(self, c, give_up ? CLOSE_TIMEOUT : CLOSE_NORMAL);
    }
    if (self->nconns == 0 &&
        atomic_load_explicit(&self->srv->acceptors_done, memory_order_acquire))
        self->done = true;
}
//! [conns expire]

void conns_release(struct thread *self)
{
    for (struct conn *c = self->oldest, *next; c; c = next) {
        next = c->newer;
        conn_close(self, c, CLOSE_NORMAL);
    }
    while (self->spare) {
        struct conn *c = self->spare;
        self->spare = c->newer;
        free(c);
    }
    free(self->conns);
    self->conns = NULL;
}
