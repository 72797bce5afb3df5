/*
 * Exercise 06, layer (b): the write path's cases from fastd's own
 * integration tests, run against the learner's fastd ($FASTD_BIN).
 */
#include "exercises/grader/graded.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The harness is compiled in: the grader builds this file alone. */
#include "tests/server/fastd_harness.c"

#define HELLO_GET "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

static struct fastd f;

static void start(void)
{
    fastd_io_timeout_ms = 2000;
    if (fastd_start(&f, NULL, 0) < 0)
        fail_msg("fastd did not start");
}

static void test_serves_get(void **state)
{
    (void)state;
    start();
    char body[64];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_string_equal(body, "Hello, World!");
    fastd_stop(&f, NULL, 0);
}

struct sender {
    int fd, count;
};

static void *send_requests(void *arg)
{
    struct sender *s = arg;
    for (int i = 0; i < s->count; i++)
        if (send_all(s->fd, HELLO_GET, strlen(HELLO_GET)) < 0)
            break;
    return NULL;
}

/* The size of one answer to HELLO_GET. */
static size_t answer_size(void)
{
    char one[512];
    int st = fastd_request(&f,
                           "GET / HTTP/1.1\r\nHost: t\r\n"
                           "Connection: close\r\n\r\n",
                           one, sizeof one);
    assert_int_equal(st, 200);
    /* The same answer without "Connection: close\r\n". */
    return strlen(one) - strlen("Connection: close\r\n");
}

static void test_slow_reader_gets_every_byte(void **state)
{
    (void)state;
    start();
    size_t each = answer_size();
    int fd = fastd_connect(&f);
    assert_true(fd >= 0);
    /* 50000 pipelined requests, ~6 MiB of answers, and nothing read for
     * 300 ms: fastd's socket fills up long before the answers are all
     * written, and it must wait for room instead of giving up. */
    enum { N = 50000 };
    struct sender s = {fd, N};
    pthread_t th;
    pthread_create(&th, NULL, send_requests, &s);
    usleep(300 * 1000);
    static char buf[65536];
    size_t len = 0, want = N * each;
    while (len < want) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    shutdown(fd, SHUT_RDWR);
    pthread_join(th, NULL);
    close(fd);
    if (len != want)
        fail_msg("a slow reader got %zu of %zu bytes (%zu answers of %d)", len,
                 want, len / each, N);
    fastd_stop(&f, NULL, 0);
}

static void test_client_resets_mid_response(void **state)
{
    (void)state;
    start();
    static char req[3000 * 40];
    size_t len = 0;
    for (int i = 0; i < 3000; i++)
        len += (size_t)sprintf(req + len, "%s", HELLO_GET);
    for (int round = 0; round < 10; round++) {
        int fd = fastd_connect(&f);
        assert_true(fd >= 0);
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        send(fd, req, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        char buf[100];
        recv(fd, buf, sizeof buf, 0);
        struct linger rst = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
        close(fd);
    }
    char body[64];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

/* --body-kib 256: GET /body is sent from where it lives, after the
 * head (c->tail). The whole body must arrive, and the answer pipelined
 * behind it. */
static void test_large_body_arrives(void **state)
{
    (void)state;
    const char *args[] = {"--body-kib", "256", NULL};
    fastd_io_timeout_ms = 3000;
    if (fastd_start(&f, args, 0) < 0)
        fail_msg("fastd did not start");
    int fd = fastd_connect(&f);
    assert_true(fd >= 0);
    const char *reqs = "GET /body HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(send_all(fd, reqs, strlen(reqs)), 0);
    static char resp[300 * 1024];
    size_t n = recv_until_close(fd, resp, sizeof resp);
    close(fd);
    fastd_stop(&f, NULL, 0);
    const char *end = memmem(resp, n, "\r\n\r\n", 4);
    if (!end)
        fail_msg("GET /body with --body-kib 256: no response head in %zu "
                 "bytes",
                 n);
    size_t body = n - (size_t)(end + 4 - resp);
    const char *next = memmem(end + 4, body, "HTTP/1.1 200", 12);
    if (next)
        body = (size_t)(next - (end + 4));
    if (body != 256 * 1024 || !next)
        fail_msg("GET /body with --body-kib 256: expected a body of 262144 "
                 "bytes and the next answer after it, saw %zu bytes of "
                 "body%s (is the tail, c->tail, ever sent?)",
                 body, next ? "" : " and no next answer");
}

/* conn.h: 0 when the socket is full - "read nothing more until
 * EPOLLOUT" - and the request thread goes on with its other clients.
 * One request thread (--threads 2: an accept thread and one request
 * thread); client A pipelines 50000 requests and reads nothing, so its
 * socket fills up; then client B asks for GET / and must be answered
 * while A still reads nothing. A request thread that waits for A's
 * socket to drain (a blocking send, a wait for room) leaves B without an
 * answer until A reads. Then A reads, and must get every byte. */
static void test_full_client_holds_no_other(void **state)
{
    (void)state;
    const char *args[] = {"--threads", "2", NULL};
    fastd_io_timeout_ms = 2000;
    if (fastd_start(&f, args, 0) < 0)
        fail_msg("fastd --threads 2 did not start");
    size_t each = answer_size();
    int a = fastd_connect(&f);
    assert_true(a >= 0);
    enum { N = 50000 };
    struct sender s = {a, N};
    pthread_t th;
    pthread_create(&th, NULL, send_requests, &s);
    usleep(300 * 1000); /* A's answers fill its socket meanwhile */
    char body[64] = "";
    int status = fastd_get(&f, "/", body, sizeof body);
    static char buf[65536];
    size_t len = 0, want = N * each;
    while (len < want) {
        ssize_t n = recv(a, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    shutdown(a, SHUT_RDWR);
    pthread_join(th, NULL);
    close(a);
    fastd_stop(&f, NULL, 0);
    if (status != 200)
        fail_msg("while client A read nothing (%d requests pipelined, its "
                 "socket full), client B's GET / on the same request thread "
                 "got %d, not 200 (no answer within 2 s: does the thread "
                 "wait for A's socket to drain?)",
                 N, status);
    if (len != want)
        fail_msg("client A, reading once B was answered, got %zu of %zu "
                 "bytes",
                 len, want);
}

static const struct graded table[] = {
    GRADED(test_serves_get, 1, 1),
    GRADED(test_slow_reader_gets_every_byte, 4, 1),
    GRADED(test_client_resets_mid_response, 2, 3),
    GRADED(test_large_body_arrives, 2, 4),
    GRADED(test_full_client_holds_no_other, 2, 2),
};
GRADED_MAIN(table)
