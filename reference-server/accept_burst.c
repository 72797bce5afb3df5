/*
 * The accept burst: take every pending connection off the listener and
 * hand each one on, and survive running out of fds. Exercise 03 replaces
 * this file; acceptor.c keeps the accept thread's loop around it.
 */
#include "reference-server/acceptor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "reference-server/handoff.h"

//! [shed connection]
/*
 * Out of fds (EMFILE, or ENFILE system-wide): the pending connection stays
 * in the queue, the listener stays readable, and a level-triggered loop
 * would spin at 100% CPU. The classic way out (libev's documentation
 * describes it, libuv does it): keep one spare fd open; when out of fds,
 * give it up, accept the connection and close it at once, then take the
 * spare back. The client sees a clean close instead of a hang.
 */
static bool shed_connection(struct thread *self, int listen_fd, int err)
{
    thread_warn(self, "accept4: %s: closing new connections until fds free",
                strerror(err));
    if (self->reserve_fd < 0) {
        /* Someone took the spare's slot: back off 10 ms, do not spin. */
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        self->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return false;
    }
    close(self->reserve_fd);
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        close(fd);
    self->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    /* accept4 takes an fd slot before it looks at the queue, so EMFILE
     * does not mean a connection is waiting: stop when none was. */
    return fd >= 0;
}
//! [shed connection]

//! [accept burst]
void accept_burst(struct thread *self, int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN)
                return;
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                if (shed_connection(self, listen_fd, errno))
                    continue;
                return;
            }
            /* ENOBUFS, ENOMEM...: pause 1 ms rather than spin on them. */
            thread_warn(self, "accept4(fd %d): %s", listen_fd, strerror(errno));
            nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
            return;
        }
        counter_add(&self->stats.accepted, 1);
        TRACE(self->trace, TRACE_ACCEPT, fd, listen_fd);
        /* TCP_NODELAY is inherited from the listener (listener.c): no
         * setsockopt per connection. */
        struct thread *target =
            self->stage == STAGE_ACCEPT ? schedule_pick(self) : self;
        handoff_to(self, target, fd);
    }
}
//! [accept burst]
