/**
 * \file
 * \brief What the io_uring files share: one thread's ring, its connections
 *        and the tags that say what a completion is about.
 *
 * Every request carries a 64-bit user_data that comes back in its
 * completion. fastd packs three things into it (uring_tag()): what kind of
 * request it was, the connection's generation and the fd. The generation
 * is the defence against stale completions: a connection is freed and its
 * fd closed while its cancelled receive may still complete, and the fd
 * number may by then name a new connection. Its completion carries the old
 * generation, does not match, and is dropped (its buffer given back).
 */
#ifndef FASTD_URING_RING_H
#define FASTD_URING_RING_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "reference-server/conn.h"
#include "reference-server/server.h"

/** What a completion is about (the top byte of user_data). */
enum uring_op {
    URING_STOP = 1, /**< the stop eventfd became readable */
    URING_ACCEPT,   /**< multishot accept: a new fd, or the end */
    URING_MSG_SENT, /**< our MSG_RING hand-off was delivered (or not) */
    URING_NEW_CONN, /**< a hand-off arrived from an accept thread */
    URING_RECV,     /**< multishot receive: bytes in a provided buffer */
    URING_SEND,     /**< a send finished */
    URING_CANCEL,   /**< a cancel request finished: nothing to do */
    URING_LISTEN,   /**< out of fds: the listener has a client again */
    URING_CLOSE,    /**< a connection's close failed (success is silent) */
};

/** Pack an op, a generation (24 bits) and an fd (or thread) into user_data. */
static inline uint64_t uring_tag(enum uring_op op, uint32_t gen, int fd)
{
    return (uint64_t)op << 56 | (uint64_t)(gen & 0xffffff) << 32 | (uint32_t)fd;
}

/** The op of a user_data. */
static inline enum uring_op uring_tag_op(uint64_t tag)
{
    return (enum uring_op)(tag >> 56);
}

/** The generation of a user_data. */
static inline uint32_t uring_tag_gen(uint64_t tag)
{
    return (uint32_t)(tag >> 32) & 0xffffff;
}

/** The fd (or thread index) of a user_data. */
static inline int uring_tag_fd(uint64_t tag)
{
    return (int)(uint32_t)tag;
}

/** A thread's provided-buffer ring (uring_recv.h). */
struct uring_bufs {
    struct io_uring_buf_ring *br; /**< the ring the kernel takes from */
    char *base;                   /**< count buffers of size bytes */
    unsigned count;               /**< buffers (a power of two) */
    unsigned size;                /**< bytes per buffer */
    int group;                    /**< buffer group id in the ring */
};

/**
 * Where a send of two pieces (a reply's head in out[] and a large body's
 * tail) keeps its message header and its two iovecs, one per SQE slot.
 * The kernel copies both when it takes the SQE (IORING_FEAT_SUBMIT_STABLE),
 * so a slot's entry is free again once its SQE is: the next SQE to use the
 * slot can only be had after that.
 */
struct uring_sendmsg {
    struct msghdr hdr;   /**< names iov[] */
    struct iovec iov[2]; /**< out[]'s unsent bytes, then the tail */
};

/**
 * One thread's io_uring state; lives on the thread's own stack. Its
 * connections are the epoll path's (struct conn in self->conns, conn.h):
 * the same table, lists and buffer pool.
 */
struct uring_thread {
    struct thread *self;     /**< the thread (stage, stats, trace, conns) */
    struct io_uring ring;    /**< its ring */
    struct uring_bufs bufs;  /**< its receive buffers */
    uint32_t next_gen;       /**< generation for the next connection */
    bool accept_armed;       /**< the multishot accept (or its wait for the
                                  listener, after EMFILE) is active */
    bool stopping;           /**< the stop eventfd fired */
    unsigned msgs_in_flight; /**< hand-offs not yet confirmed */
    struct uring_sendmsg *sendmsgs; /**< one per SQE slot, or NULL: then
                                         head and tail go in two sends */
};

/*
 * The two helpers every io_uring file queues requests with. They live
 * here, not in uring_loop.c, so that the calls go one way only: the loop
 * (uring_loop.c) owns the ring and calls down into the connections
 * (uring_conn.c) and the receive (uring_recv.c), which queue their
 * requests on the ring through these and never call back up.
 */

/** An SQE, submitting what is queued first if the queue is full; NULL
 *  only if the kernel takes none. */
static inline struct io_uring_sqe *uring_sqe(struct uring_thread *u)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) { /* the queue is full: send it on now, then there is room */
        io_uring_submit(&u->ring);
        sqe = io_uring_get_sqe(&u->ring);
    }
    return sqe;
}

/** Queue a cancel of the request whose user_data is tag. */
static inline void uring_cancel(struct uring_thread *u, uint64_t tag)
{
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe)
        return;
    io_uring_prep_cancel64(sqe, tag, 0);
    /* No completion when it worked: the cancelled request's own one (with
     * -ECANCELED) is what the loop acts on. A completion a cycle saved. */
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, uring_tag(URING_CANCEL, 0, -1));
}

/** Take a new connection on fd (accepted here, or handed to us). */
void uring_conn_open(struct uring_thread *u, int fd);

/** Handle a completion of a connection's receive. */
void uring_conn_on_recv(struct uring_thread *u, const struct io_uring_cqe *cqe);

/** Handle a completion of a connection's send. */
void uring_conn_on_send(struct uring_thread *u, const struct io_uring_cqe *cqe);

/**
 * conns_expire() for the ring: close connections idle past the timeout and
 * lingering ones past CONN_LINGER_SECONDS; while draining, idle ones once
 * the grace period is over and all at the deadline. Once per loop turn,
 * after the batch.
 */
void uring_conns_expire(struct uring_thread *u);

/** Close everything and free the connection memory at thread exit,
 *  once the ring is gone (nothing in flight). */
void uring_conns_release(struct uring_thread *u);

#endif
