/*
 * Starting the pool's threads, pinning each to its core, and giving each
 * its own epoll fd: the part of the pool the design is about (exercise 01
 * replaces this file; pool.c keeps the plan, the set-up around these calls
 * and the shutdown).
 */
#include "reference-server/pool.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int pool_spawn(struct server *srv, char *err, size_t errlen)
{
    //! [pool start]
    for (int i = 0; i < srv->nthreads; i++) {
        struct thread *t = &srv->threads[i];
        /* Joinable, not detached as in the original article: the exit
         * summary and the graceful drain need to know when each is done. */
        int rc = pthread_create(&t->handle, NULL, pool_thread_main, t);
        if (rc != 0) {
            snprintf(err, errlen, "pthread_create(thread %d): %s", i,
                     strerror(rc));
            /* Threads already started wait at the barrier forever; a
             * start-up failure exits the process, which ends them. */
            return -1;
        }
    }
    //! [pool start]
    return 0;
}

//! [thread pin]
void thread_pin(struct thread *self)
{
    if (self->core < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(self->core, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0) {
        fprintf(stderr, "fastd: thread %d: pin to cpu %d: %s\n", self->id,
                self->core, strerror(rc));
        self->core = -1;
    }
}
//! [thread pin]

//! [epoll watch]
static int watch(struct thread *self, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fprintf(stderr, "fastd: thread %d: epoll_ctl(ADD fd %d): %s\n",
                self->id, fd, strerror(errno));
        return -1;
    }
    return 0;
}
//! [epoll watch]

//! [thread epoll]
int thread_epoll_open(struct thread *self)
{
    self->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (self->epfd < 0) {
        fprintf(stderr, "fastd: thread %d: epoll_create1: %s\n", self->id,
                strerror(errno));
        return -1;
    }
    if (watch(self, self->srv->stop_fd, EPOLLIN) < 0)
        goto fail;
    //! [exclusive listener]
    if (self->stage != STAGE_REQUEST) {
        /* EPOLLEXCLUSIVE: with several accept threads on one listener, a
         * new connection wakes one of them, not all (no thundering herd). */
        uint32_t excl = self->stage == STAGE_ACCEPT ? EPOLLEXCLUSIVE : 0;
        if (self->listen_fd < 0 ||
            watch(self, self->listen_fd, EPOLLIN | excl) < 0)
            goto fail;
    }
    //! [exclusive listener]
    return 0;
fail:
    /* Leave nothing open behind a failure: the caller may retry or exit. */
    close(self->epfd);
    self->epfd = -1;
    return -1;
}
//! [thread epoll]
