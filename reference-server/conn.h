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

#include "reference-server/fdtrace.h"
#include "reference-server/http.h"

struct thread;

/** Size of every I/O buffer (conn::in, conn::out), taken from a pool. */
#define CONN_BUF_SIZE 16384
/** Input buffer: a whole request (head and body) must fit. */
#define CONN_IN_CAP CONN_BUF_SIZE
/** Output buffer: pipelined responses; a longer body goes in pieces. */
#define CONN_OUT_CAP CONN_BUF_SIZE
/** Free buffers a thread keeps for reuse at least; more when a recent
 *  second had more in use at once (conn_buf_give()). */
#define CONN_BUF_SPARE_MAX 16
/** Seconds an error reply's connection lingers to read what is left. */
#define CONN_LINGER_SECONDS 2

_Static_assert(CONN_IN_CAP >= HTTP_MAX_HEAD + HTTP_MAX_BODY,
               "a request at both limits must fit the input buffer");
_Static_assert(CONN_OUT_CAP >= 4 * HTTP_MAX_RESPONSE,
               "the output buffer must hold a few pipelined responses");

/* [struct conn] */
/**
 * One client connection, owned by one request thread. An idle keep-alive
 * connection is only this header (under 128 bytes): the buffers are taken
 * from the thread's pool when bytes arrive or a reply is written, and
 * given back as soon as they are empty (conn_bufs_return()).
 */
struct conn {
    int fd;           /**< the socket */
    bool close_after; /**< close once the output is flushed */
    bool bad_input;   /**< answered with an error status */
    bool peer_done;   /**< the client's FIN arrived: no more requests */
    bool lingering;   /**< write side shut, reading until FIN or timeout */
    bool continued;   /**< sent `100 Continue` for the request in in[] */
    /* --io uring only (uring_conn.c): what of it the kernel holds. One
     * bit each, so that the header stays under 128 bytes. */
    bool recv_armed : 1;    /**< a receive is armed: one-shot, then multishot */
    bool recv_stopping : 1; /**< a cancel of that receive is in flight */
    bool send_busy : 1;     /**< a send is in flight: it owns out[] or tail */
    bool closing : 1;       /**< close once the send in flight is back */
    bool recv_short : 1;    /**< the last receive ended short: it left the
                                 socket empty (conn_input_done()) */
    uint8_t why;            /**< the close reason, while closing */
    /* Both paths. */
    uint16_t outq_seen; /**< the kernel's send queue at the last idle
                             check, in 256-byte units (conn_moving()) */
    uint32_t gen;       /**< generation in its requests' user_data */
    uint32_t spill_len; /**< bytes in spill */
    uint32_t in_len;    /**< bytes in in[] */
    uint32_t out_len;   /**< bytes in out[] */
    uint32_t out_sent;  /**< of those, already sent */
    uint32_t body_sent; /**< bytes of body already copied into out[] */
    uint32_t body_len;  /**< bytes in body */
    uint32_t tail_len;  /**< bytes of tail not yet sent */
    size_t scanned;     /**< http_parse() resume point in in[] */
    long last_active;   /**< second of the last progress (idle timeout) */
    struct conn *older; /**< neighbour in its list (activity or linger) */
    struct conn *newer; /**< neighbour in its list (activity or linger) */
    char *in;           /**< request bytes not yet consumed, or NULL */
    char *out;          /**< response bytes not yet sent, or NULL */
    char *body;         /**< a long body (/stats) still to copy, or NULL */
    const char *tail;   /**< sent after out[], not copied: a large static
                             body (--body-kib), or NULL */
    char *spill;        /**< --io uring: bytes received after in[] filled
                             up (uring_conn.c), or NULL */
};
/* [struct conn] */
_Static_assert(sizeof(struct conn) < 128,
               "an idle connection is this header: keep it small");

/**
 * A request thread's connection bookkeeping: the fd table, the activity
 * list, the spare list and the count. Only the owning thread touches it,
 * and only through the functions below, which keep its parts consistent
 * (a connection is in the table exactly when it is in the activity list).
 */
struct conn_table {
    struct conn **by_fd;        /**< fd -> connection, NULL if not ours */
    int cap;                    /**< entries in by_fd (the fd limit) */
    struct conn *oldest;        /**< least recently active connection */
    struct conn *newest;        /**< most recently active connection */
    struct conn *linger_oldest; /**< lingering, in order of their start */
    struct conn *linger_newest; /**< lingering, the last to start */
    struct conn *spare;         /**< freed connections kept for reuse */
    int nspare;                 /**< entries in spare */
    int open;                   /**< connections open in by_fd */
    void *free_bufs;            /**< the buffer pool: a list of free ones */
    int nfree_bufs;             /**< entries in free_bufs */
    int bufs_out;               /**< buffers handed out now */
    int bufs_peak;              /**< most handed out at once this second */
    long bufs_at;               /**< second bufs_peak was last reset */
    size_t freed_bytes;         /**< freed to malloc since the last trim */
    long trimmed_at;            /**< second of the last conns_trim() */
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

/** Take an I/O buffer of CONN_BUF_SIZE bytes from the pool, or NULL. */
char *conn_buf_take(struct conn_table *table);

/** Give a buffer back to the pool (or to the kernel when it holds as
 *  many as were in use at once this second, and at least
 *  CONN_BUF_SPARE_MAX). */
void conn_buf_give(struct conn_table *table, char *buf);

/**
 * Hand back to the pool every buffer of c that holds nothing: in once
 * every request in it is answered, out once it is sent. Called when a
 * connection goes back to waiting, so that an idle one owns none.
 */
void conn_bufs_return(struct conn_table *table, struct conn *c);

/**
 * Give the heap memory of closed connections back to the kernel: at most once a
 * second (now, in seconds), or at once when a lot has been freed; cheap when
 * there is nothing to give. The request loops call it after each expiry
 * pass (conns_expire() itself only closes).
 */
void conns_trim(struct conn_table *table, long now);

/**
 * The connection on fd, made on first sight (no buffers yet, at the
 * newest end of the activity list), or NULL if out of memory. fd must be
 * below the table's cap.
 */
struct conn *conn_get(struct thread *self, int fd);

/**
 * Answer every complete request in c->in into c->out (taken from the pool
 * if needed), appending after c->out_len: bytes already there, and a send
 * the kernel may be reading them from, are left alone. Stops at a request
 * still incomplete (writing `100 Continue` first if it asks for it), at a
 * reply that must end the connection (c->close_after), or when out[] has
 * no room for another reply or a long body or tail must go first.
 * \return requests answered, or -1 if no buffer could be had.
 */
int conn_answer(struct thread *self, struct conn *c);

/**
 * Copy the next piece of a long body (c->body, /stats) into out[] after
 * what it holds; frees the body once it is all copied.
 */
void conn_refill(struct conn *c);

/**
 * Serve what epoll reported for fd: flush pending output, answer every
 * complete request, read until the socket is drained. Stops reading while
 * output is blocked (backpressure) and relies on the next EPOLLOUT edge.
 */
void conn_serve(struct thread *self, int fd, uint32_t events);

/** Close a connection, count it and trace it. */
void conn_close(struct thread *self, struct conn *c, enum close_reason why);

/**
 * conn_close() but for the close() itself: count, trace, unlink and free
 * c, and leave its fd open for the caller to close (--io uring queues the
 * close on its ring). Until it is closed the fd number is not reused, so
 * nothing new can be put at its place in the table.
 * \return the fd, still open.
 */
int conn_forget(struct thread *self, struct conn *c, enum close_reason why);

/**
 * End a connection whose last reply is flushed, when the client may still
 * be sending (lingering close): shut down the write side (the client sees
 * the replies, then a FIN) and read and discard what the client still
 * sends until its FIN or CONN_LINGER_SECONDS, then close. Closing at once
 * with unread input would make the kernel send an RST, which destroys
 * what is still in the send queue: the end of the replies, before the
 * client reads it. Used after every error reply, and after a
 * `Connection: close` or draining reply that conn_input_done() does not
 * clear.
 */
void conn_linger(struct thread *self, struct conn *c);

/**
 * Whether a connection whose last reply is flushed can be closed at once
 * without an RST: it was not answered with an error (the rest of the bad
 * request may be on its way), nothing is left in in[] (the client
 * pipelined past its `Connection: close`), and its socket holds no
 * unread byte. \p drained says the caller's own read found the socket
 * empty during this step; otherwise a recv(MSG_PEEK) asks. If it returns
 * false, conn_linger().
 */
bool conn_input_done(struct conn *c, bool drained);

/**
 * The write path (conn_write.c, exercise 06's seam): send what is pending
 * in c->out (from c->out_sent; once all of it is sent, out_len and
 * out_sent go back to 0), then the tail (c->tail, c->tail_len, moved
 * past what went out). Stops at the first short write of out[], since
 * the socket is then full and the next edge-triggered EPOLLOUT says when
 * it has room again; retries on EINTR; sends with MSG_NOSIGNAL. Every
 * byte sent touches the connection (conn_touch()) and counts in
 * stats.bytes_out.
 * \return 1 if everything was sent, 0 if the socket is full
 *         (backpressure: read nothing more until EPOLLOUT), -1 on error.
 */
int conn_flush(struct thread *self, struct conn *c);

/**
 * Idle timeouts and the drain (conn_expire.c, exercise 07's seam).
 * Close connections idle past the timeout (CLOSE_TIMEOUT), unless
 * conn_moving() says the socket is busy (then it counts as activity:
 * conn_touch()), and lingering ones once CONN_LINGER_SECONDS have passed
 * since they started (CLOSE_ERROR), whatever their socket does; while
 * draining, close idle ones once the grace period is over (CLOSE_NORMAL;
 * idle: nothing buffered, nothing left to send - a reply's tail included -
 * and nothing waiting on the socket: a request that arrived just before the
 * signal is answered, a download in progress finishes) and all of them at
 * the deadline (CLOSE_TIMEOUT, lingering ones CLOSE_ERROR), and set
 * thread::done once none is left and the accept stage is done. Call once per
 * loop turn, after the batch of events (see worker.c for why not during it).
 */
void conns_expire(struct thread *self);

/**
 * Whether a connection past its idle timeout is moving after all, seen
 * from its socket: a request waits in it unread while no reply waits to
 * be sent (the server was behind, not the client: a stalled or stopped
 * server, or a batch that ended before reaching it; with a reply
 * waiting, unread bytes are backpressure, not progress), or the
 * kernel's send queue shrank since the last
 * check (a client steadily reading a reply fastd handed to the kernel in
 * one piece). The expiry passes (conns_expire(), and the io_uring
 * path's) ask before they close one for its timeout, and count a yes as
 * activity. A client that reads nothing at all still times out, one
 * timeout later at most: its queue stops shrinking. Costs a recv() and an
 * ioctl(), on expired connections only.
 */
bool conn_moving(struct conn *c);

/** Connections this thread has open. */
int conns_open(const struct thread *self);

#endif
