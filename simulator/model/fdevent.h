/**
 * \file
 * \brief One event as the view plays it: what happened to an fd, where.
 *
 * The kinds are the course's one vocabulary (reference-server/fdtrace.h),
 * shared with fastd's trace writer. fastd writes them to an fdtrace file;
 * the model emits the same events live; the view only ever plays a stream
 * of them. So a replay of a real trace and a simulation share every line
 * of drawing code.
 */
#ifndef FASTSIM_FDEVENT_H
#define FASTSIM_FDEVENT_H

#include <stdint.h>

#include "reference-server/fdtrace.h"

/** One event. */
struct fd_event {
    int64_t t_ns;      /**< time since the start, in ns */
    int thread;        /**< the thread it happened on */
    int core;          /**< that thread's core */
    enum fd_kind kind; /**< what happened */
    int fd;            /**< the fd, or -1 for wake */
    long arg;          /**< see enum fd_kind */
};

/** Parse a kind's name. \return 0, or -1 if unknown. */
int fd_kind_parse(const char *name, enum fd_kind *out);

#endif
