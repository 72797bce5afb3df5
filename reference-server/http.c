/*
 * The few responses fastd sends, and the Date header they carry. The
 * request parser is in http_parse.c (exercise 05 replaces that file).
 */
#include "reference-server/http.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

//! [date refresh]
void http_date_refresh(struct http_date *date, long now_second)
{
    if (date->second == now_second && date->text[0])
        return;
    time_t t = (time_t)now_second;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date->text, sizeof date->text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    date->second = now_second;
}
//! [date refresh]

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* Append n bytes; responses are assembled from a few constant pieces. */
static char *put(char *out, const char *s, size_t n)
{
    memcpy(out, s, n);
    return out + n;
}
#define PUT(out, lit) put((out), (lit), sizeof(lit) - 1)

static char *put_date(char *out, const struct http_date *date)
{
    out = PUT(out, "Date: ");
    out = put(out, date->text, strlen(date->text));
    return PUT(out, "\r\n");
}

size_t http_write_hello(char *out, const struct http_request *req,
                        bool keep_alive, const struct http_date *date)
{
    char *p = out;
    p = PUT(p, "HTTP/1.1 200 OK\r\nServer: fastd\r\n");
    p = put_date(p, date);
    p = PUT(p, "Content-Type: text/plain\r\nContent-Length: 13\r\n");
    if (!keep_alive)
        p = PUT(p, "Connection: close\r\n");
    else if (req->minor == 0)
        p = PUT(p, "Connection: keep-alive\r\n");
    p = PUT(p, "\r\n");
    if (req->method != HTTP_HEAD)
        p = PUT(p, "Hello, World!");
    return (size_t)(p - out);
}

size_t http_write_head(char *out, const char *content_type, size_t body_len,
                       bool keep_alive, const struct http_date *date)
{
    int n = snprintf(out, HTTP_MAX_RESPONSE,
                     "HTTP/1.1 200 OK\r\nServer: fastd\r\nDate: %s\r\n"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
                     date->text, content_type, body_len,
                     keep_alive ? "" : "Connection: close\r\n");
    return (size_t)n;
}

//! [write error]
size_t http_write_error(char *out, int status, const struct http_date *date)
{
    char body[64];
    int blen =
        snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
    int n = snprintf(out, HTTP_MAX_RESPONSE,
                     "HTTP/1.1 %d %s\r\nServer: fastd\r\nDate: %s\r\n"
                     "%sContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, http_reason(status), date->text,
                     status == 405 ? "Allow: GET, HEAD\r\n" : "", blen, body);
    return (size_t)n;
}
//! [write error]
