/**
 * \file
 * \brief The thread pool: one thread per core, each pinned, each with its
 *        own epoll fd.
 */
#ifndef FASTD_POOL_H
#define FASTD_POOL_H

#include <stddef.h>

#include "reference-server/server.h"

/**
 * Lay out the threads for the architecture: their stages, their cores
 * (thread i runs on the i-th usable CPU, modulo their number) and which
 * of them serve requests. Allocates srv->threads and srv->workers.
 * \return 0, or -1 with a message in err.
 */
int pool_plan(struct server *srv, char *err, size_t errlen);

/**
 * Start every thread and wait until each has done its own set-up (pinned
 * itself, created its epoll fd, registered its listener): only then can
 * the accept stage hand fds to the request threads.
 * \return 0, or -1 with a message in err. When a thread's own set-up
 * fails, the threads are stopped and joined; when pthread_create() itself
 * fails, those already started are left waiting at the start barrier and
 * the caller must exit the process (fastd's main does).
 */
int pool_start(struct server *srv, char *err, size_t errlen);

/**
 * Stop in two steps: wake every thread through the stop eventfd, join the
 * accept stage, then tell the request stage no more hand-offs will come and
 * join it once it has drained.
 */
void pool_stop(struct server *srv);

/** Usable CPUs in this process's affinity mask, in order. */
int pool_cpus(int *cpus, int max);

/** Write the thread map ("t0:accept@cpu0 t1:request@cpu1") into out. */
void pool_describe(const struct server *srv, char *out, size_t len);

#endif
