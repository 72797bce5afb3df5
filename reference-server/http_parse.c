/*
 * HTTP/1.1 request parsing (exercise 05 replaces this file; http.c keeps
 * the responses).
 *
 * The parser works in two steps. While the head (request line + headers)
 * is incomplete it only searches for the blank line that ends it, resuming
 * where the last call stopped, and checks the request line as soon as it
 * is whole, so that a client speaking nonsense is answered at once instead
 * of after 8 KiB. When the head is complete it is parsed in one pass.
 */
#include "reference-server/http.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 token characters: what a method or header name may hold. */
static bool is_tchar(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return true;
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c >= '0' && c <= '9')
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static enum http_parse_result fail(struct http_request *req, int status,
                                   const char *why)
{
    req->status = status;
    req->error = why;
    return HTTP_ERROR;
}

/* Length of the line ending at buf[lf] ('\n'), without its CR. */
static size_t line_len(const char *line, const char *lf)
{
    size_t n = (size_t)(lf - line);
    return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
}

//! [request target]
/*
 * The request target's four forms (RFC 9112 3.2): origin-form "/path?q";
 * absolute-form "http://host/path?q", which a server must accept (the
 * path is what counts here); asterisk-form "*", for OPTIONS only; and
 * authority-form, for CONNECT only, which fastd answers with 405 as any
 * other method it does not serve.
 */
static enum http_parse_result parse_target(const char *t, size_t n,
                                           struct http_request *req)
{
    if (n == 1 && t[0] == '*') {
        if (req->method != HTTP_OPTIONS)
            return fail(req, 400, "'*' is a target for OPTIONS only");
        req->path = t;
        req->path_len = 1;
        return HTTP_COMPLETE;
    }
    if (t[0] != '/') {
        size_t scheme = n >= 7 && !strncasecmp(t, "http://", 7)    ? 7
                        : n >= 8 && !strncasecmp(t, "https://", 8) ? 8
                                                                   : 0;
        if (req->method == HTTP_OTHER && memchr(t, ':', n))
            scheme = scheme ? scheme : n; /* authority-form: no path */
        if (scheme == 0)
            return fail(req, 400, "bad request target");
        const char *path = memchr(t + scheme, '/', n - scheme);
        if (!path) { /* "http://host" or "http://host?q" means "/" */
            req->path = "/";
            req->path_len = 1;
            return HTTP_COMPLETE;
        }
        n -= (size_t)(path - t);
        t = path;
    }
    req->path = t;
    const char *query = memchr(t, '?', n);
    req->path_len = query ? (size_t)(query - t) : n;
    return HTTP_COMPLETE;
}
//! [request target]

/* Check and take apart "METHOD SP target SP HTTP/1.x". */
static enum http_parse_result parse_request_line(const char *p, size_t n,
                                                 struct http_request *req)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i == n || p[i] != ' ')
        return fail(req, 400, "bad method");
    req->method = HTTP_OTHER;
    if (i == 3 && memcmp(p, "GET", 3) == 0)
        req->method = HTTP_GET;
    else if (i == 4 && memcmp(p, "HEAD", 4) == 0)
        req->method = HTTP_HEAD;
    else if (i == 7 && memcmp(p, "OPTIONS", 7) == 0)
        req->method = HTTP_OPTIONS;

    size_t t = ++i;
    while (i < n && p[i] > ' ' && p[i] < 0x7f)
        i++;
    if (i == t || i == n || p[i] != ' ')
        return fail(req, 400, "bad request target");
    if (parse_target(p + t, i - t, req) != HTTP_COMPLETE)
        return HTTP_ERROR;

    const char *v = p + i + 1;
    size_t vlen = n - i - 1;
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' ||
        v[5] > '9' || v[7] < '0' || v[7] > '9')
        return fail(req, 400, "bad version");
    if (v[5] != '1' || v[7] > '1')
        return fail(req, 505, "unsupported version");
    req->minor = v[7] - '0';
    return HTTP_COMPLETE;
}

/* Does the comma-separated header value hold this token? */
static bool has_token(const char *v, size_t n, const char *token)
{
    size_t tn = strlen(token);
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (i - s == tn && strncasecmp(v + s, token, tn) == 0)
            return true;
    }
    return false;
}

static bool name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Walk the header lines between the request line and the blank line. */
static enum http_parse_result parse_headers(const char *p, const char *end,
                                            struct http_request *req,
                                            size_t *body)
{
    bool close = false, keep = false;
    int hosts = 0;
    long length = -1;

    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        size_t n = line_len(p, lf);
        if (n == 0)
            break; /* the blank line */
        if (p[0] == ' ' || p[0] == '\t')
            return fail(req, 400, "obsolete line folding");
        size_t c = 0;
        while (c < n && is_tchar((unsigned char)p[c]))
            c++;
        if (c == 0 || c == n || p[c] != ':')
            return fail(req, 400, "bad header name");
        const char *v = p + c + 1, *ve = p + n;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        /* RFC 9110 5.5: a value holds visible characters, spaces and
         * tabs, and obs-text (0x80-0xff); controls and DEL are none. */
        for (const char *q = v; q < ve; q++)
            if (((unsigned char)*q < ' ' && *q != '\t') || *q == 0x7f)
                return fail(req, 400, "control character in header");
        size_t vn = (size_t)(ve - v);

        if (name_is(p, c, "connection")) {
            close |= has_token(v, vn, "close");
            keep |= has_token(v, vn, "keep-alive");
        } else if (name_is(p, c, "host")) {
            hosts++;
        } else if (name_is(p, c, "transfer-encoding")) {
            return fail(req, 400, "request bodies must use Content-Length");
        } else if (name_is(p, c, "expect")) {
            /* RFC 9110 10.1.1: 100-continue is the only expectation;
             * an HTTP/1.0 client's is ignored. */
            if (vn != 12 || strncasecmp(v, "100-continue", 12) != 0)
                return fail(req, 417, "unknown expectation");
            req->expect_continue = req->minor == 1;
        } else if (name_is(p, c, "content-length")) {
            /* RFC 9112 6.3: a value that is not a number is a framing
             * error (400), whatever its length; only a number too long
             * for any body we take is 413. Leading zeros are digits of
             * the same number (0005 is 5): they do not count. Nine digits
             * cannot overflow. */
            long v_num = 0;
            size_t z = 0;
            for (size_t k = 0; k < vn; k++)
                if (v[k] < '0' || v[k] > '9')
                    return fail(req, 400, "bad Content-Length");
            while (z + 1 < vn && v[z] == '0')
                z++;
            if (vn == 0 || vn - z > 9)
                return fail(req, vn ? 413 : 400, "bad Content-Length");
            for (size_t k = z; k < vn; k++)
                v_num = v_num * 10 + (v[k] - '0');
            if (length >= 0 && length != v_num)
                return fail(req, 400, "conflicting Content-Length");
            length = v_num;
        }
        p = lf + 1;
    }
    //! [keep alive]
    if (req->minor == 1 && hosts != 1)
        return fail(req, 400, "HTTP/1.1 needs exactly one Host header");
    if (length > HTTP_MAX_BODY)
        return fail(req, 413, "body too large");
    req->keep_alive = req->minor == 1 ? !close : keep && !close;
    *body = length > 0 ? (size_t)length : 0;
    //! [keep alive]
    return HTTP_COMPLETE;
}

enum http_parse_result http_parse(const char *buf, size_t len, size_t *scanned,
                                  struct http_request *req)
{
    /* RFC 9112 2.2: ignore empty lines before a request line. */
    size_t start = 0;
    while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
        start++;
    if (start > HTTP_MAX_HEAD)
        return fail(req, 431, "too many empty lines");

    //! [head search]
    /* Search for the blank line that ends the head, from where we were. */
    size_t i = *scanned > start ? *scanned : start, end = 0;
    size_t resume = len;
    const char *lf;
    while ((lf = memchr(buf + i, '\n', len - i)) != NULL) {
        resume = (size_t)(lf - buf);
        i = resume + 1;
        if (i < len && buf[i] == '\n') {
            end = i + 1;
            break;
        }
        if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n') {
            end = i + 2;
            break;
        }
    }
    /* Resume at the last line end: the blank line may be half-read, or
     * (head complete, body not) must be found again next time. */
    *scanned = resume;
    //! [head search]

    //! [head limits]
    const char *line = buf + start;
    const char *line_end = memchr(line, '\n', len - start);
    if (line_end) {
        enum http_parse_result r =
            parse_request_line(line, line_len(line, line_end), req);
        if (r != HTTP_COMPLETE)
            return r;
    }
    /* The empty lines before the request line count as head too: then
     * head plus body always fits a connection's input buffer (conn.h). */
    if (end == 0 && len >= HTTP_MAX_HEAD)
        return fail(req, 431, "request head over 8 KiB");
    if (end == 0)
        return HTTP_INCOMPLETE;
    if (end > HTTP_MAX_HEAD)
        return fail(req, 431, "request head over 8 KiB");

    size_t body;
    req->expect_continue = false;
    enum http_parse_result r =
        parse_headers(line_end + 1, buf + end, req, &body);
    if (r != HTTP_COMPLETE)
        return r;
    /* Only a body still to come needs the 100 (Content-Length: 0 does
     * not); expect_continue tells the caller to send it. */
    req->expect_continue &= len - end < body;
    if (len - end < body)
        return HTTP_INCOMPLETE;
    req->length = end + body;
    req->status = 200;
    req->error = NULL;
    return HTTP_COMPLETE;
    //! [head limits]
}
