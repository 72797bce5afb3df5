/*
 * What a connection costs fastd in memory (issue 12): an idle keep-alive
 * connection holds no buffer, so its resident cost stays under 512 bytes;
 * busy connections take buffers from a per-thread pool, and the memory
 * goes back when they close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/server.h"
#include "tests/server/fastd_harness.h"

#define HELLO_GET "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"

/* Under a sanitizer every allocation has redzones and shadow memory:
 * resident sizes say nothing about fastd's own, so those tests skip. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Resident set size of a process in bytes, from /proc (Rss of
 * smaps_rollup: every mapping, counted in pages). */
static long rss_bytes(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Rss: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static int teardown(void **state)
{
    struct fastd *f = *state;
    if (f && f->pid > 0)
        fastd_stop(f, NULL, 0);
    free(f);
    *state = NULL;
    return 0;
}

static struct fastd *start(void **state)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    struct fastd *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    const char *args[] = {"--threads", "3", "--no-pin", NULL};
    if (fastd_start(f, args, 0) < 0)
        fail_msg("fastd did not start");
    return f;
}

/* Open n keep-alive connections, each answered once; returns how many. */
static int open_idle(const struct fastd *f, int *fds, int n)
{
    char buf[512];
    int i = 0;
    for (; i < n; i++) {
        fds[i] = fastd_connect(f);
        if (fds[i] < 0)
            break;
        if (send_all(fds[i], HELLO_GET, strlen(HELLO_GET)) < 0 ||
            recv(fds[i], buf, sizeof buf, 0) <= 0) {
            close(fds[i]);
            break;
        }
    }
    return i;
}

/* Warm up fastd's fixed pools before measuring. Under --io uring each
 * serving thread also has a ring of receive buffers (--uring-bufs of
 * URING_BUF_SIZE, uring_recv.h; /stats says fixed_bytes) that the kernel fills
 * in turn, whatever the number of connections: a buffer counts in RSS from its
 * first use on, so a measure taken before the ring went round once would charge
 * that fixed cost to the connections. Enough requests on a few
 * connections make every buffer of every thread used once (epoll has no
 * such ring; the requests cost it nothing). */
static void warm_up(const struct fastd *f)
{
    enum { CONNS = 8, REQUESTS = 600 }; /* 4800: > 2 threads x 128 */
    char buf[512];
    for (int i = 0; i < CONNS; i++) {
        int fd = fastd_connect(f);
        assert_true(fd >= 0);
        for (int r = 0; r < REQUESTS; r++) {
            assert_int_equal(send_all(fd, HELLO_GET, strlen(HELLO_GET)), 0);
            assert_true(recv(fd, buf, sizeof buf, 0) > 0);
        }
        close(fd);
    }
}

//! [test idle memory]
static void test_idle_connection_under_512_bytes(void **state)
{
    if (SANITIZED)
        skip();
    struct fastd *f = start(state);
    enum { WARM = 200, N = 3000 };
    static int warm[WARM], fds[N];
    /* Warm up first: thread stacks, the pools, malloc's arenas. */
    warm_up(f);
    assert_int_equal(open_idle(f, warm, WARM), WARM);
    usleep(200000);
    long before = rss_bytes(f->pid);
    int n = open_idle(f, fds, N);
    assert_int_equal(n, N);
    usleep(200000);
    long after = rss_bytes(f->pid);
    long per_conn = (after - before) / N;
    print_message("RSS per idle keep-alive connection: %ld B (%ld -> %ld)\n",
                  per_conn, before, after);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    for (int i = 0; i < WARM; i++)
        close(warm[i]);
    if (per_conn > 512)
        fail_msg("%ld bytes of RSS per idle connection (at most 512)",
                 per_conn);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}
//! [test idle memory]

/* Clients in the middle of a long request head each hold an input
 * buffer; once they close, fastd's RSS comes back down near where it
 * started (before issue 12 it never did). */
static void test_memory_returns_after_busy_connections(void **state)
{
    if (SANITIZED)
        skip();
    struct fastd *f = start(state);
    enum { N = 1000 };
    static int fds[N];
    char body[64];
    assert_int_equal(fastd_get(f, "/", body, sizeof body), 200);
    warm_up(f);
    usleep(200000);
    long before = rss_bytes(f->pid);
    /* 7 KiB of head, not yet finished: under the 8 KiB limit. */
    static char head[7 * 1024];
    int n = snprintf(head, sizeof head, "GET / HTTP/1.1\r\nHost: t\r\nX: ");
    memset(head + n, 'a', sizeof head - (size_t)n);
    for (int i = 0; i < N; i++) {
        fds[i] = fastd_connect(f);
        assert_true(fds[i] >= 0);
        assert_int_equal(send_all(fds[i], head, sizeof head), 0);
    }
    usleep(500000);
    long busy = rss_bytes(f->pid);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    /* The sweep after each batch trims; give it a few seconds. */
    long after = busy;
    for (int i = 0; i < 50 && after - before > 2 << 20; i++) {
        usleep(100000);
        assert_int_equal(fastd_get(f, "/", body, sizeof body), 200);
        after = rss_bytes(f->pid);
    }
    print_message("RSS: %ld before, %ld with %d half-sent heads, %ld after "
                  "they closed\n",
                  before, busy, N, after);
    /* The busy ones did hold buffers... */
    assert_true(busy - before > N * 6 * 1024L);
    /* ...and gave them back. */
    if (after - before > 2 << 20)
        fail_msg("RSS still %ld bytes above the start after the busy "
                 "connections closed",
                 after - before);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}

/* conns_in, the one counter every accept thread writes, has a cache line
 * of its own: no other counter, and nothing of struct thread, shares it. */
static void test_conns_in_own_cache_line(void **state)
{
    (void)state;
    size_t at =
        offsetof(struct thread, stats) + offsetof(struct stats, conns_in);
    assert_int_equal(at % 64, 0);
    assert_int_equal(offsetof(struct stats, conns_in) % 64, 0);
    /* Nothing after it on its line: the struct ends within it, padded. */
    assert_true(sizeof(struct stats) - offsetof(struct stats, conns_in) == 64);
    assert_true(sizeof(struct thread) % 64 == 0);
    assert_true(sizeof(struct thread) - at == 64);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    if (fastd_suite_skips())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_idle_connection_under_512_bytes,
                                  teardown),
        cmocka_unit_test_teardown(test_memory_returns_after_busy_connections,
                                  teardown),
        cmocka_unit_test(test_conns_in_own_cache_line),
    };
    return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
