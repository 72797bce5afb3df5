/**
 * \file
 * \brief The reading end of `fastd --trace unix:PATH`: a unix datagram
 *        socket fastsim binds at PATH.
 *
 * fastd sends whole buffers of fdtrace v1 lines, each datagram starting
 * with the trace's header line, and never waits: when this end is slow or
 * gone, fastd drops the buffer and says how many events it lost in a
 * `drop` line of its next datagram. So fastsim and fastd may start in
 * either order, and either may stop.
 */
#ifndef FASTSIM_LIVE_H
#define FASTSIM_LIVE_H

#include <stddef.h>

/** An open live socket. */
struct live {
    int fd;         /**< the bound socket */
    char path[108]; /**< where (unlinked on close) */
};

/**
 * Bind a datagram socket at path (replacing a stale socket left there).
 * \return 0, or -1 with a message in err.
 */
int live_open(struct live *l, const char *path, char *err, size_t errlen);

/**
 * Read one waiting datagram into buf (NUL-terminated).
 * \return its length, 0 if none is waiting, -1 on error.
 */
long live_read(struct live *l, char *buf, size_t cap);

/** Close the socket and remove its path. */
void live_close(struct live *l);

#endif
