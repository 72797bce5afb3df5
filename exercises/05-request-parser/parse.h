/* Exercise 05: an incremental HTTP/1.1 request parser. You edit parse.c. */
#ifndef EX05_PARSE_H
#define EX05_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define MAX_HEAD 8192 /* request line + headers; beyond: 431 */

enum parse_result {
    PARSE_INCOMPLETE = 0,
    PARSE_COMPLETE = 1,
    PARSE_ERROR = -1
};
enum method { M_GET, M_HEAD, M_OTHER };

struct request {
    enum method method;
    const char *path; /* into the buffer; no query string */
    size_t path_len;
    int minor;       /* HTTP/1.<minor> */
    bool keep_alive; /* from the version and the Connection header */
    size_t length;   /* bytes this request used (its head; no bodies here) */
    int status;      /* on PARSE_ERROR: 400, 431 or 505 */
};

/* Parse the request at buf[0..len). *scanned is yours to keep progress
 * between calls on the same request (start at 0; the caller resets it to 0
 * after each complete request). The buffer is NOT NUL-terminated. */
enum parse_result parse_request(const char *buf, size_t len, size_t *scanned,
                                struct request *req);

#endif
