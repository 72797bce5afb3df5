/*
 * LD_PRELOAD shim for test_lifecycle's late hand-off test: it widens a
 * race window that is microseconds wide in a real fastd to a tenth of a
 * second, so that the test sees it every time.
 *
 * - accept4(): 20 ms after each connection it returns, as if the accept
 *   thread were slow (preempted, or handing off a long burst);
 * - epoll_wait() with a 50 ms timeout (a draining request thread's, see
 *   worker_timeout()): 100 ms after it returns, as if that thread were
 *   preempted between its wait and its idle pass.
 *
 * Together: the accept thread hands off its last connections, exits, and
 * acceptors_done is set, all while a draining request thread sits between
 * an epoll_wait() that did not see those connections and the pass that
 * decides it is done. Only for tests; fastd never links it.
 */
#include <dlfcn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real)
        real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(
            RTLD_NEXT, "accept4");
    int rc = real(fd, addr, len, flags);
    if (rc >= 0)
        sleep_ms(20);
    return rc;
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    static int (*real)(int, struct epoll_event *, int, int);
    if (!real)
        real = (int (*)(int, struct epoll_event *, int, int))dlsym(
            RTLD_NEXT, "epoll_wait");
    int n = real(epfd, events, max, timeout);
    if (timeout == 50)
        sleep_ms(100);
    return n;
}
