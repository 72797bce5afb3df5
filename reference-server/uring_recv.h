/**
 * \file
 * \brief Multishot receive into provided buffers: the receive half of the
 *        io_uring path (exercise 08 writes this file).
 *
 * A thread registers one ring of equal buffers with its io_uring. A
 * multishot receive names the buffer group instead of a buffer: whenever
 * bytes arrive, the kernel takes the next free buffer, fills it and posts a
 * completion saying which one (IORING_CQE_F_BUFFER, the id in the upper 16
 * bits of cqe->flags). The thread copies or parses the bytes and gives the
 * buffer back. A connection that sends nothing holds no buffer at all -
 * with epoll each connection needs its own read buffer ready.
 */
#ifndef FASTD_URING_RECV_H
#define FASTD_URING_RECV_H

#include <stddef.h>

#include "reference-server/uring_ring.h"

/** Bytes per provided buffer: a few requests, or a slice of a pipeline. */
#define URING_BUF_SIZE 4096
/** Buffers per thread by default (a power of two, at most 32768;
 *  fastd's --uring-bufs sets it). */
#define URING_BUF_COUNT 128

/**
 * Allocate count buffers of size bytes and a buffer ring for them, register
 * it with the ring as buffer group `group`, and hand every buffer to the
 * kernel. count must be a power of two. Buffer i - the id completions
 * name it by - is the one at base + i * size. On failure nothing is left
 * mapped, allocated or registered, and bufs is left as it was (so that
 * uring_bufs_free() on it does nothing).
 * \return 0, or -1 with "call: strerror" in err.
 */
int uring_bufs_setup(struct io_uring *ring, struct uring_bufs *bufs,
                     unsigned count, unsigned size, int group, char *err,
                     size_t errlen);

/** Unregister the buffer ring and free it and its buffers. */
void uring_bufs_free(struct io_uring *ring, struct uring_bufs *bufs);

/**
 * Queue a multishot receive on fd that takes its buffers from bufs; its
 * completions carry tag as user_data.
 * \return 0, or -1 if no SQE could be had.
 */
int uring_recv_arm(struct uring_thread *u, int fd, uint64_t tag);

/**
 * The bytes a receive completion delivered: their address in the buffer
 * the kernel chose, or NULL if the completion carries no buffer (an error,
 * the end of the stream, or the end of the multishot).
 */
const char *uring_recv_data(const struct uring_bufs *bufs,
                            const struct io_uring_cqe *cqe);

/**
 * Give the buffer a completion used back to the kernel, if it used one.
 * Call once per completion, after the bytes have been consumed.
 */
void uring_recv_done(struct uring_bufs *bufs, const struct io_uring_cqe *cqe);

#endif
