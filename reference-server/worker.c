//! [stale events]
/*
 * The request stage's loop. Like the accept loop it fits on one screen:
 * the work per connection lives in conn.c.
 *
 * Stale events: an epoll_wait batch reports each fd at most once, and a
 * connection is only closed while its own event is being handled, so a
 * later event in the same batch can never name a connection closed (or its
 * fd number reused) earlier in the batch. Work that closes *other*
 * connections (timeouts, the drain) runs after the batch, in
 * conns_expire(), to keep it that way. A server that closes connections
 * mid-batch needs a generation number in epoll_data instead.
 */
//! [stale events]
#include "reference-server/worker.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "reference-server/acceptor.h"
#include "reference-server/conn.h"
#include "reference-server/server.h"

#define MAX_EVENTS 256

//! [begin drain]
/* The stop eventfd fired: stop accepting, answer what is in flight. */
static void worker_begin_drain(struct thread *self)
{
    epoll_ctl(self->epfd, EPOLL_CTL_DEL, self->srv->stop_fd, NULL);
    /* Our own listener (shared-nothing, single): close it now, so that
     * new clients are refused at once rather than queued for a thread
     * that no longer accepts - after taking those already queued, whom
     * the close would reset. The staged listener is pool_drain()'s. */
    if (self->listen_fd >= 0) {
        accept_queued(self, self->listen_fd);
        close(self->listen_fd);
    }
    /* self->listen_fd keeps the number: a readiness event for the
     * listener may follow in this same batch, and must not be taken for a
     * connection (request loop). Our epoll set never holds that number
     * again: this thread accepts nothing more. */
    self->draining = true;
    self->drain_deadline = clock_second() + DRAIN_SECONDS;
    self->drain_grace_end = clock_ms() + DRAIN_GRACE_MS;
}
//! [begin drain]

//! [worker timeout]
/* Sleep until the next idle check is due; drain checks come faster. With
 * --idle-clock timerfd, the timer in the epoll set wakes us instead. */
static int worker_timeout(const struct thread *self)
{
    if (self->timer.fd >= 0)
        return -1;
    if (self->draining)
        return 50;
    return self->srv->opt.idle_timeout > 0 ? 1000 : -1;
}
//! [worker timeout]

//! [request loop]
void worker_run(struct thread *self)
{
    struct epoll_event events[MAX_EVENTS];
    while (!self->done) {
        int n =
            epoll_wait(self->epfd, events, MAX_EVENTS, worker_timeout(self));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            thread_warn(self, "epoll_wait: %s", strerror(errno));
            break;
        }
        TRACE(self->trace, TRACE_WAKE, -1, n);
        self->now = clock_second();
        http_date_refresh(&self->date, clock_wall_second());
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == self->listen_fd) {
                if (!self->draining) /* draining: the listener is closed */
                    accept_burst(self, fd); /* shared-nothing, single */
            } else if (fd == self->srv->stop_fd)
                worker_begin_drain(self);
            else if (fd == self->timer.fd)
                idle_timer_read(self); /* the pass below is what it asks */
            else
                conn_serve(self, fd, events[i].events);
        }
        conns_expire(self);
        /* Done, yet handed more than we closed: an accept thread's last
         * hand-offs landed after this pass's epoll_wait() returned (they
         * are in our epoll set, not yet in conns). One more wait sees
         * them. (conns_expire() read acceptors_done with acquire: every
         * hand-off before it is counted in.) Never past the drain's
         * deadline: a count that a bug left wrong must not hold us. */
        if (self->done && stats_open_conns(&self->stats) > 0 &&
            self->now < self->drain_deadline)
            self->done = false;
        conns_trim(&self->conns, self->now); /* heap the closes freed */
        idle_timer_arm(self); /* --idle-clock timerfd: the next deadline */
    }
}
//! [request loop]
