/*
 * Threads, cores and affinity. Each thread does its own set-up, as the
 * design asks: it pins itself, creates its own epoll fd and registers what
 * it waits on. Memory it allocates is then first touched by the core that
 * uses it (on a NUMA machine, that puts it on the right node).
 */
#include "reference-server/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reference-server/acceptor.h"
#include "reference-server/conn.h"
#include "reference-server/uring.h"
#include "reference-server/worker.h"

//! [pool cpus]
int pool_cpus(int *cpus, int max)
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
            if (CPU_ISSET(cpu, &set))
                cpus[n++] = cpu;
    }
    if (n == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        for (n = 0; n < online && n < max; n++)
            cpus[n] = n;
    }
    return n > 0 ? n : 1;
}
//! [pool cpus]

//! [pool plan]
int pool_plan(struct server *srv, char *err, size_t errlen)
{
    static int cpus[CPU_SETSIZE];
    const struct options *opt = &srv->opt;
    srv->ncores = pool_cpus(cpus, CPU_SETSIZE);
    int accept = opt->arch == ARCH_STAGED ? opt->accept_threads : 0;
    int n = opt->threads ? opt->threads : srv->ncores;
    if (opt->arch == ARCH_SINGLE)
        n = 1;
    if (!opt->threads && n < accept + 1)
        n = accept + 1; /* a 1-core machine still gets both stages */
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if (n < accept + 1) {
        snprintf(err, errlen,
                 "--arch staged with %d accept thread(s) needs --threads >= "
                 "%d",
                 accept, accept + 1);
        return -1;
    }
    //! [pool plan]
    srv->threads = aligned_alloc(64, sizeof(struct thread) * (size_t)n);
    srv->workers = calloc((size_t)n, sizeof(struct thread *));
    if (!srv->threads || !srv->workers) {
        snprintf(err, errlen, "out of memory for %d threads", n);
        return -1;
    }
    memset(srv->threads, 0, sizeof(struct thread) * (size_t)n);
    srv->nthreads = n;
    //! [pool layout]
    for (int i = 0; i < n; i++) {
        struct thread *t = &srv->threads[i];
        t->id = i;
        t->srv = srv;
        t->stage = i < accept                 ? STAGE_ACCEPT
                   : opt->arch == ARCH_STAGED ? STAGE_REQUEST
                                              : STAGE_BOTH;
        t->core = opt->pin ? cpus[i % srv->ncores] : -1;
        t->epfd = t->ring_fd = t->listen_fd = t->reserve_fd = -1;
        t->timer.fd = -1;
        if (t->stage != STAGE_ACCEPT)
            srv->workers[srv->nworkers++] = t;
    }
    //! [pool layout]
    return 0;
}

//! [thread setup]
static int thread_setup(struct thread *self)
{
    static const char *const tags[] = {"acc", "req", "all"};
    struct server *srv = self->srv;
    char name[16];
    snprintf(name, sizeof name, "fastd-%s-%d", tags[self->stage], self->id);
    pthread_setname_np(pthread_self(), name);
    atomic_store(&self->os_tid, gettid());

    thread_pin(self);
    if (thread_epoll_open(self) < 0)
        return -1;
    if (self->stage != STAGE_REQUEST)
        self->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (self->stage != STAGE_ACCEPT) {
        if (conns_init(&self->conns, (int)srv->nofile) < 0 ||
            idle_timer_open(self) < 0)
            return -1;
    }
    if (srv->trace_fd >= 0 &&
        !(self->trace = trace_buf_new(srv->trace_fd, self->id, self->core,
                                      srv->origin_ns)))
        return -1;
    self->now = clock_second();
    http_date_refresh(&self->date, clock_wall_second());
    return 0;
}
//! [thread setup]

static void thread_teardown(struct thread *self)
{
    if (self->conns.by_fd)
        conns_release(self);
    idle_timer_close(self);
    if (self->trace) {
        trace_flush(self->trace);
        free(self->trace);
        self->trace = NULL;
    }
    /* Another thread may be shedding with our spare (accept_burst.c). */
    pthread_mutex_lock(&self->srv->shed_lock);
    if (self->reserve_fd >= 0)
        close(self->reserve_fd);
    self->reserve_fd = -1;
    pthread_mutex_unlock(&self->srv->shed_lock);
    if (self->epfd >= 0)
        close(self->epfd);
}

//! [thread main]
void *pool_thread_main(void *arg)
{
    struct thread *self = arg;
    struct server *srv = self->srv;
    if (srv->opt.io == IO_URING) {
        uring_thread_main(self); /* its own set-up and loops */
    } else {
        if (thread_setup(self) < 0)
            atomic_store(&srv->setup_failed, true);
        pthread_barrier_wait(&srv->ready);
        if (!atomic_load(&srv->setup_failed)) {
            if (self->stage == STAGE_ACCEPT)
                acceptor_run(self);
            else
                worker_run(self);
        }
        thread_teardown(self);
    }
    /* main waits for every thread to be done (pool_drained()). */
    atomic_fetch_add_explicit(&srv->threads_done, 1, memory_order_release);
    return NULL;
}
//! [thread main]

int pool_start(struct server *srv, char *err, size_t errlen)
{
    srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (srv->stop_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    pthread_barrier_init(&srv->ready, NULL, (unsigned)srv->nthreads + 1);
    pthread_mutex_init(&srv->shed_lock, NULL);
    if (pool_spawn(srv, err, errlen) < 0)
        return -1;
    pthread_barrier_wait(&srv->ready);
    if (atomic_load(&srv->setup_failed)) {
        snprintf(err, errlen, "a thread failed to set itself up (see above)");
        pool_stop(srv);
        return -1;
    }
    return 0;
}

//! [pool stop]
void pool_drain(struct server *srv)
{
    if (srv->stopping)
        return;
    srv->stopping = true;
    if (eventfd_write(srv->stop_fd, 1) < 0)
        fprintf(stderr, "fastd: eventfd_write: %s\n", strerror(errno));
    for (int i = 0; i < srv->nthreads; i++)
        if (srv->threads[i].stage == STAGE_ACCEPT)
            pthread_join(srv->threads[i].handle, NULL);
    /* Nobody accepts any more: close the staged listener now, so that new
     * clients are refused at once instead of waiting in its queue for
     * the drain to end. Threads that accept and serve close their own
     * (worker.c). */
    if (srv->opt.arch == ARCH_STAGED && srv->listen_fd >= 0) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
    }
    atomic_store_explicit(&srv->acceptors_done, true, memory_order_release);
}

bool pool_drained(struct server *srv)
{
    return atomic_load_explicit(&srv->threads_done, memory_order_acquire) ==
           srv->nthreads;
}

void pool_abandon(struct server *srv)
{
    /* pthread_tryjoin_np does not wait: it reaps a thread that has ended
     * and says EBUSY for one still serving. The accept threads were
     * joined by pool_drain(). */
    for (int i = 0; i < srv->nthreads; i++)
        if (srv->threads[i].stage != STAGE_ACCEPT)
            pthread_tryjoin_np(srv->threads[i].handle, NULL);
}

void pool_stop(struct server *srv)
{
    pool_drain(srv);
    for (int i = 0; i < srv->nthreads; i++)
        if (srv->threads[i].stage != STAGE_ACCEPT)
            pthread_join(srv->threads[i].handle, NULL);
    pthread_barrier_destroy(&srv->ready);
    close(srv->stop_fd);
}
//! [pool stop]

/* The CPUs a set holds, as a list of ranges ("0", "0-1", "0,2-3"). */
static void describe_cpus(const cpu_set_t *set, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int c = 0; c < CPU_SETSIZE && used < len; c++) {
        if (!CPU_ISSET(c, set) || (c > 0 && CPU_ISSET(c - 1, set)))
            continue;
        int last = c;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
            last++;
        int n = last == c ? snprintf(out + used, len - used, "%s%d",
                                     used ? "," : "", c)
                          : snprintf(out + used, len - used, "%s%d-%d",
                                     used ? "," : "", c, last);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* What the map shows is read back from the kernel, not taken from the
 * plan: a thread that failed (or forgot) to pin itself shows every CPU it
 * may run on, so the banner cannot claim a pinning that is not there. */
void pool_describe(const struct server *srv, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < srv->nthreads && used < len; i++) {
        const struct thread *t = &srv->threads[i];
        char cpus[64] = "?";
        cpu_set_t set;
        CPU_ZERO(&set);
        int rc = pthread_getaffinity_np(t->handle, sizeof set, &set);
        if (rc == 0)
            describe_cpus(&set, cpus, sizeof cpus);
        int n = snprintf(out + used, len - used, "%st%d:%s@cpu%s", i ? " " : "",
                         i, stage_name(t->stage), cpus);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
