/*
 * The wrappers behind inject.h. The grader links every unit test program
 * with -Wl,--wrap=NAME for each call here, so a call to NAME in the
 * program's objects lands in __wrap_NAME, which applies the armed rule or
 * calls __real_NAME. One mutex: tests are not about the wrappers' speed.
 */
#include "exercises/grader/inject.h"

#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __real_recv(int fd, void *buf, size_t n, int flags);
ssize_t __real_send(int fd, const void *buf, size_t n, int flags);
ssize_t __real_writev(int fd, const struct iovec *iov, int iovcnt);
int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int __real_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off);
int __real_munmap(void *addr, size_t len);

ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt);
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int __wrap_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off);
int __wrap_munmap(void *addr, size_t len);

struct rule {
    int err;     /* errno to fail with, 0 = none */
    int fails;   /* failures left (< 0: forever) */
    size_t most; /* byte/event cap */
    int shorts;  /* short counts left (< 0: forever) */
    int skip;    /* calls to let through first */
    int fd;      /* only this fd, -1 = any */
    long calls;  /* calls seen */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule rules[INJECT_CALLS] = {
    [0 ... INJECT_CALLS - 1] = {.fd = -1},
};

void inject_fail(enum inject_call call, int err, int times)
{
    pthread_mutex_lock(&lock);
    rules[call].err = err;
    rules[call].fails = times;
    pthread_mutex_unlock(&lock);
}

void inject_short(enum inject_call call, size_t most, int times)
{
    pthread_mutex_lock(&lock);
    rules[call].most = most;
    rules[call].shorts = times;
    pthread_mutex_unlock(&lock);
}

void inject_skip_first(enum inject_call call, int n)
{
    pthread_mutex_lock(&lock);
    rules[call].skip = n;
    pthread_mutex_unlock(&lock);
}

void inject_only_fd(enum inject_call call, int fd)
{
    pthread_mutex_lock(&lock);
    rules[call].fd = fd;
    pthread_mutex_unlock(&lock);
}

long inject_calls(enum inject_call call)
{
    pthread_mutex_lock(&lock);
    long n = rules[call].calls;
    pthread_mutex_unlock(&lock);
    return n;
}

void inject_reset(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < INJECT_CALLS; i++)
        rules[i] = (struct rule){.fd = -1};
    pthread_mutex_unlock(&lock);
}

/* Count the call; decide what happens to it. Returns the errno to fail
 * with (0: call the real function), and sets *cap to a size cap (0: none). */
static int decide(enum inject_call call, int fd, size_t *cap)
{
    int err = 0;
    *cap = 0;
    pthread_mutex_lock(&lock);
    struct rule *r = &rules[call];
    r->calls++;
    if (r->fd >= 0 && r->fd != fd) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    if (r->skip > 0) {
        r->skip--;
    } else if (r->err && r->fails != 0) {
        err = r->err;
        if (r->fails > 0)
            r->fails--;
    } else if (r->most && r->shorts != 0) {
        *cap = r->most;
        if (r->shorts > 0)
            r->shorts--;
    }
    pthread_mutex_unlock(&lock);
    return err;
}

static size_t capped(size_t n, size_t cap)
{
    return cap && cap < n ? cap : n;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    size_t cap;
    int err = decide(INJECT_READ, fd, &cap);
    if (err)
        return errno = err, -1;
    return __real_read(fd, buf, capped(n, cap));
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    size_t cap;
    int err = decide(INJECT_WRITE, fd, &cap);
    if (err)
        return errno = err, -1;
    return __real_write(fd, buf, capped(n, cap));
}

ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags)
{
    size_t cap;
    int err = decide(INJECT_RECV, fd, &cap);
    if (err)
        return errno = err, -1;
    return __real_recv(fd, buf, capped(n, cap), flags);
}

ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags)
{
    size_t cap;
    int err = decide(INJECT_SEND, fd, &cap);
    if (err)
        return errno = err, -1;
    return __real_send(fd, buf, capped(n, cap), flags);
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt)
{
    size_t cap;
    int err = decide(INJECT_WRITEV, fd, &cap);
    if (err)
        return errno = err, -1;
    if (!cap)
        return __real_writev(fd, iov, iovcnt);
    /* A short writev: only the first cap bytes of the vector. */
    struct iovec part[64];
    int k = 0;
    size_t left = cap;
    for (int i = 0; i < iovcnt && i < 64 && left > 0; i++) {
        part[k] = iov[i];
        if (part[k].iov_len > left)
            part[k].iov_len = left;
        left -= part[k].iov_len;
        k++;
    }
    return __real_writev(fd, part, k);
}

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    size_t cap;
    int err = decide(INJECT_ACCEPT, fd, &cap);
    if (err)
        return errno = err, -1;
    return __real_accept(fd, addr, len);
}

int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    size_t cap;
    int err = decide(INJECT_ACCEPT4, fd, &cap);
    if (err)
        return errno = err, -1;
    return __real_accept4(fd, addr, len, flags);
}

int __wrap_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
    size_t cap;
    int err = decide(INJECT_EPOLL_WAIT, epfd, &cap);
    if (err)
        return errno = err, -1;
    return __real_epoll_wait(epfd, ev, (int)capped((size_t)max, cap), ms);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off)
{
    size_t cap;
    int err = decide(INJECT_MMAP, fd, &cap);
    if (err)
        return errno = err, MAP_FAILED;
    return __real_mmap(addr, len, prot, flags, fd, off);
}

int __wrap_munmap(void *addr, size_t len)
{
    size_t cap;
    int err = decide(INJECT_MUNMAP, -1, &cap);
    if (err)
        return errno = err, -1;
    return __real_munmap(addr, len);
}
