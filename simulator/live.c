#include "simulator/live.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int live_open(struct live *l, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    l->fd = -1;
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "%s: path too long for a unix socket", path);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a socket", path);
            return -1;
        }
        unlink(path); /* a socket left by an earlier fastsim */
    }
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    snprintf(l->path, sizeof l->path, "%s", path);
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        snprintf(err, errlen, "socket(AF_UNIX): %s", strerror(errno));
        return -1;
    }
    /* Room for bursts: fastd drops what does not fit. */
    int size = 4 << 20;
    setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(l->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        snprintf(err, errlen, "bind(%s): %s", path, strerror(errno));
        close(l->fd);
        l->fd = -1;
        return -1;
    }
    return 0;
}

long live_read(struct live *l, char *buf, size_t cap)
{
    ssize_t n = recv(l->fd, buf, cap - 1, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0
                                                                         : -1;
    buf[n] = 0;
    return (long)n;
}

void live_close(struct live *l)
{
    if (l->fd >= 0) {
        close(l->fd);
        unlink(l->path);
    }
    l->fd = -1;
}
