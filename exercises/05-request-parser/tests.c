/* Exercise 05's graded tests: bytes in, requests out. */
#include "exercises/grader/graded.h"

#include <stdlib.h>

#include "parse.h"

static enum parse_result parse(const char *s, struct request *req)
{
    size_t scanned = 0;
    return parse_request(s, strlen(s), &scanned, req);
}

static void test_simple_get(void **state)
{
    (void)state;
    struct request r;
    const char *s = "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(parse(s, &r), PARSE_COMPLETE);
    assert_int_equal(r.method, M_GET);
    assert_int_equal(r.path_len, 10);
    assert_memory_equal(r.path, "/plaintext", 10);
    assert_int_equal(r.length, strlen(s));
}

static void test_split_reads(void **state)
{
    (void)state;
    const char *s = "GET /a HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
    size_t len = strlen(s), scanned = 0;
    struct request r;
    /* Every prefix is incomplete, and the same buffer, grown one byte at a
     * time (as reads arrive), completes exactly at the end. */
    char *buf = malloc(len); /* not NUL-terminated, like a socket buffer */
    memcpy(buf, s, len);
    for (size_t cut = 0; cut < len; cut++) {
        enum parse_result got = parse_request(buf, cut, &scanned, &r);
        if (got != PARSE_INCOMPLETE)
            fail_msg("the first %zu of %zu bytes: expected INCOMPLETE, "
                     "observed %d",
                     cut, len, got);
    }
    assert_int_equal(parse_request(buf, len, &scanned, &r), PARSE_COMPLETE);
    assert_int_equal(r.length, len);
    free(buf);
}

static void test_pipelining(void **state)
{
    (void)state;
    const char *s = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    "HEAD /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /3 HTTP/1.1\r\nHost: x\r\n\r\nGET /4 HT";
    size_t len = strlen(s), used = 0, scanned = 0;
    struct request r;
    const char *paths[] = {"/1", "/2", "/3"};
    for (int i = 0; i < 3; i++) {
        enum parse_result got =
            parse_request(s + used, len - used, &scanned, &r);
        if (got != PARSE_COMPLETE)
            fail_msg("request %d of 3 in one buffer: not found (%d)", i + 1,
                     got);
        if (r.path_len != 2 || memcmp(r.path, paths[i], 2))
            fail_msg("request %d: expected path %s, observed '%.*s' "
                     "(length %zu: does it stop at the empty line?)",
                     i + 1, paths[i], (int)r.path_len, r.path, r.length);
        used += r.length;
        scanned = 0;
    }
    assert_int_equal(parse_request(s + used, len - used, &scanned, &r),
                     PARSE_INCOMPLETE);
}

static void expect_status(const char *s, int status)
{
    struct request r = {0};
    enum parse_result got = parse(s, &r);
    if (got != PARSE_ERROR || r.status != status)
        fail_msg("'%.*s': expected error %d, observed result %d status %d",
                 (int)strcspn(s, "\r\n"), s, status, got, r.status);
}

static void test_errors(void **state)
{
    (void)state;
    expect_status("BLAH\r\n\r\n", 400);
    expect_status("GET noslash HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / FTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1 junk\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400);
    expect_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    expect_status("GET / HTTP/1.9\r\nHost: a\r\n\r\n", 505);
}

static void test_head_limit(void **state)
{
    (void)state;
    char *big = malloc(MAX_HEAD + 100);
    memset(big, 'a', MAX_HEAD + 100);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    size_t scanned = 0;
    struct request r = {0};
    /* No end in sight after MAX_HEAD bytes: 431, not "wait for more". */
    enum parse_result got = parse_request(big, MAX_HEAD + 100, &scanned, &r);
    free(big);
    if (got != PARSE_ERROR || r.status != 431)
        fail_msg("a head of over %d bytes: expected 431, observed result %d "
                 "status %d",
                 MAX_HEAD, got, r.status);
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    struct request r;
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), PARSE_COMPLETE);
    if (r.keep_alive || r.minor != 0)
        fail_msg("HTTP/1.0 without Connection: keep-alive must close "
                 "(keep_alive %d, minor %d)",
                 r.keep_alive, r.minor);
    assert_int_equal(
        parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r),
        PARSE_COMPLETE);
    assert_true(r.keep_alive);
    assert_int_equal(
        parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &r),
        PARSE_COMPLETE);
    if (r.keep_alive)
        fail_msg("HTTP/1.1 with Connection: close must close");
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r),
                     PARSE_COMPLETE);
    assert_true(r.keep_alive);
}

static const struct graded table[] = {
    GRADED(test_simple_get, 1, 1), GRADED(test_split_reads, 3, 1),
    GRADED(test_pipelining, 3, 1), GRADED(test_errors, 3, 2),
    GRADED(test_head_limit, 2, 2), GRADED(test_keep_alive_rules, 3, 3),
};
GRADED_MAIN(table)
