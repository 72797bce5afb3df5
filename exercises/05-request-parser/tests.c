/*
 * Exercise 05, layer (a): http_parse() alone. Every buffer ends exactly
 * where a page ends, with an unmapped page after it: a parser that reads
 * past len crashes here instead of passing by luck.
 */
#include "exercises/grader/graded.h"

#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "exercises/grader/oracle.h"
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

/* A header line named and valued anew in each run ("X-1f2e3d4c: 5b6a"):
 * the tests below also send their request with it after the request
 * line, and a parser must answer both alike - as any parser does, but a
 * table of the requests written in this file does not. */
static const char *nonce_line(void)
{
    static char line[48];
    if (!line[0]) {
        unsigned long v =
            (unsigned long)getpid() * 2654435761UL ^ (unsigned long)time(NULL);
        snprintf(line, sizeof line, "X-%08lx: %04lx\r\n", v & 0xffffffffUL,
                 (v >> 13) & 0xffffUL);
    }
    return line;
}

static enum http_parse_result parse(const char *s, struct http_request *req)
{
    size_t n = strlen(s), scanned = 0;
    const char *lf = memchr(s, '\n', n);
    static char other[3 * HTTP_MAX_HEAD];
    size_t head = lf ? (size_t)(lf + 1 - s) : 0, k = strlen(nonce_line());
    struct http_request r2 = {0};
    enum http_parse_result res2 = HTTP_INCOMPLETE;
    char path2[64] = "";
    if (lf && n + k <= sizeof other) {
        memcpy(other, s, head);
        memcpy(other + head, nonce_line(), k);
        memcpy(other + head + k, lf + 1, n - head);
        res2 = http_parse(guarded(other, n + k), n + k, &scanned, &r2);
        if (res2 == HTTP_COMPLETE && r2.path && r2.path_len < sizeof path2)
            memcpy(path2, r2.path, r2.path_len);
        scanned = 0;
    }
    memset(req, 0, sizeof *req);
    enum http_parse_result res = http_parse(guarded(s, n), n, &scanned, req);
    if (!lf || n + k > sizeof other)
        return res;
    bool same = res == res2;
    if (same && res == HTTP_ERROR)
        same = req->status == r2.status;
    if (same && res == HTTP_COMPLETE)
        same = req->method == r2.method && req->minor == r2.minor &&
               req->keep_alive == r2.keep_alive &&
               req->path_len == r2.path_len &&
               (req->path_len >= sizeof path2 ||
                memcmp(req->path, path2, req->path_len) == 0) &&
               r2.length == req->length + k;
    if (!same)
        fail_msg("'%.50s' and the same with the header line '%.*s' after "
                 "its request line: results %d and %d, status %d and %d, "
                 "lengths %zu and %zu (one more header changes nothing "
                 "here: is your parser answering from a table?)",
                 s, (int)k - 2, nonce_line(), res, res2, req->status, r2.status,
                 req->length, r2.length);
    return res;
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
    size_t from = scanned; /* for the message */
    enum http_parse_result r = http_parse(guarded(s, n), n, &scanned, &req);
    if (r != HTTP_COMPLETE)
        fail_msg("sent one byte more per call, all %zu bytes in: result %d "
                 "(1 complete, 0 incomplete, -1 error), not complete: the "
                 "search that resumed at *scanned = %zu missed the blank "
                 "line (*scanned must stay at or before the \\n that "
                 "starts it)",
                 n, r, from);
    want_int("req->length of the request sent in pieces", n, req.length);
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

/* http.h: "a head over HTTP_MAX_HEAD is 431 (at once, without its blank
 * line)". The head's first line counts too: a request line that has not
 * ended after HTTP_MAX_HEAD bytes, or nothing but empty lines for that
 * long, is a head over the limit. A parser that checks the limit only
 * once the request line is whole answers neither: fastd fills its
 * input buffer and the client waits for an answer that never comes. */
static void test_endless_request_line(void **state)
{
    (void)state;
    static char big[HTTP_MAX_HEAD + 2];
    int n = sprintf(big, "GET /");
    memset(big + n, 'a', sizeof big - 1 - (size_t)n);
    big[sizeof big - 1] = 0;
    expect_error(big, 431);
    for (size_t i = 0; i + 1 < sizeof big - 1; i += 2)
        memcpy(big + i, "\r\n", 2);
    big[sizeof big - 2] = '\r';
    /* (Not expect_error(): it adds a header after the first line.) */
    size_t scanned = 0;
    struct http_request req;
    enum http_parse_result r = http_parse(guarded(big, sizeof big - 1),
                                          sizeof big - 1, &scanned, &req);
    if (r != HTTP_ERROR || req.status != 431)
        fail_msg("%zu bytes of empty lines and no request line yet: expected "
                 "an error 431, got result %d status %d",
                 sizeof big - 1, r, r == HTTP_ERROR ? req.status : 0);
}

static void test_body(void **state)
{
    (void)state;
    char s[160];
    snprintf(s, sizeof s,
             "GET / HTTP/1.1\r\nHost: x\r\n%sContent-Length: 5\r\n\r\n"
             "hello",
             nonce_line());
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
    want_true(!req.keep_alive, "HTTP/1.0 without a Connection header: "
                               "keep_alive true, expected false (1.0 closes "
                               "unless the client asks for keep-alive)");
    assert_int_equal(
        parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req),
        HTTP_COMPLETE);
    want_true(req.keep_alive, "HTTP/1.0 with 'Connection: Keep-Alive': "
                              "keep_alive false, expected true (the token "
                              "in any case)");
    assert_int_equal(
        parse("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", &req),
        HTTP_COMPLETE);
    want_true(!req.keep_alive, "HTTP/1.1 with 'connection: close' (the "
                               "name in lower case): keep_alive true, "
                               "expected false");
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: "
                           "upgrade, close\r\n\r\n",
                           &req),
                     HTTP_COMPLETE);
    want_true(!req.keep_alive, "HTTP/1.1 with 'Connection: upgrade, close': "
                               "keep_alive true, expected false (close is "
                               "one token of a comma-separated list)");
}

/* ---- The differential oracle: your parser beside the reference ---- */

/* The reference parser, linked with its symbols renamed (exercise.conf
 * `oracle`). */
enum http_parse_result ref_http_parse(const char *buf, size_t len,
                                      size_t *scanned,
                                      struct http_request *req);

typedef enum http_parse_result (*parse_fn)(const char *, size_t, size_t *,
                                           struct http_request *);

#define CASE_MAX 40000 /* room for three requests at every limit */

/* One generated case: bytes, and how they are delivered. */
struct pcase {
    char b[CASE_MAX];
    size_t n;
};

/* A fixed region whose end is followed by an unmapped page: your parser
 * always sees its input there (a read past len crashes). */
static char *fence;
static char *fenced(const char *s, size_t n)
{
    static size_t room;
    if (!fence) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        room = (CASE_MAX + page - 1) / page * page;
        char *m = mmap(NULL, room + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(m != MAP_FAILED);
        mprotect(m + room, page, PROT_NONE);
        fence = m + room;
    }
    memcpy(fence - n, s, n);
    return fence - n;
}

static const char *method_name(enum http_method m)
{
    return m == HTTP_GET       ? "GET"
           : m == HTTP_HEAD    ? "HEAD"
           : m == HTTP_OPTIONS ? "OPTIONS"
           : m == HTTP_OTHER   ? "other"
                               : "?";
}

/* On HTTP_ERROR, also show the method and version the request was
 * given (http_write_status() answers a HEAD without a body): set by the
 * tests whose every case has a valid request line. */
static bool show_error_fields;

/* buf is const: the parser only looks at it. Set by the test that checks
 * it (the caller's buffer is the connection's: a byte written into it is
 * what the next call, on the same head, reads). */
static bool check_const;

/* One connection's parse: its bytes s, how far they were used and
 * searched, and what the caller has seen so far, written into out. */
struct tconn {
    const char *s;
    size_t used, scanned, o, cap;
    char *out;
    char last[320];
    bool ended; /* an error, or out is full */
    bool stamp; /* write how many bytes had arrived before each answer */
};

static void tconn_init(struct tconn *t, const char *s, char *out, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->s = s;
    t->out = out;
    t->cap = cap;
    out[0] = 0;
}

/* The first `have` bytes of the connection have arrived: call the parser
 * as fastd's conn.c does (a fresh request each call; the next request
 * starts after req.length; scanned reset after each). */
static void tconn_step(parse_fn fn, struct tconn *t, size_t have)
{
    while (!t->ended && t->used < have) {
        struct http_request req = {.method = HTTP_OTHER};
        size_t len = have - t->used;
        const char *buf =
            fn == http_parse ? fenced(t->s + t->used, len) : t->s + t->used;
        enum http_parse_result r = fn(buf, len, &t->scanned, &req);
        char step[320], esc[160];
        if (check_const && fn == http_parse &&
            memcmp(buf, t->s + t->used, len) != 0) {
            size_t at = 0;
            while (buf[at] == t->s[t->used + at])
                at++;
            snprintf(t->out + t->o, t->cap - t->o,
                     "wrote into the caller's buffer (byte %zu of the %zu "
                     "there); ",
                     at, len);
            t->ended = true;
            return;
        }
        if (r == HTTP_COMPLETE && (req.length == 0 || req.length > len)) {
            snprintf(t->out + t->o, t->cap - t->o,
                     "complete, length %zu of the %zu bytes there; ",
                     req.length, len);
            t->ended = true;
            return;
        }
        if (r == HTTP_COMPLETE) {
            /* The path whole, however long (a run of one byte is
             * written once with its count), or where it points. */
            const char *path = "(outside the buffer)";
            if (req.path && ((req.path >= buf && req.path_len <= len &&
                              req.path + req.path_len <= buf + len) ||
                             (req.path_len == 1 && req.path[0] == '/')))
                path = oracle_escape(req.path, req.path_len, esc, sizeof esc);
            snprintf(step, sizeof step,
                     "complete %s \"%s\" (%zu bytes) HTTP/1.%d %s, %zu "
                     "bytes; ",
                     method_name(req.method), path, req.path_len, req.minor,
                     req.keep_alive ? "keep-alive" : "close", req.length);
        } else if (r == HTTP_INCOMPLETE) {
            snprintf(step, sizeof step, "incomplete%s; ",
                     req.expect_continue ? " (send 100 Continue)" : "");
        } else if (r == HTTP_ERROR && show_error_fields) {
            snprintf(step, sizeof step, "error %d (%s, HTTP/1.%d); ",
                     req.status, method_name(req.method), req.minor);
        } else if (r == HTTP_ERROR) {
            snprintf(step, sizeof step, "error %d; ", req.status);
        } else {
            snprintf(step, sizeof step, "result %d; ", (int)r);
        }
        /* The same answer again, after more bytes, says nothing new. */
        char at[40] = "";
        if (t->stamp)
            snprintf(at, sizeof at, "[%zu bytes] ", have);
        if (r == HTTP_COMPLETE || strcmp(step, t->last) != 0)
            t->o += (size_t)snprintf(t->out + t->o, t->cap - t->o, "%s%s", at,
                                     step);
        if (t->o + 1 >= t->cap) {
            t->o = t->cap - 1;
            t->ended = true;
        }
        snprintf(t->last, sizeof t->last, "%s", step);
        if (r == HTTP_COMPLETE) {
            t->used += req.length;
            t->scanned = 0;
            t->last[0] = 0;
            continue;
        }
        if (r != HTTP_INCOMPLETE)
            t->ended = true;
        break;
    }
}

/* Deliver s[0..n) in pieces ending at cuts[] (ascending, the last n) and
 * write what a caller can see, call after call, into out. */
static void transcript(parse_fn fn, const char *s, size_t n, const size_t *cuts,
                       size_t ncuts, char *out, size_t cap)
{
    struct tconn t;
    (void)n;
    tconn_init(&t, s, out, cap);
    for (size_t k = 0; k < ncuts && !t.ended; k++)
        tconn_step(fn, &t, cuts[k]);
}

/* How a case is delivered: whole, byte by byte, or in two pieces. */
enum delivery { WHOLE, BYTEWISE, SPLIT };

struct diff {
    enum delivery how;
    size_t at; /* SPLIT: the first piece's length */
    char ref[1024], mine[1024];
};

static size_t piece_of(size_t n)
{
    return n > 2000 ? 61 : 1;
}

static size_t cuts_of(enum delivery how, size_t at, size_t n, size_t *cuts)
{
    if (how == BYTEWISE) {
        /* A long case in pieces of a prime size: byte by byte, the
         * parsers' own O(n) checks of a long line make it O(n^2). */
        size_t step = piece_of(n), k = 0;
        for (size_t i = step; i < n + step; i += step)
            cuts[k++] = i < n ? i : n;
        return k;
    }
    if (how == SPLIT && at > 0 && at < n) {
        cuts[0] = at;
        cuts[1] = n;
        return 2;
    }
    cuts[0] = n;
    return 1;
}

static size_t cuts_buf[CASE_MAX];

/* The same error, sooner: the contract says when a bad request line must
 * be answered (as soon as it is whole), not how long a bad header line
 * may wait. A parser that checks each header line as it arrives (a byte
 * by byte state machine does) answers it before the blank line; the
 * reference, once the head is whole. Both are right when the answer is
 * the one the reference gives: yours ends with error E where the
 * reference, after the same answers, says only "incomplete" before the
 * same E, or says "incomplete" to the end and answers E once that
 * request's head is ended (a blank line added to what it was sent). */
static bool same_error_sooner(const char *ref, const char *mine, const char *s,
                              size_t n)
{
    size_t ml = strlen(mine);
    if (ml < 2 || strcmp(mine + ml - 2, "; ") != 0)
        return false;
    const char *last = mine, *p;
    for (p = mine; (p = strstr(p, "; ")) != NULL && p + 2 < mine + ml; p += 2)
        last = p + 2;
    if (strncmp(last, "error ", 6) != 0)
        return false;
    size_t pl = (size_t)(last - mine), el = ml - pl - 2;
    if (strncmp(ref, mine, pl) != 0)
        return false;
    const char *rest = ref + pl;
    while (strncmp(rest, "incomplete", 10) == 0) {
        const char *e = strstr(rest, "; ");
        if (!e)
            return false;
        rest = e + 2;
    }
    if (*rest)
        return strncmp(rest, last, el) == 0 && strcmp(rest + el, "; ") == 0;
    /* The reference waits to the end: the bytes of the requests it
     * answered, then that request's head ended. */
    size_t used = 0;
    for (p = mine; p < last; p++)
        if (strncmp(p, "complete ", 9) == 0) {
            const char *b = strstr(p, " bytes; ");
            const char *c = b;
            while (c > p && c[-1] >= '0' && c[-1] <= '9')
                c--;
            if (!b || c == b)
                return false;
            used += strtoul(c, NULL, 10);
            p = b;
        }
    static char ended[CASE_MAX + 8];
    if (used > n || n - used + 4 > sizeof ended)
        return false;
    memcpy(ended, s + used, n - used);
    memcpy(ended + n - used, "\r\n\r\n", 4);
    struct http_request req = {.method = HTTP_OTHER};
    size_t scanned = 0;
    if (ref_http_parse(ended, n - used + 4, &scanned, &req) != HTTP_ERROR)
        return false;
    char step[320];
    if (show_error_fields)
        snprintf(step, sizeof step, "error %d (%s, HTTP/1.%d)", req.status,
                 method_name(req.method), req.minor);
    else
        snprintf(step, sizeof step, "error %d", req.status);
    return strlen(step) == el && strncmp(step, last, el) == 0;
}

/* The reference's answer to one whole head, as a transcript step
 * ("error 413" or with its fields), or "" when it is no error. */
static void ref_error_of(const char *h, size_t hn, char *step, size_t cap)
{
    struct http_request req = {.method = HTTP_OTHER};
    size_t scanned = 0;
    step[0] = 0;
    if (ref_http_parse(h, hn, &scanned, &req) != HTTP_ERROR)
        return;
    if (show_error_fields)
        snprintf(step, cap, "error %d (%s, HTTP/1.%d)", req.status,
                 method_name(req.method), req.minor);
    else
        snprintf(step, cap, "error %d", req.status);
}

/* Another fault's error, at the same point: the contract does not say
 * which of a request's faults decides its status when it has several
 * (a Content-Length over the limit and an unknown Expect: 413 or 417?).
 * Both refuse the request after the same answers; yours names a fault
 * the request has, if the reference gives your answer to its request
 * line with only one of its header lines (and a Host), or to the whole
 * head without one header line that is a fault by itself. */
static bool other_fault_same_point(const char *ref, const char *mine,
                                   const char *s, size_t n)
{
    size_t ml = strlen(mine), rl = strlen(ref);
    if (ml < 2 || rl < 2 || strcmp(mine + ml - 2, "; ") != 0 ||
        strcmp(ref + rl - 2, "; ") != 0)
        return false;
    const char *last = mine, *rlast = ref, *p;
    for (p = mine; (p = strstr(p, "; ")) != NULL && p + 2 < mine + ml; p += 2)
        last = p + 2;
    for (p = ref; (p = strstr(p, "; ")) != NULL && p + 2 < ref + rl; p += 2)
        rlast = p + 2;
    size_t pl = (size_t)(last - mine), el = ml - pl - 2;
    if ((size_t)(rlast - ref) != pl || strncmp(ref, mine, pl) != 0 ||
        strncmp(last, "error ", 6) != 0 || strncmp(rlast, "error ", 6) != 0)
        return false;
    /* The bytes of the requests answered before. */
    size_t used = 0;
    for (p = mine; p < last; p++)
        if (strncmp(p, "complete ", 9) == 0) {
            const char *b = strstr(p, " bytes; ");
            const char *c = b;
            while (c > p && c[-1] >= '0' && c[-1] <= '9')
                c--;
            if (!b || c == b)
                return false;
            used += strtoul(c, NULL, 10);
            p = b;
        }
    if (used > n)
        return false;
    /* That request's head: its request line and header lines. */
    const char *h = s + used, *end = s + n;
    while (h < end && (*h == '\r' || *h == '\n'))
        h++;
    const char *lf = memchr(h, '\n', (size_t)(end - h));
    if (!lf)
        return false;
    const char *line[64];
    size_t len[64], k = 0;
    const char *q = lf + 1;
    for (;;) {
        const char *e = memchr(q, '\n', (size_t)(end - q));
        if (!e)
            return false; /* no blank line: not a head's faults */
        size_t m = (size_t)(e - q) + 1;
        if (m == 1 || (m == 2 && q[0] == '\r'))
            break;
        if (k == 64)
            return false;
        line[k] = q;
        len[k++] = m;
        q = e + 1;
    }
    static char head[CASE_MAX + 64];
    size_t rlen = (size_t)(lf - h) + 1;
    if (rlen + 64 > sizeof head)
        return false;
    char step[320];
    bool alone[64];
    for (size_t i = 0; i < k; i++) {
        size_t o = 0;
        memcpy(head, h, rlen);
        o = rlen;
        if (len[i] < 5 || strncasecmp(line[i], "host:", 5) != 0) {
            memcpy(head + o, "Host: x\r\n", 9);
            o += 9;
        }
        if (o + len[i] + 2 > sizeof head)
            return false;
        memcpy(head + o, line[i], len[i]);
        o += len[i];
        memcpy(head + o, "\r\n", 2);
        ref_error_of(head, o + 2, step, sizeof step);
        alone[i] = step[0] != 0;
        if (strlen(step) == el && strncmp(step, last, el) == 0)
            return true;
    }
    for (size_t i = 0; i < k; i++) {
        if (!alone[i])
            continue;
        size_t o = 0;
        for (size_t j = 0; j <= k; j++) {
            const char *from = j == 0 ? h : line[j - 1];
            size_t m = j == 0 ? rlen : len[j - 1];
            if (j > 0 && j - 1 == i)
                continue;
            if (o + m + 2 > sizeof head)
                return false;
            memcpy(head + o, from, m);
            o += m;
        }
        memcpy(head + o, "\r\n", 2);
        ref_error_of(head, o + 2, step, sizeof step);
        if (strlen(step) == el && strncmp(step, last, el) == 0)
            return true;
    }
    return false;
}

/* Do the two parsers differ on s, delivered so? Fills d. */
static bool differs_as(const char *s, size_t n, enum delivery how, size_t at,
                       struct diff *d)
{
    size_t k = cuts_of(how, at, n, cuts_buf);
    transcript(ref_http_parse, s, n, cuts_buf, k, d->ref, sizeof d->ref);
    transcript(http_parse, s, n, cuts_buf, k, d->mine, sizeof d->mine);
    d->how = k == 2 ? SPLIT : how == SPLIT ? WHOLE : how;
    d->at = at;
    return strcmp(d->ref, d->mine) != 0 &&
           !same_error_sooner(d->ref, d->mine, s, n) &&
           !other_fault_same_point(d->ref, d->mine, s, n);
}

/* The split points worth trying: all of them for a short case; for a
 * long one, the ends, around the head limit, and a stride. */
static bool split_matters(size_t n, size_t k)
{
    return n <= 1500 || k < 24 || k + 24 > n || k % 211 == 0 ||
           (k + 3 > HTTP_MAX_HEAD && k < HTTP_MAX_HEAD + 3);
}

/* Any delivery on which they differ (the first found). */
static bool differs_any(const char *s, size_t n, bool splits, struct diff *d)
{
    if (differs_as(s, n, WHOLE, 0, d))
        return true;
    if (splits)
        for (size_t k = 1; k < n; k++)
            if (split_matters(n, k) && differs_as(s, n, SPLIT, k, d))
                return true;
    return differs_as(s, n, BYTEWISE, 0, d);
}

/* What kind of outcomes a transcript holds: its steps without paths
 * and byte counts ("complete GET; incomplete; error 400;"). Shrinking
 * keeps both kinds, so that the small case shows the same mistake. */
static void kinds(const char *t, char *out, size_t cap)
{
    size_t o = 0;
    bool quoted = false, status = false;
    for (const char *p = t; *p && o + 1 < cap; p++) {
        bool digit = *p >= '0' && *p <= '9';
        if (*p == '"' && (p == t || p[-1] != '\\'))
            quoted = !quoted;
        else if (!quoted && (!digit || status))
            out[o++] = *p;
        if (!digit)
            status = strncmp(p - (p - t >= 5 ? 5 : 0), "error ", 6) == 0;
    }
    out[o] = 0;
}

/* The shrinker's predicate: the same delivery still differs, with the
 * same kinds of outcome (a split point past the end moves to the end;
 * short cases try every split). */
struct shrink_ctx {
    struct diff d;
    char ref_kinds[1024], mine_kinds[1024];
};
static bool same_kinds(const struct shrink_ctx *sc, const struct diff *d)
{
    char a[1024], b[1024];
    kinds(d->ref, a, sizeof a);
    kinds(d->mine, b, sizeof b);
    return strcmp(a, sc->ref_kinds) == 0 && strcmp(b, sc->mine_kinds) == 0;
}
static bool still_differs(const void *items, size_t n, void *ctx)
{
    struct shrink_ctx *sc = ctx;
    const char *s = items;
    struct diff d;
    if (n == 0)
        return false;
    if (sc->d.how == SPLIT) {
        size_t at = sc->d.at < n ? sc->d.at : n - 1;
        if (at > 0 && differs_as(s, n, SPLIT, at, &d) && same_kinds(sc, &d))
            goto yes;
        if (n <= 400)
            for (size_t k = 1; k < n; k++)
                if (differs_as(s, n, SPLIT, k, &d) && same_kinds(sc, &d))
                    goto yes;
        return false;
    }
    if (!differs_as(s, n, sc->d.how, 0, &d) || !same_kinds(sc, &d))
        return false;
yes:
    sc->d = d;
    return true;
}

/* Compare the two parsers on one case; on a difference, shrink it and
 * fail with the smallest case and both transcripts. */
static void check_case(const char *family, struct pcase *pc, bool splits)
{
    static struct shrink_ctx sc;
    if (!differs_any(pc->b, pc->n, splits, &sc.d))
        return;
    size_t before = pc->n;
    kinds(sc.d.ref, sc.ref_kinds, sizeof sc.ref_kinds);
    kinds(sc.d.mine, sc.mine_kinds, sizeof sc.mine_kinds);
    if (sc.d.how == BYTEWISE && pc->n > 3000)
        ; /* a byte-by-byte run of a long case is slow to shrink */
    else
        pc->n = oracle_shrink(pc->b, pc->n, 1, still_differs, &sc, 600);
    for (char *t = sc.d.ref; t; t = t == sc.d.ref ? sc.d.mine : NULL) {
        size_t k = strlen(t);
        if (k >= 2 && strcmp(t + k - 2, "; ") == 0)
            t[k - 2] = 0;
    }
    static char esc[1400];
    oracle_escape(pc->b, pc->n, esc, sizeof esc);
    char how[96];
    if (sc.d.how == BYTEWISE && piece_of(pc->n) == 1)
        snprintf(how, sizeof how, "sent byte by byte");
    else if (sc.d.how == BYTEWISE)
        snprintf(how, sizeof how, "sent in pieces of %zu bytes",
                 piece_of(pc->n));
    else if (sc.d.how == SPLIT)
        snprintf(how, sizeof how, "sent as %zu bytes, then the rest", sc.d.at);
    else
        snprintf(how, sizeof how, "sent whole");
    fail_msg("%s: your parser and the reference differ on this request "
             "(%zu bytes, shrunk from %zu, %s): \"%s\" - the reference "
             "saw: %s - yours saw: %s",
             family, pc->n, before, how, esc, sc.d.ref, sc.d.mine);
}

/* ---- The generators: RFC 9112's grammar, with its mistakes ---- */

static struct pcase gen;
static void put(const char *s)
{
    size_t k = strlen(s);
    if (gen.n + k <= CASE_MAX) {
        memcpy(gen.b + gen.n, s, k);
        gen.n += k;
    }
}
static void put_n(char c, size_t k)
{
    if (gen.n + k <= CASE_MAX) {
        memset(gen.b + gen.n, c, k);
        gen.n += k;
    }
}

static const char *const methods[] = {"GET", "HEAD",   "OPTIONS", "POST",
                                      "PUT", "DELETE", "CONNECT", "get",
                                      "G@T", "X-Y!~",  "",        "GET\t"};
static const char *const targets[] = {
    "/",          "/plaintext",     "/a/b?x=1&y", "/?",
    "*",          "http://h",       "http://h/",  "http://h:80/plaintext?q",
    "HTTP://H/x", "https://h/x",    "http://h?q", "h:443",
    "localhost",  "example.com:80", "//x",        "",
    "/%41",       "ftp://h/x",      "*x",         "/a*"};
static const char *const versions[] = {
    "HTTP/1.1",  "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9",
    "HTTP/1.10", "http/1.1", "HTTP/11",  "HTTP/1.",  "HTTP/9.9"};
static const char *const plain_headers[] = {
    "Host: x",
    "Host: a.b:80",
    "host:x",
    "HOST:   x   ",
    "Connection: close",
    "Connection: keep-alive",
    "Connection: Keep-Alive, Upgrade",
    "Connection: upgrade,close",
    "Connection: closed",
    "User-Agent: t/1",
    "Accept: */*",
    "X-Empty:",
    "X-Tab: a\tb",
    "X-Obs-Text: caf\xc3\xa9",
    "Content-Length: 0",
    "Expect: 100-continue",
};

/* A request line from the grammar (mostly valid). */
static void put_request_line(struct oracle_rng *r, const char *eol)
{
    bool valid = oracle_below(r, 4) != 0;
    const char *m =
        valid ? ORACLE_PICK(r, ((const char *[]){"GET", "HEAD", "POST"}))
              : ORACLE_PICK(r, methods);
    const char *t =
        valid ? ORACLE_PICK(r, ((const char *[]){"/", "/plaintext", "/a?b"}))
              : ORACLE_PICK(r, targets);
    const char *v =
        valid || oracle_below(r, 2)
            ? ORACLE_PICK(r, ((const char *[]){"HTTP/1.1", "HTTP/1.0"}))
            : ORACLE_PICK(r, versions);
    put(m);
    put(" ");
    put(t);
    put(" ");
    put(v);
    put(eol);
}

/* A request of the grammar: request line, 0-5 headers, maybe a body. */
static void put_request(struct oracle_rng *r)
{
    const char *eol = oracle_below(r, 8) ? "\r\n" : "\n";
    if (oracle_below(r, 8) == 0)
        put(ORACLE_PICK(r, ((const char *[]){"\r\n", "\n", "\r\n\r\n"})));
    put_request_line(r, eol);
    if (oracle_below(r, 6))
        put("Host: x"), put(eol);
    int body = -1;
    for (unsigned h = oracle_below(r, 5); h > 0; h--) {
        const char *line = ORACLE_PICK(r, plain_headers);
        put(line);
        put(eol);
    }
    if (oracle_below(r, 4) == 0) {
        body = (int)oracle_below(r, 12);
        char cl[64];
        snprintf(cl, sizeof cl, "Content-Length: %d", body);
        put(cl);
        put(eol);
    }
    put(eol);
    if (body > 0)
        put_n('b', (size_t)body);
}

/* 1. The grammar: requests built at random from its parts, each sent
 * whole, byte by byte and split at every byte. */
static void test_oracle_grammar(void **state)
{
    (void)state;
    struct oracle_rng r = {0x9e3779b97f4a7c15ULL};
    for (int i = 0; i < 250; i++) {
        gen.n = 0;
        put_request(&r);
        check_case("a request of the RFC 9112 grammar", &gen, true);
    }
}

/* 2. Every request-target form with every method, every version. */
static void test_oracle_targets(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++)
        for (size_t t = 0; t < sizeof targets / sizeof *targets; t++)
            for (size_t v = 0; v < sizeof versions / sizeof *versions; v++) {
                if (v > 1 && (m > 2 || t > 5))
                    continue; /* odd versions with the common forms */
                gen.n = 0;
                put(methods[m]);
                put(" ");
                put(targets[t]);
                put(" ");
                put(versions[v]);
                put("\r\nHost: x\r\n\r\n");
                check_case("a request-target form", &gen, false);
            }
}

/* 3. Framing: Content-Length at and past every limit, overflowing,
 * signed, spaced, duplicated and conflicting; Transfer-Encoding;
 * every kind of Expect; bodies complete and short. */
static void test_oracle_framing(void **state)
{
    (void)state;
    static const char *const lengths[] = {"0",
                                          "1",
                                          "5",
                                          "4095",
                                          "4096",
                                          "4097",
                                          "0005",
                                          "18446744073709551617",
                                          "18446744073709551616",
                                          "4294967297",
                                          "99999999999999999999999",
                                          "999999999",
                                          "1000000000",
                                          "-1",
                                          "+5",
                                          " 5",
                                          "5 ",
                                          "0x10",
                                          "",
                                          "1e3",
                                          "00000000000000000000005",
                                          "5x",
                                          "\t7"};
    static const char *const expects[] = {
        NULL, "100-continue",      "100-Continue", "102-processing",
        "",   "100-continue, foo", "100-continuex"};
    static const char *const te[] = {NULL, "chunked", "identity",
                                     "gzip, chunked"};
    struct oracle_rng r = {0x1234567887654321ULL};
    for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++)
        for (size_t e = 0; e < sizeof expects / sizeof *expects; e++)
            for (int variant = 0; variant < 4; variant++) {
                gen.n = 0;
                put(oracle_below(&r, 3) ? "POST /up HTTP/1.1\r\n"
                                        : "GET / HTTP/1.0\r\n");
                put("Host: x\r\n");
                put("Content-Length: ");
                put(lengths[l]);
                put("\r\n");
                if (variant == 1) { /* a second one, conflicting */
                    put("Content-Length: ");
                    put(ORACLE_PICK(&r, lengths));
                    put("\r\n");
                }
                if (variant == 2 || (variant == 3 && oracle_below(&r, 2))) {
                    const char *t = te[1 + oracle_below(&r, 3)];
                    put("Transfer-Encoding: ");
                    put(t);
                    put("\r\n");
                }
                if (expects[e]) {
                    put("Expect: ");
                    put(expects[e]);
                    put("\r\n");
                }
                put("\r\n");
                /* The body: all of it, one byte short, or none yet. */
                char *end;
                long want = strtol(lengths[l], &end, 10);
                if (want > 0 && want <= 4200 && !*end) {
                    unsigned k = oracle_below(&r, 3);
                    put_n('b', k == 0   ? (size_t)want
                               : k == 1 ? (size_t)want - 1
                                        : 0);
                }
                check_case("framing (Content-Length, Transfer-Encoding, "
                           "Expect)",
                           &gen, gen.n < 600);
            }
}

/* 4. Every limit, one under, at and one over: the head (with padding in
 * a header, in the target, or in empty lines before the request line),
 * with and without its blank line; the body. */
static void test_oracle_limits(void **state)
{
    (void)state;
    for (int where = 0; where < 3; where++)
        for (int d = -2; d <= 2; d++)
            for (int blank = 0; blank < 2; blank++) {
                size_t want = (size_t)(HTTP_MAX_HEAD + d);
                gen.n = 0;
                if (where == 2) { /* empty lines first */
                    size_t lines = (want - 26) / 2;
                    for (size_t i = 0; i < lines; i++)
                        put("\r\n");
                    if ((want - 26) % 2)
                        put("\n");
                    put("GET / HTTP/1.1\r\nHost: x\r\n");
                } else if (where == 1) { /* a long target */
                    put("GET /");
                    put_n('t', want - 5 - 26);
                    put(" HTTP/1.1\r\nHost: x\r\n");
                } else { /* a long header */
                    put("GET / HTTP/1.1\r\nHost: x\r\nX: ");
                    put_n('h', want - 29 - 2 - 2);
                    put("\r\n");
                }
                if (blank)
                    put("\r\n");
                else
                    gen.n -= 2, put_n('v', 2); /* no line end yet */
                check_case("a head at the 8 KiB limit (one under, at, one "
                           "over)",
                           &gen, true);
            }
    for (int d = -2; d <= 2; d++)
        for (int sent = -1; sent <= 1; sent++) {
            size_t body = (size_t)(HTTP_MAX_BODY + d);
            char head[128];
            gen.n = 0;
            snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %zu"
                     "\r\n\r\n",
                     body);
            put(head);
            put_n('b', body + (size_t)(sent + 1) - 1);
            check_case("a body at the 4 KiB limit (one under, at, one over)",
                       &gen, false);
        }
}

/* 5. Bytes that do not belong: every control byte, DEL and obs-text at
 * random places of a valid request; obs-fold; bare LF and CR; empty
 * lines before the request line. */
static void test_oracle_controls(void **state)
{
    (void)state;
    static const char ctl[] = {0x00,       0x01, 0x08, 0x0b, 0x0c,
                               '\r',       '\n', 0x1f, 0x7f, (char)0x80,
                               (char)0xff, '\t', ' '};
    const char *base = "GET /p HTTP/1.1\r\nHost: x\r\nX-A: v\r\n\r\n";
    size_t bn = strlen(base);
    for (size_t at = 0; at < bn; at++)
        for (size_t c = 0; c < sizeof ctl; c++) {
            gen.n = 0;
            memcpy(gen.b, base, at);
            gen.b[at] = ctl[c];
            memcpy(gen.b + at + 1, base + at, bn - at);
            gen.n = bn + 1;
            check_case("a control byte, DEL or obs-text inside a request", &gen,
                       false);
        }
    static const char *const odd[] = {
        "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tfolded\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: x\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",
        "GET / HTTP/1.1\r\nHost: x\n\r\n",
        "GET / HTTP/1.1\rHost: x\r\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "\r\rGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX:\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        gen.n = 0;
        put(odd[i]);
        check_case("obs-fold, a bare LF or CR, empty lines or odd spaces", &gen,
                   true);
    }
}

/* 6. Pipelines: 2 to 4 requests in one buffer, sent whole, byte by byte
 * and split at every byte. */
static void test_oracle_pipelined(void **state)
{
    (void)state;
    struct oracle_rng r = {0x5151515151515151ULL};
    for (int i = 0; i < 60; i++) {
        gen.n = 0;
        for (unsigned k = 2 + oracle_below(&r, 3); k > 0; k--)
            put_request(&r);
        check_case("pipelined requests", &gen, true);
    }
}

/* 7. "req: filled on HTTP_COMPLETE and HTTP_ERROR": fastd answers an
 * error with http_write_status(), which sends a HEAD no body and tells
 * an HTTP/1.0 client apart, so an error found after a valid request line
 * (in a header, the framing, the limits) must leave that line's method
 * and version in req. Every method and version, every such error. */
static void test_oracle_error_fields(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "GET / HTTP/1.1",         "HEAD / HTTP/1.1", "HEAD /x?y HTTP/1.0",
        "POST /up HTTP/1.1",      "GET / HTTP/1.0",  "OPTIONS * HTTP/1.1",
        "HEAD http://h/ HTTP/1.1"};
    static const char *const errors[] = {
        "",
        "Host: x\r\nHost: y\r\n",
        "Host: x\r\nContent-Length: 5000\r\n",
        "Host: x\r\nContent-Length: 1x\r\n",
        "Host: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n",
        "Host: x\r\nContent-Length: 12345678901\r\n",
        "Host: x\r\nTransfer-Encoding: chunked\r\n",
        "Host: x\r\nExpect: 102-processing\r\n",
        "Host: x\r\nX: a\x01b\r\n",
        "Host: x\r\nX: a\r\n folded\r\n",
        "Host: x\r\nBad Name: x\r\n",
        "Host: x\r\n: x\r\n",
        "Host: x\r\nX: ",
    };
    show_error_fields = true;
    for (size_t l = 0; l < sizeof lines / sizeof *lines; l++)
        for (size_t e = 0; e < sizeof errors / sizeof *errors; e++) {
            gen.n = 0;
            put(lines[l]);
            put("\r\n");
            put(errors[e]);
            if (e + 1 == sizeof errors / sizeof *errors)
                put_n('h', HTTP_MAX_HEAD); /* 431: no blank line yet */
            else
                put("\r\n");
            check_case("an error after a valid request line", &gen,
                       gen.n < 600);
        }
    show_error_fields = false;
}

/* 8. Names are whole tokens: a method that only starts like GET, HEAD or
 * OPTIONS is another method; a header whose name only starts (or ends)
 * like Host, Connection, Content-Length, Transfer-Encoding or Expect is
 * another header; an empty Host is still a Host (RFC 9112 3.2). */
static void test_oracle_names(void **state)
{
    (void)state;
    static const char *const near_methods[] = {
        "GETS",  "GE",       "GET-",   "HEADER", "HEA",
        "HEAD1", "OPTIONSX", "OPTION", "XGET",   "GETHEAD"};
    static const char *const near_headers[] = {
        "Hosts: y",
        "Hos: y",
        "X-Host: y",
        "Host-Name: y",
        "Content-Lengths: 5",
        "Content-Length-X: 5",
        "Content-Lengt: 5",
        "X-Content-Length: 5",
        "Transfer-Encodings: chunked",
        "Transfer-Encodin: chunked",
        "Expects: 102-processing",
        "Expec: 102-processing",
        "Connections: close",
        "Connectio: close",
        "Connection-X: close",
        "Host:",
        "Host:   ",
        "Host:\t",
    };
    for (size_t m = 0; m < sizeof near_methods / sizeof *near_methods; m++)
        for (int t = 0; t < 2; t++) {
            gen.n = 0;
            put(near_methods[m]);
            put(t ? " * HTTP/1.1\r\nHost: x\r\n\r\n"
                  : " /a HTTP/1.1\r\nHost: x\r\n\r\n");
            check_case("a method that starts like another", &gen, true);
        }
    for (size_t h = 0; h < sizeof near_headers / sizeof *near_headers; h++)
        for (int v = 0; v < 4; v++) {
            gen.n = 0;
            put(v & 1 ? "POST / HTTP/1.0\r\n" : "POST / HTTP/1.1\r\n");
            if (v & 2)
                put("Host: x\r\n");
            put(near_headers[h]);
            put("\r\n\r\n");
            check_case("a header name that starts or ends like another", &gen,
                       true);
        }
}

/* 9. Long pipelines: a client sends as many requests as fastd's input
 * buffer holds (conn.h: CONN_IN_CAP, 16 KiB) in one write. The limits
 * are per request (8 KiB of head, 4 KiB of body), not on the bytes
 * after it: each request of such a buffer is served. */
static void test_oracle_long_pipelines(void **state)
{
    (void)state;
    static const char *const small[] = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "HEAD /plaintext HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
        "\r\n",
        "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    };
    const size_t cap = 16384; /* CONN_IN_CAP */
    for (size_t k = 0; k < sizeof small / sizeof *small; k++) {
        gen.n = 0;
        while (gen.n + strlen(small[k]) <= cap)
            put(small[k]);
        check_case("a pipeline of 16 KiB of small requests", &gen, false);
    }
    /* Three requests with bodies of the largest size, then small ones. */
    gen.n = 0;
    for (int i = 0; i < 3; i++) {
        char head[96];
        snprintf(head, sizeof head,
                 "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n",
                 HTTP_MAX_BODY);
        put(head);
        put_n('b', HTTP_MAX_BODY);
    }
    while (gen.n + strlen(small[0]) <= cap)
        put(small[0]);
    check_case("a pipeline of 16 KiB with bodies of 4 KiB", &gen, false);
    /* A head of almost 8 KiB, then small requests. */
    gen.n = 0;
    put("GET / HTTP/1.1\r\nHost: x\r\nX: ");
    put_n('h', HTTP_MAX_HEAD - 64);
    put("\r\n\r\n");
    while (gen.n + strlen(small[0]) <= cap)
        put(small[0]);
    check_case("a pipeline of 16 KiB after a head of almost 8 KiB", &gen,
               false);
}

/* 10. Connections in turn: fastd's request thread parses many
 * connections, one call for one, then another's; the only state a call
 * leaves is *scanned (and the caller's buffer). Two requests of the
 * grammar, delivered byte by byte to two connections in turn, must each
 * be parsed as if alone: the same answers as the reference's, each after
 * the same number of that connection's bytes. */
static void test_oracle_interleaved(void **state)
{
    (void)state;
    static struct pcase other;
    static char mine[2][1024], ref[2][1024];
    struct oracle_rng r = {0x0ddba11cafef00dULL};
    for (int i = 0; i < 200; i++) {
        gen.n = 0;
        put_request(&r);
        other = gen;
        gen.n = 0;
        put_request(&r);
        const struct pcase *pc[2] = {&other, &gen};
        struct tconn m[2], f[2];
        for (int c = 0; c < 2; c++) {
            tconn_init(&m[c], pc[c]->b, mine[c], sizeof mine[c]);
            tconn_init(&f[c], pc[c]->b, ref[c], sizeof ref[c]);
            m[c].stamp = f[c].stamp = true; /* when, not only what */
        }
        size_t most = other.n > gen.n ? other.n : gen.n;
        for (size_t have = 1; have <= most; have++)
            for (int c = 0; c < 2; c++)
                if (have <= pc[c]->n) {
                    tconn_step(http_parse, &m[c], have);
                    tconn_step(ref_http_parse, &f[c], have);
                }
        if (strcmp(mine[0], ref[0]) == 0 && strcmp(mine[1], ref[1]) == 0)
            continue;
        static char ea[600], eb[600];
        oracle_escape(other.b, other.n, ea, sizeof ea);
        oracle_escape(gen.b, gen.n, eb, sizeof eb);
        fail_msg("two connections, byte by byte in turn: A \"%s\" and B "
                 "\"%s\" - the reference saw A: %s B: %s - yours saw A: %s "
                 "B: %s (if the other test_oracle_* tests pass, each "
                 "request alone is parsed as the reference does, and this "
                 "difference is state kept between calls outside *scanned, "
                 "such as a static; if they fail, fix them first)",
                 ea, eb, ref[0], ref[1], mine[0], mine[1]);
    }
}

/* 11. buf is const (http.h): the parser looks at the caller's bytes and
 * never writes them. fastd parses a connection's buffer in place, and
 * parses a head again when its body has not all arrived: a byte changed
 * by one call (a NUL to end a string, a name put in lower case) is what
 * the next call reads. Requests of the grammar, framing with bodies to
 * come, pipelines: after every call the bytes must be as they were. */
static void test_oracle_buffer_const(void **state)
{
    (void)state;
    struct oracle_rng r = {0xc0a57c0a57ULL};
    check_const = true;
    for (int i = 0; i < 120; i++) {
        gen.n = 0;
        for (unsigned k = 1 + oracle_below(&r, 2); k > 0; k--)
            put_request(&r);
        check_case("the caller's buffer after each call", &gen, true);
    }
    static const char *const heads[] = {
        "POST /up?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Connection: keep-alive\r\nExpect: 100-continue\r\n\r\nhello",
        "GET http://h/p HTTP/1.0\r\nConnection: Keep-Alive\r\n"
        "Content-Length: 0003\r\n\r\nabc",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\nX-A: v  \r\n\r\n",
    };
    for (size_t h = 0; h < sizeof heads / sizeof *heads; h++) {
        gen.n = 0;
        put(heads[h]);
        check_case("the caller's buffer after each call", &gen, true);
    }
    check_const = false;
}

/* 12. Names and tokens are case-insensitive (RFC 9110 5.1, 7.6.1,
 * 10.1.1): Host, Connection, Content-Length, Transfer-Encoding and
 * Expect in any case, and the tokens close, keep-alive and 100-continue
 * in any case. A body framed by a lower-case content-length, with a
 * request behind it, shows whether it was framed. */
static void test_oracle_case(void **state)
{
    (void)state;
    static const char *const fields[][2] = {
        {"Host", "x"},
        {"Connection", "close"},
        {"Connection", "keep-alive"},
        {"Connection", "Close"},
        {"Connection", "CLOSE"},
        {"Connection", "Upgrade, CLOSE"},
        {"Connection", "KEEP-ALIVE"},
        {"Connection", "Keep-Alive, cLoSe"},
        {"Content-Length", "3"},
        {"Transfer-Encoding", "chunked"},
        {"Expect", "100-continue"},
        {"Expect", "100-CONTINUE"},
        {"Expect", "FOO"},
    };
    char name[32];
    for (size_t f = 0; f < sizeof fields / sizeof *fields; f++)
        for (int spell = 0; spell < 4; spell++)
            for (int minor = 0; minor < 2; minor++) {
                const char *n = fields[f][0];
                size_t k = strlen(n);
                for (size_t i = 0; i <= k; i++) {
                    char c = n[i];
                    if (spell == 1 && c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a'); /* lower */
                    else if (spell == 2 && c >= 'a' && c <= 'z')
                        c = (char)(c - 'a' + 'A'); /* upper */
                    else if (spell == 3 && i % 2 && c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a'); /* mixed */
                    else if (spell == 3 && !(i % 2) && c >= 'a' && c <= 'z')
                        c = (char)(c - 'a' + 'A');
                    name[i] = c;
                }
                bool host = f == 0;
                gen.n = 0;
                put(minor ? "POST /up HTTP/1.1\r\n" : "POST /up HTTP/1.0\r\n");
                if (!host)
                    put("Host: x\r\n");
                put(name);
                put(": ");
                put(fields[f][1]);
                put("\r\n");
                if (strcmp(fields[f][0], "Expect") == 0)
                    put("Content-Length: 3\r\n\r\nab"); /* a byte to come */
                else if (strcmp(fields[f][0], "Content-Length") == 0)
                    put("\r\nabcGET / HTTP/1.1\r\nHost: x\r\n\r\n");
                else
                    put("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
                check_case("a name or token in another case", &gen, true);
            }
}

/* 13. The head's limit is its bytes (HTTP_MAX_HEAD), not a number of
 * lines: heads of many short header lines, all under 8 KiB, are
 * served as the reference serves them. */
static void test_oracle_many_headers(void **state)
{
    (void)state;
    static const int counts[] = {15,  31,  32,  33,  64,  65,  100,
                                 128, 129, 255, 256, 257, 1000};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
        for (int shape = 0; shape < 2; shape++) {
            gen.n = 0;
            put("GET / HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < counts[c]; i++)
                put(shape ? "a:b\r\n" : "X-Hdr: value\r\n");
            put("\r\n");
            if (gen.n > HTTP_MAX_HEAD)
                continue;
            put("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            check_case("a head of many short header lines", &gen,
                       counts[c] <= 64);
        }
}

/* 14. Connection is a comma-separated list (RFC 9110 5.6.1): optional
 * whitespace, spaces or tabs, around each comma, and empty elements, in
 * front of or behind the token that decides (close, keep-alive); with a
 * request behind it, which shows whether the connection was kept. */
static void test_oracle_token_lists(void **state)
{
    (void)state;
    static const char *const seps[] = {",",   ", ",    ",\t", "\t,",
                                       " , ", "\t,\t", ",,",  ", ,\t"};
    static const char *const pairs[][2] = {{"foo", "close"},
                                           {"close", "foo"},
                                           {"keep-alive", "close"},
                                           {"foo", "keep-alive"},
                                           {"Upgrade", "Keep-Alive"}};
    for (size_t k = 0; k < sizeof seps / sizeof *seps; k++)
        for (size_t t = 0; t < sizeof pairs / sizeof *pairs; t++)
            for (int minor = 0; minor < 2; minor++) {
                gen.n = 0;
                put(minor ? "GET / HTTP/1.1\r\n" : "GET / HTTP/1.0\r\n");
                put("Host: x\r\nConnection: ");
                put(pairs[t][0]);
                put(seps[k]);
                put(pairs[t][1]);
                put("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
                check_case("a Connection list with spaces and tabs around "
                           "its commas",
                           &gen, false);
            }
}

/* 14b. A Connection token is a whole list element: close or keep-alive
 * inside a longer token (x-close, closed, keep-alive-ish) is another
 * token, which a server ignores (RFC 9110 7.6.1); with a request behind
 * it, which shows whether the connection was kept. */
static void test_oracle_token_words(void **state)
{
    (void)state;
    static const char *const values[] = {"x-close",
                                         "closed",
                                         "unclosed",
                                         "close-ish",
                                         "keep-alive-x",
                                         "x-keep-alive",
                                         "keep-alivee",
                                         "foo, x-close",
                                         "closex, foo",
                                         "Upgrade, Keep-Alive-Timeout",
                                         "keep-alive, x-close"};
    for (size_t k = 0; k < sizeof values / sizeof *values; k++)
        for (int minor = 0; minor < 2; minor++) {
            gen.n = 0;
            put(minor ? "GET / HTTP/1.1\r\n" : "GET / HTTP/1.0\r\n");
            put("Host: x\r\nConnection: ");
            put(values[k]);
            put("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
            check_case("a Connection token that only contains close or "
                       "keep-alive (a whole list element decides, not a "
                       "substring)",
                       &gen, false);
        }
}

/* 14c. A method and a header name are tokens (RFC 9110 5.6.2): letters,
 * digits and the 15 symbols !#$%&'*+-.^_`|~, each of them, are token
 * characters; the other visible characters (the delimiters "(),/:;<=>?@[\]{}
 * and the double quote) are not. Each printable ASCII character inside a
 * method and inside a header name, with a request behind it. */
static void test_oracle_token_chars(void **state)
{
    (void)state;
    for (int ch = 0x21; ch < 0x7f; ch++) {
        char c[2] = {(char)ch, 0};
        for (int where = 0; where < 2; where++) {
            gen.n = 0;
            if (where == 0) { /* in a method */
                put("M");
                put(c);
                put("X / HTTP/1.1\r\nHost: x\r\n\r\n");
            } else { /* in a header name */
                put("GET / HTTP/1.1\r\nHost: x\r\nX");
                put(c);
                put("Y: 1\r\n\r\n");
            }
            put("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            check_case(where ? "a header name holding one printable character "
                               "(a token character or a delimiter)"
                             : "a method holding one printable character (a "
                               "token character or a delimiter)",
                       &gen, false);
        }
    }
}

/* 15. Two request threads parse at once, as fastd's do (one parser for
 * every thread): a call keeps nothing outside its arguments, so that
 * neither sees the other's bytes. Each thread parses its own requests,
 * whole and split in two, many times over, and must get the answers the
 * reference gives each alone. (Under ThreadSanitizer, the tsan line, a
 * scratch buffer or a flag kept in a static is a data race even when
 * the answers happen to come out right.) */
#define TWO_REQS 4
static const char *const two_reqs[2][TWO_REQS] = {
    {"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: "
     "close\r\n\r\nhello",
     "GET /aa?q HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
     "PUT http://h/up HTTP/1.1\r\nhost: y\r\nContent-Length: 0012\r\nExpect: "
     "100-continue\r\n\r\n0123456789ab",
     "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"},
    {"GET /bbbbbbbb HTTP/1.1\r\nHost: z\r\nContent-Length: 000\r\n\r\n",
     "OPTIONS * HTTP/1.1\r\nHost: w\r\nConnection: keep-alive, "
     "close\r\n\r\n",
     "POST /c HTTP/1.1\r\nHost: v\r\ncontent-length: 3\r\n\r\nabc",
     "GET / HTTP/3.0\r\nHost: q\r\n\r\n"}};

/* A call's answer in words: what a caller can see. */
static void two_outcome(enum http_parse_result r, const struct http_request *q,
                        char *out, size_t cap)
{
    if (r == HTTP_COMPLETE)
        snprintf(out, cap, "complete %s path %zu bytes HTTP/1.%d %s, %zu bytes",
                 method_name(q->method), q->path_len, q->minor,
                 q->keep_alive ? "keep-alive" : "close", q->length);
    else if (r == HTTP_ERROR)
        snprintf(out, cap, "error %d", q->status);
    else
        snprintf(out, cap, "incomplete");
}

struct two_arg {
    int t;
    pthread_barrier_t *go;
    char want[TWO_REQS][160];
    char seen[400]; /* the first wrong answer, or "" */
};

static void *two_run(void *arg)
{
    struct two_arg *a = arg;
    pthread_barrier_wait(a->go);
    for (int i = 0; i < 1500 && !a->seen[0]; i++)
        for (int k = 0; k < TWO_REQS && !a->seen[0]; k++) {
            const char *b = two_reqs[a->t][k];
            size_t n = strlen(b), cut = 1 + (size_t)i % (n - 1);
            struct http_request q = {.method = HTTP_OTHER};
            size_t scanned = 0;
            enum http_parse_result r = http_parse(b, cut, &scanned, &q);
            if (r != HTTP_ERROR) {
                memset(&q, 0, sizeof q);
                q.method = HTTP_OTHER;
                r = http_parse(b, n, &scanned, &q);
            }
            char got[160];
            two_outcome(r, &q, got, sizeof got);
            if (strcmp(got, a->want[k]) != 0)
                snprintf(a->seen, sizeof a->seen,
                         "thread %d, round %d, request %d given in two parts "
                         "(%zu + %zu bytes): %s; alone, the reference says "
                         "%s",
                         a->t + 1, i + 1, k + 1, cut, n - cut, got, a->want[k]);
        }
    return NULL;
}

static void test_parse_in_two_threads(void **state)
{
    (void)state;
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    static struct two_arg args[2];
    for (int t = 0; t < 2; t++) {
        args[t].t = t;
        args[t].go = &go;
        args[t].seen[0] = 0;
        for (int k = 0; k < TWO_REQS; k++) {
            struct http_request q = {.method = HTTP_OTHER};
            size_t scanned = 0;
            const char *b = two_reqs[t][k];
            enum http_parse_result r =
                ref_http_parse(b, strlen(b), &scanned, &q);
            two_outcome(r, &q, args[t].want[k], sizeof args[t].want[k]);
        }
    }
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        if (pthread_create(&th[t], NULL, two_run, &args[t]) != 0)
            fail_msg("pthread_create failed");
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&go);
    for (int t = 0; t < 2; t++)
        if (args[t].seen[0])
            fail_msg("two threads parsing at once, each its own requests: "
                     "%s (a call may keep nothing outside its arguments: "
                     "fastd's request threads share the parser)",
                     args[t].seen);
}

static const struct graded table[] = {
    GRADED(test_simple_get, 1, 1),
    GRADED(test_split_reads, 1, 1),
    GRADED(test_resumes_scan, 2, 2),
    GRADED(test_pipelining, 3, 1),
    GRADED(test_methods, 1, 3),
    GRADED(test_errors, 2, 3),
    GRADED(test_early_reject, 2, 2),
    GRADED(test_head_limit, 2, 2),
    GRADED(test_endless_request_line, 1, 2),
    GRADED(test_body, 2, 3),
    GRADED(test_keep_alive_rules, 2, 3),
    GRADED(test_oracle_grammar, 3, 4),
    GRADED(test_oracle_targets, 2, 4),
    GRADED(test_oracle_framing, 3, 4),
    GRADED(test_oracle_limits, 2, 4),
    GRADED(test_oracle_controls, 2, 4),
    GRADED(test_oracle_pipelined, 2, 4),
    GRADED(test_oracle_error_fields, 2, 4),
    GRADED(test_oracle_names, 2, 4),
    GRADED(test_oracle_long_pipelines, 2, 4),
    GRADED(test_oracle_interleaved, 2, 4),
    GRADED(test_oracle_buffer_const, 2, 4),
    GRADED(test_oracle_case, 2, 4),
    GRADED(test_oracle_many_headers, 1, 4),
    GRADED(test_parse_in_two_threads, 1, 2),
    GRADED(test_oracle_token_lists, 1, 3),
    GRADED(test_oracle_token_words, 1, 3),
    GRADED(test_oracle_token_chars, 1, 4),
};
GRADED_MAIN(table)
