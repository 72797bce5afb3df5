/* Exercise 01's graded tests. They look at what the threads see from the
 * inside (sched_getaffinity), never at your code's text. */
#include "exercises/grader/graded.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pool.h"

static int online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void test_size_default(void **state)
{
    (void)state;
    int got = pool_size(0);
    if (got != online())
        fail_msg("pool_size(0): expected %d (online cores), observed %d",
                 online(), got);
}

static void test_size_override(void **state)
{
    (void)state;
    assert_int_equal(pool_size(1), 1);
    if (pool_size(online() + 5) != online())
        fail_msg("pool_size(%d): more than the cores must give %d, observed "
                 "%d",
                 online() + 5, online(), pool_size(online() + 5));
    assert_int_equal(pool_size(-3), online());
}

/* What each thread saw from the inside. */
struct seen {
    int cpus, cpu, epfd, epoll_ok;
};
static struct seen seen[256];

static void look(struct pool_thread *self)
{
    cpu_set_t set;
    struct seen *s = &seen[self->index];
    sched_getaffinity(0, sizeof set, &set);
    s->cpus = CPU_COUNT(&set);
    s->cpu = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) {
            s->cpu = c;
            break;
        }
    s->epfd = self->epfd;
    /* Is it really an epoll fd? Add an eventfd to it. */
    int efd = eventfd(0, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    s->epoll_ok =
        self->epfd >= 0 && epoll_ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev) == 0;
    close(efd);
}

static int run_pool(void)
{
    struct pool p;
    int n = online() < 256 ? online() : 256;
    memset(seen, 0, sizeof seen);
    assert_int_equal(pool_start(&p, n, look, NULL), 0);
    pool_join(&p);
    return n;
}

static void test_each_thread_pinned(void **state)
{
    (void)state;
    int n = run_pool();
    for (int i = 0; i < n; i++) {
        if (seen[i].cpus != 1)
            fail_msg("thread %d may run on %d CPUs; expected exactly 1", i,
                     seen[i].cpus);
        if (seen[i].cpu != i % online())
            fail_msg("thread %d runs on cpu %d; expected cpu %d", i,
                     seen[i].cpu, i % online());
    }
}

static void test_cores_distinct(void **state)
{
    (void)state;
    int n = run_pool();
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (seen[i].cpus == 1 && seen[i].cpu == seen[j].cpu)
                fail_msg("threads %d and %d share cpu %d", i, j, seen[i].cpu);
    assert_true(n == 1 || seen[0].cpus == 1);
}

static void test_own_epoll_fd(void **state)
{
    (void)state;
    int n = run_pool();
    for (int i = 0; i < n; i++) {
        if (!seen[i].epoll_ok)
            fail_msg("thread %d: epfd %d is not a usable epoll fd", i,
                     seen[i].epfd);
        for (int j = 0; j < i; j++)
            if (seen[i].epfd == seen[j].epfd)
                fail_msg("threads %d and %d share epoll fd %d", j, i,
                         seen[i].epfd);
    }
}

static const struct graded table[] = {
    GRADED(test_size_default, 2, 1),       GRADED(test_size_override, 2, 1),
    GRADED(test_each_thread_pinned, 4, 2), GRADED(test_cores_distinct, 2, 2),
    GRADED(test_own_epoll_fd, 3, 3),
};
GRADED_MAIN(table)
