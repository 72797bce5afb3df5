/* Exercise 01: a pool of threads, one per core, each pinned to its core and
 * each with its own epoll fd. You edit pool.c; this header is given. */
#ifndef EX01_POOL_H
#define EX01_POOL_H

#include <pthread.h>

struct pool_thread {
    int index;        /* 0 .. n-1 */
    int core;         /* the CPU this thread must run on: index % cores */
    int epfd;         /* its own epoll fd, created by the thread itself */
    pthread_t handle; /* for pool_join */
    void (*body)(struct pool_thread *self); /* what it runs once set up */
    void *arg;                              /* for body's use */
};

struct pool {
    struct pool_thread *threads;
    int n;
};

/* How many threads to run: one per online core, unless the user asked for
 * fewer (requested from 1 to the number of cores). 0, a negative number or
 * more than the cores means "one per core". */
int pool_size(int requested);

/* Start n threads. Each pins itself to its core, creates its own epoll fd,
 * then calls body(self). Returns 0, or -1 if a thread could not start. */
int pool_start(struct pool *p, int n, void (*body)(struct pool_thread *),
               void *arg);

/* Wait for every thread, close their epoll fds, free the pool. */
void pool_join(struct pool *p);

#endif
