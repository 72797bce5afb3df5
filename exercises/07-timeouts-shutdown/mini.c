/* Exercise 07 - see README.md. Replace each TODO with working code. */
#include <stdbool.h>

#include "mini.h"
#include "mini_common.h"

int mini_serve(int listen_fd, int idle_ms, int stop_fd)
{
    static struct client clients[MAX_FD];
    memset(clients, 0, sizeof clients);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listen_fd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
    /* TODO 1: create a timerfd (timerfd_create, timerfd_settime) that
     * ticks every idle_ms / 4 ms, and add it to epfd. */
    (void)idle_ms;
    /* TODO 2: add stop_fd to epfd. */
    (void)stop_fd;
    for (;;) {
        struct epoll_event events[64];
        int n = epoll_wait(epfd, events, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listen_fd)
                accept_all(epfd, listen_fd, clients);
            /* TODO 1 (cont.): on a tick, read the timerfd and close every
             * client whose last_line_ms is idle_ms or more ago. */
            /* TODO 2 (cont.): when stop_fd is readable, close every open
             * client and the epoll fd, and return 0. */
            else if (fd >= 0 && fd < MAX_FD && clients[fd].open)
                serve_client(clients, fd);
        }
    }
}
