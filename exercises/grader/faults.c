/*
 * The wrappers behind faults.h. The grader links every unit test program
 * with -Wl,--wrap=NAME for each call here (grade.sh's `wrapped` list), so
 * a call to NAME in the program's objects - the learner's, and the
 * reference's beside it - lands in __wrap_NAME. One mutex: tests are not
 * about the wrappers' speed.
 */
#include "exercises/grader/faults.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int __real_socket(int domain, int type, int proto);
int __real_setsockopt(int fd, int level, int name, const void *v,
                      socklen_t len);
int __real_bind(int fd, const struct sockaddr *sa, socklen_t len);
int __real_listen(int fd, int backlog);
int __real_epoll_create1(int flags);
int __real_epoll_create(int size);
int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int __real_openat(int dirfd, const char *path, int flags, ...);
int __real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);
int __real_pthread_setaffinity_np(pthread_t th, size_t size,
                                  const cpu_set_t *set);
FILE *__real_fopen(const char *path, const char *mode);
int __real_sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set);

int __wrap_socket(int domain, int type, int proto);
int __wrap_setsockopt(int fd, int level, int name, const void *v,
                      socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *sa, socklen_t len);
int __wrap_listen(int fd, int backlog);
int __wrap_getrlimit(int res, struct rlimit *rl);
int __wrap_setrlimit(int res, const struct rlimit *rl);
int __wrap_prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *nl,
                   struct rlimit *ol);
int __wrap_epoll_create1(int flags);
int __wrap_epoll_create(int size);
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int __wrap_open(const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);
int __wrap_pthread_setaffinity_np(pthread_t th, size_t size,
                                  const cpu_set_t *set);
FILE *__wrap_fopen(const char *path, const char *mode);
int __wrap_sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set);

static const char *const names[FAULT_CALLS] = {
    [FAULT_SOCKET] = "socket",
    [FAULT_SETSOCKOPT] = "setsockopt",
    [FAULT_BIND] = "bind",
    [FAULT_LISTEN] = "listen",
    [FAULT_GETRLIMIT] = "getrlimit",
    [FAULT_SETRLIMIT] = "setrlimit",
    [FAULT_EPOLL_CREATE1] = "epoll_create1",
    [FAULT_EPOLL_CTL] = "epoll_ctl",
    [FAULT_OPEN] = "open",
    [FAULT_PTHREAD_CREATE] = "pthread_create",
    [FAULT_SETAFFINITY] = "pthread_setaffinity_np",
    [FAULT_FOPEN] = "fopen",
};

/* ERRORS of each man page (Linux man-pages 6.x), the ones a call on a
 * valid object can meet included: the module cannot tell them apart. */
static const int e_socket[] = {EACCES, EAFNOSUPPORT, EINVAL, EMFILE,
                               ENFILE, ENOBUFS,      ENOMEM, EPROTONOSUPPORT};
static const int e_setsockopt[] = {EBADF,    EFAULT, EINVAL, ENOPROTOOPT,
                                   ENOTSOCK, ENOMEM, ENOBUFS};
static const int e_bind[] = {EACCES,   EADDRINUSE,    EBADF,  EINVAL,
                             ENOTSOCK, EADDRNOTAVAIL, EFAULT, ENOMEM};
static const int e_listen[] = {EADDRINUSE, EBADF, ENOTSOCK, EOPNOTSUPP};
static const int e_rlimit[] = {EFAULT, EINVAL, EPERM, ESRCH};
static const int e_epoll_create1[] = {EINVAL, EMFILE, ENFILE, ENOMEM};
static const int e_epoll_ctl[] = {EBADF,  EEXIST, EINVAL, ELOOP,
                                  ENOENT, ENOMEM, ENOSPC, EPERM};
static const int e_open[] = {EACCES, EINTR,  EMFILE, ENFILE, ENODEV,
                             ENOENT, ENOMEM, ENXIO,  EPERM};
/* fopen(3): open(2)'s, and malloc's. */
static const int e_fopen[] = {EACCES, EINTR,  EMFILE, ENFILE, ENODEV,
                              ENOENT, ENOMEM, ENXIO,  EPERM,  EINVAL};
static const int e_pthread_create[] = {EAGAIN, EINVAL, EPERM};
static const int e_setaffinity[] = {EFAULT, EINVAL, ESRCH};

int fault_errnos(enum fault_call call, const int **list)
{
#define LIST(a) (*list = a, (int)(sizeof a / sizeof a[0]))
    switch (call) {
    case FAULT_SOCKET:
        return LIST(e_socket);
    case FAULT_SETSOCKOPT:
        return LIST(e_setsockopt);
    case FAULT_BIND:
        return LIST(e_bind);
    case FAULT_LISTEN:
        return LIST(e_listen);
    case FAULT_GETRLIMIT:
    case FAULT_SETRLIMIT:
        return LIST(e_rlimit);
    case FAULT_EPOLL_CREATE1:
        return LIST(e_epoll_create1);
    case FAULT_EPOLL_CTL:
        return LIST(e_epoll_ctl);
    case FAULT_OPEN:
        return LIST(e_open);
    case FAULT_PTHREAD_CREATE:
        return LIST(e_pthread_create);
    case FAULT_SETAFFINITY:
        return LIST(e_setaffinity);
    case FAULT_FOPEN:
        return LIST(e_fopen);
    case FAULT_CALLS:
        break;
    }
#undef LIST
    *list = NULL;
    return 0;
}

const char *fault_name(enum fault_call call)
{
    return call < FAULT_CALLS ? names[call] : "?";
}

struct rule {
    int nth;   /* the call (1-based, counted from arming) that fails; 0: none */
    int err;   /* its errno */
    int seen;  /* calls since arming */
    int fired; /* it failed one */
    long calls;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule rules[FAULT_CALLS];
static int recording;
static char logbuf[16384];
static size_t loglen;

void fault_fail_nth(enum fault_call call, int nth, int err)
{
    pthread_mutex_lock(&lock);
    rules[call].nth = nth;
    rules[call].err = err;
    rules[call].seen = 0;
    rules[call].fired = 0;
    pthread_mutex_unlock(&lock);
}

int fault_fired(enum fault_call call)
{
    pthread_mutex_lock(&lock);
    int fired = rules[call].fired;
    pthread_mutex_unlock(&lock);
    return fired;
}

long fault_calls(enum fault_call call)
{
    pthread_mutex_lock(&lock);
    long n = rules[call].calls;
    pthread_mutex_unlock(&lock);
    return n;
}

void fault_record(int on)
{
    pthread_mutex_lock(&lock);
    recording = on;
    if (on) {
        loglen = 0;
        logbuf[0] = 0;
    }
    pthread_mutex_unlock(&lock);
}

const char *fault_log(void)
{
    return logbuf;
}

/* fault_substitute(): the file opened in place of another. */
static char sub_path[256], sub_instead[256];

void fault_substitute(const char *path, const char *instead)
{
    pthread_mutex_lock(&lock);
    snprintf(sub_path, sizeof sub_path, "%s", path && instead ? path : "");
    snprintf(sub_instead, sizeof sub_instead, "%s",
             path && instead ? instead : "");
    pthread_mutex_unlock(&lock);
}

/* The path to open for path: its substitute, if any (into buf). */
static const char *substituted(const char *path, char *buf, size_t cap)
{
    pthread_mutex_lock(&lock);
    int sub = path && sub_path[0] && strcmp(path, sub_path) == 0;
    if (sub)
        snprintf(buf, cap, "%s", sub_instead);
    pthread_mutex_unlock(&lock);
    return sub ? buf : path;
}

void fault_reset(void)
{
    pthread_mutex_lock(&lock);
    sub_path[0] = sub_instead[0] = 0;
    memset(rules, 0, sizeof rules);
    recording = 0;
    loglen = 0;
    logbuf[0] = 0;
    pthread_mutex_unlock(&lock);
}

/* Count the call; the errno to fail it with, or 0 to let it through. */
static int enter(enum fault_call call)
{
    pthread_mutex_lock(&lock);
    struct rule *r = &rules[call];
    r->calls++;
    int err = 0;
    if (r->nth > 0 && ++r->seen == r->nth) {
        err = r->err;
        r->fired = 1;
    }
    pthread_mutex_unlock(&lock);
    return err;
}

/* One line of the log: the call's description, and the injected error. */
static void note(int err, const char *fmt, ...)
{
    pthread_mutex_lock(&lock);
    if (recording && loglen + 200 < sizeof logbuf) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(logbuf + loglen, 160, fmt, ap);
        va_end(ap);
        if (n > 0)
            loglen += (size_t)n < 159 ? (size_t)n : 159;
        if (err)
            loglen += (size_t)snprintf(logbuf + loglen, 40, " -> %s",
                                       strerrorname_np(err));
        logbuf[loglen++] = '\n';
        logbuf[loglen] = 0;
    }
    pthread_mutex_unlock(&lock);
}

static const char *flag_list(char *out, size_t cap, int flags, const int *bits,
                             const char *const *words, int n)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++)
        if (flags & bits[i]) {
            used += (size_t)snprintf(out + used, cap - used, "%s%s",
                                     used ? "|" : "", words[i]);
            flags &= ~bits[i];
        }
    if (flags || !used)
        snprintf(out + used, cap - used, "%s%#x", used ? "|" : "", flags);
    return out;
}

int __wrap_socket(int domain, int type, int proto)
{
    int err = enter(FAULT_SOCKET);
    static const int bits[] = {SOCK_NONBLOCK, SOCK_CLOEXEC};
    static const char *const words[] = {"NONBLOCK", "CLOEXEC"};
    char f[64];
    note(err, "socket %s %s %s %d",
         domain == AF_INET    ? "AF_INET"
         : domain == AF_INET6 ? "AF_INET6"
                              : "other",
         (type & 0xf) == SOCK_STREAM ? "SOCK_STREAM" : "other",
         flag_list(f, sizeof f, type & ~0xf, bits, words, 2), proto);
    if (err) {
        errno = err;
        return -1;
    }
    return __real_socket(domain, type, proto);
}

int __wrap_setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
    int err = enter(FAULT_SETSOCKOPT);
    char value[48] = "?";
    if (name == SO_LINGER && level == SOL_SOCKET &&
        len == sizeof(struct linger) && v) {
        const struct linger *l = v;
        snprintf(value, sizeof value, "{%d,%d}", l->l_onoff, l->l_linger);
    } else if (len == sizeof(int) && v) {
        snprintf(value, sizeof value, "%d", *(const int *)v);
    }
    const char *lv = level == SOL_SOCKET     ? "SOL_SOCKET"
                     : level == IPPROTO_TCP  ? "IPPROTO_TCP"
                     : level == IPPROTO_IPV6 ? "IPPROTO_IPV6"
                                             : "other";
    const char *nm = "other";
    if (level == SOL_SOCKET)
        nm = name == SO_REUSEADDR   ? "SO_REUSEADDR"
             : name == SO_REUSEPORT ? "SO_REUSEPORT"
             : name == SO_LINGER    ? "SO_LINGER"
                                    : "other";
    else if (level == IPPROTO_TCP)
        nm = name == TCP_NODELAY        ? "TCP_NODELAY"
             : name == TCP_DEFER_ACCEPT ? "TCP_DEFER_ACCEPT"
                                        : "other";
    else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY)
        nm = "IPV6_V6ONLY";
    if (!strcmp(nm, "other"))
        note(err, "setsockopt %s %d %s", lv, name, value);
    else
        note(err, "setsockopt %s %s %s", lv, nm, value);
    if (err) {
        errno = err;
        return -1;
    }
    return __real_setsockopt(fd, level, name, v, len);
}

int __wrap_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    int err = enter(FAULT_BIND);
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = -1;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
        port = ntohs(in->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
        port = ntohs(in6->sin6_port);
    }
    note(err, "bind %s port %d", addr, port);
    if (err) {
        errno = err;
        return -1;
    }
    return __real_bind(fd, sa, len);
}

int __wrap_listen(int fd, int backlog)
{
    int err = enter(FAULT_LISTEN);
    note(err, "listen backlog %d", backlog);
    if (err) {
        errno = err;
        return -1;
    }
    return __real_listen(fd, backlog);
}

/* The real limit calls, by system call: the sanitizer builds wrap none
 * of the rlimit calls (grade.sh) and so have no __real_ for them, and
 * prlimit itself is wrapped in the plain build. */
static int rlimit_call(pid_t pid, int res, const struct rlimit *nl,
                       struct rlimit *ol)
{
    return (int)syscall(SYS_prlimit64, pid, res, nl, ol);
}

int __wrap_getrlimit(int res, struct rlimit *rl)
{
    int err = enter(FAULT_GETRLIMIT);
    note(err, "getrlimit %s", res == RLIMIT_NOFILE ? "NOFILE" : "other");
    if (err) {
        errno = err;
        return -1;
    }
    return rlimit_call(0, res, NULL, rl);
}

int __wrap_setrlimit(int res, const struct rlimit *rl)
{
    int err = enter(FAULT_SETRLIMIT);
    note(err, "setrlimit %s cur=%lld max=%lld",
         res == RLIMIT_NOFILE ? "NOFILE" : "other",
         rl ? (long long)rl->rlim_cur : -1, rl ? (long long)rl->rlim_max : -1);
    if (err) {
        errno = err;
        return -1;
    }
    return rlimit_call(0, res, rl, NULL);
}

/* prlimit() on this process is getrlimit() when it sets nothing, else
 * setrlimit() (with the old limit read back as it sets): the same faults
 * and the same log, so that a right nofile_raise() written with prlimit()
 * is graded like one written with the other two. */
int __wrap_prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *nl,
                   struct rlimit *ol)
{
    if (pid != 0 && pid != getpid())
        return rlimit_call(pid, (int)res, nl, ol);
    if (!nl)
        return __wrap_getrlimit((int)res, ol);
    struct rlimit old;
    if (ol && rlimit_call(0, (int)res, NULL, &old) < 0)
        return -1;
    if (__wrap_setrlimit((int)res, nl) < 0)
        return -1;
    if (ol)
        *ol = old;
    return 0;
}

int __wrap_epoll_create1(int flags)
{
    int err = enter(FAULT_EPOLL_CREATE1);
    note(err, "epoll_create1 %s",
         flags == EPOLL_CLOEXEC ? "CLOEXEC"
         : flags == 0           ? "0"
                                : "other");
    if (err) {
        errno = err;
        return -1;
    }
    return __real_epoll_create1(flags);
}

/* The older call shares epoll_create1's rule. */
int __wrap_epoll_create(int size)
{
    int err = enter(FAULT_EPOLL_CREATE1);
    note(err, "epoll_create %d", size);
    if (err) {
        errno = err;
        return -1;
    }
    return __real_epoll_create(size);
}

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    int err = enter(FAULT_EPOLL_CTL);
    static const int bits[] = {EPOLLIN, EPOLLOUT,       EPOLLRDHUP,
                               EPOLLET, EPOLLEXCLUSIVE, EPOLLONESHOT};
    static const char *const words[] = {"IN", "OUT",       "RDHUP",
                                        "ET", "EXCLUSIVE", "ONESHOT"};
    char f[96];
    note(err, "epoll_ctl %s fd=%d %s",
         op == EPOLL_CTL_ADD   ? "ADD"
         : op == EPOLL_CTL_MOD ? "MOD"
         : op == EPOLL_CTL_DEL ? "DEL"
                               : "other",
         fd,
         ev ? flag_list(f, sizeof f, (int)ev->events, bits, words, 6) : "-");
    if (err) {
        errno = err;
        return -1;
    }
    return __real_epoll_ctl(epfd, op, fd, ev);
}

/* open() and openat() are one call to the fault matrix and the log
 * ("open PATH FLAGS"): a file may open what it reads either way, and a
 * right one that uses openat() must see the same faults and the same
 * substituted file. */
static int open_enter(const char *path, int flags)
{
    int err = enter(FAULT_OPEN);
    static const int bits[] = {O_WRONLY, O_RDWR, O_CLOEXEC, O_NONBLOCK,
                               O_CREAT};
    static const char *const words[] = {"WRONLY", "RDWR", "CLOEXEC", "NONBLOCK",
                                        "CREAT"};
    char f[96];
    note(err, "open %s %s", path ? path : "(null)",
         (flags & ~O_LARGEFILE)
             ? flag_list(f, sizeof f, flags & ~O_LARGEFILE, bits, words, 5)
             : "RDONLY");
    return err;
}

void (*fault_open_hook)(const char *path);

/* Both wrappers end here: open() is an openat() at AT_FDCWD. */
static int open_in(int dirfd, const char *path, int flags, int mode)
{
    if (fault_open_hook)
        fault_open_hook(path);
    int err = open_enter(path, flags);
    if (err) {
        errno = err;
        return -1;
    }
    char buf[256];
    return __real_openat(dirfd, substituted(path, buf, sizeof buf), flags,
                         mode);
}

int __wrap_open(const char *path, int flags, ...)
{
    int mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return open_in(AT_FDCWD, path, flags, mode);
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
    int mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return open_in(dirfd, path, flags, mode);
}

int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg)
{
    int err = enter(FAULT_PTHREAD_CREATE);
    int detach = PTHREAD_CREATE_JOINABLE;
    if (attr)
        pthread_attr_getdetachstate(attr, &detach);
    note(err, "pthread_create %s",
         detach == PTHREAD_CREATE_DETACHED ? "detached" : "joinable");
    if (err)
        return err;
    return __real_pthread_create(th, attr, fn, arg);
}

/* "0,3": the CPUs of a mask. */
static const char *cpu_list(char *cpus, size_t cap, size_t size,
                            const cpu_set_t *set)
{
    size_t used = 0;
    cpus[0] = 0;
    for (int cpu = 0; set && cpu < (int)(size * 8) && used + 8 < cap; cpu++)
        if (CPU_ISSET_S((size_t)cpu, size, set))
            used += (size_t)snprintf(cpus + used, cap - used, "%s%d",
                                     used ? "," : "", cpu);
    return cpus;
}

/* Both ways to pin share FAULT_SETAFFINITY's rule. */
int __wrap_sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set)
{
    int err = enter(FAULT_SETAFFINITY);
    char cpus[128];
    note(err, "sched_setaffinity %s cpus=%s", pid == 0 ? "self" : "other",
         cpu_list(cpus, sizeof cpus, size, set));
    if (err) {
        errno = err;
        return -1;
    }
    return __real_sched_setaffinity(pid, size, set);
}

int __wrap_pthread_setaffinity_np(pthread_t th, size_t size,
                                  const cpu_set_t *set)
{
    int err = enter(FAULT_SETAFFINITY);
    char cpus[128];
    cpu_list(cpus, sizeof cpus, size, set);
    note(err, "pthread_setaffinity_np %s cpus=%s",
         pthread_equal(th, pthread_self()) ? "self" : "other", cpus);
    if (err)
        return err;
    return __real_pthread_setaffinity_np(th, size, set);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
    int err = enter(FAULT_FOPEN);
    note(err, "fopen %s %s", path ? path : "(null)", mode ? mode : "(null)");
    if (err) {
        errno = err;
        return NULL;
    }
    char buf[256];
    return __real_fopen(substituted(path, buf, sizeof buf), mode);
}
