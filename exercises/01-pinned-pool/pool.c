/* Exercise 01 - see README.md. Replace each TODO with working code. */
#include "pool.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

int pool_size(int requested)
{
    /* TODO 1: count the online cores (sysconf), and honour a request for
     * fewer threads. */
    (void)requested;
    return 1;
}

static void *thread_main(void *arg)
{
    struct pool_thread *self = arg;
    /* TODO 2: pin this thread to self->core (pthread_setaffinity_np with a
     * cpu_set_t holding just that CPU). */

    /* TODO 3: create this thread's own epoll fd into self->epfd. */
    self->epfd = -1;

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
