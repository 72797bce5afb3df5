/* Exercise 08: a request stage on io_uring. You edit uring.c. */
#ifndef EX08_URING_H
#define EX08_URING_H

/* The response to every request. */
#define RESPONSE                                                               \
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n"    \
    "\r\nHello, World!"

/* Accept connections from listen_fd and answer each request (one recv is
 * one request here) with RESPONSE, keeping connections open until the
 * client closes - all through one io_uring: accept, recv and send are
 * submitted as requests and their completions drive what comes next.
 * Return 0 after `responses` responses have been sent, -1 on an error
 * (for example io_uring_queue_init failing). */
int uring_serve(int listen_fd, int responses);

#endif
