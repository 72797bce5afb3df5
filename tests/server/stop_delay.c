/*
 * LD_PRELOAD shim for test_robust's test_drain_takes_queued: it widens a
 * window that is microseconds wide in a real fastd (more on a loaded
 * machine) to 300 ms, so that the test meets it every time.
 *
 * - eventfd(): remembers the fd (fastd makes one: the stop eventfd);
 * - epoll_wait(): when a batch reports that fd (the stop), sleeps 300 ms
 *   before returning it, as if the thread were preempted between its
 *   wait and its handling of the stop.
 *
 * A client that connects in that window has completed its handshake into
 * the listener's queue when the thread goes on to close the listener.
 * Only for tests; fastd never links it. (io_uring waits are made by
 * liburing itself, not through libc: there the shim changes nothing.)
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

static atomic_int stop_fd = -1;

int eventfd(unsigned int initval, int flags)
{
    static int (*real)(unsigned int, int);
    if (!real)
        real = (int (*)(unsigned int, int))dlsym(RTLD_NEXT, "eventfd");
    int fd = real(initval, flags);
    atomic_store(&stop_fd, fd);
    return fd;
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    static int (*real)(int, struct epoll_event *, int, int);
    if (!real)
        real = (int (*)(int, struct epoll_event *, int, int))dlsym(
            RTLD_NEXT, "epoll_wait");
    int n = real(epfd, events, max, timeout);
    int stop = atomic_load(&stop_fd);
    for (int i = 0; i < n; i++)
        if (stop >= 0 && events[i].data.fd == stop) {
            struct timespec ts = {.tv_nsec = 300 * 1000 * 1000};
            while (nanosleep(&ts, &ts) != 0)
                ;
            break;
        }
    return n;
}
