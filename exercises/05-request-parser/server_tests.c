/*
 * Exercise 05, layer (b): the request stage's cases from fastd's own
 * integration tests, run against the learner's fastd ($FASTD_BIN).
 */
#include "exercises/grader/graded.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The harness is compiled in: the grader builds this file alone. */
#include "tests/server/fastd_harness.c"

#define HELLO_GET "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"

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

static void test_split_reads(void **state)
{
    (void)state;
    start();
    int fd = fastd_connect(&f);
    assert_true(fd >= 0);
    const char *parts[] = {"GET / HT", "TP/1.1\r\nHo", "st: t\r\n",
                           "Connection: close\r\n\r\n"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(send_all(fd, parts[i], strlen(parts[i])), 0);
        usleep(50 * 1000);
    }
    char resp[1024];
    recv_until_close(fd, resp, sizeof resp);
    close(fd);
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(resp, "Hello, World!"));
    fastd_stop(&f, NULL, 0);
}

static void test_pipelined(void **state)
{
    (void)state;
    start();
    int fd = fastd_connect(&f);
    assert_true(fd >= 0);
    /* 50 requests in one send, the last one a HEAD asking to close. */
    static char req[50 * 64];
    size_t len = 0;
    for (int i = 0; i < 49; i++)
        len += (size_t)sprintf(req + len, "%s", HELLO_GET);
    len += (size_t)sprintf(req + len, "HEAD / HTTP/1.1\r\nHost: t\r\n"
                                      "Connection: close\r\n\r\n");
    assert_int_equal(send_all(fd, req, len), 0);
    static char resp[50 * 256];
    recv_until_close(fd, resp, sizeof resp);
    close(fd);
    int answers = count_substr(resp, "HTTP/1.1 200 OK\r\n");
    if (answers != 50)
        fail_msg("50 pipelined requests, %d answers", answers);
    assert_int_equal(count_substr(resp, "Hello, World!"), 49);
    fastd_stop(&f, NULL, 0);
}

static void expect_status(const char *raw, int status)
{
    char resp[4096] = "";
    int got = fastd_request(&f, raw, resp, sizeof resp);
    if (got != status)
        fail_msg("request '%.40s...': expected %d, got %d%s", raw, status, got,
                 got < 0 ? " (no answer in 2 s)" : "");
    assert_non_null(strstr(resp, "Connection: close\r\n"));
}

static void test_bad_requests(void **state)
{
    (void)state;
    start();
    expect_status("BLAH\r\n\r\n", 400);
    expect_status("\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n", 400);
    expect_status("GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505);
    expect_status("GET / HTTP/1.1\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n",
                  413);
    static char big[10000];
    int n = sprintf(big, "GET / HTTP/1.1\r\nHost: t\r\nX: ");
    memset(big + n, 'a', 9000);
    strcpy(big + n + 9000, "\r\n\r\n");
    expect_status(big, 431);
    fastd_stop(&f, NULL, 0);
}

static void test_methods_and_bodies(void **state)
{
    (void)state;
    start();
    expect_status("POST / HTTP/1.1\r\nHost: t\r\n\r\n", 405);
    char resp[2048] = "";
    assert_int_equal(fastd_request(&f,
                                   "HEAD / HTTP/1.1\r\nHost: t\r\n"
                                   "Connection: close\r\n\r\n",
                                   resp, sizeof resp),
                     200);
    assert_null(strstr(resp, "Hello"));
    /* A GET with a small body, then a second request behind it. */
    assert_int_equal(fastd_request(&f,
                                   "GET / HTTP/1.1\r\nHost: t\r\n"
                                   "Content-Length: 4\r\n\r\nbody"
                                   "GET / HTTP/1.0\r\n\r\n",
                                   resp, sizeof resp),
                     200);
    assert_int_equal(count_substr(resp, "Hello, World!"), 2);
    fastd_stop(&f, NULL, 0);
}

static const struct graded table[] = {
    GRADED(test_serves_get, 1, 1),         GRADED(test_split_reads, 1, 1),
    GRADED(test_pipelined, 3, 1),          GRADED(test_bad_requests, 3, 2),
    GRADED(test_methods_and_bodies, 2, 3),
};
GRADED_MAIN(table)
