/* Exercise 02 - see README.md. Replace each TODO with working code. */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

long nofile_raise(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    /* TODO 1: raise the soft limit (rlim_cur) to the hard one (rlim_max). */
    return (long)rl.rlim_cur;
}

int listener_backlog(void)
{
    /* TODO 2: read /proc/sys/net/core/somaxconn. */
    return 16;
}

int listener_open(const char *addr, int port, bool reuseport, char *err,
                  size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* TODO 3: this "fast close" copied from a blog is wrong: {1, 0} makes
     * close() reset the connection and drop any response not yet sent.
     * Turn lingering off instead. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    /* TODO 4: TCP_DEFER_ACCEPT (a few seconds), so accept() only returns
     * connections that have sent their request. */
    /* TODO 5: SO_REUSEPORT when reuseport is true. */
    (void)reuseport;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "bad address '%s'", addr);
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(fd, listener_backlog()) < 0) {
        snprintf(err, errlen, "bind/listen %s:%d: %s", addr, port,
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
