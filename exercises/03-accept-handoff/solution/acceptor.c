/* Exercise 03, reference solution. */
#include "acceptor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int acceptor_init(struct acceptor *a, int listen_fd, const int *epfds, int n)
{
    a->listen_fd = listen_fd;
    a->epfds = epfds;
    a->n = n;
    a->next = 0;
    a->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return a->reserve_fd < 0 ? -1 : 0;
}

/* Out of fds: give up the spare, take the connection, close it. Returns
 * true if one was shed (accept4 fails with EMFILE even on an empty queue,
 * so that is how we know whether to go on). */
static bool shed(struct acceptor *a)
{
    if (a->reserve_fd < 0)
        return false;
    close(a->reserve_fd);
    int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        close(fd);
    a->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0;
}

int accept_burst(struct acceptor *a)
{
    int handed = 0;
    for (;;) {
        int fd =
            accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && shed(a))
                continue;
            return handed; /* EAGAIN: the queue is empty */
        }
        int target = a->epfds[a->next++ % (unsigned)a->n];
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd};
        if (epoll_ctl(target, EPOLL_CTL_ADD, fd, &ev) < 0)
            close(fd);
        else
            handed++;
    }
}
