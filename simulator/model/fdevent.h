/**
 * \file
 * \brief The one event vocabulary of the course: what happened to an fd.
 *
 * fastd writes these to an fdtrace file; the model emits the same events
 * live; the view only ever plays a stream of them. So a replay of a real
 * trace and a simulation share every line of drawing code.
 */
#ifndef FASTSIM_FDEVENT_H
#define FASTSIM_FDEVENT_H

#include <stdint.h>

/** Event kinds, named as in fdtrace v1. */
enum fd_kind {
    FD_ACCEPT,  /**< fd accepted; arg: listener fd */
    FD_HANDOFF, /**< fd handed to another thread; arg: target thread */
    FD_WAKE,    /**< a thread's epoll_wait returned; fd -1; arg: events */
    FD_RECV,    /**< bytes read; arg: bytes */
    FD_REQUEST, /**< requests parsed; arg: count */
    FD_SEND,    /**< bytes written; arg: bytes */
    FD_CLOSE,   /**< fd closed; arg: 0 normal, 1 error, 2 timeout */
    FD_NKINDS
};

/** One event. */
struct fd_event {
    int64_t t_ns;      /**< time since the start, in ns */
    int thread;        /**< the thread it happened on */
    int core;          /**< that thread's core */
    enum fd_kind kind; /**< what happened */
    int fd;            /**< the fd, or -1 for wake */
    long arg;          /**< see enum fd_kind */
};

/** The kind's name in fdtrace ("accept", ...). */
const char *fd_kind_name(enum fd_kind kind);

/** Parse a kind's name. \return 0, or -1 if unknown. */
int fd_kind_parse(const char *name, enum fd_kind *out);

#endif
