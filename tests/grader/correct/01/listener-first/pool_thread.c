/* correct: pinned with sched_setaffinity(0, ...), the listener registered
 * before the stop eventfd, the flags chosen by a switch, other messages (right,
 * but different from the solution; it must score full marks) */
#include "reference-server/pool.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int pool_spawn(struct server *srv, char *err, size_t errlen)
{
    for (int i = 0; i < srv->nthreads; i++) {
        int rc = pthread_create(&srv->threads[i].handle, NULL, pool_thread_main,
                                &srv->threads[i]);
        if (rc) {
            snprintf(err, errlen, "pthread_create(thread %d): %s", i,
                     strerror(rc));
            return -1;
        }
    }
    return 0;
}

void thread_pin(struct thread *self)
{
    if (self->core < 0)
        return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(self->core, &one);
    if (sched_setaffinity(0, sizeof one, &one) < 0) {
        fprintf(stderr, "fastd: cannot pin thread %d to cpu %d (%s)\n",
                self->id, self->core, strerror(errno));
        self->core = -1;
    }
}

static uint32_t listener_events(const struct thread *self)
{
    if (self->stage != STAGE_ACCEPT)
        return EPOLLIN;
    switch (self->srv->opt.listen_wake) {
    case WAKE_LEVEL:
        return EPOLLIN;
    case WAKE_EDGE:
        return EPOLLIN | EPOLLET;
    case WAKE_EXCLUSIVE:
    default:
        return EPOLLIN | EPOLLEXCLUSIVE;
    }
}

int thread_epoll_open(struct thread *self)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        perror("fastd: epoll_create1");
        self->epfd = -1;
        return -1;
    }
    struct epoll_event ev;
    if (self->stage != STAGE_REQUEST) {
        ev = (struct epoll_event){.events = listener_events(self),
                                  .data.fd = self->listen_fd};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, self->listen_fd, &ev) < 0) {
            perror("fastd: epoll_ctl(listener)");
            close(epfd);
            self->epfd = -1;
            return -1;
        }
    }
    ev = (struct epoll_event){.events = EPOLLIN, .data.fd = self->srv->stop_fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, self->srv->stop_fd, &ev) < 0) {
        perror("fastd: epoll_ctl(stop)");
        close(epfd);
        self->epfd = -1;
        return -1;
    }
    self->epfd = epfd;
    return 0;
}
