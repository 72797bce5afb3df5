/*
 * The accept stage. Its loop is short on purpose: it is the whole job of
 * a staged accept thread, and the code a learner reads first.
 */
#include "reference-server/acceptor.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

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
            if (events[i].data.fd == self->srv->stop_fd)
                return;
            accept_burst(self, events[i].data.fd);
        }
    }
}
//! [accept loop]
