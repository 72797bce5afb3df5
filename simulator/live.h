/**
 * \file
 * \brief The reading end of `fastd --trace unix:PATH`: a unix datagram
 *        socket fastsim binds at PATH, drained by a thread of its own.
 *
 * fastd sends whole buffers of fdtrace v1 lines, each datagram starting
 * with the trace's header line, and never waits: when this end is slow or
 * gone, fastd drops the buffer and says what it lost in `drop` lines of
 * its next datagram. So fastsim and fastd may start in either order, and
 * either may stop.
 *
 * The kernel queues few datagrams for a reader (net.unix.max_dgram_qlen,
 * 10 by default): a reader that drains the socket only between frames
 * makes fastd drop most of what it sends under load. So a thread does
 * nothing but receive and parse, and the frame loop takes what it has
 * gathered (live_take()). Events it has no room for are not lost from
 * the counts: they are returned as counts per kind, like fastd's drops.
 */
#ifndef FASTSIM_LIVE_H
#define FASTSIM_LIVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulator/model/fdevent.h"

/** Events the reader keeps for the frame loop; beyond: counted only. */
#define LIVE_QUEUE_MAX (1 << 21)

/** What a stream's header says. */
struct live_head {
    char arch[32]; /**< arch=... */
    int threads;   /**< threads=... */
    int cores;     /**< cores=... */
    long pid;      /**< pid=... (0: an older fastd that does not say) */
};

/** What the reader gathered since the last live_take(). */
struct live_batch {
    struct fd_event *events;  /**< in arrival order (each thread's in time
                                   order); owned by the caller */
    size_t len;               /**< how many */
    size_t cap;               /**< room in events */
    uint64_t over[FD_NKINDS]; /**< events the queue had no room for, per
                                   kind (requests: the requests) */
    struct live_head head;    /**< the latest header */
    unsigned generation;      /**< bumped when the header changes (a new
                                   fastd): events before it were dropped */
    int64_t offset_ns;        /**< fastd's time 0 on this process's
                                   CLOCK_MONOTONIC (an upper bound that only
                                   tightens), or INT64_MAX before any event */
    double last_arrival;      /**< CLOCK_MONOTONIC s of the latest datagram,
                                   or 0 */
    uint64_t bad_lines;       /**< lines that did not parse, so far */
};

/** An open live socket. */
struct live {
    int fd;                 /**< the bound socket */
    char path[108];         /**< where (unlinked on close) */
    pthread_t reader;       /**< the draining thread */
    bool started;           /**< reader runs */
    _Atomic int stop;       /**< asks the reader to end */
    pthread_mutex_t lock;   /**< guards what follows */
    struct live_batch have; /**< gathered, not yet taken */
    int error;              /**< errno of a failed recv, or 0 */
};

/**
 * Bind a datagram socket at path (replacing a stale socket left there).
 * Nothing is read until live_start().
 * \return 0, or -1 with a message in err.
 */
int live_open(struct live *l, const char *path, char *err, size_t errlen);

/** Start the reader thread. \return 0, or -1 with a message in err. */
int live_start(struct live *l, char *err, size_t errlen);

/**
 * Move what the reader gathered into out (its events appended to
 * out->events, grown as needed; its counts added); out->head, generation,
 * offset and arrival are set to the reader's. On a new generation,
 * out->events is emptied first.
 * \return 0, or -1 if the socket failed (errno in l->error).
 */
int live_take(struct live *l, struct live_batch *out);

/** Stop the reader thread (live_take() still gives what it gathered). */
void live_stop_reader(struct live *l);

/** Stop the reader, close the socket and remove its path. */
void live_close(struct live *l);

#endif
