/* Exercise 06, reference solution. */
#include "pump.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int pump_write(struct pump *p)
{
    while (p->sent < p->len) {
        ssize_t n =
            send(p->fd, p->data + p->sent, p->len - p->sent, MSG_NOSIGNAL);
        if (n > 0) {
            p->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN ? 0 : -1;
    }
    return 1;
}

int pump_all(int fd, const char *data, size_t len)
{
    struct pump p = {fd, data, len, 0};
    int epfd = epoll_create1(EPOLL_CLOEXEC), r;
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        if (epfd >= 0)
            close(epfd);
        return -1;
    }
    while ((r = pump_write(&p)) == 0) {
        /* Asleep until the peer has read enough to make room. */
        if (epoll_wait(epfd, &ev, 1, -1) < 0 && errno != EINTR)
            break;
    }
    close(epfd);
    return r == 1 ? 0 : -1;
}
