/*
 * --incoming-cpu: threads chosen by the core the kernel processed a
 * connection's packets on (see steer.h).
 */
#include "reference-server/steer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "reference-server/server.h"

int steer_listener(int listen_fd, int core, char *err, size_t errlen)
{
    if (core < 0)
        return 0;
    if (setsockopt(listen_fd, SOL_SOCKET, SO_INCOMING_CPU, &core, sizeof core) <
        0) {
        snprintf(err, errlen, "setsockopt(SO_INCOMING_CPU %d on fd %d): %s",
                 core, listen_fd, strerror(errno));
        return -1;
    }
    return 0;
}

//! [steer pick]
struct thread *steer_pick(struct thread *self, int fd, struct thread *fallback)
{
    int cpu = -1;
    socklen_t len = sizeof cpu;
    if (getsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &len) < 0 || cpu < 0)
        return fallback;
    struct server *srv = self->srv;
    for (int i = 0; i < srv->nworkers; i++)
        if (srv->workers[i]->core == cpu)
            return srv->workers[i];
    return fallback;
}
//! [steer pick]
