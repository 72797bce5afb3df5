/*
 * Chapter 4 experiment: handing a struct over with the fd.
 *
 * fastd hands over only an fd number, and the kernel carries it. A server
 * that also passes per-connection data (accept time, peer address) must
 * publish that memory to the target thread. This program does it four
 * ways, so that ThreadSanitizer can say which it accepts:
 *
 *   epoll       fill the struct, then epoll_ctl(ADD) with data.ptr = struct
 *   epoll-late  the same, but one field is written after epoll_ctl (a bug)
 *   relaxed     fill the struct, publish its pointer with a relaxed store
 *   release     fill the struct, publish with a release store; the target
 *               reads the pointer with an acquire load
 *
 * usage: 04-struct-handoff MODE [N]     (N hand-offs, default 2000)
 * Prints how many hand-offs the target saw half-written. Build it with
 * and without -fsanitize=thread (chapters/experiments/04-handoff.sh does).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct handoff {
    int fd;           /* the connection (here an eventfd that is readable) */
    long accepted_ns; /* when the accept stage took it */
    char peer[32];    /* who connected */
};

enum mode { EPOLL, EPOLL_LATE, RELAXED, RELEASE };

static enum mode mode;
static int n_handoffs = 2000;
static int target_epfd;
static struct handoff *pool;              /* one struct per hand-off */
static _Atomic(struct handoff *) mailbox; /* RELAXED, RELEASE: one slot */

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

//! [publish]
static void publish(struct handoff *h, int i)
{
    h->fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC); /* "accept4" */
    h->accepted_ns = now_ns();
    if (mode != EPOLL_LATE)
        snprintf(h->peer, sizeof h->peer, "127.0.0.1:%d", 40000 + i);
    switch (mode) {
    case EPOLL:
    case EPOLL_LATE: {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = h};
        epoll_ctl(target_epfd, EPOLL_CTL_ADD, h->fd, &ev);
        if (mode == EPOLL_LATE) /* too late: the target may run already */
            snprintf(h->peer, sizeof h->peer, "127.0.0.1:%d", 40000 + i);
        break;
    }
    case RELAXED:
    case RELEASE: {
        memory_order order =
            mode == RELEASE ? memory_order_release : memory_order_relaxed;
        /* Wait for the slot to empty, then publish the pointer. */
        while (atomic_load_explicit(&mailbox, memory_order_acquire))
            ;
        atomic_store_explicit(&mailbox, h, order);
        break;
    }
    }
}
//! [publish]

//! [consume]
static struct handoff *next_handoff(void)
{
    if (mode == EPOLL || mode == EPOLL_LATE) {
        struct epoll_event ev;
        while (epoll_wait(target_epfd, &ev, 1, -1) != 1)
            ;
        return ev.data.ptr;
    }
    struct handoff *h;
    memory_order order =
        mode == RELEASE ? memory_order_acquire : memory_order_relaxed;
    while (!(h = atomic_load_explicit(&mailbox, order)))
        ;
    atomic_store_explicit(&mailbox, NULL, memory_order_release);
    return h;
}
//! [consume]

static void *target_main(void *arg)
{
    int *half_written = arg;
    for (int i = 0; i < n_handoffs; i++) {
        struct handoff *h = next_handoff();
        if (h->peer[0] == '\0' || h->accepted_ns == 0)
            ++*half_written;
        close(h->fd);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"epoll", "epoll-late", "relaxed",
                                        "release"};
    int m = -1;
    for (int i = 0; argc > 1 && i < 4; i++)
        if (!strcmp(argv[1], names[i]))
            m = i;
    if (m < 0 || (argc > 2 && (n_handoffs = atoi(argv[2])) <= 0)) {
        fprintf(stderr, "usage: %s epoll|epoll-late|relaxed|release [N]\n",
                argv[0]);
        return 2;
    }
    mode = (enum mode)m;
    pool = calloc((size_t)n_handoffs, sizeof *pool);
    target_epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!pool || target_epfd < 0) {
        perror("04-struct-handoff: set-up");
        return 1;
    }
    int half_written = 0;
    pthread_t target;
    pthread_create(&target, NULL, target_main, &half_written);
    for (int i = 0; i < n_handoffs; i++)
        publish(&pool[i], i);
    pthread_join(target, NULL);
    printf("%s: %d hand-offs, %d seen half-written\n", names[m], n_handoffs,
           half_written);
    free(pool);
    return 0;
}
