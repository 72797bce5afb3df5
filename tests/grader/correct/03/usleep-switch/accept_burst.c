/* correct: the pauses made with usleep() (not nanosleep), the errnos
 * sorted by a switch, the hand-off's result ignored (right, but different
 * from the solution; it must score full marks) */
#include "reference-server/acceptor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/handoff.h"

/*
 * Out of fds (EMFILE, or ENFILE system-wide): the pending connection stays
 * in the queue, the listener stays readable, and a level-triggered loop
 * would spin at 100% CPU. The classic way out (libev's documentation
 * describes it, libuv does it): keep one spare fd open; when out of fds,
 * give it up, accept the connection and close it at once, then take the
 * spare back. The client sees a clean close instead of a hang.
 *
 * With several accepting threads (shared-nothing, or several staged
 * accept threads) there is one fd table for all of them: the slot one
 * thread frees by closing its spare can be taken by another thread's
 * accept4(), and the first thread's spare is then gone for good while
 * clients wait in its queue. So the shedding is done under one lock, the
 * spares of all threads are one pool (any thread may use any of them),
 * and for a while after an EMFILE every accept4() takes the same lock, so
 * that no one takes a freed slot in the middle of a shed.
 */
static int *spare_fd(struct thread *self)
{
    struct server *srv = self->srv;
    if (self->reserve_fd >= 0)
        return &self->reserve_fd;
    for (int i = 0; i < srv->nthreads; i++)
        if (srv->threads[i].reserve_fd >= 0)
            return &srv->threads[i].reserve_fd;
    return &self->reserve_fd;
}

static bool shed_connection(struct thread *self, int listen_fd, int err)
{
    struct server *srv = self->srv;
    thread_warn(self, "accept4: %s: closing new connections until fds free",
                strerror(err));
    atomic_store_explicit(&srv->shed_until_ms, clock_ms() + SHED_CAREFUL_MS,
                          memory_order_relaxed);
    pthread_mutex_lock(&srv->shed_lock);
    int *spare = spare_fd(self);
    if (*spare < 0) /* every spare was lost: perhaps a slot freed since */
        *spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd = -1;
    if (*spare >= 0) {
        close(*spare);
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        *spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    bool lost = *spare < 0;
    pthread_mutex_unlock(&srv->shed_lock);
    /* No spare left anywhere: back off 10 ms, do not spin. */
    if (lost && fd < 0)
        usleep(10 * 1000);
    /* accept4 takes an fd slot before it looks at the queue, so EMFILE
     * does not mean a connection is waiting: stop when none was. */
    return fd >= 0;
}

/* accept4(), under the shedding lock while fds are short (see above). */
static int accept_one(struct thread *self, int listen_fd)
{
    struct server *srv = self->srv;
    long until =
        atomic_load_explicit(&srv->shed_until_ms, memory_order_relaxed);
    bool careful = until > 0 && clock_ms() < until;
    if (careful)
        pthread_mutex_lock(&srv->shed_lock);
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    int err = errno;
    if (careful)
        pthread_mutex_unlock(&srv->shed_lock);
    errno = err;
    return fd;
}

void accept_burst(struct thread *self, int listen_fd)
{
    for (;;) {
        int fd = accept_one(self, listen_fd);
        if (fd >= 0) {
            counter_add(&self->stats.accepted, 1);
            TRACE(self->trace, TRACE_ACCEPT, fd, listen_fd);
            handoff_to(self,
                       self->stage == STAGE_ACCEPT ? schedule_pick(self) : self,
                       fd);
            continue;
        }
        switch (errno) {
        case EAGAIN:
            return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
            continue;
        case EMFILE:
        case ENFILE:
            if (!shed_connection(self, listen_fd, errno))
                return;
            continue;
        default:
            thread_warn(self, "accept4(fd %d): %s", listen_fd, strerror(errno));
            usleep(1000);
            return;
        }
    }
}
