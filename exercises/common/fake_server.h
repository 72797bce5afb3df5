/*
 * For the exercises' unit tests: a struct server with its threads, built
 * without starting anything, so that a test can call one seam function of
 * fastd (accept_burst, schedule_pick, thread_epoll_open...) on threads it
 * controls. Header-only: each test program includes it once.
 */
#ifndef EXERCISES_FAKE_SERVER_H
#define EXERCISES_FAKE_SERVER_H

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reference-server/server.h"

/* naccept accept threads, then nrequest request threads (the workers);
 * every thread has an epoll fd unless it is given none (epolls false), and
 * the server a stop eventfd. Nothing runs. */
static inline struct server *fake_server(int naccept, int nrequest,
                                         enum schedule schedule, bool epolls)
{
    struct server *srv = calloc(1, sizeof *srv);
    int n = naccept + nrequest;
    srv->threads = aligned_alloc(64, sizeof(struct thread) * (size_t)n);
    srv->workers = calloc((size_t)n, sizeof(struct thread *));
    memset(srv->threads, 0, sizeof(struct thread) * (size_t)n);
    srv->nthreads = n;
    srv->opt.schedule = schedule;
    srv->opt.arch = naccept ? ARCH_STAGED : ARCH_SHARED_NOTHING;
    srv->opt.bind = "127.0.0.1";
    srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    srv->listen_fd = -1;
    srv->trace_fd = -1;
    srv->nofile = 1024;
    for (int i = 0; i < n; i++) {
        struct thread *t = &srv->threads[i];
        t->id = i;
        t->srv = srv;
        t->stage = i < naccept ? STAGE_ACCEPT
                   : naccept   ? STAGE_REQUEST
                               : STAGE_BOTH;
        t->core = -1;
        t->listen_fd = t->reserve_fd = -1;
        t->epfd = epolls ? epoll_create1(EPOLL_CLOEXEC) : -1;
        if (t->stage != STAGE_ACCEPT)
            srv->workers[srv->nworkers++] = t;
    }
    return srv;
}

/* Close what fake_server() opened and free it. */
static inline void fake_server_free(struct server *srv)
{
    for (int i = 0; i < srv->nthreads; i++)
        if (srv->threads[i].epfd >= 0)
            close(srv->threads[i].epfd);
    close(srv->stop_fd);
    free(srv->threads);
    free(srv->workers);
    free(srv);
}

#endif
