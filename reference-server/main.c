/*
 * fastd - a staged, pinned-per-core epoll HTTP/1.1 server.
 *
 * Where to start reading:
 *   main.c      start-up and shutdown (this file)
 *   pool.c      one thread per core, each pinned, each with its own epoll fd
 *   listener.c  the listening socket and its options
 *   acceptor.c  the accept stage: accept, pick a thread, hand the fd off
 *   handoff.c   the hand-off itself, one epoll_ctl on the target's epoll fd
 *   worker.c    the request stage's loop
 *   conn.c      one connection: read, parse, answer, backpressure
 *   conn_write.c, conn_expire.c  its write path; idle timeouts and drain
 *   routes.c    what each request is answered with
 *   http.c      HTTP/1.1 parsing and responses
 *   stats.c, trace.c  counters for /stats, and fdtrace for the simulator
 *
 * The main thread does no request work: it sets up, waits for SIGINT or
 * SIGTERM, then drains and reports.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reference-server/listener.h"
#include "reference-server/options.h"
#include "reference-server/pool.h"
#include "reference-server/server.h"

//! [open listeners]
static int open_listeners(struct server *srv, char *err, size_t errlen)
{
    const struct options *opt = &srv->opt;
    if (opt->arch != ARCH_SHARED_NOTHING) {
        srv->listen_fd =
            listener_open(opt->bind, opt->port, false, err, errlen);
        if (srv->listen_fd < 0)
            return -1;
        for (int i = 0; i < srv->nthreads; i++)
            if (srv->threads[i].stage != STAGE_REQUEST)
                srv->threads[i].listen_fd = srv->listen_fd;
        return 0;
    }
    /* Shared-nothing: a listener per thread on the same port; the first
     * one fixes the port when --port 0 asked for any. */
    int port = opt->port;
    for (int i = 0; i < srv->nthreads; i++) {
        int fd = listener_open(opt->bind, port, true, err, errlen);
        if (fd < 0)
            return -1;
        srv->threads[i].listen_fd = fd;
        port = listener_port(fd);
    }
    srv->listen_fd = srv->threads[0].listen_fd;
    return 0;
}
//! [open listeners]

static void close_listeners(struct server *srv)
{
    for (int i = 0; i < srv->nthreads; i++) {
        int fd = srv->threads[i].listen_fd;
        if (fd >= 0 && fd != srv->listen_fd)
            close(fd);
    }
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
}

static void print_banner(const struct server *srv)
{
    const struct options *opt = &srv->opt;
    char map[MAX_THREADS * 24];
    pool_describe(srv, map, sizeof map);
    bool v6 = strchr(opt->bind, ':') != NULL;
    printf("fastd: listening on %s%s%s:%d arch=%s threads=%d %s\n",
           v6 ? "[" : "", opt->bind, v6 ? "]" : "",
           listener_port(srv->listen_fd), arch_name(opt->arch), srv->nthreads,
           map);
    if (!opt->quiet)
        printf("fastd: nofile=%ld backlog=%d schedule=%s idle-timeout=%ds "
               "trace=%s cores=%d; Ctrl-C stops\n",
               srv->nofile, listener_backlog(),
               opt->schedule == SCHEDULE_RR ? "rr" : "least", opt->idle_timeout,
               opt->trace ? opt->trace : "off", srv->ncores);
    fflush(stdout);
}

static int fail(const char *msg)
{
    fprintf(stderr, "fastd: %s\n", msg);
    return 1;
}

int main(int argc, char **argv)
{
    struct server srv = {.listen_fd = -1, .trace_fd = -1, .stop_fd = -1};
    char err[256];
    switch (options_parse(argc, argv, &srv.opt, err, sizeof err)) {
    case OPTIONS_EXIT:
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "fastd: %s\n", err);
        return 2;
    case OPTIONS_RUN:
        break;
    }
    srv.nofile = nofile_raise();
    srv.origin_ns = trace_now_ns();
    if (pool_plan(&srv, err, sizeof err) < 0 ||
        open_listeners(&srv, err, sizeof err) < 0)
        return fail(err);
    if (srv.opt.trace && (srv.trace_fd = trace_open(
                              srv.opt.trace, arch_name(srv.opt.arch),
                              srv.nthreads, srv.ncores, err, sizeof err)) < 0)
        return fail(err);

    /* Signals go to the main thread only: every thread inherits this mask,
     * and main takes SIGINT/SIGTERM synchronously with sigwait(). */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (pool_start(&srv, err, sizeof err) < 0)
        return fail(err);
    print_banner(&srv);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (!srv.opt.quiet) {
        printf("fastd: %s: draining\n", strsignal(sig));
        fflush(stdout);
    }
    pool_stop(&srv);
    close_listeners(&srv);
    if (srv.trace_fd >= 0) {
        close(srv.trace_fd);
        if (trace_sort(srv.opt.trace, err, sizeof err) < 0)
            fprintf(stderr, "fastd: %s\n", err);
    }
    if (!srv.opt.quiet)
        stats_print_summary(&srv, stdout);
    free(srv.threads);
    free(srv.workers);
    return 0;
}
