/*
 * The accept stage. Its loop is short on purpose: it is the whole job of
 * a staged accept thread, and the code a learner reads first.
 */
#include "reference-server/acceptor.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "reference-server/handoff.h"
#include "reference-server/listener.h"

//! [accept loop]
void acceptor_run(struct thread *self)
{
    struct epoll_event events[8];
    for (;;) {
        int n = epoll_wait(self->epfd, events, 8, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            thread_warn(self, "epoll_wait: %s", strerror(errno));
            return;
        }
        TRACE(self->trace, TRACE_WAKE, -1, n);
        for (int i = 0; i < n; i++) {
            if (events[i].data.fd == self->srv->stop_fd) {
                accept_queued(self, self->listen_fd); /* see acceptor.h */
                return;
            }
            //! [wasted wake]
            uint64_t before = counter_get(&self->stats.accepted);
            accept_burst(self, events[i].data.fd);
            /* Woken for a connection another thread took first: the
             * thundering herd's cost, one wake-up and one failed accept. */
            if (counter_get(&self->stats.accepted) == before) {
                counter_add(&self->stats.wasted_wakes, 1);
                TRACE(self->trace, FD_WASTED, events[i].data.fd, 0);
            }
            //! [wasted wake]
        }
    }
}
//! [accept loop]

//! [accept queued]
void accept_queued(struct thread *self, int listen_fd)
{
    for (int n = listener_backlog(); n > 0; n--) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0)
            return; /* EAGAIN: no one is left; out of fds: they stay */
        counter_add(&self->stats.accepted, 1);
        TRACE(self->trace, TRACE_ACCEPT, fd, listen_fd);
        handoff_to(
            self, self->stage == STAGE_ACCEPT ? schedule_pick(self) : self, fd);
    }
}
//! [accept queued]
