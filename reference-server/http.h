/**
 * \file
 * \brief HTTP/1.1 in one page: an incremental request parser and the
 *        responses fastd sends.
 *
 * The parser never allocates and never copies: it looks at the bytes a
 * connection has buffered and says whether a whole request is there yet.
 * A request split across many reads costs one scan of each byte (the
 * caller keeps the scan position in `scanned`), and many pipelined requests
 * in one read are taken one after the other from the same buffer.
 */
#ifndef FASTD_HTTP_H
#define FASTD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/** Request line plus headers may not exceed this; past it the answer is 431. */
#define HTTP_MAX_HEAD 8192
/** A GET or HEAD may carry a body this big (it is read and discarded). */
#define HTTP_MAX_BODY 4096
/** Room for the longest fixed response fastd writes (all but /stats). */
#define HTTP_MAX_RESPONSE 512

/** What http_parse() found. */
enum http_parse_result {
    HTTP_INCOMPLETE = 0, /**< need more bytes; call again when they arrive */
    HTTP_COMPLETE = 1,   /**< one request parsed into the http_request */
    HTTP_ERROR = -1,     /**< bad input; http_request::status says why */
};

/** The methods fastd tells apart; any other valid token is HTTP_OTHER. */
enum http_method {
    HTTP_GET,     /**< GET */
    HTTP_HEAD,    /**< HEAD */
    HTTP_OTHER,   /**< a method fastd does not serve (405) */
    HTTP_OPTIONS, /**< OPTIONS: `*` is answered, other targets get 405 */
};

/** One parsed request. Pointers point into the caller's buffer. */
struct http_request {
    enum http_method method; /**< GET, HEAD or another method */
    const char *path;        /**< the target's path, without the query
                                  ("/" for "http://host", "*" for
                                  OPTIONS *, "/" for an authority-form
                                  "host:port", taken only with a method
                                  fastd does not serve) */
    size_t path_len;         /**< length of path */
    int minor;               /**< 0 for HTTP/1.0, 1 for HTTP/1.1 */
    bool keep_alive;         /**< after the version and Connection header */
    size_t length;           /**< bytes this request used, body included */
    bool expect_continue;    /**< head complete, body not yet, and the
                                  client waits for `100 Continue` (set on
                                  HTTP_INCOMPLETE; HTTP/1.1 only, as an
                                  HTTP/1.0 request's is ignored) */
    int status;              /**< on HTTP_ERROR: 400, 413, 417, 431, 505 */
    const char *error;       /**< on HTTP_ERROR: a short reason, for logs */
};

/* [parse seam] */
/**
 * Parse the request at the start of buf.
 *
 * \param buf      buffered bytes; the request starts at buf[0]
 * \param len      number of bytes in buf
 * \param scanned  in/out: how far earlier calls already searched for the
 *                 end of the head; start at 0 and reset to 0 after each
 *                 complete request (it makes a byte-by-byte client cost
 *                 O(n), not O(n^2))
 * \param req      filled on HTTP_COMPLETE and HTTP_ERROR
 * \return HTTP_COMPLETE, HTTP_INCOMPLETE or HTTP_ERROR.
 */
enum http_parse_result http_parse(const char *buf, size_t len, size_t *scanned,
                                  struct http_request *req);
/* [parse seam] */

/** An HTTP date ("Tue, 24 Nov 2026 15:07:36 GMT"), rebuilt once a second. */
struct http_date {
    long second;   /**< the CLOCK_REALTIME second text was made for */
    char text[32]; /**< the date, NUL-terminated */
};

/**
 * Bring the cached date up to now. Formatting a date costs ~1 us (gmtime
 * and strftime); doing it once a second per thread instead of once per
 * response keeps it off the hot path.
 */
void http_date_refresh(struct http_date *date, long now_second);

/**
 * Write the response to a GET or HEAD of "/" or "/plaintext".
 * \return bytes written to out (at most HTTP_MAX_RESPONSE).
 */
size_t http_write_hello(char *out, const struct http_request *req,
                        bool keep_alive, const struct http_date *date);

/**
 * Write an error response with `Connection: close` and a short text body.
 * Same as http_write_status() for a GET that may not be kept alive.
 * \param out    room for HTTP_MAX_RESPONSE bytes
 * \param status 400, 404, 405, 413, 417, 431 or 505
 * \param date   the cached Date header
 * \return bytes written to out (at most HTTP_MAX_RESPONSE).
 */
size_t http_write_error(char *out, int status, const struct http_date *date);

/**
 * Write a response with a status other than 200 and a short text body.
 * \param out        room for HTTP_MAX_RESPONSE bytes
 * \param status     an error status (as for http_write_error())
 * \param req        the request it answers: HEAD gets the head only
 *                   (RFC 9112 6.3: a body would be read as the next
 *                   response), HTTP/1.0 kept alive is told so; NULL for
 *                   a request line too broken to tell
 * \param keep_alive false adds `Connection: close`
 * \param date       the cached Date header
 * \return bytes written to out (at most HTTP_MAX_RESPONSE).
 */
size_t http_write_status(char *out, int status, const struct http_request *req,
                         bool keep_alive, const struct http_date *date);

/**
 * Write the head of a 200 response whose body the caller writes after it
 * (for a HEAD request the caller writes no body).
 * \param out          room for HTTP_MAX_RESPONSE bytes
 * \param content_type the body's media type
 * \param body_len     the body's length (sent even for HEAD)
 * \param req          the request it answers: an HTTP/1.0 one kept alive
 *                     gets `Connection: keep-alive`
 * \param keep_alive   false adds `Connection: close`
 * \param date         the cached Date header
 * \return bytes written to out (at most HTTP_MAX_RESPONSE).
 */
size_t http_write_head(char *out, const char *content_type, size_t body_len,
                       const struct http_request *req, bool keep_alive,
                       const struct http_date *date);

/**
 * Write the answer to `OPTIONS *`: 200, `Allow: GET, HEAD`, no body.
 * \return bytes written to out (at most HTTP_MAX_RESPONSE).
 */
size_t http_write_options(char *out, const struct http_request *req,
                          bool keep_alive, const struct http_date *date);

/** `HTTP/1.1 100 Continue` and its blank line: the client may send the
 *  body it announced with `Expect: 100-continue`. */
#define HTTP_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

/** The reason phrase of a status code ("Not Found"), or "Unknown". */
const char *http_reason(int status);

#endif
