/*
 * The request stage's work on one connection. conn_serve() is a loop over
 * three steps - flush, answer, read - that stops when the socket has no
 * more to give or cannot take more. See conn.h for the ownership rules.
 * The write path lives in conn_write.c, the idle sweep and the drain in
 * conn_expire.c, and what each request is answered with in routes.c.
 */
#include "reference-server/conn.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/routes.h"
#include "reference-server/server.h"

/* Keep at most this many freed connections per thread for reuse: under
 * connection churn it saves a malloc/free pair per client. */
#define SPARE_MAX 64
/* Give freed memory back to the kernel at once past this much. */
#define TRIM_BYTES (1 << 20)

//! [buffer pool]
/* The pool is a LIFO list threaded through the free buffers themselves:
 * the buffer handed out next is the one given back last, still warm in
 * this core's cache. Past the pool, buffers are whole pages of their own
 * (mmap): given back, they leave the process at once, instead of staying
 * in malloc's heap pinned by small allocations around them. */
char *conn_buf_take(struct conn_table *table)
{
    char *buf = table->free_bufs;
    if (buf) {
        memcpy(&table->free_bufs, buf, sizeof(void *));
        table->nfree_bufs--;
    } else {
        buf = mmap(NULL, CONN_BUF_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (buf == MAP_FAILED)
            return NULL;
    }
    if (++table->bufs_out > table->bufs_peak)
        table->bufs_peak = table->bufs_out;
    return buf;
}

/* The pool keeps as many buffers as were in use at once this second (at
 * least CONN_BUF_SPARE_MAX). With io_uring a connection holds out[] until
 * its send completes, so a batch of 64 keep-alive answers holds 64 at
 * once; a fixed 16 gave 48 back to the kernel after every batch and took
 * them again for the next: an mmap and a munmap (a TLB flush on every
 * core the threads run on) every second request, and half a page fault
 * per request, measured (chapter 10). conns_trim() lets the pool shrink
 * back a second after the load is gone. */
void conn_buf_give(struct conn_table *table, char *buf)
{
    table->bufs_out--;
    if (table->nfree_bufs >= CONN_BUF_SPARE_MAX &&
        table->nfree_bufs >= table->bufs_peak) {
        munmap(buf, CONN_BUF_SIZE);
        return;
    }
    memcpy(buf, &table->free_bufs, sizeof(void *));
    table->free_bufs = buf;
    table->nfree_bufs++;
}

void conn_bufs_return(struct conn_table *table, struct conn *c)
{
    if (c->in && c->in_len == 0) {
        conn_buf_give(table, c->in);
        c->in = NULL;
        c->scanned = 0;
    }
    if (c->out && c->out_len == 0 && !c->body) {
        conn_buf_give(table, c->out);
        c->out = NULL;
    }
}
//! [buffer pool]

/* Under ASan or TSan the heap is the sanitizer's, not glibc's: there,
 * malloc_trim() would walk glibc arenas nothing allocates from, and its
 * first call sets them up, racily when two threads make it at once (a
 * crash seen under TSan). So sanitizer builds do not trim. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEAP_IS_GLIBC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HEAP_IS_GLIBC 0
#endif
#endif
#ifndef HEAP_IS_GLIBC
#define HEAP_IS_GLIBC 1
#endif

void conns_trim(struct conn_table *table, long now)
{
    /* Once a second: keep the spares the last second's peak needs, give
     * the rest back, and start counting the next second's peak. */
    if (now != table->bufs_at) {
        int keep = table->bufs_peak - table->bufs_out;
        if (keep < CONN_BUF_SPARE_MAX)
            keep = CONN_BUF_SPARE_MAX;
        while (table->nfree_bufs > keep) {
            char *buf = table->free_bufs;
            memcpy(&table->free_bufs, buf, sizeof(void *));
            table->nfree_bufs--;
            munmap(buf, CONN_BUF_SIZE);
        }
        table->bufs_peak = table->bufs_out;
        table->bufs_at = now;
    }
    if (!HEAP_IS_GLIBC)
        return;
    /* free() keeps memory in the heap for reuse; after many connections
     * close, malloc_trim() returns the whole free pages of it. Once a
     * second at most: it walks the heap. */
    if (table->freed_bytes > 0 &&
        (table->freed_bytes >= TRIM_BYTES || now != table->trimmed_at)) {
        table->freed_bytes = 0;
        table->trimmed_at = now;
        malloc_trim(0);
    }
}

static void list_unlink(struct conn **oldest, struct conn **newest,
                        struct conn *c)
{
    if (c->older)
        c->older->newer = c->newer;
    else
        *oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        *newest = c->older;
    c->older = c->newer = NULL;
}

static void list_append(struct conn **oldest, struct conn **newest,
                        struct conn *c)
{
    c->older = *newest;
    c->newer = NULL;
    if (*newest)
        (*newest)->newer = c;
    *newest = c;
    if (!*oldest)
        *oldest = c;
}

//! [conn touch]
/* Move c to the newest end of the activity list (O(1), so the idle sweep
 * only looks at connections that have actually expired). Only progress
 * counts as activity - a new connection, a request answered, bytes sent,
 * and for one past its timeout a send queue the client drained or a
 * request still unread (conn_moving()) - not bytes received: a slowloris
 * client trickling a request one byte at a time is still cut off after
 * --idle-timeout. */
void conn_touch(struct thread *self, struct conn *c)
{
    c->last_active = self->now;
    if (self->conns.newest == c || c->lingering)
        return;
    list_unlink(&self->conns.oldest, &self->conns.newest, c);
    list_append(&self->conns.oldest, &self->conns.newest, c);
}
//! [conn touch]

//! [conn moving]
bool conn_moving(struct conn *c)
{
    /* Unread bytes say the server was behind only if it would have read
     * them: while a reply waits to be sent, it holds off on purpose
     * (backpressure), and a client that sends and never reads must
     * still time out. */
    bool output_waits = c->out_sent < c->out_len || c->tail_len > 0 ||
                        c->body || c->send_busy || c->spill_len > 0;
    char byte;
    if (!output_waits && recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
        return true; /* bytes fastd has not read yet: it was behind */
    int queued;
    if (ioctl(c->fd, SIOCOUTQ, &queued) < 0 || queued <= 0)
        return false;
    /* 256-byte units up to 16 MiB (a send queue is a few MiB at most). */
    uint16_t seen = queued >> 8 > UINT16_MAX ? UINT16_MAX : queued >> 8;
    bool moved = seen != c->outq_seen;
    c->outq_seen = seen;
    return moved;
}
//! [conn moving]

//! [lazy conn state]
struct conn *conn_get(struct thread *self, int fd)
{
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
    /* No buffers yet: an idle connection costs only this header. */
    *c = (struct conn){.fd = fd, .last_active = self->now};
    self->conns.by_fd[fd] = c;
    self->conns.open++;
    list_append(&self->conns.oldest, &self->conns.newest, c);
    return c;
}
//! [lazy conn state]

/* A connection we cannot keep (no memory, or an fd past the table): it
 * was counted in when it was handed to us, so count and trace it out. */
static void conn_refuse(struct thread *self, int fd, const char *why)
{
    thread_warn(self, "fd %d: %s: closing it", fd, why);
    TRACE(self->trace, TRACE_CLOSE, fd, CLOSE_ERROR);
    counter_add(&self->stats.closed_error, 1);
    close(fd);
}

//! [conn close]
void conn_close(struct thread *self, struct conn *c, enum close_reason why)
{
    /* close() also removes the fd from our epoll set. */
    close(conn_forget(self, c, why));
}

int conn_forget(struct thread *self, struct conn *c, enum close_reason why)
{
    int fd = c->fd;
    TRACE(self->trace, TRACE_CLOSE, fd, why);
    counter *which = why == CLOSE_NORMAL  ? &self->stats.closed_normal
                     : why == CLOSE_ERROR ? &self->stats.closed_error
                                          : &self->stats.closed_timeout;
    counter_add(which, 1);
    if (c->lingering)
        list_unlink(&self->conns.linger_oldest, &self->conns.linger_newest, c);
    else
        list_unlink(&self->conns.oldest, &self->conns.newest, c);
    self->conns.by_fd[fd] = NULL;
    self->conns.open--;
    c->in_len = c->out_len = 0;
    free(c->body);
    c->body = NULL;
    conn_bufs_return(&self->conns, c);
    if (self->conns.nspare < SPARE_MAX) {
        c->newer = self->conns.spare;
        self->conns.spare = c;
        self->conns.nspare++;
    } else {
        free(c);
        self->conns.freed_bytes += sizeof *c;
    }
    return fd;
}
//! [conn close]

//! [conn linger]
void conn_linger(struct thread *self, struct conn *c)
{
    if (shutdown(c->fd, SHUT_WR) < 0) {
        conn_close(self, c, CLOSE_ERROR);
        return;
    }
    /* What is left of the input is never parsed: drop it. */
    c->in_len = 0;
    conn_bufs_return(&self->conns, c);
    list_unlink(&self->conns.oldest, &self->conns.newest, c);
    list_append(&self->conns.linger_oldest, &self->conns.linger_newest, c);
    c->lingering = true;
    c->last_active = self->now;
}

/* Read and discard until the client's FIN (then close) or EAGAIN. */
static void conn_linger_read(struct thread *self, struct conn *c)
{
    char sink[4096];
    for (;;) {
        ssize_t n = recv(c->fd, sink, sizeof sink, 0);
        if (n > 0) {
            counter_add(&self->stats.bytes_in, (uint64_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        /* FIN or error: done. A lingering close after a good reply
         * (conn_input_done()) that ends in the client's FIN is normal. */
        conn_close(self, c,
                   n == 0 && !c->bad_input ? CLOSE_NORMAL : CLOSE_ERROR);
        return;
    }
}
//! [conn linger]

//! [conn input done]
bool conn_input_done(struct conn *c, bool drained)
{
    if (c->bad_input || c->in_len > 0)
        return false; /* the rest of a bad request, or pipelined ones */
    if (drained)
        return true;
    /* One recv() that costs a syscall only here: the loop that reads to
     * EAGAIN knows without it (the churn workload's every close). A
     * peeked FIN (0) is not data: the close will not reset. */
    char byte;
    return recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}
//! [conn input done]

/* Copy the next piece of a long body into out[] once there is room. */
void conn_refill(struct conn *c)
{
    uint32_t room = CONN_OUT_CAP - c->out_len;
    uint32_t left = c->body_len - c->body_sent;
    uint32_t n = left < room ? left : room;
    memcpy(c->out + c->out_len, c->body + c->body_sent, n);
    c->out_len += n;
    c->body_sent += n;
    if (c->body_sent == c->body_len) {
        free(c->body);
        c->body = NULL;
    }
}

/* Whether in[] already holds another whole request after the one that
 * ends at off (a second parse, made only while draining). */
static bool conn_has_next(const struct conn *c, size_t off)
{
    struct http_request next = {.method = HTTP_OTHER};
    size_t scanned = 0;
    return http_parse(c->in + off, c->in_len - off, &scanned, &next) ==
           HTTP_COMPLETE;
}

//! [conn answer]
/* Answer every complete request in in[]; returns how many, or -1 if there
 * is no memory for the output buffer. */
int conn_answer(struct thread *self, struct conn *c)
{
    size_t used = 0;
    int answered = 0;
    if (!c->in)
        return 0; /* nothing received yet */
    /* A long body (/stats) or a tail (--body-kib) must leave before the
     * next reply is written after it into out[]: stop there until then. */
    while (!c->close_after && !c->body && !c->tail_len &&
           CONN_OUT_CAP - c->out_len >= HTTP_MAX_RESPONSE) {
        /* A request line too broken to name its method is not a HEAD. */
        struct http_request req = {.method = HTTP_OTHER};
        enum http_parse_result r =
            http_parse(c->in + used, c->in_len - used, &c->scanned, &req);
        if (r == HTTP_INCOMPLETE && !(req.expect_continue && !c->continued))
            break;
        if (!c->out && !(c->out = conn_buf_take(&self->conns)))
            return -1;
        if (r == HTTP_INCOMPLETE) {
            /* The client waits for our word before it sends the body. */
            memcpy(c->out + c->out_len, HTTP_CONTINUE,
                   sizeof HTTP_CONTINUE - 1);
            c->out_len += sizeof HTTP_CONTINUE - 1;
            c->continued = true;
            break;
        }
        size_t n;
        if (r == HTTP_ERROR) {
            n = http_write_status(c->out + c->out_len, req.status, &req, false,
                                  &self->date);
            c->close_after = c->bad_input = true;
        } else {
            /* Draining: the reply closes the connection, unless the
             * client had already pipelined another whole request before
             * it could know: that one is in flight too, and answered. */
            if (self->draining && !conn_has_next(c, used + req.length))
                req.keep_alive = false;
            n = route_request(self, c, &req, c->out + c->out_len,
                              CONN_OUT_CAP - c->out_len);
            used += req.length;
            c->scanned = 0;
            c->continued = false;
            c->close_after |= !req.keep_alive;
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

static bool conn_no_memory(struct thread *self, struct conn *c)
{
    thread_warn(self, "fd %d: no memory for a buffer", c->fd);
    conn_close(self, c, CLOSE_ERROR);
    return false;
}

//! [serve loop]
/* Returns true while c waits for its next event as an ordinary
 * connection (its empty buffers can then go back to the pool); false once
 * it is closed or lingering. */
static bool conn_step(struct thread *self, struct conn *c, uint32_t events)
{
    bool drained = false;
    for (;;) {
        if (c->out_len > 0 || c->tail_len > 0) {
            int r = conn_flush(self, c);
            if (r < 0) {
                conn_close(self, c, CLOSE_ERROR);
                return false;
            }
            if (r == 0)
                return true; /* backpressure: read nothing until EPOLLOUT */
            if (c->body) {
                conn_refill(c);
                continue;
            }
        }
        if (c->close_after) {
            if (conn_input_done(c, drained || c->peer_done))
                conn_close(self, c, CLOSE_NORMAL);
            else
                conn_linger(self, c); /* closing now would reset */
            return false;
        }
        int answered = conn_answer(self, c);
        if (answered < 0)
            return conn_no_memory(self, c);
        if (answered > 0 || c->out_len > 0) /* out: a 100 Continue */
            continue;
        if (drained || c->peer_done)
            break;
        if (!c->in && !(c->in = conn_buf_take(&self->conns)))
            return conn_no_memory(self, c);
        size_t room = CONN_IN_CAP - c->in_len;
        if (room == 0) {
            /* The parser answers 431/413 before a request outgrows in[]
             * (conn.h); should that ever fail, recv() of 0 bytes would
             * look like the client's FIN. Call it what it is. */
            thread_warn(self, "fd %d: input buffer full", c->fd);
            conn_close(self, c, CLOSE_ERROR);
            return false;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n > 0) {
            c->in_len += (uint32_t)n;
            counter_add(&self->stats.bytes_in, (uint64_t)n);
            TRACE(self->trace, TRACE_RECV, c->fd, n);
            //! [short read]
            /* A short read emptied the socket: the next recv() would only
             * say EAGAIN, and new data brings a new edge anyway - unless
             * the client's FIN came with the data. Then no edge will
             * follow, so EPOLLRDHUP (in this event) marks the end. */
            drained = (size_t)n < room;
            if (drained && (events & EPOLLRDHUP))
                c->peer_done = true;
            //! [short read]
        } else if (n == 0) {
            c->peer_done = true; /* half-close: answer what came, then end */
        } else if (errno == EAGAIN) {
            drained = true;
        } else if (errno != EINTR) {
            conn_close(self, c, CLOSE_ERROR);
            return false;
        }
    }
    //! [half close]
    /* Everything the client sent before its FIN is answered and flushed
     * (a blocked flush returned above): a partial request left in in[]
     * can never complete, so the connection is done. */
    if (c->peer_done) {
        conn_close(self, c, CLOSE_NORMAL);
        return false;
    }
    //! [half close]
    return true;
}
//! [serve loop]

void conn_serve(struct thread *self, int fd, uint32_t events)
{
    if (fd < 0 || fd >= self->conns.cap) {
        conn_refuse(self, fd, "past the connection table");
        return;
    }
    struct conn *c = conn_get(self, fd);
    if (!c) {
        conn_refuse(self, fd, "no memory for the connection");
        return;
    }
    //! [epoll error]
    if (events & EPOLLERR) {
        conn_close(self, c, CLOSE_ERROR);
        return;
    }
    //! [epoll error]
    if (c->lingering) {
        conn_linger_read(self, c);
        return;
    }
    if (conn_step(self, c, events))
        conn_bufs_return(&self->conns, c);
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
    while (self->conns.oldest)
        conn_close(self, self->conns.oldest, CLOSE_NORMAL);
    while (self->conns.linger_oldest)
        conn_close(self, self->conns.linger_oldest, CLOSE_ERROR);
    while (self->conns.spare) {
        struct conn *c = self->conns.spare;
        self->conns.spare = c->newer;
        free(c);
    }
    while (self->conns.free_bufs) {
        char *buf = self->conns.free_bufs;
        memcpy(&self->conns.free_bufs, buf, sizeof(void *));
        munmap(buf, CONN_BUF_SIZE);
    }
    self->conns.nfree_bufs = 0;
    free(self->conns.by_fd);
    self->conns.by_fd = NULL;
}
