/*
 * Exercise 01: start the pool's threads, pin each to its core, give each
 * its own epoll fd - your version of fastd's reference-server/pool_thread.c,
 * behind reference-server/pool.h (pool_spawn, thread_pin,
 * thread_epoll_open).
 *
 * This starter works, naively: the threads start and each gets an epoll
 * fd, but nothing is pinned (the scheduler moves threads between cores,
 * and their caches with them), the epoll fd would leak into any program
 * fastd started, every accept thread wakes for every connection, and a
 * failure leaves the epoll fd open.
 *
 * TODO 1: thread_pin: pin the CALLING thread to self->core (when >= 0);
 *         when the kernel refuses, warn and set self->core to -1.
 * TODO 2: thread_epoll_open: the epoll fd close-on-exec; an accept-stage
 *         thread registers its listener with the flags --listen-wake asks
 *         for (self->srv->opt.listen_wake: EPOLLEXCLUSIVE, none, EPOLLET).
 * TODO 3: thread_epoll_open: on failure, say on stderr which call failed
 *         and why, close what you opened and set self->epfd to -1.
 * pool_spawn must keep the threads joinable: pool_stop joins them.
 */
#include "reference-server/pool.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

int pool_spawn(struct server *srv, char *err, size_t errlen)
{
    for (int i = 0; i < srv->nthreads; i++) {
        struct thread *t = &srv->threads[i];
        int rc = pthread_create(&t->handle, NULL, pool_thread_main, t);
        if (rc != 0) {
            snprintf(err, errlen, "pthread_create(thread %d): %s", i,
                     strerror(rc));
            return -1;
        }
    }
    return 0;
}

void thread_pin(struct thread *self)
{
    (void)self; /* TODO 1 */
}

int thread_epoll_open(struct thread *self)
{
    self->epfd = epoll_create1(0); /* TODO 2 */
    if (self->epfd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = self->srv->stop_fd};
    if (epoll_ctl(self->epfd, EPOLL_CTL_ADD, self->srv->stop_fd, &ev) < 0)
        return -1; /* TODO 3 */
    if (self->stage != STAGE_REQUEST) {
        ev =
            (struct epoll_event){.events = EPOLLIN, .data.fd = self->listen_fd};
        if (epoll_ctl(self->epfd, EPOLL_CTL_ADD, self->listen_fd, &ev) < 0)
            return -1;
    }
    return 0;
}
