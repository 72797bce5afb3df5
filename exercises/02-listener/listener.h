/* Exercise 02: the listening socket and the fd limit. You edit listener.c. */
#ifndef EX02_LISTENER_H
#define EX02_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

/* Raise the soft RLIMIT_NOFILE to the hard limit; return the new soft
 * limit (every connection is an fd). */
long nofile_raise(void);

/* The backlog to listen with: /proc/sys/net/core/somaxconn (4096 if it
 * cannot be read). */
int listener_backlog(void);

/* A non-blocking TCP listener on addr:port (port 0: any free one), with
 * SO_REUSEADDR, lingering off (graceful close: unsent bytes still go
 * out), TCP_DEFER_ACCEPT, SO_REUSEPORT when reuseport is true, and the
 * backlog above. Returns the fd, or -1 with a message in err. */
int listener_open(const char *addr, int port, bool reuseport, char *err,
                  size_t errlen);

#endif
