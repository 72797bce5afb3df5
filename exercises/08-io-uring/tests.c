/*
 * Exercise 08, layer (a): uring_recv.c alone, on a real io_uring and real
 * TCP connections over loopback. Each function is graded on its own: the
 * tests of uring_recv_arm(), uring_recv_data() and uring_recv_done() set
 * their buffer ring up with this file's own code, not the learner's. The
 * one thing uring_recv.c needs from the rest of fastd, uring_sqe(), comes
 * with the header (uring_ring.h). Where io_uring is unavailable (an old kernel,
 * io_uring_disabled, a seccomp sandbox) every test is skipped with the
 * reason, not failed.
 */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/uring_recv.h"

static struct uring_thread u;
static int client[4], server[4];

static void ring_up(void)
{
    memset(&u, 0, sizeof u);
    int rc = io_uring_queue_init(64, &u.ring, 0);
    if (rc < 0) {
        print_message("SKIPPED: io_uring is unavailable here "
                      "(io_uring_queue_init: %s)\n",
                      strerror(-rc));
        skip();
    }
}

/* n connected TCP pairs over loopback: client[i] -> server[i]. */
static void connect_pairs(int n)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof sa;
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 16), 0);
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    for (int i = 0; i < n; i++) {
        client[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(client[i], (struct sockaddr *)&sa, sizeof sa),
                         0);
        server[i] = accept(lfd, NULL, NULL);
        assert_true(server[i] >= 0);
    }
    close(lfd);
}

/* This file's own buffer ring, so a test of one function does not depend
 * on the learner's uring_bufs_setup(). */
static void own_bufs(struct uring_bufs *b, unsigned count, unsigned size,
                     int group)
{
    b->br = mmap(NULL, count * sizeof(struct io_uring_buf),
                 PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    assert_true(b->br != MAP_FAILED);
    b->base = malloc((size_t)count * size);
    b->count = count;
    b->size = size;
    b->group = group;
    struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)b->br,
                                   .ring_entries = count,
                                   .bgid = (uint16_t)group};
    assert_int_equal(io_uring_register_buf_ring(&u.ring, &reg, 0), 0);
    io_uring_buf_ring_init(b->br);
    for (unsigned i = 0; i < count; i++)
        io_uring_buf_ring_add(b->br, b->base + (size_t)i * size, size,
                              (unsigned short)i, (int)count - 1, (int)i);
    io_uring_buf_ring_advance(b->br, (int)count);
}

static void own_bufs_free(struct uring_bufs *b)
{
    io_uring_unregister_buf_ring(&u.ring, b->group);
    munmap(b->br, b->count * sizeof(struct io_uring_buf));
    free(b->base);
    b->br = NULL;
}

/* The next completion, within 2 s; a copy, already marked seen. */
static struct io_uring_cqe next_cqe(void)
{
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts = {.tv_sec = 2};
    int rc = io_uring_wait_cqe_timeout(&u.ring, &cqe, &ts);
    if (rc < 0)
        fail_msg("no completion within 2 s (%s)", strerror(-rc));
    struct io_uring_cqe copy = *cqe;
    io_uring_cqe_seen(&u.ring, cqe);
    return copy;
}

static void no_cqe_now(void)
{
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts = {.tv_nsec = 100 * 1000 * 1000};
    if (io_uring_wait_cqe_timeout(&u.ring, &cqe, &ts) == 0)
        fail_msg("an unexpected completion: user_data %llu, res %d",
                 (unsigned long long)cqe->user_data, cqe->res);
}

static void down(int pairs)
{
    for (int i = 0; i < pairs; i++) {
        close(client[i]);
        close(server[i]);
    }
    io_uring_queue_exit(&u.ring);
}

/* TODO 1: every buffer is in the ring, published, once each. */
static void test_setup_hands_every_buffer(void **state)
{
    (void)state;
    ring_up();
    char err[256] = "";
    assert_int_equal(
        uring_bufs_setup(&u.ring, &u.bufs, 8, 512, 3, err, sizeof err), 0);
    assert_non_null(u.bufs.br);
    assert_non_null(u.bufs.base);
    assert_int_equal(u.bufs.count, 8);
    assert_int_equal(u.bufs.size, 512);
    assert_int_equal(u.bufs.group, 3);
    assert_int_equal(__atomic_load_n(&u.bufs.br->tail, __ATOMIC_ACQUIRE), 8);
    unsigned seen = 0;
    for (int i = 0; i < 8; i++) {
        struct io_uring_buf *b = &u.bufs.br->bufs[i];
        assert_true(b->bid < 8);
        assert_int_equal(b->len, 512);
        assert_true(b->addr == (uintptr_t)(u.bufs.base + b->bid * 512));
        seen |= 1u << b->bid;
    }
    assert_int_equal(seen, 0xff);
    uring_bufs_free(&u.ring, &u.bufs);
    down(0);
}

/* TODO 1: the kernel knows the group: a receive naming it gets one of
 * the learner's buffers. */
static void test_setup_registers_group(void **state)
{
    (void)state;
    ring_up();
    connect_pairs(1);
    char err[256] = "";
    assert_int_equal(
        uring_bufs_setup(&u.ring, &u.bufs, 4, 256, 3, err, sizeof err), 0);
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u.ring);
    io_uring_prep_recv(sqe, server[0], NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 3;
    io_uring_submit(&u.ring);
    assert_int_equal(send(client[0], "hello", 5, 0), 5);
    struct io_uring_cqe c = next_cqe();
    if (c.res == -ENOBUFS)
        fail_msg("the receive found no buffer in group 3 (registered, but "
                 "were the buffers added and the tail advanced?)");
    assert_int_equal(c.res, 5);
    assert_true(c.flags & IORING_CQE_F_BUFFER);
    unsigned id = c.flags >> IORING_CQE_BUFFER_SHIFT;
    assert_true(id < 4);
    assert_memory_equal(u.bufs.base + id * 256, "hello", 5);
    uring_bufs_free(&u.ring, &u.bufs);
    down(1);
}

/* TODO 1: a registration the kernel refuses is reported, not hidden
 * (and leaks nothing: the asan line). */
static void test_setup_reports_failure(void **state)
{
    (void)state;
    ring_up();
    char err[256] = "";
    assert_int_equal(
        uring_bufs_setup(&u.ring, &u.bufs, 4, 256, 5, err, sizeof err), 0);
    struct uring_bufs again = {0};
    err[0] = 0;
    assert_int_equal(
        uring_bufs_setup(&u.ring, &again, 4, 256, 5, err, sizeof err), -1);
    if (!strstr(err, "io_uring_register_buf_ring"))
        fail_msg("err should name the call that failed, not '%s'", err);
    uring_bufs_free(&u.ring, &u.bufs);
    down(0);
}

/* uring_bufs_free() (given) and TODO 1: the group can be registered
 * again once freed. */
static void test_free_unregisters(void **state)
{
    (void)state;
    ring_up();
    char err[256] = "";
    assert_int_equal(
        uring_bufs_setup(&u.ring, &u.bufs, 4, 256, 7, err, sizeof err), 0);
    uring_bufs_free(&u.ring, &u.bufs);
    assert_null(u.bufs.br);
    struct uring_bufs mine;
    own_bufs(&mine, 4, 256, 7);
    own_bufs_free(&mine);
    down(0);
}

/* TODO 2: one SQE, tagged, and it keeps delivering. */
static void test_arm_is_multishot(void **state)
{
    (void)state;
    ring_up();
    connect_pairs(1);
    own_bufs(&u.bufs, 8, 256, 5);
    assert_int_equal(uring_recv_arm(&u, server[0], 0xfeed), 0);
    assert_int_equal(io_uring_submit(&u.ring), 1);
    for (int round = 1; round <= 3; round++) {
        char msg[8];
        memset(msg, 'a' + round, sizeof msg);
        assert_int_equal(send(client[0], msg, (size_t)round, 0), round);
        struct io_uring_cqe c = next_cqe();
        assert_int_equal(c.user_data, 0xfeed);
        assert_int_equal(c.res, round);
        assert_true(c.flags & IORING_CQE_F_BUFFER);
        if (!(c.flags & IORING_CQE_F_MORE))
            fail_msg("round %d: the receive ended (no IORING_CQE_F_MORE): "
                     "is it multishot?",
                     round);
        assert_int_equal(io_uring_submit(&u.ring), 0); /* nothing new */
    }
    own_bufs_free(&u.bufs);
    down(1);
}

/* TODO 2: the kernel takes the buffer from u->bufs's group (here 6, of
 * 200-byte buffers; group 5 holds 100-byte ones). */
static void test_arm_uses_the_group(void **state)
{
    (void)state;
    ring_up();
    connect_pairs(1);
    struct uring_bufs other;
    own_bufs(&other, 4, 100, 5);
    own_bufs(&u.bufs, 4, 200, 6);
    assert_int_equal(uring_recv_arm(&u, server[0], 42), 0);
    io_uring_submit(&u.ring);
    char msg[150];
    memset(msg, 'x', sizeof msg);
    assert_int_equal(send(client[0], msg, sizeof msg, 0), 150);
    struct io_uring_cqe c = next_cqe();
    assert_true(c.res > 0);
    if (c.res != 150)
        fail_msg("got %d bytes of 150: the buffer came from another group",
                 c.res);
    own_bufs_free(&u.bufs);
    own_bufs_free(&other);
    down(1);
}

/* TODO 2: arming takes no buffer: four idle connections, two buffers,
 * and the two that talk still get them. */
static void test_idle_connections_hold_no_buffer(void **state)
{
    (void)state;
    ring_up();
    connect_pairs(4);
    own_bufs(&u.bufs, 2, 256, 5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(uring_recv_arm(&u, server[i], (uint64_t)i), 0);
    io_uring_submit(&u.ring);
    no_cqe_now();
    assert_int_equal(send(client[3], "late", 4, 0), 4);
    assert_int_equal(send(client[1], "talk", 4, 0), 4);
    for (int k = 0; k < 2; k++) {
        struct io_uring_cqe c = next_cqe();
        assert_int_equal(c.res, 4);
        assert_true(c.user_data == 1 || c.user_data == 3);
    }
    own_bufs_free(&u.bufs);
    down(4);
}

/* TODO 3: the bytes are where the buffer id says. */
static void test_data_points_into_buffer(void **state)
{
    (void)state;
    char base[8 * 64];
    struct uring_bufs b = {.base = base, .count = 8, .size = 64};
    for (unsigned id = 0; id < 8; id++) {
        struct io_uring_cqe c = {.res = 10,
                                 .flags = IORING_CQE_F_BUFFER |
                                          IORING_CQE_F_MORE |
                                          id << IORING_CQE_BUFFER_SHIFT};
        assert_ptr_equal(uring_recv_data(&b, &c), base + id * 64);
    }
}

/* TODO 3: no bytes, no pointer. */
static void test_data_none_without_bytes(void **state)
{
    (void)state;
    char base[4 * 64];
    struct uring_bufs b = {.base = base, .count = 4, .size = 64};
    struct io_uring_cqe eof = {.res = 0, .flags = 0};
    struct io_uring_cqe nobufs = {.res = -ENOBUFS, .flags = 0};
    struct io_uring_cqe reset = {.res = -ECONNRESET, .flags = 0};
    struct io_uring_cqe nobuf = {.res = 10, .flags = IORING_CQE_F_MORE};
    assert_null(uring_recv_data(&b, &eof));
    assert_null(uring_recv_data(&b, &nobufs));
    assert_null(uring_recv_data(&b, &reset));
    assert_null(uring_recv_data(&b, &nobuf));
}

/* TODO 4: the buffer goes back at the tail, published. */
static void test_done_returns_buffer(void **state)
{
    (void)state;
    ring_up();
    own_bufs(&u.bufs, 4, 128, 5);
    struct io_uring_cqe c = {
        .res = 7, .flags = IORING_CQE_F_BUFFER | 2u << IORING_CQE_BUFFER_SHIFT};
    uring_recv_done(&u.bufs, &c);
    assert_int_equal(__atomic_load_n(&u.bufs.br->tail, __ATOMIC_ACQUIRE), 5);
    struct io_uring_buf *slot = &u.bufs.br->bufs[4 & 3];
    assert_int_equal(slot->bid, 2);
    assert_int_equal(slot->len, 128);
    assert_true(slot->addr == (uintptr_t)(u.bufs.base + 2 * 128));
    own_bufs_free(&u.bufs);
    down(0);
}

/* TODO 4: a completion without a buffer gives nothing back. */
static void test_done_ignores_no_buffer(void **state)
{
    (void)state;
    ring_up();
    own_bufs(&u.bufs, 4, 128, 5);
    struct io_uring_cqe c = {.res = 0, .flags = 0};
    uring_recv_done(&u.bufs, &c);
    assert_int_equal(__atomic_load_n(&u.bufs.br->tail, __ATOMIC_ACQUIRE), 4);
    own_bufs_free(&u.bufs);
    down(0);
}

/* All four: two buffers serve ten messages, in order, because each one
 * goes back after use. */
static void test_buffers_recycle(void **state)
{
    (void)state;
    ring_up();
    connect_pairs(1);
    char err[256] = "";
    if (uring_bufs_setup(&u.ring, &u.bufs, 2, 64, 1, err, sizeof err) < 0)
        fail_msg("uring_bufs_setup: %s", err);
    assert_int_equal(uring_recv_arm(&u, server[0], 9), 0);
    io_uring_submit(&u.ring);
    for (int i = 0; i < 10; i++) {
        char msg[16];
        int n = snprintf(msg, sizeof msg, "message %d", i);
        assert_int_equal(send(client[0], msg, (size_t)n, 0), n);
        struct io_uring_cqe c = next_cqe();
        if (c.res == -ENOBUFS)
            fail_msg("message %d: no buffer left (were they given back?)", i);
        assert_int_equal(c.res, n);
        const char *data = uring_recv_data(&u.bufs, &c);
        assert_non_null(data);
        assert_memory_equal(data, msg, (size_t)n);
        uring_recv_done(&u.bufs, &c);
        if (!(c.flags & IORING_CQE_F_MORE)) { /* ended: arm it again */
            assert_int_equal(uring_recv_arm(&u, server[0], 9), 0);
            io_uring_submit(&u.ring);
        }
    }
    uring_bufs_free(&u.ring, &u.bufs);
    down(1);
}

static const struct graded table[] = {
    GRADED(test_setup_hands_every_buffer, 2, 1),
    GRADED(test_setup_registers_group, 2, 1),
    GRADED(test_setup_reports_failure, 1, 1),
    GRADED(test_free_unregisters, 1, 1),
    GRADED(test_arm_is_multishot, 3, 2),
    GRADED(test_arm_uses_the_group, 1, 2),
    GRADED(test_idle_connections_hold_no_buffer, 1, 2),
    GRADED(test_data_points_into_buffer, 2, 3),
    GRADED(test_data_none_without_bytes, 1, 3),
    GRADED(test_done_returns_buffer, 2, 3),
    GRADED(test_done_ignores_no_buffer, 1, 3),
    GRADED(test_buffers_recycle, 3, 3),
};

GRADED_MAIN(table)
