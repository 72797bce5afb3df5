/*
 * Exercise 08: the receive half of fastd's io_uring path - a ring of
 * provided buffers, and the multishot receive that fills them. The
 * contract is reference-server/uring_recv.h; fill in the four TODOs.
 * Until you do, `fastd --io uring` cannot set a request thread up.
 */
#include "reference-server/uring_recv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int uring_bufs_setup(struct io_uring *ring, struct uring_bufs *bufs,
                     unsigned count, unsigned size, int group, char *err,
                     size_t errlen)
{
    /* The ring of buffer descriptors: page-aligned memory shared with
     * the kernel (liburing 2.3 has no io_uring_setup_buf_ring()). */
    size_t ring_bytes = count * sizeof(struct io_uring_buf);
    void *br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE,
                    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED) {
        snprintf(err, errlen, "mmap(buffer ring): %s", strerror(errno));
        return -1;
    }
    /* aligned_alloc() wants a size that is a multiple of the alignment. */
    /* Not in bufs yet: bufs is left untouched until everything worked. */
    char *base =
        aligned_alloc(4096, ((size_t)count * size + 4095) & ~(size_t)4095);
    if (!base) {
        munmap(br, ring_bytes);
        snprintf(err, errlen, "out of memory for %u receive buffers", count);
        return -1;
    }
    /* TODO 1: register br with the ring as buffer group `group`
     * (io_uring_register_buf_ring; on failure free both and report the
     * call and strerror(-rc) in err), fill in bufs, then hand every buffer
     * to the kernel: io_uring_buf_ring_init, io_uring_buf_ring_add for
     * each (its address, size, id i), io_uring_buf_ring_advance. */
    (void)ring;
    (void)bufs;
    (void)group;
    free(base);
    munmap(br, ring_bytes);
    snprintf(err, errlen, "uring_bufs_setup: TODO 1 (exercise 08)");
    return -1;
}

void uring_bufs_free(struct io_uring *ring, struct uring_bufs *bufs)
{
    if (!bufs->br)
        return;
    io_uring_unregister_buf_ring(ring, bufs->group);
    munmap(bufs->br, bufs->count * sizeof(struct io_uring_buf));
    free(bufs->base);
    bufs->br = NULL;
}

int uring_recv_arm(struct uring_thread *u, int fd, uint64_t tag)
{
    /* TODO 2: take an SQE (uring_sqe(u); NULL means -1), prepare ONE
     * receive that keeps delivering (multishot) with no buffer of its
     * own: the kernel picks one from u->bufs's group each time bytes
     * arrive (IOSQE_BUFFER_SELECT, sqe->buf_group). Tag it. */
    (void)u;
    (void)fd;
    (void)tag;
    return -1;
}

const char *uring_recv_data(const struct uring_bufs *bufs,
                            const struct io_uring_cqe *cqe)
{
    /* TODO 3: no bytes (res <= 0) or no buffer (IORING_CQE_F_BUFFER not
     * in flags): NULL. Otherwise the buffer id is in the upper bits of
     * flags (IORING_CQE_BUFFER_SHIFT). */
    (void)bufs;
    (void)cqe;
    return NULL;
}

void uring_recv_done(struct uring_bufs *bufs, const struct io_uring_cqe *cqe)
{
    /* TODO 4: if the completion used a buffer, put that buffer back at
     * the ring's tail and publish it, so the kernel can use it again. */
    (void)bufs;
    (void)cqe;
}
