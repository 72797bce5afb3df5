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
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "exercises/grader/faults.h"
#include "reference-server/listener.h"
#include "reference-server/pool.h"

static struct server srv;
static bool pool_running; /* pool_start succeeded: pool_stop must run */

/* close(), counted while a differential test runs: a close of an fd
 * number that is not open (EBADF) is a double close - in fastd, where
 * every thread opens fds, the number may by then be another thread's new
 * connection. (Not in the TSan build: its runtime must see every close.) */
static bool closes_counted;
static int bad_closes;

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NO_CLOSE_COUNT 1
#endif
#endif
#if !defined(NO_CLOSE_COUNT) && !defined(__SANITIZE_THREAD__)
int close(int fd)
{
    long rc = syscall(SYS_close, fd);
    if (rc < 0 && errno == EBADF && fd >= 0 && closes_counted)
        bad_closes++;
    return (int)rc;
}
#endif

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
    if (srv.listen_fd < 0)
        fail_msg("%s", err);
    for (int i = 0; i < srv.nthreads; i++)
        if (srv.threads[i].stage != STAGE_REQUEST)
            srv.threads[i].listen_fd = srv.listen_fd;
    alarm(5); /* a pool that never starts or never stops ends here */
    if (pool_start(&srv, err, sizeof err) < 0)
        fail_msg("pool_start: %s", err);
    pool_running = true;
}

/* Stop and free what pool_up() set up, however far it got. */
static void pool_down(void)
{
    if (pool_running)
        pool_stop(&srv);
    pool_running = false;
    alarm(0);
    if (srv.listen_fd > 0)
        close(srv.listen_fd);
    free(srv.threads);
    free(srv.workers);
    memset(&srv, 0, sizeof srv);
}

/* The cleanup of every test that starts the pool: it runs when the test
 * failed half-way too, so that its threads do not run on into the next
 * test (in the tsan line's one process, as a race blamed on it). */
static int pool_cleanup(void **state)
{
    (void)state;
    pool_down();
    return 0;
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
        fail_msg("after a failed registration: thread::epfd %d (expected "
                 "-1: the epoll fd closed and forgotten) and %d fds open "
                 "(%d before)",
                 t->epfd, open_fds(), before);
    close(t->listen_fd);
    fake_server_free(s);
}

/*
 * The differential tests: your functions and the reference's
 * (reference-server/pool_thread.c, linked beside yours with its symbols
 * renamed ref_*: exercise.conf's `oracle`) run on the same generated
 * cases; everything observable is compared. Cases are generated smallest
 * first, so the first one that differs, the one shown, is the smallest.
 */
int ref_pool_spawn(struct server *s, char *err, size_t errlen);
void ref_thread_pin(struct thread *self);
int ref_thread_epoll_open(struct thread *self);

/* Whether epfd watches fd, with the whole mask in *events and whether
 * the registration's data is the fd itself in *data_is_fd (fdinfo): the
 * loops (acceptor.c, worker.c) tell the stop eventfd from the listener
 * by events[i].data.fd. */
static bool watch_mask(int epfd, int fd, unsigned *events, bool *data_is_fd)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    bool found = false;
    int tfd;
    unsigned ev;
    unsigned long long data;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &ev, &data) ==
                3 &&
            tfd == fd) {
            *events = ev;
            *data_is_fd = (int)(uint32_t)data == fd;
            found = true;
        }
    fclose(f);
    return found;
}

/* stderr caught in a pipe while a function runs: whether it said
 * something (the header promises a message on a failure). */
static int stderr_saved = -1, stderr_pipe[2] = {-1, -1};

static void catch_stderr(void)
{
    fflush(stderr);
    if (pipe2(stderr_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        fail_msg("pipe2: %s", strerror(errno));
    stderr_saved = dup(2);
    dup2(stderr_pipe[1], 2);
}

/* What the code under test wrote on stderr since catch_stderr(). */
static char stderr_text[4096];

static bool stderr_said(void)
{
    fflush(stderr);
    dup2(stderr_saved, 2);
    close(stderr_saved);
    ssize_t n = read(stderr_pipe[0], stderr_text, sizeof stderr_text - 1);
    stderr_text[n > 0 ? n : 0] = 0;
    close(stderr_pipe[0]);
    close(stderr_pipe[1]);
    return n > 0;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* What thread_epoll_open() did, in words: its return, thread::epfd, what
 * the epoll fd watches and how, the calls it made, what it left open. */
static void epoll_outcome(int (*fn)(struct thread *), struct thread *t,
                          const char *const *roles, const int *fds, int nfds,
                          char *out, size_t cap)
{
    catch_stderr();
    int before = open_fds();
    /* Not -1 before the call: on a failure the promise is to set it so. */
    t->epfd = -2;
    bad_closes = 0;
    closes_counted = true;
    fault_record(1);
    int rc = fn(t);
    fault_record(0);
    closes_counted = false;
    size_t used = (size_t)snprintf(out, cap, "returned %d, ", rc);
    if (t->epfd < 0) {
        used += (size_t)snprintf(out + used, cap - used, "epfd %d", t->epfd);
    } else {
        used += (size_t)snprintf(
            out + used, cap - used, "epfd open%s, watches {",
            fcntl(t->epfd, F_GETFD) & FD_CLOEXEC ? " (close-on-exec)" : "");
        for (int i = 0; i < nfds; i++) {
            unsigned ev;
            bool data_is_fd;
            if (watch_mask(t->epfd, fds[i], &ev, &data_is_fd))
                used += (size_t)snprintf(
                    out + used, cap - used, " %s: %s%s%s%s", roles[i],
                    ev & EPOLLIN ? "IN" : "", ev & EPOLLET ? "|ET" : "",
                    ev & EPOLLEXCLUSIVE ? "|EXCLUSIVE" : "",
                    data_is_fd ? "" : " (its data.fd is not this fd)");
        }
        used += (size_t)snprintf(out + used, cap - used, " }");
        close(t->epfd);
        t->epfd = -1;
    }
    int left = open_fds() - before;
    if (left)
        used += (size_t)snprintf(out + used, cap - used,
                                 ", %d more fd(s) open after", left);
    if (bad_closes)
        used += (size_t)snprintf(out + used, cap - used,
                                 ", close() called on an fd no longer open (a "
                                 "double close)");
    if (stderr_said())
        used +=
            (size_t)snprintf(out + used, cap - used, ", a message on stderr");
    /* The registrations, one per line in the log, sorted (their order is
     * free), joined by "; " (how the epoll fd was made - epoll_create1,
     * or epoll_create and fcntl - is free: its state is above). */
    char lines[16][160];
    int n = 0;
    for (const char *c = fault_log(); *c && n < 16;) {
        size_t len = strcspn(c, "\n");
        snprintf(lines[n], sizeof lines[n], "%.*s", (int)len, c);
        c += len + (c[len] == '\n');
        if (strncmp(lines[n], "epoll_ctl ", 10) == 0)
            n++;
    }
    qsort(lines, (size_t)n, sizeof lines[0], by_text);
    used += (size_t)snprintf(out + used, cap - used, "; epoll_ctl calls:");
    for (int i = 0; i < n && used + 4 < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, " %s;", lines[i]);
}

static const char *const arch_words[] = {"staged", "shared-nothing", "single"};
static const char *const wake_words[] = {"exclusive", "level", "edge"};

/* Every thread of every pool the options can lay out: arch x
 * --listen-wake x threads 1..4 x accept threads 1..2 x an IPv4 or IPv6
 * listener, each thread's thread_epoll_open() yours and the reference's. */
static void test_oracle_epoll_matrix(void **state)
{
    (void)state;
    int stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    char err[256], mine[2048], ref[2048];
    const char *binds[] = {"127.0.0.1", "::1"};
    for (int nthreads = 1; nthreads <= 4; nthreads++)
        for (int arch = 0; arch < 3; arch++)
            for (int wake = 0; wake < 3; wake++)
                for (int accept = 1; accept <= 2; accept++)
                    for (int b = 0; b < 2; b++) {
                        if (arch != ARCH_STAGED && accept > 1)
                            continue;
                        if (arch == ARCH_STAGED && nthreads < accept + 1)
                            continue;
                        struct server s = {0};
                        s.opt = (struct options){.bind = binds[b],
                                                 .threads = nthreads,
                                                 .accept_threads = accept,
                                                 .arch = (enum arch)arch,
                                                 .listen_wake =
                                                     (enum listen_wake)wake};
                        s.stop_fd = stop;
                        s.trace_fd = -1;
                        if (pool_plan(&s, err, sizeof err) < 0)
                            fail_msg("pool_plan: %s", err);
                        int lfd = listener_open(binds[b], 0, arch != 0, err,
                                                sizeof err);
                        if (lfd < 0 && b == 1) { /* no IPv6 here */
                            free(s.threads);
                            free(s.workers);
                            continue;
                        }
                        if (lfd < 0)
                            fail_msg("%s", err);
                        const char *roles[] = {"stop", "listener"};
                        int fds[] = {stop, lfd};
                        for (int i = 0; i < s.nthreads; i++) {
                            struct thread *t = &s.threads[i];
                            if (t->stage != STAGE_REQUEST)
                                t->listen_fd = lfd;
                            epoll_outcome(thread_epoll_open, t, roles, fds, 2,
                                          mine, sizeof mine);
                            epoll_outcome(ref_thread_epoll_open, t, roles, fds,
                                          2, ref, sizeof ref);
                            if (strcmp(mine, ref) != 0) {
                                const char *stage = stage_name(t->stage);
                                close(lfd);
                                free(s.threads);
                                free(s.workers);
                                close(stop);
                                fail_msg("smallest differing case: --arch %s "
                                         "--threads %d --accept-threads %d "
                                         "--listen-wake %s --bind %s, thread "
                                         "%d (%s). Yours: %s. The "
                                         "reference: %s",
                                         arch_words[arch], nthreads, accept,
                                         wake_words[wake], binds[b], i, stage,
                                         mine, ref);
                            }
                        }
                        close(lfd);
                        free(s.threads);
                        free(s.workers);
                    }
    close(stop);
}

/* Every call thread_epoll_open() makes, failed in turn (the n-th
 * epoll_create1 or epoll_ctl) with each errno its man page lists, for an
 * accept, a request and a shared-nothing thread: the outcome (return,
 * epfd, what is left open) must be the reference's. */
static void test_fault_matrix_epoll(void **state)
{
    (void)state;
    struct server *s = fake_server(1, 1, SCHEDULE_RR, false);
    char err[256], mine[2048], ref[2048];
    int lfd = listener_open("127.0.0.1", 0, false, err, sizeof err);
    if (lfd < 0)
        fail_msg("%s", err);
    const char *roles[] = {"stop", "listener"};
    int fds[] = {s->stop_fd, lfd};
    enum stage stages[] = {STAGE_ACCEPT, STAGE_REQUEST, STAGE_BOTH};
    enum fault_call calls[] = {FAULT_EPOLL_CREATE1, FAULT_EPOLL_CTL};
    for (int st = 0; st < 3; st++)
        for (int c = 0; c < 2; c++)
            for (int nth = 1; nth <= (c ? 2 : 1); nth++) {
                const int *errs;
                int nerr = fault_errnos(calls[c], &errs);
                for (int e = 0; e < nerr; e++) {
                    struct thread *t = &s->threads[0];
                    t->stage = stages[st];
                    t->listen_fd = lfd;
                    fault_fail_nth(calls[c], nth, errs[e]);
                    epoll_outcome(thread_epoll_open, t, roles, fds, 2, mine,
                                  sizeof mine);
                    fault_fail_nth(calls[c], nth, errs[e]);
                    epoll_outcome(ref_thread_epoll_open, t, roles, fds, 2, ref,
                                  sizeof ref);
                    fault_reset();
                    /* The outcome, not the calls' order: up to "; calls". */
                    mine[strcspn(mine, ";")] = 0;
                    ref[strcspn(ref, ";")] = 0;
                    if (strcmp(mine, ref) != 0) {
                        close(lfd);
                        fake_server_free(s);
                        fail_msg("thread of stage %s, call %d of %s fails "
                                 "with %s. "
                                 "Yours: %s. The reference: %s",
                                 stage_name(stages[st]), nth,
                                 fault_name(calls[c]),
                                 graded_errno_name(errs[e]), mine, ref);
                    }
                }
            }
    close(lfd);
    fake_server_free(s);
}

struct pin_case {
    void (*fn)(struct thread *);
    struct thread *t;
    int first_cpu;  /* >= 0: the thread starts allowed on this CPU only */
    char cpus[256]; /* where the thread may run after the call */
};

/* Fill the stack below this frame with ones and return: the frame of the
 * next call (thread_pin) lands on them, as it would in a thread that had
 * run anything before. A mask left uninitialised then holds every CPU. */
static __attribute__((noinline)) void dirty_stack(void)
{
    volatile unsigned char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0xff;
}

static void *pin_run(void *arg)
{
    struct pin_case *c = arg;
    /* Started on one CPU, as under `taskset -c`: --no-pin (core -1) must
     * leave that alone, not widen it. The raw system call, so that no
     * fault armed for the learner's call fires here. */
    if (c->first_cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c->first_cpu, &one);
        syscall(SYS_sched_setaffinity, 0, sizeof one, &one);
    }
    dirty_stack();
    c->fn(c->t);
    cpus_allowed(pthread_self(), c->cpus, sizeof c->cpus);
    return NULL;
}

/* thread_pin() in a thread of its own: thread::core after, the calls. */
static void pin_outcome(void (*fn)(struct thread *), int core, int err,
                        int first_cpu, char *out, size_t cap)
{
    struct thread t = {.id = 1, .core = core};
    struct pin_case c = {fn, &t, first_cpu, ""};
    pthread_t th;
    if (err)
        fault_fail_nth(FAULT_SETAFFINITY, 1, err);
    catch_stderr();
    fault_record(1);
    if (pthread_create(&th, NULL, pin_run, &c) != 0)
        fail_msg("pthread_create failed");
    pthread_join(th, NULL);
    fault_record(0);
    bool said = stderr_said();
    /* The CPUs each pinning call named (the log reads the whole mask the
     * call was given, as the kernel would): a core the machine lacks
     * must be asked for too, so that the same file pins right on a
     * machine that has it. */
    char asked[160] = "";
    size_t used = 0;
    for (const char *l = fault_log(); (l = strstr(l, "setaffinity")) != NULL;
         l++) {
        const char *cpus = strstr(l, "cpus=");
        const char *eol = strchr(l, '\n');
        if (!cpus || (eol && cpus > eol))
            continue;
        cpus += 5;
        int len = (int)strcspn(cpus, " \n");
        used += (size_t)snprintf(asked + used, sizeof asked - used, "%s'%.*s'",
                                 used ? ", " : "", len, cpus);
        if (used >= sizeof asked)
            break;
    }
    /* A warning says why: the reason the kernel gave (pthread_setaffinity_np
     * returns it and leaves errno alone). */
    bool why = said && err && strstr(stderr_text, strerror(err)) != NULL;
    /* The state left, not the calls: pthread_setaffinity_np() or
     * sched_setaffinity(0, ...) pin the caller alike. */
    snprintf(out, cap,
             "thread::core %d after, the thread may run on cpus '%s', the "
             "pinning call asked for %s%s%s",
             t.core, c.cpus, used ? asked : "nothing",
             said ? ", a warning on stderr" : "",
             why ? " giving the reason" : "");
    fault_reset();
}

/* thread_pin() on every core this process may use, no core (-1), a core
 * that does not exist, and the pinning call (pthread_setaffinity_np or
 * sched_setaffinity) failing with each errno its man page lists, in a
 * thread allowed on every CPU and in one started on a single CPU: the
 * core left, where the thread may run and the warning must be the
 * reference's. */
static void test_oracle_pin(void **state)
{
    (void)state;
    int cpus[CPU_SETSIZE];
    int n = pool_cpus(cpus, CPU_SETSIZE);
    int cores[CPU_SETSIZE + 2], ncores = 0;
    cores[ncores++] = -1;
    for (int i = 0; i < n; i++)
        cores[ncores++] = cpus[i];
    cores[ncores++] = CPU_SETSIZE - 1;
    char mine[512], ref[512];
    const int *errs;
    int nerr = fault_errnos(FAULT_SETAFFINITY, &errs);
    /* The thread's own mask at the start: every CPU, then only the
     * last one this process may use (when it may use several). */
    for (int one = 0; one < (n > 1 ? 2 : 1); one++)
        for (int e = -1; e < nerr; e++)
            for (int k = 0; k < ncores; k++) {
                int err = e < 0 ? 0 : errs[e];
                int first = one ? cpus[n - 1] : -1;
                pin_outcome(thread_pin, cores[k], err, first, mine,
                            sizeof mine);
                pin_outcome(ref_thread_pin, cores[k], err, first, ref,
                            sizeof ref);
                if (strcmp(mine, ref) != 0)
                    fail_msg("smallest differing case: thread::core %d%s%s, "
                             "the thread allowed on %s at the start. "
                             "Yours: %s. The reference: %s",
                             cores[k],
                             err ? ", pthread_setaffinity_np fails "
                                   "with "
                                 : "",
                             err ? graded_errno_name(err) : "",
                             one ? "one CPU" : "every CPU", mine, ref);
            }
}

/* pool_spawn() when pthread_create() refuses the first thread (each
 * errno its man page lists), for pools of 1 to 3 threads: the return,
 * the message and the threads left must be the reference's. The order
 * the threads are started in is free: the N of "pthread_create(thread
 * N)" names the refused thread, any of the pool's, when the first call
 * is refused. (A later refusal leaves started threads waiting at the
 * barrier for good, by contract: the process must exit, which a test
 * cannot.) */
static int tasks(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* "pthread_create(thread N): ..." with N one of the pool's n threads:
 * N replaced by want, so that only the rest is compared. */
static void same_thread_number(char *em, size_t cap, int n, int want)
{
    int seen, len = 0;
    if (sscanf(em, "pthread_create(thread %d)%n", &seen, &len) == 1 &&
        len > 0 && seen >= 0 && seen < n) {
        char rest[256];
        snprintf(rest, sizeof rest, "%s", em + len);
        snprintf(em, cap, "pthread_create(thread %d)%s", want, rest);
    }
}

static void test_fault_matrix_spawn(void **state)
{
    (void)state;
    const int *errs;
    int nerr = fault_errnos(FAULT_PTHREAD_CREATE, &errs);
    for (int n = 1; n <= 3; n++)
        for (int e = 0; e < nerr; e++) {
            char mine[512], ref[512], em[256] = "", er[256] = "";
            struct server *s = fake_server(0, n, SCHEDULE_RR, false);
            int before = tasks();
            fault_fail_nth(FAULT_PTHREAD_CREATE, 1, errs[e]);
            int rm = pool_spawn(s, em, sizeof em);
            int tm = tasks() - before;
            fault_fail_nth(FAULT_PTHREAD_CREATE, 1, errs[e]);
            int rr = ref_pool_spawn(s, er, sizeof er);
            int tr = tasks() - before;
            fault_reset();
            fake_server_free(s);
            int want = -1;
            if (sscanf(er, "pthread_create(thread %d)", &want) == 1)
                same_thread_number(em, sizeof em, n, want);
            snprintf(mine, sizeof mine,
                     "returned %d, err \"%s\", %d thread(s) "
                     "left",
                     rm, em, tm);
            snprintf(ref, sizeof ref,
                     "returned %d, err \"%s\", %d thread(s) "
                     "left",
                     rr, er, tr);
            if (strcmp(mine, ref) != 0)
                fail_msg("%d thread(s), the first pthread_create fails with "
                         "%s. Yours: %s. The reference: %s",
                         n, graded_errno_name(errs[e]), mine, ref);
        }
    /* err holds errlen bytes, no more: a message longer than that is cut
     * (and ends in a NUL), the bytes after it are not the function's. */
    for (size_t errlen = 1; errlen <= 16; errlen += 15) {
        char buf[256];
        memset(buf, 'Z', sizeof buf);
        struct server *s = fake_server(0, 1, SCHEDULE_RR, false);
        fault_fail_nth(FAULT_PTHREAD_CREATE, 1, EAGAIN);
        pool_spawn(s, buf, errlen);
        fault_reset();
        fake_server_free(s);
        size_t past = errlen;
        while (past < sizeof buf && buf[past] == 'Z')
            past++;
        if (past != sizeof buf || !memchr(buf, 0, errlen))
            fail_msg("pool_spawn(srv, err, errlen %zu) when pthread_create "
                     "fails: %s",
                     errlen,
                     past != sizeof buf ? "it wrote past err[errlen - 1] "
                                          "(snprintf(err, errlen, ...))"
                                        : "the message in err has no NUL");
    }
}

/* pool.h: "one thread per entry of server::threads", as pool_plan()
 * laid them out (srv->nthreads), whatever --threads asked: --arch single
 * plans one thread, for any --threads. */
static void test_one_thread_per_entry(void **state)
{
    (void)state;
    char err[256];
    memset(&srv, 0, sizeof srv);
    srv.opt = (struct options){.bind = "127.0.0.1",
                               .threads = 3,
                               .accept_threads = 1,
                               .arch = ARCH_SINGLE};
    srv.trace_fd = -1;
    srv.nofile = 256;
    if (pool_plan(&srv, err, sizeof err) < 0)
        fail_msg("%s", err);
    srv.listen_fd = listener_open("127.0.0.1", 0, false, err, sizeof err);
    if (srv.listen_fd < 0)
        fail_msg("%s", err);
    for (int i = 0; i < srv.nthreads; i++)
        srv.threads[i].listen_fd = srv.listen_fd;
    alarm(5); /* threads with no entry of their own may hang the start */
    fault_record(1);
    int rc = pool_start(&srv, err, sizeof err);
    fault_record(0);
    if (rc < 0)
        fail_msg("pool_start: %s", err);
    pool_running = true;
    /* The threads pool_spawn() asked for (the call log: a sanitizer's
     * runtime may run a thread of its own). */
    int started = 0;
    for (const char *l = fault_log(); (l = strstr(l, "pthread_create")); l++)
        started++;
    if (started != srv.nthreads)
        fail_msg("--arch single --threads 3: pool_plan() laid out %d "
                 "thread(s) in server::threads (srv->nthreads), and %d "
                 "were started",
                 srv.nthreads, started);
    pool_down();
}

static const struct graded table[] = {
    GRADED_CLEANUP(test_threads_start_and_stop, 1, 1, pool_cleanup),
    GRADED_CLEANUP(test_joinable, 1, 1, pool_cleanup),
    GRADED_CLEANUP(test_each_pinned, 3, 1, pool_cleanup),
    GRADED(test_pin_refused, 1, 1),
    GRADED_CLEANUP(test_own_epoll_cloexec, 2, 2, pool_cleanup),
    GRADED_CLEANUP(test_epoll_watches, 2, 2, pool_cleanup),
    GRADED(test_epoll_failure_leaks_nothing, 1, 3),
    GRADED(test_oracle_epoll_matrix, 3, 4),
    GRADED(test_oracle_pin, 1, 1),
    GRADED(test_fault_matrix_epoll, 2, 3),
    GRADED(test_fault_matrix_spawn, 1, 1),
    GRADED_CLEANUP(test_one_thread_per_entry, 1, 1, pool_cleanup),
};
GRADED_MAIN(table)
