/* correct: the options in another order, each failure named by the call
 * ("setsockopt(SO_LINGER on ::1 port 0): ..."), one exit path (right, but
 * different from the solution; it must score full marks) */
#include "reference-server/listener.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int listener_backlog(void)
{
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    int n = 0;
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = 0;
        fclose(f);
    }
    return n > 0 ? n : 4096;
}

int listener_open(const char *addr, int port, bool reuseport, char *err,
                  size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags =
                                 AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(addr, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "getaddrinfo(%s port %d): %s", addr, port,
                 gai_strerror(rc));
        return -1;
    }
    const char *what = "socket";
    int one = 1, defer = 5;
    struct linger off = {0, 0};
    int fd =
        socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    what = "setsockopt(TCP_NODELAY";
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        goto fail;
    what = "setsockopt(TCP_DEFER_ACCEPT";
    if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer) < 0)
        goto fail;
    what = "setsockopt(SO_LINGER";
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off) < 0)
        goto fail;
    what = "setsockopt(SO_REUSEPORT";
    if (reuseport &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        goto fail;
    what = "setsockopt(SO_REUSEADDR";
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        goto fail;
    what = "bind";
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        goto fail;
    what = "listen";
    if (listen(fd, listener_backlog()) < 0)
        goto fail;
    freeaddrinfo(ai);
    return fd;
fail:;
    int saved = errno;
    const char *sep = strchr(what, '(') ? " on " : "(";
    snprintf(err, errlen, "%s%s%s port %d): %s", what, sep, addr, port,
             strerror(saved));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return -1;
}

int listener_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return ss.ss_family == AF_INET6
               ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
               : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

long nofile_raise(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur != rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}
