/*
 * Exercise 05: the request parser - your version of fastd's
 * reference-server/http_parse.c, behind reference-server/http.h.
 *
 * This starter works, naively: it parses only a whole, simple GET that
 * arrived in one read - the buffer must end with the blank line - and
 * takes the whole buffer as that one request. curl is served; pipelined
 * requests are swallowed, HEAD and POST get 400, a head that never ends is
 * never answered, and every call rescans the buffer from the start.
 *
 * TODO 1: find the end of the head (the first blank line) wherever it is,
 *         and set req->length to that request's bytes only, so that the
 *         pipelined requests behind it are parsed next.
 * TODO 2: resume the search at *scanned (the contract in http.h): a client
 *         sending byte by byte must cost O(n), not O(n^2).
 * TODO 3: check the request line as soon as it is whole: any token method
 *         (GET, HEAD, others are HTTP_OTHER), a target of visible ASCII
 *         ("/path", "http://h/path", "*" for OPTIONS, "host:port" for
 *         a method fastd does not serve: hint 4), HTTP/1.0 or 1.1
 *         (505 for other versions, 400 for garbage), checked in that
 *         order: method, target, version.
 * TODO 4: the headers: Host (exactly one in 1.1), Connection (close,
 *         keep-alive; HTTP/1.0 closes by default), Content-Length (a body of
 *         at most HTTP_MAX_BODY, 413 past it), no Transfer-Encoding, no
 *         line folding; 431 past HTTP_MAX_HEAD.
 * Never read buf past len.
 */
#include "reference-server/http.h"

#include <string.h>

enum http_parse_result http_parse(const char *buf, size_t len, size_t *scanned,
                                  struct http_request *req)
{
    (void)scanned; /* TODO 2 */
    /* TODO 1: only a request that ends exactly at len is seen. */
    if (len < 4 || memcmp(buf + len - 4, "\r\n\r\n", 4) != 0)
        return HTTP_INCOMPLETE;
    /* TODO 3: "GET /path HTTP/1.x" and nothing else. */
    const char *sp = memchr(buf, ' ', len);
    const char *sp2 =
        sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - buf)) : NULL;
    if (!sp || sp - buf != 3 || memcmp(buf, "GET", 3) != 0 || !sp2 ||
        sp[1] != '/' || len - (size_t)(sp2 - buf) < 9 ||
        memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
        req->status = 400;
        req->error = "not a simple GET";
        return HTTP_ERROR;
    }
    req->method = HTTP_GET;
    req->path = sp + 1;
    req->path_len = (size_t)(sp2 - sp - 1);
    req->minor = sp2[8] == '0' ? 0 : 1;
    /* TODO 4: headers are not looked at. */
    req->keep_alive = req->minor == 1;
    req->length = len;
    req->status = 200;
    req->error = NULL;
    return HTTP_COMPLETE;
}
