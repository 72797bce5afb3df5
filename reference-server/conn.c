/*
 * The request stage's work on one connection. conn_serve() is a loop over
 * three steps - flush, answer, read - that stops when the socket has no
 * more to give or cannot take more. See conn.h for the ownership rules.
 * The write path lives in conn_write.c, the idle sweep and the drain in
 * conn_expire.c, and what each request is answered with in routes.c.
 */
#include "reference-server/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/routes.h"
#include "reference-server/server.h"

/* Keep at most this many freed connections per thread for reuse: under
 * connection churn it saves a malloc/free pair (48 KiB each) per client. */
#define SPARE_MAX 64

//! [conn touch]
/* Move c to the newest end of the activity list (O(1), so the idle sweep
 * only looks at connections that have actually expired). Only progress
 * counts as activity - a new connection, a request answered, bytes sent -
 * not bytes received: a slowloris client trickling a request one byte at a
 * time is still cut off after --idle-timeout. */
void conn_touch(struct thread *self, struct conn *c)
{
    c->last_active = self->now;
    if (self->conns.newest == c)
        return;
    if (c->older)
        c->older->newer = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    if (self->conns.oldest == c)
        self->conns.oldest = c->newer;
    c->older = self->conns.newest;
    c->newer = NULL;
    if (self->conns.newest)
        self->conns.newest->newer = c;
    self->conns.newest = c;
    if (!self->conns.oldest)
        self->conns.oldest = c;
}
//! [conn touch]

//! [lazy conn state]
static struct conn *conn_get(struct thread *self, int fd)
{
    if (fd < 0 || fd >= self->conns.cap)
        return NULL;
    struct conn *c = self->conns.by_fd[fd];
    if (c)
        return c;
    if (self->conns.spare) {
        c = self->conns.spare;
        self->conns.spare = c->newer;
        self->conns.nspare--;
    } else if (!(c = malloc(sizeof *c))) {
        return NULL;
    }
    /* Only the header needs clearing: the buffers are read up to their
     * lengths, so 48 KiB of memset per connection would be wasted. */
    memset(c, 0, offsetof(struct conn, in));
    c->fd = fd;
    self->conns.by_fd[fd] = c;
    self->conns.open++;
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
        self->conns.oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        self->conns.newest = c->older;
    self->conns.by_fd[c->fd] = NULL;
    self->conns.open--;
    /* close() also removes the fd from our epoll set. */
    close(c->fd);
    if (self->conns.nspare < SPARE_MAX) {
        c->newer = self->conns.spare;
        self->conns.spare = c;
        self->conns.nspare++;
    } else {
        free(c);
    }
}
//! [conn close]

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
            n = route_request(self, c, &req, c->out + c->out_len,
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

int conns_init(struct conn_table *table, int cap)
{
    *table = (struct conn_table){.cap = cap};
    table->by_fd = calloc((size_t)cap, sizeof *table->by_fd);
    return table->by_fd ? 0 : -1;
}

int conns_open(const struct thread *self)
{
    return self->conns.open;
}

void conns_release(struct thread *self)
{
    for (struct conn *c = self->conns.oldest, *next; c; c = next) {
        next = c->newer;
        conn_close(self, c, CLOSE_NORMAL);
    }
    while (self->conns.spare) {
        struct conn *c = self->conns.spare;
        self->conns.spare = c->newer;
        free(c);
    }
    free(self->conns.by_fd);
    self->conns.by_fd = NULL;
}
