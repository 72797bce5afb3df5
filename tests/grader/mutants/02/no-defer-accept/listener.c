/* mutant: TCP_DEFER_ACCEPT left out: silent clients are accepted */
#include "reference-server/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

//! [backlog]
int listener_backlog(void)
{
    int backlog = 4096;
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    if (f) {
        if (fscanf(f, "%d", &backlog) != 1 || backlog <= 0)
            backlog = 4096;
        fclose(f);
    }
    return backlog;
}
//! [backlog]

static int fail(int fd, char *err, size_t errlen, const char *call,
                const char *addr, int port)
{
    snprintf(err, errlen, "%s(%s port %d): %s", call, addr, port,
             strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

int listener_open(const char *addr, int port, bool reuseport, char *err,
                  size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags =
                                 AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(addr, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "getaddrinfo(%s): %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd =
        socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return fail(-1, err, errlen, "socket", addr, port);
    }
    //! [listener options]
    int one = 1, defer = 5;
    struct linger off = {.l_onoff = 0, .l_linger = 0};
    const struct {
        int level, name;
        const void *value;
        socklen_t len;
        const char *what;
    } opts[] = {
        {SOL_SOCKET, SO_REUSEADDR, &one, sizeof one, "SO_REUSEADDR"},
        {SOL_SOCKET, SO_LINGER, &off, sizeof off, "SO_LINGER"},
        {IPPROTO_TCP, TCP_NODELAY, &one, sizeof one, "TCP_NODELAY"},
        {SOL_SOCKET, SO_REUSEPORT, &one, sizeof one, "SO_REUSEPORT"},
    };
    size_t nopts = sizeof opts / sizeof opts[0] - (reuseport ? 0 : 1);
    for (size_t i = 0; i < nopts; i++) {
        if (setsockopt(fd, opts[i].level, opts[i].name, opts[i].value,
                       opts[i].len) < 0) {
            freeaddrinfo(ai);
            return fail(fd, err, errlen, opts[i].what, addr, port);
        }
    }
    //! [listener options]
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        freeaddrinfo(ai);
        return fail(fd, err, errlen, "bind", addr, port);
    }
    freeaddrinfo(ai);
    if (listen(fd, listener_backlog()) < 0)
        return fail(fd, err, errlen, "listen", addr, port);
    return fd;
}

int listener_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

//! [nofile]
long nofile_raise(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}
//! [nofile]
