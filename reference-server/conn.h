/**
 * \file
 * \brief A connection in the request stage: its buffers and its life.
 *
 * A request thread creates a connection the first time its epoll fd
 * reports an fd it has not seen: the accept stage hands over nothing but
 * the fd number (see handoff.h), so no connection memory ever crosses
 * threads. The fd indexes the thread's own table, as in lwan.
 *
 * Connections are registered edge-triggered for input and output once, at
 * hand-off, and never modified again: each state change that would need an
 * epoll_ctl(EPOLL_CTL_MOD) under level-triggering is a syscall saved.
 */
#ifndef FASTD_CONN_H
#define FASTD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reference-server/http.h"

struct thread;

/** Input buffer: a whole request (head and body) must fit. */
#define CONN_IN_CAP 16384
/** Output buffer: pipelined responses, or one /stats response. */
#define CONN_OUT_CAP 32768

_Static_assert(CONN_IN_CAP >= HTTP_MAX_HEAD + HTTP_MAX_BODY,
               "a request at both limits must fit the input buffer");

/** Why a connection was closed (also the trace's close argument). */
enum close_reason {
    CLOSE_NORMAL = 0,  /**< the client closed or asked to */
    CLOSE_ERROR = 1,   /**< I/O error or bad input */
    CLOSE_TIMEOUT = 2, /**< idle for longer than --idle-timeout */
};

/** One client connection, owned by one request thread. */
struct conn {
    int fd;                 /**< the socket */
    bool close_after;       /**< close once the output is flushed */
    bool bad_input;         /**< answered with an error status */
    uint32_t in_len;        /**< bytes in in[] */
    size_t scanned;         /**< http_parse() resume point in in[] */
    uint32_t out_len;       /**< bytes in out[] */
    uint32_t out_sent;      /**< of those, already sent */
    long last_active;       /**< second of the last I/O (idle timeout) */
    struct conn *older;     /**< neighbour in the activity list */
    struct conn *newer;     /**< neighbour in the activity list */
    char in[CONN_IN_CAP];   /**< request bytes not yet consumed */
    char out[CONN_OUT_CAP]; /**< response bytes not yet sent */
};

/**
 * A request thread's connection bookkeeping: the fd table, the activity
 * list, the spare list and the count. Only the owning thread touches it,
 * and only through the functions below, which keep its parts consistent
 * (a connection is in the table exactly when it is in the activity list).
 */
struct conn_table {
    struct conn **by_fd; /**< fd -> connection, NULL if not ours */
    int cap;             /**< entries in by_fd (the fd limit) */
    struct conn *oldest; /**< least recently active connection */
    struct conn *newest; /**< most recently active connection */
    struct conn *spare;  /**< freed connections kept for reuse */
    int nspare;          /**< entries in spare */
    int open;            /**< connections open in by_fd */
};

/** Make an empty table for fds below cap; 0, or -1 if out of memory. */
int conns_init(struct conn_table *table, int cap);

/**
 * Close every connection still open (counted and traced), free the spare
 * connections and the table. Called at thread exit.
 */
void conns_release(struct thread *self);

/**
 * Move c to the newest end of the activity list and stamp it with the
 * current second: the connection made progress (see conn.c).
 */
void conn_touch(struct thread *self, struct conn *c);

/**
 * Serve what epoll reported for fd: flush pending output, answer every
 * complete request, read until the socket is drained. Stops reading while
 * output is blocked (backpressure) and relies on the next EPOLLOUT edge.
 */
void conn_serve(struct thread *self, int fd, uint32_t events);

/** Close a connection, count it and trace it. */
void conn_close(struct thread *self, struct conn *c, enum close_reason why);

/**
 * The write path (conn_write.c, exercise 06's seam): send what is pending
 * in c->out. Stops at the first short write, since the socket is then full
 * and the next edge-triggered EPOLLOUT says when it has room again.
 * \return 1 if everything was sent, 0 if the socket is full
 *         (backpressure: read nothing more until EPOLLOUT), -1 on error.
 */
int conn_flush(struct thread *self, struct conn *c);

/**
 * Idle timeouts and the drain (conn_expire.c, exercise 07's seam).
 * Close connections idle past the timeout; while draining, close idle ones
 * at once and all of them at the deadline. Call once per loop turn, after
 * the batch of events (see worker.c for why not during it).
 */
void conns_expire(struct thread *self);

/** Connections this thread has open. */
int conns_open(const struct thread *self);

#endif
