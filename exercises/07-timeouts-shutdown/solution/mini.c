/* Exercise 07, reference solution. */
#include <stdbool.h>
#include <stdint.h>
#include <sys/timerfd.h>

#include "mini.h"
#include "mini_common.h"

static void close_idle(struct client *clients, long before_ms)
{
    for (int fd = 0; fd < MAX_FD; fd++)
        if (clients[fd].open && clients[fd].last_line_ms <= before_ms)
            client_close(clients, fd);
}

int mini_serve(int listen_fd, int idle_ms, int stop_fd)
{
    static struct client clients[MAX_FD];
    memset(clients, 0, sizeof clients);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listen_fd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
    /* A tick every quarter of the timeout: a connection is closed between
     * idle_ms and 1.25 idle_ms after its last line. */
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    long tick = idle_ms / 4 > 0 ? idle_ms / 4 : 1;
    struct itimerspec its = {
        .it_interval = {tick / 1000, (tick % 1000) * 1000000},
        .it_value = {tick / 1000, (tick % 1000) * 1000000},
    };
    timerfd_settime(tfd, 0, &its, NULL);
    ev.data.fd = tfd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
    ev.data.fd = stop_fd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd, &ev);
    for (;;) {
        struct epoll_event events[64];
        int n = epoll_wait(epfd, events, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listen_fd) {
                accept_all(epfd, listen_fd, clients);
            } else if (fd == tfd) {
                uint64_t ticks;
                if (read(tfd, &ticks, sizeof ticks) == sizeof ticks)
                    close_idle(clients, now_ms() - idle_ms);
            } else if (fd == stop_fd) {
                close_idle(clients, now_ms() + 1); /* all of them */
                close(tfd);
                close(epfd);
                return 0;
            } else if (fd >= 0 && fd < MAX_FD && clients[fd].open) {
                serve_client(clients, fd);
            }
        }
    }
}
