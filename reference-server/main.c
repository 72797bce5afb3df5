/*
 * fastd - a staged, pinned-per-core epoll HTTP/1.1 server.
 *
 * Where to start reading:
 *   main.c      start-up and shutdown (this file)
 *   pool.c      one thread per core, each pinned, each with its own epoll fd
 *   listener.c  the listening socket and its options
 *   acceptor.c  the accept stage: accept, pick a thread, hand the fd off
 *   handoff.c   the hand-off itself, one epoll_ctl on the target's epoll fd
 *   steer.c     --incoming-cpu: follow the core the packets arrived on
 *   worker.c    the request stage's loop
 *   conn.c      one connection: read, parse, answer, backpressure
 *   conn_write.c, conn_expire.c  its write path; idle timeouts and drain
 *   routes.c    what each request is answered with
 *   work.c      GET /work?us=N, a slow request for teaching (off by default)
 *   http.c      HTTP/1.1 parsing and responses
 *   uring*.c    the same stages on io_uring (--io uring; uring.h)
 *   stats.c, trace.c  counters for /stats, and fdtrace for the simulator
 *
 * The main thread does no request work: it sets up, waits for SIGINT or
 * SIGTERM, then drains and reports. A second SIGINT/SIGTERM during the
 * drain exits at once; SIGHUP is logged and ignored; SIGUSR1 prints the
 * summary table and fastd carries on.
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
#include "reference-server/steer.h"
#include "reference-server/uring.h"

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
        if (opt->incoming_cpu &&
            steer_listener(fd, srv->threads[i].core, err, errlen) < 0)
            return -1;
        port = listener_port(fd);
    }
    srv->listen_fd = srv->threads[0].listen_fd;
    return 0;
}
//! [open listeners]

static void print_banner(const struct server *srv)
{
    const struct options *opt = &srv->opt;
    char map[MAX_THREADS * 24];
    pool_describe(srv, map, sizeof map);
    bool v6 = strchr(opt->bind, ':') != NULL;
    printf("fastd: listening on %s%s%s:%d arch=%s%s threads=%d %s\n",
           v6 ? "[" : "", opt->bind, v6 ? "]" : "",
           listener_port(srv->listen_fd), arch_name(opt->arch),
           opt->io == IO_URING ? " io=uring" : "", srv->nthreads, map);
    if (!opt->quiet)
        printf("fastd: nofile=%ld backlog=%d schedule=%s idle-timeout=%ds "
               "idle-clock=%s trace=%s cores=%d; Ctrl-C stops\n",
               srv->nofile, listener_backlog(), schedule_name(opt->schedule),
               opt->idle_timeout, idle_clock_name(opt->idle_clock),
               opt->trace ? opt->trace : "off", srv->ncores);
    fflush(stdout);
}

/*
 * Wait up to ms (-1: for ever) for one of the signals. Returns the signal
 * if it asks fastd to stop (SIGINT, SIGTERM), 0 if it was handled here or
 * none came.
 */
static int next_signal(struct server *srv, const sigset_t *signals, int ms)
{
    int sig;
    if (ms < 0) {
        if (sigwait(signals, &sig) != 0)
            return 0;
    } else {
        struct timespec wait = {.tv_nsec = ms * 1000000L};
        sig = sigtimedwait(signals, NULL, &wait);
        if (sig < 0)
            return 0;
    }
    if (sig == SIGHUP) {
        fprintf(stderr,
                "fastd: %s: ignored (fastd has no configuration "
                "to reload; SIGTERM stops it)\n",
                strsignal(sig));
        return 0;
    }
    if (sig == SIGUSR1) {
        stats_print_summary(srv, stdout);
        fflush(stdout);
        return 0;
    }
    return sig;
}

/* trace_sort()'s question, now and then: has a stop signal come? The
 * sort runs after the drain, so this one is the second: exit at once. */
static bool stop_signal_pending(void *arg)
{
    struct server *srv = arg;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGUSR1);
    return next_signal(srv, &signals, 0) > 0;
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
    /* A peer or a trace reader gone is an error to handle (EPIPE), not
     * a reason to die: from the start, before the trace's header. */
    signal(SIGPIPE, SIG_IGN);
    /* A trace that reaches the file size limit (ulimit -f) is the same:
     * its write fails (EFBIG) and is counted, instead of SIGXFSZ killing
     * the server mid-request. */
    signal(SIGXFSZ, SIG_IGN);
    switch (options_parse(argc, argv, &srv.opt, err, sizeof err)) {
    case OPTIONS_EXIT:
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "fastd: %s\n", err);
        return 2;
    case OPTIONS_RUN:
        break;
    }
    if (srv.opt.io == IO_URING && uring_probe(err, sizeof err) < 0)
        return fail(err);
    srv.nofile = nofile_raise();
    srv.origin_ns = trace_now_ns();
    if (pool_plan(&srv, err, sizeof err) < 0 ||
        open_listeners(&srv, err, sizeof err) < 0)
        return fail(err);
    if (srv.opt.trace && (srv.trace_fd = trace_open(
                              srv.opt.trace, arch_name(srv.opt.arch),
                              srv.nthreads, srv.ncores, err, sizeof err)) < 0)
        return fail(err);
    trace_set_totals(stats_totals, &srv); /* a live stream's counts */

    //! [signals]
    /* Signals go to the main thread only: every thread inherits this mask,
     * and main takes them synchronously with sigwait(). SIGHUP (a closed
     * terminal, or a reload request out of habit) and SIGUSR1 are handled
     * on purpose, so that neither kills fastd without a drain. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    if (pool_start(&srv, err, sizeof err) < 0)
        return fail(err);
    print_banner(&srv);

    int sig;
    while ((sig = next_signal(&srv, &signals, -1)) == 0)
        ;
    if (!srv.opt.quiet) {
        printf("fastd: %s: draining\n", strsignal(sig));
        fflush(stdout);
    }
    pool_drain(&srv);
    /* A second SIGINT or SIGTERM cuts the drain short. */
    while (!pool_drained(&srv))
        if (next_signal(&srv, &signals, 50) > 0) {
            fprintf(stderr, "fastd: second stop signal: exiting without "
                            "finishing the drain\n");
            fflush(stdout);
            pool_abandon(&srv);
            _exit(1);
        }
    pool_stop(&srv);
    //! [signals]
    if (srv.trace_fd >= 0) {
        close(srv.trace_fd);
        int sorted = trace_sort(srv.opt.trace, stop_signal_pending, &srv, err,
                                sizeof err);
        if (sorted < 0)
            fprintf(stderr, "fastd: %s\n", err);
        if (sorted > 0) {
            fprintf(stderr, "fastd: second stop signal: exiting without "
                            "sorting the trace (it is in write order)\n");
            fflush(stdout);
            _exit(1);
        }
    }
    if (!srv.opt.quiet)
        stats_print_summary(&srv, stdout);
    free(srv.threads);
    free(srv.workers);
    return 0;
}
