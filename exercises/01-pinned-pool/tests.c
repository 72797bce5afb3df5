/*
 * Exercise 01, layer (a): your pool_spawn, thread_pin and
 * thread_epoll_open, driven by fastd's own pool_start/pool_stop (pool.c)
 * on a staged pool of three threads, then looked at through /proc.
 */
#include "exercises/grader/graded.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "reference-server/listener.h"
#include "reference-server/pool.h"

static struct server srv;

/* What fastd's main does before pool_start, for a staged pool. */
static void pool_up(void)
{
    char err[256];
    memset(&srv, 0, sizeof srv);
    srv.opt = (struct options){.bind = "127.0.0.1",
                               .threads = 3,
                               .accept_threads = 1,
                               .arch = ARCH_STAGED,
                               .pin = true};
    srv.trace_fd = -1;
    srv.nofile = 256;
    if (pool_plan(&srv, err, sizeof err) < 0)
        fail_msg("%s", err);
    srv.listen_fd = listener_open("127.0.0.1", 0, false, err, sizeof err);
    assert_true(srv.listen_fd >= 0);
    for (int i = 0; i < srv.nthreads; i++)
        if (srv.threads[i].stage != STAGE_REQUEST)
            srv.threads[i].listen_fd = srv.listen_fd;
    alarm(5); /* a pool that never starts or never stops ends here */
    if (pool_start(&srv, err, sizeof err) < 0)
        fail_msg("pool_start: %s", err);
}

static void pool_down(void)
{
    pool_stop(&srv);
    alarm(0);
    close(srv.listen_fd);
    free(srv.threads);
    free(srv.workers);
}

static void test_threads_start_and_stop(void **state)
{
    (void)state;
    pool_up();
    for (int i = 0; i < srv.nthreads; i++)
        if (atomic_load(&srv.threads[i].os_tid) == 0)
            fail_msg("thread %d never ran its set-up", i);
    pool_down();
}

static void test_joinable(void **state)
{
    (void)state;
    pool_up();
    for (int i = 0; i < srv.nthreads; i++) {
        pthread_attr_t attr;
        int detach = -1;
        assert_int_equal(pthread_getattr_np(srv.threads[i].handle, &attr), 0);
        pthread_attr_getdetachstate(&attr, &detach);
        pthread_attr_destroy(&attr);
        if (detach != PTHREAD_CREATE_JOINABLE)
            fail_msg("thread %d is detached: pool_stop cannot wait for it to "
                     "drain",
                     i);
    }
    pool_down();
}

/* The CPUs a thread may run on, as a list ("1", "0-1" is "0,1"). */
static void cpus_allowed(pthread_t th, char *out, size_t cap)
{
    cpu_set_t set;
    out[0] = 0;
    if (pthread_getaffinity_np(th, sizeof set, &set) != 0)
        return;
    size_t used = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && used + 8 < cap; cpu++)
        if (CPU_ISSET(cpu, &set))
            used += (size_t)snprintf(out + used, cap - used, "%s%d",
                                     used ? "," : "", cpu);
}

static void test_each_pinned(void **state)
{
    (void)state;
    char before[256], after[256], got[256], want[16];
    cpus_allowed(pthread_self(), before, sizeof before);
    pool_up();
    for (int i = 0; i < srv.nthreads; i++) {
        struct thread *t = &srv.threads[i];
        if (t->core < 0)
            fail_msg("thread %d gave up its core (pinning failed)", i);
        cpus_allowed(t->handle, got, sizeof got);
        snprintf(want, sizeof want, "%d", t->core);
        if (strcmp(got, want) != 0)
            fail_msg("thread %d may run on cpus '%s', not only on its core %d",
                     i, got, t->core);
    }
    cpus_allowed(pthread_self(), after, sizeof after);
    pool_down();
    if (strcmp(before, after) != 0)
        fail_msg("the thread that started the pool is now pinned to '%s' "
                 "(was '%s'): each thread pins itself",
                 after, before);
}

static void *pin_to(void *arg)
{
    struct thread *t = arg;
    thread_pin(t);
    return NULL;
}

static void test_pin_refused(void **state)
{
    (void)state;
    struct server *s = fake_server(0, 1, SCHEDULE_RR, false);
    struct thread *t = &s->threads[0];
    t->core = CPU_SETSIZE - 1; /* no machine here has that CPU */
    pthread_t th;
    pthread_create(&th, NULL, pin_to, t);
    pthread_join(th, NULL);
    if (t->core != -1)
        fail_msg("pinning to cpu %d failed, yet thread::core still says %d",
                 CPU_SETSIZE - 1, t->core);
    fake_server_free(s);
}

static void test_own_epoll_cloexec(void **state)
{
    (void)state;
    pool_up();
    for (int i = 0; i < srv.nthreads; i++) {
        int epfd = srv.threads[i].epfd;
        char path[64], link[64] = {0};
        snprintf(path, sizeof path, "/proc/self/fd/%d", epfd);
        if (epfd < 0 || readlink(path, link, sizeof link - 1) < 0 ||
            !strstr(link, "eventpoll"))
            fail_msg("thread %d has no epoll fd of its own", i);
        for (int k = 0; k < i; k++)
            assert_int_not_equal(srv.threads[k].epfd, epfd);
        if (!(fcntl(epfd, F_GETFD) & FD_CLOEXEC))
            fail_msg("thread %d's epoll fd is not close-on-exec", i);
    }
    pool_down();
}

/* The events an epoll fd watches fd with, from /proc; 0 if not watched. */
static unsigned watched(int epfd, int fd)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned events = 0;
    int tfd;
    unsigned ev;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "tfd: %d events: %x", &tfd, &ev) == 2 && tfd == fd)
            events = ev | 0x80000000u; /* watched, whatever the mask */
    fclose(f);
    return events;
}

static void test_epoll_watches(void **state)
{
    (void)state;
    pool_up();
    for (int i = 0; i < srv.nthreads; i++) {
        struct thread *t = &srv.threads[i];
        if (!watched(t->epfd, srv.stop_fd))
            fail_msg("thread %d does not watch the stop eventfd: it will "
                     "never stop",
                     i);
        unsigned l = watched(t->epfd, srv.listen_fd);
        if (t->stage == STAGE_REQUEST && l)
            fail_msg("request thread %d watches the listener", i);
        if (t->stage == STAGE_ACCEPT && !(l & EPOLLEXCLUSIVE))
            fail_msg("accept thread %d watches the listener without "
                     "EPOLLEXCLUSIVE (every accept thread wakes for every "
                     "connection)",
                     i);
    }
    pool_down();
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void test_epoll_failure_leaks_nothing(void **state)
{
    (void)state;
    struct server *s = fake_server(1, 1, SCHEDULE_RR, false);
    struct thread *t = &s->threads[0];
    /* epoll cannot watch a regular file: registering it fails (EPERM). */
    t->listen_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    int before = open_fds();
    assert_int_equal(thread_epoll_open(t), -1);
    if (t->epfd != -1 || open_fds() != before)
        fail_msg("after a failure: epfd %d and %d fds open (%d before)",
                 t->epfd, open_fds(), before);
    close(t->listen_fd);
    fake_server_free(s);
}

static const struct graded table[] = {
    GRADED(test_threads_start_and_stop, 1, 1),
    GRADED(test_joinable, 1, 1),
    GRADED(test_each_pinned, 3, 1),
    GRADED(test_pin_refused, 1, 1),
    GRADED(test_own_epoll_cloexec, 2, 2),
    GRADED(test_epoll_watches, 2, 2),
    GRADED(test_epoll_failure_leaks_nothing, 1, 3),
};
GRADED_MAIN(table)
