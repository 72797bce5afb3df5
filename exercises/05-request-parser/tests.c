/*
 * Exercise 05, layer (a): http_parse() alone. Every buffer ends exactly
 * where a page ends, with an unmapped page after it: a parser that reads
 * past len crashes here instead of passing by luck.
 */
#include "exercises/grader/graded.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reference-server/http.h"

static char *pages;
static size_t pages_len;

/* A copy of s[0..n) that ends at the edge of a mapped page. */
static char *guarded(const char *s, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (n + page - 1) / page * page + page;
    if (pages)
        munmap(pages, pages_len);
    pages_len = data + page;
    pages = mmap(NULL, pages_len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(pages != MAP_FAILED);
    mprotect(pages + data, page, PROT_NONE);
    char *p = pages + data - n;
    memcpy(p, s, n);
    return p;
}

static enum http_parse_result parse(const char *s, struct http_request *req)
{
    size_t scanned = 0;
    memset(req, 0, sizeof *req);
    return http_parse(guarded(s, strlen(s)), strlen(s), &scanned, req);
}

static void expect_error(const char *s, int status)
{
    struct http_request req;
    enum http_parse_result r = parse(s, &req);
    if (r != HTTP_ERROR || req.status != status)
        fail_msg("'%.50s': expected an error %d, got result %d status %d", s,
                 status, r, req.status);
}

static void test_simple_get(void **state)
{
    (void)state;
    struct http_request req;
    const char *s = "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(parse(s, &req), HTTP_COMPLETE);
    assert_int_equal(req.method, HTTP_GET);
    assert_int_equal(req.path_len, 10);
    assert_memory_equal(req.path, "/plaintext", 10);
    assert_int_equal(req.minor, 1);
    assert_true(req.keep_alive);
    assert_int_equal(req.length, strlen(s));
}

static void test_split_reads(void **state)
{
    (void)state;
    const char *s = "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
    size_t n = strlen(s), scanned = 0;
    struct http_request req;
    for (size_t k = 1; k < n; k++) {
        memset(&req, 0, sizeof req);
        enum http_parse_result r = http_parse(guarded(s, k), k, &scanned, &req);
        if (r != HTTP_INCOMPLETE)
            fail_msg("after %zu of %zu bytes: result %d, not incomplete", k, n,
                     r);
    }
    assert_int_equal(http_parse(guarded(s, n), n, &scanned, &req),
                     HTTP_COMPLETE);
    assert_int_equal(req.length, n);
}

static void test_resumes_scan(void **state)
{
    (void)state;
    /* 60 short header lines, no blank line yet. */
    char head[2048];
    size_t n = (size_t)sprintf(head, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 60; i++)
        n += (size_t)sprintf(head + n, "X-%02d: v\r\n", i);
    size_t scanned = 0;
    struct http_request req;
    char *buf = guarded(head, n);
    assert_int_equal(http_parse(buf, n, &scanned, &req), HTTP_INCOMPLETE);
    if (scanned < n - 12)
        fail_msg("after %zu bytes without a blank line, *scanned is %zu: the "
                 "next call will search them all again (O(n^2) for a client "
                 "that sends byte by byte)",
                 n, scanned);
    /* Bytes already searched are not searched again: a blank line planted
     * there now must go unseen, as it would for fastd (its buffer only
     * grows at the end). */
    memcpy(buf + 40, "\r\n\r\n", 4);
    enum http_parse_result r = http_parse(buf, n, &scanned, &req);
    if (r != HTTP_INCOMPLETE)
        fail_msg("the second call searched from the start again");
}

static void test_pipelining(void **state)
{
    (void)state;
    const char *s = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                    "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HT";
    size_t n = strlen(s), used = 0, scanned = 0;
    char *buf = guarded(s, n);
    const char *paths[] = {"/a", "/b", "/c"};
    for (int i = 0; i < 3; i++) {
        struct http_request req;
        if (http_parse(buf + used, n - used, &scanned, &req) != HTTP_COMPLETE)
            fail_msg("pipelined request %d not parsed", i + 1);
        assert_memory_equal(req.path, paths[i], 2);
        used += req.length;
        scanned = 0;
    }
    struct http_request req;
    assert_int_equal(http_parse(buf + used, n - used, &scanned, &req),
                     HTTP_INCOMPLETE);
}

static void test_methods(void **state)
{
    (void)state;
    struct http_request req;
    assert_int_equal(parse("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", &req),
                     HTTP_COMPLETE);
    assert_int_equal(req.method, HTTP_HEAD);
    /* Any valid token is a method: the router answers 405, not the parser. */
    assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\n\r\n", &req),
                     HTTP_COMPLETE);
    assert_int_equal(req.method, HTTP_OTHER);
    assert_int_equal(parse("GET /x?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", &req),
                     HTTP_COMPLETE);
    assert_int_equal(req.path_len, 2);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("BLAH\r\n\r\n", 400);
    expect_error("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
    expect_error("GET / FOO/1.1\r\nHost: x\r\n\r\n", 400);
    expect_error("GET x HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\n\r\n", 400); /* no Host */
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                 "\r\n\r\n",
                 400);
}

static void test_early_reject(void **state)
{
    (void)state;
    /* A TLS hello on a plain port: bad from the first line on; waiting for a
     * blank line that never comes would hold the connection open. */
    struct http_request req;
    assert_int_equal(parse("\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n", &req),
                     HTTP_ERROR);
    assert_int_equal(req.status, 400);
    assert_int_equal(parse("GET / HTTP/9.9\r\nHost", &req), HTTP_ERROR);
    assert_int_equal(req.status, 505);
}

static void test_head_limit(void **state)
{
    (void)state;
    static char big[HTTP_MAX_HEAD + 200];
    int n = sprintf(big, "GET / HTTP/1.1\r\nHost: x\r\nX: ");
    memset(big + n, 'a', HTTP_MAX_HEAD);
    big[n + HTTP_MAX_HEAD] = 0;
    /* No blank line yet, but already too long: answer now. */
    expect_error(big, 431);
    strcat(big, "\r\n\r\n");
    expect_error(big, 431);
}

static void test_body(void **state)
{
    (void)state;
    const char *s = "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                    "hello";
    size_t n = strlen(s), scanned = 0;
    struct http_request req;
    assert_int_equal(http_parse(guarded(s, n - 2), n - 2, &scanned, &req),
                     HTTP_INCOMPLETE);
    assert_int_equal(http_parse(guarded(s, n), n, &scanned, &req),
                     HTTP_COMPLETE);
    assert_int_equal(req.length, n);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n",
                 413);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
                 400);
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    struct http_request req;
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req), HTTP_COMPLETE);
    assert_false(req.keep_alive);
    assert_int_equal(
        parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req),
        HTTP_COMPLETE);
    assert_true(req.keep_alive);
    assert_int_equal(
        parse("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", &req),
        HTTP_COMPLETE);
    assert_false(req.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: "
                           "upgrade, close\r\n\r\n",
                           &req),
                     HTTP_COMPLETE);
    assert_false(req.keep_alive);
}

static const struct graded table[] = {
    GRADED(test_simple_get, 1, 1),   GRADED(test_split_reads, 1, 1),
    GRADED(test_resumes_scan, 2, 2), GRADED(test_pipelining, 3, 1),
    GRADED(test_methods, 1, 3),      GRADED(test_errors, 2, 3),
    GRADED(test_early_reject, 2, 2), GRADED(test_head_limit, 2, 2),
    GRADED(test_body, 2, 3),         GRADED(test_keep_alive_rules, 2, 3),
};
GRADED_MAIN(table)
