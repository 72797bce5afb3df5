#include "reference-server/handoff.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "reference-server/conn.h"
#include "reference-server/server.h"

//! [handoff]
int handoff_to(struct thread *self, struct thread *target, int fd)
{
    //! [handoff events]
    struct epoll_event ev = {
        .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
        .data.fd = fd,
    };
    /* Count before the fd is visible to the target, so the target's
     * closes can never outrun its count of connections received. */
    counter_add_shared(&target->stats.conns_in, 1);
    /* Trace before the ADD too: after it the target may already have read
     * and answered, and a line stamped later would show the hand-off after
     * the target's first recv. */
    if (target != self)
        TRACE(self->trace, TRACE_HANDOFF, fd, target->id);
    if (epoll_ctl(target->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        thread_warn(self, "epoll_ctl(ADD fd %d to thread %d): %s", fd,
                    target->id, strerror(errno));
        /* Take the count back: the target never saw this connection. */
        atomic_fetch_sub_explicit(&target->stats.conns_in.value, 1,
                                  memory_order_relaxed);
        TRACE(self->trace, TRACE_CLOSE, fd, CLOSE_ERROR);
        close(fd);
        return -1;
    }
    //! [handoff events]
    /* From here on the connection is the target's: touch only our own
     * counters, never the fd (the target may have closed it, and the
     * number may already name another client). */
    if (target != self)
        counter_add(&self->stats.handed_off, 1);
    return 0;
}
//! [handoff]
