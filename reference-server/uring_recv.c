/*
 * The receive half of the io_uring path: a ring of provided buffers and the
 * multishot receive that fills them. liburing 2.3 (Debian 12) has no
 * io_uring_setup_buf_ring(), so the ring is mapped and registered here by
 * hand: anonymous page-aligned memory, then IORING_REGISTER_PBUF_RING.
 */
#include "reference-server/uring_recv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

//! [bufs setup]
int uring_bufs_setup(struct io_uring *ring, struct uring_bufs *bufs,
                     unsigned count, unsigned size, int group, char *err,
                     size_t errlen)
{
    size_t ring_bytes = count * sizeof(struct io_uring_buf);
    void *br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE,
                    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED) {
        snprintf(err, errlen, "mmap(buffer ring): %s", strerror(errno));
        return -1;
    }
    /* aligned_alloc() wants a size that is a multiple of the alignment. */
    char *base =
        aligned_alloc(4096, ((size_t)count * size + 4095) & ~(size_t)4095);
    if (!base) {
        munmap(br, ring_bytes);
        snprintf(err, errlen, "out of memory for %u receive buffers", count);
        return -1;
    }
    struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)br,
                                   .ring_entries = count,
                                   .bgid = (uint16_t)group};
    int rc = io_uring_register_buf_ring(ring, &reg, 0);
    if (rc < 0) {
        snprintf(err, errlen, "io_uring_register_buf_ring: %s", strerror(-rc));
        free(base);
        munmap(br, ring_bytes);
        return -1;
    }
    /* Only now: a set-up that failed leaves bufs as it was, and
     * uring_bufs_free() on it does nothing. */
    bufs->br = br;
    bufs->base = base;
    bufs->count = count;
    bufs->size = size;
    bufs->group = group;
    io_uring_buf_ring_init(bufs->br);
    int mask = io_uring_buf_ring_mask(count);
    for (unsigned i = 0; i < count; i++)
        io_uring_buf_ring_add(bufs->br, bufs->base + (size_t)i * size, size,
                              (unsigned short)i, mask, (int)i);
    io_uring_buf_ring_advance(bufs->br, (int)count);
    return 0;
}
//! [bufs setup]

void uring_bufs_free(struct io_uring *ring, struct uring_bufs *bufs)
{
    if (!bufs->br)
        return;
    io_uring_unregister_buf_ring(ring, bufs->group);
    munmap(bufs->br, bufs->count * sizeof(struct io_uring_buf));
    free(bufs->base);
    bufs->br = NULL;
}

//! [recv arm]
int uring_recv_arm(struct uring_thread *u, int fd, uint64_t tag)
{
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe)
        return -1;
    /* No buffer and no length: IOSQE_BUFFER_SELECT makes the kernel take
     * one from the group each time bytes arrive. */
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = (uint16_t)u->bufs.group;
    io_uring_sqe_set_data64(sqe, tag);
    return 0;
}
//! [recv arm]

//! [recv data]
const char *uring_recv_data(const struct uring_bufs *bufs,
                            const struct io_uring_cqe *cqe)
{
    if (cqe->res <= 0 || !(cqe->flags & IORING_CQE_F_BUFFER))
        return NULL;
    unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    return bufs->base + (size_t)id * bufs->size;
}

void uring_recv_done(struct uring_bufs *bufs, const struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_BUFFER))
        return;
    unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    /* Put it at the tail of the ring and publish the new tail: the kernel
     * may hand it out again from the next receive on. */
    io_uring_buf_ring_add(bufs->br, bufs->base + (size_t)id * bufs->size,
                          bufs->size, (unsigned short)id,
                          io_uring_buf_ring_mask(bufs->count), 0);
    io_uring_buf_ring_advance(bufs->br, 1);
}
//! [recv data]
