/* Exercise 01, reference solution. */
#include "pool.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int pool_size(int requested)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    if (requested >= 1 && requested <= cores)
        return requested;
    return (int)cores;
}

static void *thread_main(void *arg)
{
    struct pool_thread *self = arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(self->core, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0)
        fprintf(stderr, "thread %d: pin to cpu %d: %s\n", self->index,
                self->core, strerror(rc));
    /* Created here, by the thread that will use it. */
    self->epfd = epoll_create1(EPOLL_CLOEXEC);
    self->body(self);
    return NULL;
}

int pool_start(struct pool *p, int n, void (*body)(struct pool_thread *),
               void *arg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    p->threads = calloc((size_t)n, sizeof *p->threads);
    if (!p->threads)
        return -1;
    p->n = n;
    for (int i = 0; i < n; i++) {
        struct pool_thread *t = &p->threads[i];
        t->index = i;
        t->core = (int)(i % (cores > 0 ? cores : 1));
        t->epfd = -1;
        t->body = body;
        t->arg = arg;
        if (pthread_create(&t->handle, NULL, thread_main, t) != 0)
            return -1;
    }
    return 0;
}

void pool_join(struct pool *p)
{
    /* Join every thread before closing any fd: a thread still starting
     * could otherwise be given a number just closed. */
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i].handle, NULL);
    for (int i = 0; i < p->n; i++)
        if (p->threads[i].epfd >= 0)
            close(p->threads[i].epfd);
    free(p->threads);
    p->threads = NULL;
}
