/*
 * HTTP replies over a real connection (issue 12): a 404 keeps the
 * connection, HEAD error replies carry no body, Expect: 100-continue gets
 * its 100, absolute-form targets and OPTIONS * are served, HTTP/1.0
 * keep-alive on /stats is said out loud, error replies end with a FIN even
 * with unread input (lingering close), and DEL is refused in header values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/fastd_harness.h"

static struct fastd server;

static int group_setup(void **state)
{
    (void)state;
    return fastd_start(&server, NULL, 0);
}

static int group_teardown(void **state)
{
    (void)state;
    return fastd_stop(&server, NULL, 0) == 0 ? 0 : -1;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read until buf holds `want` occurrences of needle, the peer closes, or
 * ms pass. Returns bytes read; *closed: 0 open, 1 FIN, -1 reset. */
static size_t read_for(int fd, char *buf, size_t cap, const char *needle,
                       int want, int ms, int *closed)
{
    size_t len = 0;
    long deadline = now_ms() + ms;
    *closed = 0;
    buf[0] = 0;
    while (len + 1 < cap && count_substr(buf, needle) < want) {
        long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            *closed = n == 0 ? 1 : -1;
            break;
        }
        len += (size_t)n;
        buf[len] = 0;
    }
    return len;
}

static int conn(void)
{
    int fd = fastd_connect(&server);
    assert_true(fd >= 0);
    return fd;
}

static void send_str(int fd, const char *s)
{
    assert_int_equal(send_all(fd, s, strlen(s)), 0);
}

static void test_404_keeps_alive(void **state)
{
    (void)state;
    int fd = conn(), closed;
    char buf[4096];
    send_str(fd, "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    read_for(fd, buf, sizeof buf, "404 Not Found\n", 1, 3000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 404 Not Found\r\n"));
    assert_null(strstr(buf, "Connection: close"));
    assert_int_equal(closed, 0);
    /* The same connection serves the next request. */
    send_str(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    read_for(fd, buf, sizeof buf, "Hello, World!", 1, 3000, &closed);
    assert_non_null(strstr(buf, "Hello, World!"));
    close(fd);
}

static void test_head_error_has_no_body(void **state)
{
    (void)state;
    int fd = conn(), closed;
    char buf[4096];
    /* A HEAD 404 then a GET: the GET's reply must follow the 404's head
     * at once (a body in between would be read as the next response). */
    send_str(fd, "HEAD /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    read_for(fd, buf, sizeof buf, "Hello, World!", 1, 3000, &closed);
    const char *end = strstr(buf, "\r\n\r\n");
    assert_non_null(end);
    assert_true(strncmp(buf, "HTTP/1.1 404", 12) == 0);
    assert_true(strncmp(end + 4, "HTTP/1.1 200 OK", 15) == 0);
    close(fd);
    /* A HEAD that fails to parse later on (bad version) is a HEAD too. */
    fd = conn();
    send_str(fd, "HEAD / HTTP/3.0\r\nHost: t\r\n\r\n");
    size_t len = read_for(fd, buf, sizeof buf, "\x01", 1, 3000, &closed);
    assert_int_equal(closed, 1);
    assert_true(strncmp(buf, "HTTP/1.1 505", 12) == 0);
    end = strstr(buf, "\r\n\r\n");
    assert_non_null(end);
    assert_int_equal((size_t)(end + 4 - buf), len);
    close(fd);
}

static void test_expect_100_continue(void **state)
{
    (void)state;
    int fd = conn(), closed;
    char buf[4096];
    send_str(fd, "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                 "Expect: 100-continue\r\n\r\n");
    read_for(fd, buf, sizeof buf, "\r\n\r\n", 1, 3000, &closed);
    assert_string_equal(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    send_str(fd, "hello");
    read_for(fd, buf, sizeof buf, "Hello, World!", 1, 3000, &closed);
    assert_true(strncmp(buf, "HTTP/1.1 200 OK", 15) == 0);
    close(fd);
    /* An expectation fastd does not know: 417. */
    char resp[4096];
    assert_int_equal(fastd_request(&server,
                                   "GET / HTTP/1.1\r\nHost: t\r\n"
                                   "Expect: teapot\r\n\r\n",
                                   resp, sizeof resp),
                     417);
}

static void test_absolute_form_and_options(void **state)
{
    (void)state;
    int fd = conn(), closed;
    char buf[4096];
    send_str(fd, "GET http://t/plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET HTTP://t:8080 HTTP/1.1\r\nHost: t\r\n\r\n"
                 "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    read_for(fd, buf, sizeof buf, "HTTP/1.1 200 OK", 3, 3000, &closed);
    assert_int_equal(count_substr(buf, "HTTP/1.1 200 OK"), 3);
    assert_int_equal(count_substr(buf, "Hello, World!"), 2);
    assert_non_null(strstr(buf, "Allow: GET, HEAD\r\n"));
    close(fd);
    char resp[4096];
    /* "*" is for OPTIONS only; OPTIONS elsewhere is a method we lack. */
    assert_int_equal(fastd_request(&server, "GET * HTTP/1.1\r\nHost: t\r\n\r\n",
                                   resp, sizeof resp),
                     400);
    assert_int_equal(fastd_request(&server,
                                   "OPTIONS / HTTP/1.1\r\nHost: t\r\n\r\n",
                                   resp, sizeof resp),
                     405);
}

static void test_http10_keep_alive_stats(void **state)
{
    (void)state;
    int fd = conn(), closed;
    static char buf[65536];
    send_str(fd, "GET /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    read_for(fd, buf, sizeof buf, "}}\n", 1, 3000, &closed);
    assert_non_null(strstr(buf, "Connection: keep-alive\r\n"));
    assert_int_equal(closed, 0);
    send_str(fd, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    read_for(fd, buf, sizeof buf, "Hello, World!", 1, 3000, &closed);
    assert_non_null(strstr(buf, "Hello, World!"));
    close(fd);
}

//! [test lingering close]
/* A bad request followed by a lot of unread input: the client reads the
 * whole 400 and then a FIN. Closing at once with input unread would
 * make the kernel send an RST, which may destroy the reply in flight. */
static void test_error_reply_ends_with_fin(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++) {
        int fd = conn(), closed;
        static char junk[256 * 1024];
        memset(junk, 'x', sizeof junk);
        send_str(fd, "BLAH\r\n\r\n");
        /* Keep sending while fastd answers: part of it is unread. */
        ssize_t sent = send(fd, junk, sizeof junk, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)sent;
        usleep(100000);
        char buf[4096];
        read_for(fd, buf, sizeof buf, "\x01", 1, 5000, &closed);
        close(fd);
        assert_true(strncmp(buf, "HTTP/1.1 400 Bad Request", 24) == 0);
        assert_non_null(strstr(buf, "400 Bad Request\n"));
        if (closed != 1)
            fail_msg("round %d: the error reply ended with %s", round,
                     closed < 0 ? "a reset" : "nothing in 5 s");
    }
}
//! [test lingering close]

static void test_del_in_header_value(void **state)
{
    (void)state;
    char resp[4096];
    assert_int_equal(fastd_request(&server,
                                   "GET / HTTP/1.1\r\nHost: t\r\n"
                                   "X-Bad: a\x7f"
                                   "b\r\n\r\n",
                                   resp, sizeof resp),
                     400);
}

/* usage: test_http_replies [PATTERN] - run only the tests matching it. */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    if (fastd_suite_skips())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_404_keeps_alive),
        cmocka_unit_test(test_head_error_has_no_body),
        cmocka_unit_test(test_expect_100_continue),
        cmocka_unit_test(test_absolute_form_and_options),
        cmocka_unit_test(test_http10_keep_alive_stats),
        cmocka_unit_test(test_error_reply_ends_with_fin),
        cmocka_unit_test(test_del_in_header_value),
    };
    return cmocka_run_group_tests_name("http replies", tests, group_setup,
                                       group_teardown);
}
