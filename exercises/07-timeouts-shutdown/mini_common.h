/* Exercise 07: the parts of the server that are given (included by both
 * mini.c and the solution, so that you only write the new parts). */
#ifndef EX07_MINI_COMMON_H
#define EX07_MINI_COMMON_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 4096

struct client {
    bool open;
    long last_line_ms; /* when it last completed a line */
    char buf[256];
    size_t len;
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void client_close(struct client *clients, int fd)
{
    clients[fd].open = false;
    close(fd);
}

static void accept_all(int epfd, int listen_fd, struct client *clients)
{
    int fd;
    while ((fd = accept4(listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        if (fd >= MAX_FD) {
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        clients[fd] = (struct client){.open = true, .last_line_ms = now_ms()};
    }
}

/* Read what is there; answer each complete "ping\n". */
static void serve_client(struct client *clients, int fd)
{
    struct client *c = &clients[fd];
    ssize_t n = recv(fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN) ||
        (n > 0 && c->len + (size_t)n == sizeof c->buf)) {
        client_close(clients, fd);
        return;
    }
    if (n < 0)
        return;
    c->len += (size_t)n;
    char *nl;
    while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
        send(fd, "pong\n", 5, MSG_NOSIGNAL);
        c->last_line_ms = now_ms();
        c->len -= (size_t)(nl + 1 - c->buf);
        memmove(c->buf, nl + 1, c->len);
    }
}

#endif
