/* Exercise 06: writing a response to a socket that cannot take it all at
 * once. You edit pump.c. */
#ifndef EX06_PUMP_H
#define EX06_PUMP_H

#include <stddef.h>

struct pump {
    int fd;           /* a non-blocking socket */
    const char *data; /* what to send */
    size_t len;       /* how much */
    size_t sent;      /* how much went already */
};

/* Send as much as the socket takes right now. Returns 1 when everything
 * is sent, 0 when the socket is full (the caller waits for EPOLLOUT and
 * calls again; p->sent says how far it got), -1 on an error (the peer is
 * gone). Never blocks, never loops on a full socket. */
int pump_write(struct pump *p);

/* Send all of data, sleeping in epoll_wait for EPOLLOUT whenever the
 * socket is full: no busy loop. Returns 0, or -1 on an error. */
int pump_all(int fd, const char *data, size_t len);

#endif
