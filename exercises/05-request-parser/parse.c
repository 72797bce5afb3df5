/* Exercise 05 - see README.md. Replace each TODO with working code. */
#include "parse.h"

#include <string.h>

enum parse_result parse_request(const char *buf, size_t len, size_t *scanned,
                                struct request *req)
{
    (void)scanned;
    /* The head ends with an empty line. */
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    /* TODO 2: a head that grows past MAX_HEAD without ending is a 431. */
    if (!end)
        return PARSE_INCOMPLETE;
    /* Request line: METHOD SP target SP HTTP/1.x */
    const char *sp1 = memchr(buf, ' ', (size_t)(end - buf));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : 0;
    /* TODO 3: reject what is not "METHOD SP /path SP HTTP/1.x" with 400,
     * and a well-formed version other than 1.0 or 1.1 with 505. */
    if (!sp1 || !sp2) {
        req->status = 400;
        return PARSE_ERROR;
    }
    req->method = sp1 - buf == 3 && !memcmp(buf, "GET", 3)    ? M_GET
                  : sp1 - buf == 4 && !memcmp(buf, "HEAD", 4) ? M_HEAD
                                                              : M_OTHER;
    req->path = sp1 + 1;
    req->path_len = (size_t)(sp2 - sp1 - 1);
    req->minor = 1;
    /* TODO 4: HTTP/1.0 closes unless "Connection: keep-alive"; HTTP/1.1
     * keeps alive unless "Connection: close". */
    req->keep_alive = true;
    /* TODO 1: the request ends at the empty line, not at the end of the
     * buffer - several requests may be waiting (pipelining). */
    req->length = len;
    req->status = 200;
    return PARSE_COMPLETE;
}
