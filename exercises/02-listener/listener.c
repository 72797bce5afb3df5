/*
 * Exercise 02: the listening socket and the fd limit - your version of
 * fastd's reference-server/listener.c, behind reference-server/listener.h.
 *
 * This starter works, naively: a plain non-blocking listener with the
 * textbook backlog of 128. The fd limit stays at its soft value (often
 * 1024 connections, then EMFILE), the accept stage is woken for clients
 * that have sent nothing yet, small responses wait for Nagle, several
 * threads cannot share the port (--arch shared-nothing fails), and a
 * failed set-up leaks the socket.
 *
 * TODO 1: nofile_raise: the soft RLIMIT_NOFILE up to the hard limit.
 * TODO 2: listener_backlog: /proc/sys/net/core/somaxconn (4096 if unread),
 *         and listen with it.
 * TODO 3: the options: SO_REUSEADDR, SO_LINGER explicitly off ({0, 0}:
 *         NOT the abortive {1, 0}), TCP_DEFER_ACCEPT, TCP_NODELAY, and
 *         SO_REUSEPORT when reuseport is set - all before bind().
 * TODO 4: every failure after socket() closes the socket, and err says
 *         "call(addr port N): reason".
 */
#include "reference-server/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int listener_backlog(void)
{
    return 128; /* TODO 2 */
}

int listener_open(const char *addr, int port, bool reuseport, char *err,
                  size_t errlen)
{
    (void)reuseport; /* TODO 3 */
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
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        listen(fd, listener_backlog()) < 0) {
        snprintf(err, errlen, "listener(%s port %d): %s", addr, port,
                 strerror(errno));
        freeaddrinfo(ai);
        return -1; /* TODO 4 */
    }
    freeaddrinfo(ai);
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

long nofile_raise(void)
{
    struct rlimit rl; /* TODO 1 */
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}
