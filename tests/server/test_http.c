/* The HTTP/1.1 parser and responses, without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference-server/http.h"

static enum http_parse_result parse(const char *s, struct http_request *req)
{
    size_t scanned = 0;
    return http_parse(s, strlen(s), &scanned, req);
}

static void test_simple_get(void **state)
{
    (void)state;
    struct http_request req;
    const char *s = "GET /plaintext?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(parse(s, &req), HTTP_COMPLETE);
    assert_int_equal(req.method, HTTP_GET);
    assert_int_equal(req.path_len, 10);
    assert_memory_equal(req.path, "/plaintext", 10);
    assert_int_equal(req.minor, 1);
    assert_true(req.keep_alive);
    assert_int_equal(req.length, strlen(s));
}

/* Feed a request one more byte at a time, keeping the scan position as a
 * connection does: every prefix is incomplete, the whole is complete. */
static void check_split(const char *s, int want_status)
{
    size_t len = strlen(s), scanned = 0;
    struct http_request req;
    for (size_t cut = 0; cut < len; cut++) {
        enum http_parse_result r = http_parse(s, cut, &scanned, &req);
        if (r == HTTP_ERROR) {
            /* An error may be detected early, but only the right one. */
            assert_int_equal(req.status, want_status);
            return;
        }
        assert_int_equal(r, HTTP_INCOMPLETE);
    }
    enum http_parse_result r = http_parse(s, len, &scanned, &req);
    if (want_status == 200) {
        assert_int_equal(r, HTTP_COMPLETE);
        assert_int_equal(req.length, len);
    } else {
        assert_int_equal(r, HTTP_ERROR);
        assert_int_equal(req.status, want_status);
    }
}

static void test_split_at_every_byte(void **state)
{
    (void)state;
    check_split("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n", 200);
    check_split("GET / HTTP/1.1\nHost: a\n\n", 200);
    check_split("HEAD /x HTTP/1.0\r\n\r\n", 200);
    check_split("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                200);
    check_split("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    check_split("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

/* Every split of two pipelined requests into two reads parses both. */
static void test_pipelined_split_anywhere(void **state)
{
    (void)state;
    const char *two = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                      "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t len = strlen(two);
    for (size_t cut = 1; cut < len; cut++) {
        char buf[256];
        size_t have = cut, used = 0, scanned = 0;
        int done = 0;
        memcpy(buf, two, cut);
        for (int round = 0; round < 4 && done < 2; round++) {
            struct http_request req;
            enum http_parse_result r;
            while ((r = http_parse(buf + used, have - used, &scanned, &req)) ==
                   HTTP_COMPLETE) {
                assert_memory_equal(req.path, done ? "/plaintext" : "/",
                                    req.path_len);
                used += req.length;
                scanned = 0;
                done++;
            }
            assert_int_equal(r, HTTP_INCOMPLETE);
            memcpy(buf + have, two + have, len - have);
            have = len;
        }
        assert_int_equal(done, 2);
        assert_int_equal(used, len);
    }
}

static void test_many_pipelined(void **state)
{
    (void)state;
    const char *one = "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n";
    char buf[64 * 64];
    size_t len = 0;
    for (int i = 0; i < 64; i++)
        len += (size_t)sprintf(buf + len, "%s", one);
    size_t used = 0, scanned = 0;
    int n = 0;
    struct http_request req;
    while (http_parse(buf + used, len - used, &scanned, &req) ==
           HTTP_COMPLETE) {
        used += req.length;
        scanned = 0;
        n++;
    }
    assert_int_equal(n, 64);
    assert_int_equal(used, len);
}

static void expect_error(const char *s, int status)
{
    struct http_request req;
    assert_int_equal(parse(s, &req), HTTP_ERROR);
    if (req.status != status)
        fail_msg("'%s': expected %d, got %d (%s)", s, status, req.status,
                 req.error);
}

static void test_error_statuses(void **state)
{
    (void)state;
    expect_error("BLAH\r\n\r\n", 400);
    expect_error("GET\r\nHost: a\r\n\r\n", 400);
    expect_error("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_error("GET noslash HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400);
    expect_error("GET / FTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\n\r\n", 400); /* no Host */
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: a\001b\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                 "Content-Length: 2\r\n\r\n",
                 400);
    expect_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
                 "\r\n\r\n",
                 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\n",
                 413);
    expect_error("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    expect_error("GET / HTTP/0.9\r\n\r\n", 505);
    /* A bad request line is answered before the head is complete. */
    expect_error("\x16\x03\x01 binary junk\r\n", 400);
}

static void test_head_limit(void **state)
{
    (void)state;
    struct http_request req;
    size_t scanned = 0;
    char *big = malloc(HTTP_MAX_HEAD + 64);
    /* Just under the limit: complete. */
    const char *start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    size_t fill = HTTP_MAX_HEAD - strlen(start) - 4;
    memset(big, 'a', HTTP_MAX_HEAD + 64);
    memcpy(big, start, strlen(start));
    memcpy(big + strlen(start) + fill, "\r\n\r\n", 4);
    assert_int_equal(http_parse(big, HTTP_MAX_HEAD, &scanned, &req),
                     HTTP_COMPLETE);
    /* One byte over: 431, found either with or without the blank line. */
    memset(big, 'a', HTTP_MAX_HEAD + 64);
    memcpy(big, start, strlen(start));
    memcpy(big + strlen(start) + fill + 1, "\r\n\r\n", 4);
    scanned = 0;
    assert_int_equal(http_parse(big, HTTP_MAX_HEAD + 1, &scanned, &req),
                     HTTP_ERROR);
    assert_int_equal(req.status, 431);
    scanned = 0;
    assert_int_equal(http_parse(big, HTTP_MAX_HEAD, &scanned, &req),
                     HTTP_ERROR);
    assert_int_equal(req.status, 431);
    /* Empty lines before the request line count toward the limit, so a
     * head and a body at their limits always fit the input buffer: 4 KiB
     * of them before a 6 KiB head is 431, not a 10 KiB head. */
    size_t blank = 4096, head = 6000, n = 0;
    char *padded = malloc(blank + head);
    for (; n < blank; n += 2)
        memcpy(padded + n, "\r\n", 2);
    memset(padded + n, 'a', head);
    memcpy(padded + n, start, strlen(start));
    memcpy(padded + blank + head - 4, "\r\n\r\n", 4);
    scanned = 0;
    assert_int_equal(http_parse(padded, blank + head, &scanned, &req),
                     HTTP_ERROR);
    assert_int_equal(req.status, 431);
    /* The same head after two empty lines is fine. */
    scanned = 0;
    assert_int_equal(http_parse(padded + blank - 4, head + 4, &scanned, &req),
                     HTTP_COMPLETE);
    free(padded);
    free(big);
}

static void test_http10_and_connection(void **state)
{
    (void)state;
    struct http_request req;
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req), HTTP_COMPLETE);
    assert_int_equal(req.minor, 0);
    assert_false(req.keep_alive);
    assert_int_equal(
        parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req),
        HTTP_COMPLETE);
    assert_true(req.keep_alive);
    assert_int_equal(
        parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &req),
        HTTP_COMPLETE);
    assert_false(req.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: "
                           "upgrade, CLOSE\r\n\r\n",
                           &req),
                     HTTP_COMPLETE);
    assert_false(req.keep_alive);
    assert_int_equal(parse("\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &req),
                     HTTP_COMPLETE);
    assert_int_equal(req.method, HTTP_HEAD);
    assert_int_equal(parse("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", &req),
                     HTTP_COMPLETE);
    assert_int_equal(req.method, HTTP_OTHER);
}

static void test_responses(void **state)
{
    (void)state;
    struct http_date date = {0};
    http_date_refresh(&date, 0);
    assert_string_equal(date.text, "Thu, 01 Jan 1970 00:00:00 GMT");
    struct http_request req;
    char out[HTTP_MAX_RESPONSE];
    assert_int_equal(
        parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &req),
        HTTP_COMPLETE);
    size_t n = http_write_hello(out, &req, true, &date);
    out[n] = 0;
    assert_non_null(strstr(out, "Connection: keep-alive\r\n"));
    assert_non_null(strstr(out, "\r\n\r\nHello, World!"));
    req.method = HTTP_HEAD;
    n = http_write_hello(out, &req, false, &date);
    out[n] = 0;
    assert_non_null(strstr(out, "Content-Length: 13\r\n"));
    assert_non_null(strstr(out, "Connection: close\r\n"));
    assert_null(strstr(out, "Hello"));
    int statuses[] = {400, 404, 405, 413, 431, 505};
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        n = http_write_error(out, statuses[i], &date);
        assert_true(n < HTTP_MAX_RESPONSE);
        out[n] = 0;
        char line[64];
        snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", statuses[i],
                 http_reason(statuses[i]));
        assert_int_equal(strncmp(out, line, strlen(line)), 0);
        assert_non_null(strstr(out, "Connection: close\r\n"));
    }
}

/* Random bytes never crash the parser and never claim more than given. */
static void test_random_input(void **state)
{
    (void)state;
    srand(42);
    char buf[512];
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(rand() % (int)sizeof buf);
        for (size_t k = 0; k < len; k++)
            buf[k] =
                (char)(rand() % 4 ? "GET /HTP1.\r\n: a"[rand() % 16] : rand());
        size_t scanned = 0;
        struct http_request req;
        if (http_parse(buf, len, &scanned, &req) == HTTP_COMPLETE)
            assert_true(req.length <= len);
        assert_true(scanned <= len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_pipelined_split_anywhere),
        cmocka_unit_test(test_many_pipelined),
        cmocka_unit_test(test_error_statuses),
        cmocka_unit_test(test_head_limit),
        cmocka_unit_test(test_http10_and_connection),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_random_input),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
