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

#include <dlfcn.h>
#include <malloc.h>

#include "exercises/grader/inject.h"
#include "exercises/grader/oracle.h"
#include "reference-server/uring_recv.h"

/* The reference's, linked with its symbols renamed (exercise.conf). */
int ref_uring_bufs_setup(struct io_uring *ring, struct uring_bufs *bufs,
                         unsigned count, unsigned size, int group, char *err,
                         size_t errlen);
void ref_uring_bufs_free(struct io_uring *ring, struct uring_bufs *bufs);
int ref_uring_recv_arm(struct uring_thread *u, int fd, uint64_t tag);
const char *ref_uring_recv_data(const struct uring_bufs *bufs,
                                const struct io_uring_cqe *cqe);
void ref_uring_recv_done(struct uring_bufs *bufs,
                         const struct io_uring_cqe *cqe);

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

/* Is group 11 taken? Registering it again fails with EEXIST if so. */
static void own_bufs_try(struct uring_bufs *b, bool *taken)
{
    b->br = mmap(NULL, 4 * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
                 MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    assert_true(b->br != MAP_FAILED);
    struct io_uring_buf_reg reg = {
        .ring_addr = (uintptr_t)b->br, .ring_entries = 4, .bgid = 11};
    int rc = io_uring_register_buf_ring(&u.ring, &reg, 0);
    *taken = rc == -EEXIST;
    if (rc == 0)
        io_uring_unregister_buf_ring(&u.ring, 11);
    munmap(b->br, 4 * sizeof(struct io_uring_buf));
}

/* Is buffer group `group` registered with the test's ring? Registering
 * it again fails with EEXIST if so (a free group is given back). */
static bool group_taken(int group)
{
    void *br = mmap(NULL, 4 * sizeof(struct io_uring_buf),
                    PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    assert_true(br != MAP_FAILED);
    struct io_uring_buf_reg reg = {
        .ring_addr = (uintptr_t)br, .ring_entries = 4, .bgid = (uint16_t)group};
    int rc = io_uring_register_buf_ring(&u.ring, &reg, 0);
    if (rc == 0)
        io_uring_unregister_buf_ring(&u.ring, group);
    munmap(br, 4 * sizeof(struct io_uring_buf));
    return rc == -EEXIST;
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
    want_int("the ring's tail after set-up of 8 buffers (each added, then "
             "all published by one io_uring_buf_ring_advance())",
             8, __atomic_load_n(&u.bufs.br->tail, __ATOMIC_ACQUIRE));
    unsigned seen = 0;
    for (int i = 0; i < 8; i++) {
        struct io_uring_buf *b = &u.bufs.br->bufs[i];
        want_true(b->bid < 8, "ring entry %d names buffer %u of 8", i,
                  (unsigned)b->bid);
        want_true(b->len == 512,
                  "ring entry %d: length %u, expected 512 (an entry never "
                  "written is 0: each io_uring_buf_ring_add() needs its own "
                  "offset from the tail, i for buffer i)",
                  i, (unsigned)b->len);
        want_true(b->addr == (uintptr_t)(u.bufs.base + b->bid * 512),
                  "ring entry %d: buffer %u's address is not base + %u * "
                  "512",
                  i, (unsigned)b->bid, (unsigned)b->bid);
        seen |= 1u << b->bid;
    }
    want_true(seen == 0xff,
              "the 8 ring entries name buffers 0x%x (a bit "
              "per id), not each of 0 to 7 once",
              seen);
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
    /* Set up, the group is the ring's: something to unregister. */
    if (!group_taken(7)) {
        down(0);
        fail_msg("after uring_bufs_setup(group 7) returned 0, group 7 is not "
                 "registered with the ring");
    }
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
        if (c.res != round)
            fail_msg("round %d: the client sent %d byte(s); the receive's "
                     "completion says res %d%s%s%s",
                     round, round, c.res, c.res < 0 ? " = -" : "",
                     c.res < 0 ? graded_errno_name(-c.res)
                               : " (the wrong bytes?)",
                     c.res == -EINVAL
                         ? ": the kernel refused the SQE as it was set up (a "
                           "receive with no buffer of its own needs "
                           "IOSQE_BUFFER_SELECT and sqe->buf_group, set "
                           "after io_uring_prep_*(), which clears them)"
                         : "");
        want_int("the completion's user_data (the tag uring_recv_arm() was "
                 "given)",
                 0xfeed, c.user_data);
        want_true(c.flags & IORING_CQE_F_BUFFER,
                  "round %d: %d byte(s) received, but the completion names "
                  "no provided buffer (IORING_CQE_F_BUFFER): was "
                  "IOSQE_BUFFER_SELECT set?",
                  round, c.res);
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
    if (c.res <= 0)
        fail_msg("150 bytes sent; the receive's completion says res %d%s%s "
                 "(group 6 holds this thread's buffers)",
                 c.res, c.res < 0 ? " = -" : "",
                 c.res < 0 ? graded_errno_name(-c.res) : "");
    if (c.res != 150)
        fail_msg("got %d bytes of 150: the buffer came from another group",
                 c.res);
    own_bufs_free(&u.bufs);
    own_bufs_free(&other);
    down(1);
}

/* What arm returns on a ring (made with setup_flags) whose submission
 * queue is full of NOPs not yet submitted. */
static void arm_on_full_ring(int (*arm)(struct uring_thread *, int, uint64_t),
                             unsigned setup_flags, int *rc)
{
    struct uring_thread t;
    memset(&t, 0, sizeof t);
    int err = io_uring_queue_init(4, &t.ring, setup_flags);
    if (err < 0) {
        print_message("SKIPPED: io_uring_queue_init(%s): %s\n",
                      setup_flags ? "R_DISABLED" : "0", strerror(-err));
        skip();
    }
    struct io_uring_sqe *sqe;
    while ((sqe = io_uring_get_sqe(&t.ring)))
        io_uring_prep_nop(sqe);
    t.bufs.group = 5;
    *rc = arm(&t, 3, 42);
    io_uring_queue_exit(&t.ring);
}

/* TODO 2: with no SQE to be had (uring_sqe() says NULL), arming says
 * so (-1), and the reference does the same. The ring is made disabled
 * (IORING_SETUP_R_DISABLED): submitting fails, so no SQE frees up. */
static void test_arm_without_sqe(void **state)
{
    (void)state;
    int ref, got;
    arm_on_full_ring(ref_uring_recv_arm, IORING_SETUP_R_DISABLED, &ref);
    arm_on_full_ring(uring_recv_arm, IORING_SETUP_R_DISABLED, &got);
    if (got != ref)
        fail_msg("uring_recv_arm() with no SQE to be had: the reference "
                 "returned %d, yours %d",
                 ref, got);
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
        const char *got = uring_recv_data(&b, &c);
        if (got != base + id * 64)
            fail_msg("8 buffers of 64 bytes: uring_recv_data() of a "
                     "completion naming buffer %u returned %s%+td, expected "
                     "base+%u (base + id * size)",
                     id, got ? "base" : "NULL", got ? got - base : 0, id * 64);
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
    want_int("the ring's tail after uring_recv_done() of buffer 2 (it was 4: "
             "the buffer is added at the tail, then published by "
             "io_uring_buf_ring_advance(br, 1))",
             5, __atomic_load_n(&u.bufs.br->tail, __ATOMIC_ACQUIRE));
    struct io_uring_buf *slot = &u.bufs.br->bufs[4 & 3];
    want_int("the buffer id in the ring entry at the old tail (4 & mask)", 2,
             slot->bid);
    want_int("the length in that entry (the buffer's whole size, not the "
             "completion's res of 7)",
             128, slot->len);
    want_true(slot->addr == (uintptr_t)(u.bufs.base + 2 * 128),
              "the address in that slot: base%+td, expected base+256 (base "
              "+ id * size)",
              (const char *)(uintptr_t)slot->addr - u.bufs.base);
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
        if (c.res != n)
            fail_msg("message %d (%d bytes): the completion says res %d%s%s", i,
                     n, c.res, c.res < 0 ? " = -" : "",
                     c.res < 0 ? graded_errno_name(-c.res) : "");
        const char *data = uring_recv_data(&u.bufs, &c);
        if (!data || memcmp(data, msg, (size_t)n) != 0)
            fail_msg("message %d: uring_recv_data() %s (buffer %u of 2, "
                     "64 bytes each)",
                     i,
                     data ? "points at other bytes than the message"
                          : "returned NULL",
                     c.flags >> IORING_CQE_BUFFER_SHIFT);
        uring_recv_done(&u.bufs, &c);
        if (!(c.flags & IORING_CQE_F_MORE)) { /* ended: arm it again */
            assert_int_equal(uring_recv_arm(&u, server[0], 9), 0);
            io_uring_submit(&u.ring);
        }
    }
    uring_bufs_free(&u.ring, &u.bufs);
    down(1);
}

/* ---- The differential oracle: your uring_recv.c beside the reference ---- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* liburing's registration, through here: the fault matrix makes it fail
 * (reg_fail: the negated errno it returns). */
static int reg_fail, reg_calls;
int io_uring_register_buf_ring(struct io_uring *ring,
                               struct io_uring_buf_reg *reg, unsigned int flags)
{
    reg_calls++;
    if (reg_fail)
        return -reg_fail;
    static int (*real)(struct io_uring *, struct io_uring_buf_reg *,
                       unsigned int);
    if (!real)
        real = (int (*)(struct io_uring *, struct io_uring_buf_reg *,
                        unsigned int))dlsym(RTLD_NEXT,
                                            "io_uring_register_buf_ring");
    return real ? real(ring, reg, flags) : -ENOSYS;
}

/* A buffer ring set up as uring_bufs_setup() leaves it, without a
 * kernel: the completions of test_oracle_completions are made up. */
static void fake_bufs(struct uring_bufs *b, unsigned count, unsigned size)
{
    b->br = aligned_alloc(4096, ((size_t)count * 16 + 4095) & ~(size_t)4095);
    b->base = malloc((size_t)count * size);
    assert_true(b->br && b->base);
    b->count = count;
    b->size = size;
    b->group = 3;
    io_uring_buf_ring_init(b->br);
    for (unsigned i = 0; i < count; i++)
        io_uring_buf_ring_add(b->br, b->base + (size_t)i * size, size,
                              (unsigned short)i, (int)count - 1, (int)i);
    io_uring_buf_ring_advance(b->br, (int)count);
}

/* One event of a made-up run: the kernel completes a receive (taking
 * the next buffer for bytes), or the program gives back the buffer of
 * the k-th completion still held. */
struct uev {
    int kind;       /* 0: data, 1: EOF, 2: error, 3: give back */
    int res;        /* data: bytes; error: -errno */
    unsigned flags; /* F_MORE, F_SOCK_NONEMPTY */
    unsigned which; /* give back: which held completion (mod held) */
};

#define UEV_MAX 48
struct urun {
    unsigned count, size;
    size_t n;
    struct uev ev[UEV_MAX];
};

/* Play a run on one side; write what a caller sees. The kernel's part
 * is played here: it takes the entry at its head, if the tail is past
 * it (else -ENOBUFS), and names that entry's bid. */
static void play(bool ref, const struct urun *run, char *out, size_t cap)
{
    struct uring_bufs b;
    fake_bufs(&b, run->count, run->size);
    unsigned short head = 0;
    struct io_uring_cqe held[UEV_MAX];
    size_t nheld = 0, o = 0;
    out[0] = 0;
    for (size_t i = 0; i < run->n && o < cap; i++) {
        const struct uev *e = &run->ev[i];
        struct io_uring_cqe cqe = {.user_data = 7};
        if (e->kind == 3) {
            if (nheld == 0)
                continue;
            size_t k = e->which % nheld;
            cqe = held[k];
            memmove(held + k, held + k + 1, (nheld - k - 1) * sizeof *held);
            nheld--;
        } else if (e->kind == 0) {
            unsigned short tail = io_uring_smp_load_acquire(&b.br->tail);
            if (tail == head) {
                cqe.res = -ENOBUFS;
            } else {
                struct io_uring_buf *ent = &b.br->bufs[head & (b.count - 1)];
                head++;
                cqe.res = e->res;
                cqe.flags = IORING_CQE_F_BUFFER |
                            ((unsigned)ent->bid << IORING_CQE_BUFFER_SHIFT) |
                            e->flags;
                if (ent->bid >= b.count ||
                    ent->addr !=
                        (uintptr_t)(b.base + (size_t)ent->bid * b.size))
                    oracle_appendf(out, cap, &o,
                                   "[the kernel took entry %u: bid %u, "
                                   "not a buffer of the ring] ",
                                   (unsigned)(head - 1) & (b.count - 1),
                                   ent->bid);
            }
        } else if (e->kind == 1) {
            cqe.res = 0;
        } else {
            cqe.res = e->res;
            cqe.flags = e->flags & IORING_CQE_F_MORE;
        }
        if (e->kind != 3) {
            const char *d =
                ref ? ref_uring_recv_data(&b, &cqe) : uring_recv_data(&b, &cqe);
            long at = d ? (long)(d - b.base) : -1;
            oracle_appendf(out, cap, &o, "data(res %d%s%s) = %s%ld; ", cqe.res,
                           cqe.flags & IORING_CQE_F_BUFFER ? ", buffer" : "",
                           cqe.flags & IORING_CQE_F_MORE ? ", more" : "",
                           d ? "base+" : "", d ? at : -1L);
            if (cqe.flags & IORING_CQE_F_BUFFER) {
                held[nheld++] = cqe;
                continue;
            }
        }
        if (ref)
            ref_uring_recv_done(&b, &cqe);
        else
            uring_recv_done(&b, &cqe);
        /* The ring as the kernel will read it: the tail, and every entry
         * published past the kernel's head. */
        unsigned short tail = io_uring_smp_load_acquire(&b.br->tail);
        oracle_appendf(out, cap, &o, "done(%s) -> tail %u:",
                       cqe.flags & IORING_CQE_F_BUFFER ? "buffer" : "no buffer",
                       tail);
        for (unsigned short at = head; at != tail && o < cap; at++) {
            struct io_uring_buf *ent = &b.br->bufs[at & (b.count - 1)];
            long off = (long)((char *)(uintptr_t)ent->addr - b.base);
            oracle_appendf(out, cap, &o, " [bid %u, base+%ld, %u]", ent->bid,
                           off, ent->len);
        }
        if (o < cap)
            oracle_appendf(out, cap, &o, "; ");
    }
    if (o >= cap)
        out[cap - 1] = 0;
    free(b.br);
    free(b.base);
}

static char ref_seen[8192], mine_seen[8192];

static bool run_differs(const struct urun *run)
{
    play(true, run, ref_seen, sizeof ref_seen);
    play(false, run, mine_seen, sizeof mine_seen);
    return strcmp(ref_seen, mine_seen) != 0;
}

static bool events_differ(const void *items, size_t n, void *ctx)
{
    struct urun run = *(struct urun *)ctx;
    memcpy(run.ev, items, n * sizeof *run.ev);
    run.n = n;
    return run_differs(&run);
}

/* Compare; on a difference, shrink the run and fail with it. */
static void check_run(struct urun *run)
{
    if (!run_differs(run))
        return;
    run->n = oracle_shrink(run->ev, run->n, sizeof *run->ev, events_differ, run,
                           300);
    run_differs(run);
    char desc[2048];
    size_t o = 0;
    oracle_appendf(desc, sizeof desc, &o, "%u buffers of %u bytes;", run->count,
                   run->size);
    for (size_t i = 0; i < run->n && o < sizeof desc; i++) {
        const struct uev *e = &run->ev[i];
        if (e->kind == 3)
            oracle_appendf(desc, sizeof desc, &o,
                           " give back held completion #%u (counted "
                           "modulo those held);",
                           e->which);
        else
            oracle_appendf(
                desc, sizeof desc, &o, " %s res %d%s%s;",
                e->kind == 0   ? "receive,"
                : e->kind == 1 ? "end of stream,"
                               : "error,",
                e->res, e->flags & IORING_CQE_F_MORE ? ", F_MORE" : "",
                e->flags & IORING_CQE_F_SOCK_NONEMPTY ? ", F_SOCK_NONEMPTY"
                                                      : "");
    }
    fail_msg("receive completions: your uring_recv_data()/uring_recv_done() "
             "and the reference differ on this run (shrunk): %s - the "
             "reference saw: %s - yours saw: %s",
             desc, ref_seen, mine_seen);
}

/* 1. Completions of every kind (bytes with and without F_MORE and
 * F_SOCK_NONEMPTY, the end of the stream, errors), buffers given back in
 * any order, the ring running dry and wrapping around. No kernel
 * needed: the completions are made up, the ring is this test's. */
static void test_oracle_completions(void **state)
{
    (void)state;
    static const unsigned counts[] = {1, 2, 4, 8, 16};
    static const unsigned sizes[] = {16, 256, 4096};
    static const int errs[] = {ENOBUFS, ECONNRESET, ECANCELED, EINTR};
    struct oracle_rng r = {0x0b0e0b0eu};
    for (int i = 0; i < 300; i++) {
        struct urun run = {.count = ORACLE_PICK(&r, counts),
                           .size = ORACLE_PICK(&r, sizes)};
        run.n = 1 + oracle_below(&r, UEV_MAX);
        for (size_t k = 0; k < run.n; k++) {
            struct uev *e = &run.ev[k];
            unsigned kind = oracle_below(&r, 10);
            e->kind = kind < 4 ? 0 : kind < 5 ? 1 : kind < 6 ? 2 : 3;
            e->res = e->kind == 0   ? 1 + (int)oracle_below(&r, run.size)
                     : e->kind == 2 ? -ORACLE_PICK(&r, errs)
                                    : 0;
            e->flags = (oracle_below(&r, 2) ? IORING_CQE_F_MORE : 0) |
                       (oracle_below(&r, 4) ? 0 : IORING_CQE_F_SOCK_NONEMPTY);
            e->which = oracle_below(&r, 8);
        }
        check_run(&run);
    }
}

/* Every buffer id of rings of 256, 4096 and 32768 buffers (uring_recv.h:
 * a count "at most 32768"; fastd's --uring-bufs sets it): the bytes of
 * buffer id are at base + id * size, and uring_recv_done() gives back
 * that very buffer, whole, at the ring's tail. An id kept in a byte, or
 * masked with the default count (URING_BUF_COUNT), names another buffer
 * once the ring has more. No kernel needed: the ring is this test's. */
static void test_every_buffer_id(void **state)
{
    (void)state;
    static const unsigned counts[] = {256, 4096, 32768};
    const unsigned size = 16;
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        struct uring_bufs b;
        fake_bufs(&b, counts[k], size);
        char why[200] = "";
        for (unsigned id = 0; id < counts[k] && !why[0]; id++) {
            struct io_uring_cqe cqe = {.res = (int)size,
                                       .flags = IORING_CQE_F_BUFFER |
                                                IORING_CQE_F_MORE |
                                                id << IORING_CQE_BUFFER_SHIFT};
            const char *d = uring_recv_data(&b, &cqe);
            unsigned short tail = io_uring_smp_load_acquire(&b.br->tail);
            if (d != b.base + (size_t)id * size) {
                snprintf(why, sizeof why,
                         "uring_recv_data() of buffer %u: %s%ld, expected "
                         "base+%zu",
                         id, d ? "base+" : "NULL ", d ? (long)(d - b.base) : 0L,
                         (size_t)id * size);
                break;
            }
            uring_recv_done(&b, &cqe);
            struct io_uring_buf *ent = &b.br->bufs[tail & (counts[k] - 1)];
            unsigned short now = io_uring_smp_load_acquire(&b.br->tail);
            if (now != (unsigned short)(tail + 1) || ent->bid != id ||
                ent->addr != (uintptr_t)(b.base + (size_t)id * size) ||
                ent->len != size)
                snprintf(why, sizeof why,
                         "uring_recv_done() of buffer %u: the tail went "
                         "from %u to %u, and the entry at the old tail "
                         "names buffer %u at base+%ld, %u bytes",
                         id, tail, now, ent->bid,
                         (long)((char *)(uintptr_t)ent->addr - b.base),
                         ent->len);
        }
        free(b.br);
        free(b.base);
        if (why[0])
            fail_msg("a ring of %u buffers of %u bytes: %s", counts[k], size,
                     why);
    }
}

/* Bytes of anonymous mappings and of the heap in use: what a set-up
 * that failed must leave as it found. */
static size_t anon_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    size_t total = 0;
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, ino;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &lo, &hi, perms, &ino) ==
                4 &&
            ino == 0 && perms[0] == 'r' && perms[1] == 'w' &&
            !strstr(line, "["))
            total += hi - lo;
    }
    if (f)
        fclose(f);
    return total;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* One set-up under a fault: its return, what err says, what bufs holds,
 * what it left mapped or allocated. */
static void setup_under(bool ref, struct io_uring *ring, unsigned count,
                        unsigned size, int group, int mmap_err, int reg_err,
                        char *out, size_t cap)
{
    struct uring_bufs b = {.group = -1};
    char err[256] = "";
    size_t mapped = anon_mapped(), heap = heap_in_use();
    inject_reset();
    if (mmap_err)
        inject_fail(INJECT_MMAP, mmap_err, -1);
    reg_fail = reg_err;
    reg_calls = 0;
    int rc =
        ref ? ref_uring_bufs_setup(ring, &b, count, size, group, err,
                                   sizeof err)
            : uring_bufs_setup(ring, &b, count, size, group, err, sizeof err);
    reg_fail = 0;
    inject_reset();
    long grew_map = (long)anon_mapped() - (long)mapped;
    long grew_heap = (long)heap_in_use() - (long)heap;
    if (rc == 0) {
        snprintf(out, cap, "0 (count %u, size %u, group %d)", b.count, b.size,
                 b.group);
        if (ref)
            ref_uring_bufs_free(ring, &b);
        else
            uring_bufs_free(ring, &b);
        return;
    }
    int n = snprintf(out, cap, "%d, err %s, bufs %s", rc,
                     err[0] ? "says why" : "EMPTY",
                     b.br     ? "changed (br set: uring_bufs_free() would "
                                "free it again)"
                     : b.base ? "changed (base set: fill bufs only once "
                                "everything has worked)"
                     : b.group != -1 ? "changed (group set)"
                                     : "untouched");
#ifndef UNDER_ASAN
    if (n > 0 && (size_t)n < cap && grew_map >= (long)(count * 16))
        n += snprintf(out + n, cap - (size_t)n, ", %ld bytes still mapped",
                      grew_map);
    if (n > 0 && (size_t)n < cap && grew_heap >= (long)((size_t)count * size))
        snprintf(out + n, cap - (size_t)n, ", %ld bytes of heap leaked",
                 grew_heap);
#else
    (void)grew_map;
    (void)grew_heap;
    (void)n;
#endif
}

/* 2. The fault matrix of uring_bufs_setup(): mmap() fails with each
 * errno mmap(2) lists, the allocation fails, the registration fails with
 * each errno io_uring_register(2) lists. The outcome must be the
 * reference's: -1, a reason in err, bufs untouched, nothing left mapped,
 * allocated or registered. No kernel ring is needed. */
static void test_fault_matrix(void **state)
{
    (void)state;
    static const int mmap_errs[] = {EACCES,    EAGAIN, EBADF,  EEXIST,
                                    EINVAL,    ENFILE, ENODEV, ENOMEM,
                                    EOVERFLOW, EPERM,  ETXTBSY};
    static const int reg_errs[] = {EACCES, EBADF,  EBUSY,    EEXIST, EFAULT,
                                   EINVAL, EMFILE, ENOMEM,   ENXIO,  EOPNOTSUPP,
                                   EPERM,  EINTR,  EOVERFLOW};
    struct io_uring none;
    memset(&none, 0, sizeof none);
    none.ring_fd = -1;
    char ref_out[512], mine_out[512];
    for (int phase = 0; phase < 3; phase++) {
        size_t n = phase == 0   ? sizeof mmap_errs / sizeof *mmap_errs
                   : phase == 1 ? 1
                                : sizeof reg_errs / sizeof *reg_errs;
        for (size_t i = 0; i < n; i++) {
            int me = phase == 0 ? mmap_errs[i] : 0;
            int re = phase == 2 ? reg_errs[i] : 0;
            /* phase 1: no memory for the buffers (a size nobody has). */
            unsigned count = phase == 1 ? 32768 : 64;
            unsigned size = phase == 1 ? 1u << 31 : 4096;
#ifdef UNDER_ASAN
            if (phase == 1)
                continue; /* ASan aborts on such a size instead */
#endif
            if (phase == 1)
                re = EINVAL; /* should it get that far */
            setup_under(true, &none, count, size, 9, me, re, ref_out,
                        sizeof ref_out);
            setup_under(false, &none, count, size, 9, me, re, mine_out,
                        sizeof mine_out);
            /* A set-up that gives up before the registration cannot show
             * how it handles a failed one (the starter's stub would pass). */
            if (phase == 2 && reg_calls == 0)
                fail_msg("uring_bufs_setup(%u buffers of %u bytes) returned "
                         "(%s) without calling io_uring_register_buf_ring(): "
                         "this case makes the registration fail with %s, "
                         "and yours never got that far (does it work at "
                         "all? see test_setup_hands_every_buffer)",
                         count, size, mine_out, graded_errno_name(re));
            if (strcmp(ref_out, mine_out) != 0)
                fail_msg("uring_bufs_setup(%u buffers of %u bytes) when %s "
                         "fails with %s: the reference returned %s - yours "
                         "returned %s",
                         count, size,
                         phase == 0   ? "mmap()"
                         : phase == 1 ? "the allocation"
                                      : "io_uring_register_buf_ring()",
                         phase == 0   ? graded_errno_name(me)
                         : phase == 1 ? "ENOMEM"
                                      : graded_errno_name(re),
                         ref_out, mine_out);
        }
    }
}

/* err holds errlen bytes: on each failure (mmap(), the allocation, the
 * registration) the reason is cut to fit, NUL-terminated, and nothing is
 * written past err[errlen - 1] - with an errlen of 0, nothing at all. */
static void test_err_fits_errlen(void **state)
{
    (void)state;
    struct io_uring none;
    memset(&none, 0, sizeof none);
    none.ring_fd = -1;
    static const size_t lens[] = {0, 1, 8, 24};
    static const char *const what[] = {"mmap()", "the allocation",
                                       "io_uring_register_buf_ring()"};
    for (int phase = 0; phase < 3; phase++)
        for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
#ifdef UNDER_ASAN
            if (phase == 1)
                continue; /* ASan aborts on such a size instead */
#endif
            char err[256];
            memset(err, 'Z', sizeof err);
            struct uring_bufs b = {0};
            inject_reset();
            if (phase == 0)
                inject_fail(INJECT_MMAP, ENOMEM, -1);
            reg_fail = EEXIST; /* should the allocation get that far */
            int rc =
                uring_bufs_setup(&none, &b, phase == 1 ? 32768 : 64,
                                 phase == 1 ? 1u << 31 : 4096, 9, err, lens[l]);
            reg_fail = 0;
            inject_reset();
            if (rc == 0)
                uring_bufs_free(&none, &b);
            size_t past = lens[l];
            while (past < sizeof err && err[past] == 'Z')
                past++;
            if (rc == 0 || past != sizeof err ||
                (lens[l] && !memchr(err, 0, lens[l])))
                fail_msg("uring_bufs_setup(..., err, errlen %zu) when %s "
                         "fails: %s",
                         lens[l], what[phase],
                         rc == 0 ? "it returned 0"
                         : past != sizeof err
                             ? "it wrote past err[errlen - 1] (snprintf(err, "
                               "errlen, ...) cuts the message to fit)"
                             : "the message in err has no NUL");
        }
}

/* The entries a set-up handed to the kernel (the first 1024), as
 * "bid@offset,len" sorted by buffer id: in which order the buffers go
 * into the ring is free (the header says every buffer, not which first). */
struct ring_entry {
    unsigned bid, len;
    long off;
};

static int by_bid(const void *x, const void *y)
{
    const struct ring_entry *a = x, *b = y;
    return a->bid != b->bid   ? (a->bid > b->bid ? 1 : -1)
           : a->off != b->off ? (a->off > b->off ? 1 : -1)
                              : (a->len > b->len) - (a->len < b->len);
}

static void ring_text(const struct uring_bufs *b, char *out, size_t cap)
{
    static struct ring_entry e[1024];
    unsigned n = b->count < 1024 ? b->count : 1024;
    for (unsigned i = 0; i < n; i++)
        e[i] = (struct ring_entry){
            b->br->bufs[i].bid, b->br->bufs[i].len,
            (long)((char *)(uintptr_t)b->br->bufs[i].addr - b->base)};
    qsort(e, n, sizeof *e, by_bid);
    out[0] = 0;
    for (unsigned i = 0, o = 0; i < n && o + 40 < cap; i++)
        o += (unsigned)snprintf(out + o, cap - o, "%u@%ld,%u ", e[i].bid,
                                e[i].off, e[i].len);
}

/* 3. Set-up on a real ring, for every count and size: the same ring as
 * the reference's (the tail, every buffer handed with its id, address and
 * length), and the group registered. */
static void test_oracle_setup(void **state)
{
    (void)state;
    ring_up();
    static const unsigned counts[] = {1, 2, 8, 64, 1024};
    static const unsigned sizes[] = {1, 100, 4096};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
            struct uring_bufs a = {0}, b = {0};
            char err[256];
            int ra = ref_uring_bufs_setup(&u.ring, &a, counts[c], sizes[z], 11,
                                          err, sizeof err);
            char ref_out[256], mine_out[256];
            snprintf(ref_out, sizeof ref_out, "%d", ra);
            if (ra == 0) {
                size_t o = strlen(ref_out);
                unsigned short tail = io_uring_smp_load_acquire(&a.br->tail);
                snprintf(ref_out + o, sizeof ref_out - o, ", tail %u", tail);
            }
            char ref_ring[64 * 1024] = "";
            if (ra == 0)
                ring_text(&a, ref_ring, sizeof ref_ring);
            if (ra == 0)
                ref_uring_bufs_free(&u.ring, &a);
            int rb = uring_bufs_setup(&u.ring, &b, counts[c], sizes[z], 11, err,
                                      sizeof err);
            snprintf(mine_out, sizeof mine_out, "%d", rb);
            if (rb == 0) {
                size_t o = strlen(mine_out);
                unsigned short tail = io_uring_smp_load_acquire(&b.br->tail);
                snprintf(mine_out + o, sizeof mine_out - o, ", tail %u", tail);
            }
            static char mine_ring[64 * 1024];
            mine_ring[0] = 0;
            if (rb == 0)
                ring_text(&b, mine_ring, sizeof mine_ring);
            bool registered = false;
            if (rb == 0) {
                /* The group is taken: registering it again must fail. */
                struct uring_bufs again = {0};
                own_bufs_try(&again, &registered);
                uring_bufs_free(&u.ring, &b);
            }
            if (strcmp(ref_out, mine_out) != 0 || rb != 0 ||
                strcmp(ref_ring, mine_ring) != 0 || !registered) {
                char a1[200], b1[200];
                oracle_escape(ref_ring, strlen(ref_ring), a1, sizeof a1);
                oracle_escape(mine_ring, strlen(mine_ring), b1, sizeof b1);
                down(0);
                fail_msg("uring_bufs_setup(%u buffers of %u bytes): the "
                         "reference returned %s, ring (bid@offset,len, by bid) "
                         "%s - yours returned %s, ring %s%s",
                         counts[c], sizes[z], ref_out, a1, mine_out, b1,
                         rb == 0 && !registered
                             ? " - and group 11 was not registered"
                             : "");
            }
        }
    down(0);
}

/* uring_recv.h: "Unregister the buffer ring and free it and its
 * buffers": set up and freed again and again, nothing stays mapped
 * (the ring) or allocated (the buffers). The ring spans four pages
 * (1024 entries of 16 bytes): a free that unmaps one page of it, say
 * sizeof(struct io_uring_buf_ring), leaves three mapped each round,
 * where a ring of one page would hide it (munmap() rounds up to a page).
 * Under ASan, whose allocator maps memory of its own, LeakSanitizer
 * checks the heap instead. */
static void test_free_releases_all(void **state)
{
    (void)state;
    ring_up();
    enum { COUNT = 1024, SIZE = 4096, ROUNDS = 16 };
    char err[256] = "";
    size_t mapped = 0, heap = 0;
    for (int round = 0; round <= ROUNDS; round++) {
        if (round == 1) { /* after one round: what it settles at */
            mapped = anon_mapped();
            heap = heap_in_use();
        }
        struct uring_bufs b = {0};
        if (uring_bufs_setup(&u.ring, &b, COUNT, SIZE, 12, err, sizeof err))
            fail_msg("uring_bufs_setup(%d buffers of %d bytes, group 12) "
                     "failed in round %d: %s",
                     COUNT, SIZE, round, err);
        /* A set-up that registers nothing frees nothing of the kernel's. */
        if (round == 0 && !group_taken(12))
            fail_msg("uring_bufs_setup(group 12) returned 0 but group 12 is "
                     "not registered with the ring");
        uring_bufs_free(&u.ring, &b);
    }
    long grew_map = (long)anon_mapped() - (long)mapped;
    long grew_heap = (long)heap_in_use() - (long)heap;
    down(0);
#ifndef UNDER_ASAN /* ASan maps its own heap and quarantine */
    size_t ring_bytes = COUNT * sizeof(struct io_uring_buf);
    if (grew_map >= (long)(ROUNDS / 2 * ring_bytes))
        fail_msg("%d rounds of uring_bufs_setup() and uring_bufs_free() left "
                 "%ld more bytes mapped (a ring of %d buffers is %zu bytes): "
                 "does uring_bufs_free() unmap the ring and free the buffers?",
                 ROUNDS, grew_map, COUNT, ring_bytes);
    if (grew_heap >= (long)ROUNDS / 2 * COUNT * SIZE)
        fail_msg("%d rounds of uring_bufs_setup() and uring_bufs_free() left "
                 "%ld more bytes of heap in use: does uring_bufs_free() free "
                 "the buffers?",
                 ROUNDS, grew_heap);
#else
    (void)grew_map;
    (void)grew_heap;
#endif
}

/* uring_recv_arm(): -1 only "if no SQE could be had". A submission queue
 * that is full but can be submitted still gives one (uring_sqe()
 * submits what is queued to make room): arming must work there, as the
 * reference's does. */
static void test_arm_on_full_queue(void **state)
{
    (void)state;
    int ref, got;
    arm_on_full_ring(ref_uring_recv_arm, 0, &ref);
    arm_on_full_ring(uring_recv_arm, 0, &got);
    if (got != ref)
        fail_msg("uring_recv_arm() when the submission queue is full of "
                 "requests not yet submitted: the reference returned %d, "
                 "yours %d: take the SQE with uring_sqe(u), which submits "
                 "to make room",
                 ref, got);
}

/* uring_bufs_setup(): -1 with "call: strerror" in err - the reason
 * itself, not only the call: a group already taken (EEXIST), and mmap()
 * failing with ENOMEM. */
static void test_setup_says_why(void **state)
{
    (void)state;
    ring_up();
    char err[256] = "";
    assert_int_equal(
        uring_bufs_setup(&u.ring, &u.bufs, 4, 256, 5, err, sizeof err), 0);
    struct uring_bufs again = {0};
    err[0] = 0;
    int rc = uring_bufs_setup(&u.ring, &again, 4, 256, 5, err, sizeof err);
    uring_bufs_free(&u.ring, &u.bufs);
    if (rc != -1 || !strstr(err, strerror(EEXIST)))
        fail_msg("registering group 5 a second time (the kernel says "
                 "EEXIST): expected -1 and '%s' in err, got %d and '%s' "
                 "(liburing returns -errno: strerror(-rc))",
                 strerror(EEXIST), rc, err);
    err[0] = 0;
    inject_reset();
    inject_fail(INJECT_MMAP, ENOMEM, -1);
    rc = uring_bufs_setup(&u.ring, &again, 4, 256, 6, err, sizeof err);
    long mmaps = inject_calls(INJECT_MMAP);
    inject_reset();
    /* A ring and buffers taken without mmap() (aligned_alloc(), say: the
     * header asks for page-aligned memory, not for mmap) met no failure:
     * nothing to say why. */
    if (mmaps == 0 && rc == 0) {
        uring_bufs_free(&u.ring, &again);
        down(0);
        return;
    }
    down(0);
    if (rc != -1 || !strstr(err, strerror(ENOMEM)))
        fail_msg("mmap() failing with ENOMEM: expected -1 and '%s' in err, "
                 "got %d and '%s'",
                 strerror(ENOMEM), rc, err);
}

/* uring_recv.h: "Allocate count buffers of size bytes": every buffer
 * the ring hands the kernel lies in memory set-up allocated, also when
 * count * size does not fit in 32 bits (32768 buffers of 128 KiB, 4 GiB
 * of address space, mapped lazily and never touched here). mincore()
 * says whether the whole range the ring's entries cover is mapped:
 * buffers past the end of a short allocation are memory the kernel would
 * write into. Where the reference cannot get 4 GiB either, nothing to
 * check. */
static void test_large_buffers_allocated(void **state)
{
    (void)state;
#ifndef UNDER_ASAN /* ASan's allocator: see test_fault_matrix */
    const unsigned count = 32768, size = 1u << 17;
    ring_up();
    struct uring_bufs b = {0};
    char err[256] = "";
    if (ref_uring_bufs_setup(&u.ring, &b, count, size, 12, err, sizeof err) <
        0) {
        down(0);
        return; /* no room for 4 GiB here, even for the reference */
    }
    ref_uring_bufs_free(&u.ring, &b);
    memset(&b, 0, sizeof b);
    int rc = uring_bufs_setup(&u.ring, &b, count, size, 12, err, sizeof err);
    if (rc < 0) {
        down(0);
        fail_msg("uring_bufs_setup(%u buffers of %u bytes) returned -1 (%s); "
                 "the reference set them up",
                 count, size, err);
    }
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool whole = io_uring_smp_load_acquire(&b.br->tail) == (uint16_t)count;
    for (unsigned i = 0; i < count; i++) {
        uintptr_t a = (uintptr_t)b.br->bufs[i].addr;
        whole = whole && b.br->bufs[i].len == size;
        lo = a < lo ? a : lo;
        hi = a + b.br->bufs[i].len > hi ? a + b.br->bufs[i].len : hi;
    }
    if (!whole || hi - lo < (uintptr_t)count * size) {
        uring_bufs_free(&u.ring, &b);
        down(0);
        fail_msg("uring_bufs_setup(%u buffers of %u bytes) returned 0, but "
                 "the ring does not hand the kernel %u buffers of %u bytes",
                 count, size, count, size);
    }
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = lo & ~(uintptr_t)(page - 1);
    size_t pages = (hi - start + (size_t)page - 1) / (size_t)page;
    unsigned char *vec = malloc(pages);
    int mc = vec ? mincore((void *)start, hi - start, vec) : 0;
    int mc_errno = errno;
    free(vec);
    uring_bufs_free(&u.ring, &b);
    down(0);
    if (mc < 0)
        fail_msg("uring_bufs_setup(%u buffers of %u bytes): the ring's "
                 "buffers span %zu bytes, and part of that is not mapped "
                 "(mincore: %s) - was count * size computed in 32 bits?",
                 count, size, (size_t)(hi - start),
                 graded_errno_name(mc_errno));
#endif
}

/* uring_recv.h: "On failure nothing is left mapped, allocated or
 * registered, and bufs is left as it was". On a real ring, with nothing
 * rigged, the buffers cannot be had (32768 of 2 GiB: 64 TiB): whatever
 * order the set-up takes its steps in, a -1 leaves group 13 free to be
 * registered again, no ring mapped and bufs untouched. (A set-up that
 * got the memory after all - mmap() with MAP_NORESERVE may - is freed
 * again and passes: the test is about what a failure leaves.) */
static void test_failed_setup_registers_nothing(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    print_message("SKIPPED: ASan aborts on such a size instead\n");
    skip();
#endif
    ring_up();
    struct uring_bufs b = {.count = 7, .size = 9, .group = 3}, was = b;
    char err[256] = "";
    size_t mapped = anon_mapped();
    int rc =
        uring_bufs_setup(&u.ring, &b, 32768, 1u << 31, 13, err, sizeof err);
    long grew = (long)anon_mapped() - (long)mapped;
    bool taken = group_taken(13);
    if (rc == 0) {
        uring_bufs_free(&u.ring, &b);
        down(0);
        return;
    }
    if (taken)
        io_uring_unregister_buf_ring(&u.ring, 13);
    down(0);
    if (taken)
        fail_msg("uring_bufs_setup(32768 buffers of 2 GiB, group 13) "
                 "returned %d (\"%s\") but left group 13 registered with "
                 "the ring: a step that fails after the registration must "
                 "unregister it (or register last, once everything else "
                 "is had)",
                 rc, err);
    want_true(grew < (long)(32768 * sizeof(struct io_uring_buf) / 2),
              "uring_bufs_setup(32768 buffers of 2 GiB) returned %d and "
              "left %ld more bytes mapped (the ring is %zu bytes)",
              rc, grew, 32768 * sizeof(struct io_uring_buf));
    want_true(memcmp(&b, &was, sizeof b) == 0,
              "uring_bufs_setup() returned %d but changed bufs (count %u, "
              "size %u, group %d, br %s): a failed set-up leaves it as it "
              "was",
              rc, b.count, b.size, b.group, b.br ? "set" : "NULL");
}

static const struct graded table[] = {
    GRADED(test_setup_hands_every_buffer, 2, 1),
    GRADED(test_setup_registers_group, 2, 1),
    GRADED(test_setup_reports_failure, 1, 1),
    GRADED(test_free_unregisters, 1, 1),
    GRADED(test_arm_is_multishot, 3, 2),
    GRADED(test_arm_uses_the_group, 1, 2),
    GRADED(test_arm_without_sqe, 1, 2),
    GRADED(test_idle_connections_hold_no_buffer, 1, 2),
    GRADED(test_data_points_into_buffer, 2, 3),
    GRADED(test_data_none_without_bytes, 1, 3),
    GRADED(test_done_returns_buffer, 2, 3),
    GRADED(test_done_ignores_no_buffer, 1, 3),
    GRADED(test_buffers_recycle, 3, 3),
    GRADED(test_oracle_completions, 3, 4),
    GRADED(test_oracle_setup, 2, 4),
    GRADED(test_fault_matrix, 3, 4),
    GRADED(test_free_releases_all, 1, 1),
    GRADED(test_arm_on_full_queue, 1, 2),
    GRADED(test_setup_says_why, 1, 1),
    GRADED(test_every_buffer_id, 1, 3),
    GRADED(test_large_buffers_allocated, 1, 1),
    GRADED(test_err_fits_errlen, 1, 1),
    GRADED(test_failed_setup_registers_nothing, 1, 1),
};

GRADED_MAIN(table)
