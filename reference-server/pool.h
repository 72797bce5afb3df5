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
 * Begin the drain: wake every thread through the stop eventfd, join the
 * accept stage, close the staged listener (new clients are refused from
 * now on) and tell the request stage no more hand-offs will come. Returns
 * without waiting for the request stage; calling it again does nothing.
 */
void pool_drain(struct server *srv);

/** Whether every thread has finished (the drain is over). */
bool pool_drained(struct server *srv);

/**
 * Stop: pool_drain() if not done yet, then join the request stage once it
 * has drained.
 */
void pool_stop(struct server *srv);

/**
 * Before exiting with the drain unfinished (a second stop signal, after
 * pool_drain()): join the request threads that have already ended, and
 * leave those still serving to end with the process. Not after
 * pool_stop(), which joined them all.
 */
void pool_abandon(struct server *srv);

/** Usable CPUs in this process's affinity mask, in order. */
int pool_cpus(int *cpus, int max);

/**
 * Write the thread map into out: each thread, its stage and the CPUs it
 * may run on, read back from the kernel ("t0:accept@cpu0 t1:request@cpu1"
 * when pinned, "t0:accept@cpu0-1" when not). Call it once every thread
 * has started (after pool_start()).
 */
void pool_describe(const struct server *srv, char *out, size_t len);

/**
 * The body of every pool thread (pool.c): its set-up, the start barrier,
 * its stage's loop, its teardown. \p arg is its struct thread.
 */
void *pool_thread_main(void *arg);

/* [pool seam] */
/**
 * Create one joinable thread per entry of server::threads, each running
 * pool_thread_main() on its own struct thread, and store the handles for
 * pool_stop()'s pthread_join. Does not wait for their set-up.
 * \return 0, or -1 with "pthread_create(thread N): reason" in err.
 */
int pool_spawn(struct server *srv, char *err, size_t errlen);

/**
 * Pin the calling thread to thread::core, when it is >= 0. The call is
 * made by the thread itself, as the design asks. When the kernel refuses,
 * warn (with the reason it gave) and set thread::core to -1, so that the banner
 * and the trace tell the truth.
 */
void thread_pin(struct thread *self);

/**
 * Create the calling thread's own epoll fd (close-on-exec) in thread::epfd
 * and register what it waits on: the stop eventfd (server::stop_fd) and,
 * unless it is a staged request thread, its listener thread::listen_fd,
 * for EPOLLIN. An accept-stage thread adds what server::opt.listen_wake
 * (--listen-wake) asks for: EPOLLEXCLUSIVE for exclusive, the default (one
 * new connection wakes one accept thread, not all), nothing for level,
 * EPOLLET for edge (the herd chapter 7 counts). A thread that accepts and
 * serves (shared-nothing, single) owns its listener: plain level-triggered.
 * \return 0, or -1 after a message on stderr, with nothing left open and
 * thread::epfd set to -1.
 */
int thread_epoll_open(struct thread *self);
/* [pool seam] */

#endif
