/**
 * \file
 * \brief The listening socket and the process limits a server needs.
 */
#ifndef FASTD_LISTENER_H
#define FASTD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

/* [listener seam] */
/**
 * Open a non-blocking TCP listener on addr:port, set up as the design
 * prescribes: SO_REUSEADDR; SO_LINGER explicitly off (close() returns at
 * once and the kernel still delivers unsent bytes - the abortive {1, 0}
 * setting would cut responses short with a RST); TCP_DEFER_ACCEPT (accept
 * once the client has sent data, so the accept stage rarely hands off an
 * fd with nothing to read - a silent client is still accepted when the
 * deferral runs out, and one that connects and closes on its FIN);
 * TCP_NODELAY, which accepted sockets inherit;
 * SO_REUSEPORT when reuseport is set (shared-nothing: one listener per
 * thread, the kernel spreads connections); backlog from
 * /proc/sys/net/core/somaxconn.
 *
 * \param addr      numeric IPv4 or IPv6 address
 * \param port      port, 0 for any free one
 * \param reuseport set SO_REUSEPORT (one listener per thread)
 * \param err       receives the error message
 * \param errlen    size of err
 * \return the fd, or -1 with "call(object): strerror" in err.
 */
int listener_open(const char *addr, int port, bool reuseport, char *err,
                  size_t errlen);

/** The port a listener is bound to, or -1. */
int listener_port(int fd);

/** The backlog listener_open() asks for (somaxconn, or 4096). */
int listener_backlog(void);

/**
 * Raise the soft RLIMIT_NOFILE to the hard limit: every connection is an
 * fd, and the default soft limit (often 1024) is far too low for a server.
 * \return the soft limit in force afterwards (the old one if setrlimit()
 *         refused), 2^20 for an unlimited one, or -1 if getrlimit() failed.
 */
long nofile_raise(void);
/* [listener seam] */

#endif
