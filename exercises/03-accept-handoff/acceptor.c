/* Exercise 03 - see README.md. Replace each TODO with working code. */
#include "acceptor.h"

#include <errno.h>
#include <fcntl.h>
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

int accept_burst(struct acceptor *a)
{
    int handed = 0;
    /* TODO 1: accept until the queue is empty (EAGAIN), not just once. */
    /* TODO 2: make the new socket non-blocking and close-on-exec
     * (accept4 can do it in the same call). */
    int fd = accept(a->listen_fd, NULL, NULL);
    if (fd < 0) {
        /* TODO 4: on EMFILE/ENFILE, shed the connection with the spare fd:
         * close it, accept and close, reopen it. */
        return 0;
    }
    /* TODO 3: hand to the next thread round-robin, not always the first. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd};
    if (epoll_ctl(a->epfds[0], EPOLL_CTL_ADD, fd, &ev) < 0)
        close(fd);
    else
        handed++;
    return handed;
}
