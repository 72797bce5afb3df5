/*
 * Exercise 08, layer (b): the learner's fastd ($FASTD_BIN, built with
 * their uring_recv.c) run with --io uring, from the outside. Where
 * io_uring is unavailable every test is skipped with the reason.
 */
#include "exercises/grader/graded.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/server/fastd_harness.h"

#define HELLO_GET "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

static struct fastd f;

static void start(const char *threads)
{
    /* Probed in a child process (fastd_harness.c says why). */
    char why[256];
    if (fastd_uring_unavailable(why, sizeof why)) {
        print_message("SKIPPED: %s\n", why);
        skip();
    }
    const char *args[] = {"--io", "uring", "--threads", threads, NULL};
    if (fastd_start(&f, args, 0) < 0)
        fail_msg("fastd --io uring did not start (does uring_bufs_setup "
                 "work?)");
}

/* One request, one answer. */
static void test_serves_get(void **state)
{
    (void)state;
    start("2");
    char body[64];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_string_equal(body, "Hello, World!");
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

/* Keep-alive: ten requests, one at a time, on one connection - one
 * multishot receive delivers them all. */
static void test_keep_alive(void **state)
{
    (void)state;
    start("2");
    int fd = fastd_connect(&f);
    assert_true(fd >= 0);
    for (int i = 0; i < 10; i++) {
        char buf[512];
        assert_int_equal(send_all(fd, HELLO_GET, strlen(HELLO_GET)), 0);
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            fail_msg("request %d on one connection: no answer", i + 1);
        buf[n] = 0;
        assert_non_null(strstr(buf, "Hello, World!"));
    }
    close(fd);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

/* 400 pipelined requests in one write: many buffers' worth, each
 * consumed and given back, every answer there once. */
static void test_pipelined(void **state)
{
    (void)state;
    start("2");
    enum { N = 400 };
    static char req[N * sizeof HELLO_GET + 64], resp[N * 200];
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(req + len, "%s", HELLO_GET);
    len += (size_t)sprintf(req + len,
                           "GET / HTTP/1.1\r\nHost: t\r\nConnection: close"
                           "\r\n\r\n");
    int fd = fastd_connect(&f);
    assert_true(fd >= 0);
    assert_int_equal(send_all(fd, req, len), 0);
    recv_until_close(fd, resp, sizeof resp);
    close(fd);
    want_int("answers to 401 requests pipelined in one write (the last "
             "with Connection: close)",
             N + 1, count_substr(resp, "Hello, World!"));
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

struct client {
    int answered;
};

static void *keep_asking(void *arg)
{
    struct client *c = arg;
    int fd = fastd_connect(&f);
    if (fd < 0)
        return NULL;
    for (int i = 0; i < 50; i++) {
        char buf[512];
        if (send_all(fd, HELLO_GET, strlen(HELLO_GET)) < 0 ||
            recv(fd, buf, sizeof buf, 0) <= 0)
            break;
        c->answered++;
    }
    close(fd);
    return NULL;
}

/* 32 clients at once on one request thread share its buffers: 1600
 * requests, far more receives than buffers, so buffers must come back. */
static void test_many_clients_share_buffers(void **state)
{
    (void)state;
    start("2");
    enum { C = 32 };
    pthread_t th[C];
    struct client cl[C] = {{0}};
    for (int i = 0; i < C; i++)
        pthread_create(&th[i], NULL, keep_asking, &cl[i]);
    int total = 0;
    for (int i = 0; i < C; i++) {
        pthread_join(th[i], NULL);
        total += cl[i].answered;
    }
    want_int("requests answered to 32 clients, 50 keep-alive requests "
             "each, on one request thread's buffers (a buffer never given "
             "back is lost: the thread runs dry)",
             C * 50, total);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

/* A request in three pieces: three completions, one answer. */
static void test_request_in_pieces(void **state)
{
    (void)state;
    start("2");
    int fd = fastd_connect(&f);
    assert_true(fd >= 0);
    const char *parts[] = {"GET / HT", "TP/1.1\r\nHost:", " t\r\n\r\n"};
    for (int i = 0; i < 3; i++) {
        if (send_all(fd, parts[i], strlen(parts[i])) != 0)
            fail_msg("a request sent in three pieces, 50 ms apart: piece %d "
                     "could not be sent (%s): fastd closed the connection?",
                     i + 1, strerror(errno));
        usleep(50000);
    }
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    want_true(n > 0,
              "a request sent in three pieces 50 ms apart (three "
              "receive completions): no answer (recv() returned %zd)",
              n);
    buf[n] = 0;
    assert_non_null(strstr(buf, "Hello, World!"));
    close(fd);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

static const struct graded table[] = {
    GRADED(test_serves_get, 2, 1),
    GRADED(test_keep_alive, 2, 2),
    GRADED(test_pipelined, 2, 3),
    GRADED(test_many_clients_share_buffers, 3, 3),
    GRADED(test_request_in_pieces, 1, 3),
};

GRADED_MAIN(table)
