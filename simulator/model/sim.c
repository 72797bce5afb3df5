/*
 * The model's engine. Read sim.h first for the picture; here:
 *   1. queues and accounting
 *   2. cores: picking the next job and its cost
 *   3. where jobs go (the architectures)
 *   4. what a finished job does
 *   5. the event loop
 */
#include "simulator/model/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum job_type { JOB_ACCEPT, JOB_REQUEST, JOB_CLOSE };
enum ev_kind { EV_CONNECT, EV_SEND, EV_DONE, EV_ARRIVAL };

#define JOB(conn, type) ((conn)*4 + (type))
#define JOB_CONN(job)   ((job) / 4)
#define JOB_TYPE(job)   ((job) % 4)
#define LISTEN_FD       3 /* the fd number the listener has in traces */

/* ---- 1. queues and accounting ----------------------------------------- */

static int jobq_push(struct jobq *q, int job)
{
    if (q->len == q->cap) {
        int cap = q->cap ? q->cap * 2 : 64;
        int *items = malloc((size_t)cap * sizeof *items);
        if (!items)
            return -1;
        for (int i = 0; i < q->len; i++)
            items[i] = q->items[(q->head + i) & (q->cap - 1)];
        free(q->items);
        q->items = items;
        q->cap = cap;
        q->head = 0;
    }
    q->items[(q->head + q->len++) & (q->cap - 1)] = job;
    return 0;
}

static int jobq_pop(struct jobq *q)
{
    int job = q->items[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    return job;
}

/* Time after the warm-up between two instants (for the integrals). */
static int64_t measured(const struct sim *s, int64_t from, int64_t to)
{
    if (from < s->sc.warmup_ns)
        from = s->sc.warmup_ns;
    return to > from ? to - from : 0;
}

static void core_queue_change(struct sim *s, int c, int delta)
{
    struct sim_core *core = &s->cores[c];
    core->queue_area +=
        (double)core->queued * (double)measured(s, core->queue_since, s->now);
    core->queue_since = s->now;
    core->queued += delta;
}

/* The pool's shared queue, as core_queue_change does for a core's. */
static void shared_change(struct sim *s, int delta)
{
    s->shared_area +=
        (double)s->shared.len * (double)measured(s, s->shared_since, s->now);
    s->shared_since = s->now;
    (void)delta; /* the queue itself already changed length */
}

static void in_system_change(struct sim *s, int delta)
{
    s->in_system_area +=
        (double)s->in_system * (double)measured(s, s->in_system_since, s->now);
    s->in_system_since = s->now;
    s->in_system += delta;
}

static void emit(struct sim *s, int thread, enum fd_kind kind, int fd, long arg)
{
    if (!s->emit)
        return;
    struct fd_event ev = {s->now, thread, s->threads[thread].core,
                          kind,   fd,     arg};
    s->emit(s->emit_ctx, &ev);
}

static bool after_warmup(const struct sim *s)
{
    return s->now >= s->sc.warmup_ns;
}

/* ---- 2. cores ----------------------------------------------------------- */

static bool thread_has_work(const struct sim *s, int t)
{
    const struct sim_thread *th = &s->threads[t];
    if (th->role == ROLE_WORKER)
        return s->shared.len > 0;
    return th->queue.len > 0;
}

/* The thread a free core runs next: the one it ran, while it has work
 * (no switch), else the next one on this core that has work. */
static int core_pick_thread(struct sim *s, int c)
{
    struct sim_core *core = &s->cores[c];
    if (core->thread >= 0 && thread_has_work(s, core->thread))
        return core->thread;
    for (int i = 0; i < s->nthreads; i++) {
        int t = (core->rotate + i) % s->nthreads;
        if (s->threads[t].core == c && thread_has_work(s, t)) {
            core->rotate = t + 1;
            return t;
        }
    }
    return -1;
}

//! [job cost]
/* What a job costs when thread t on core c runs it. */
static int64_t job_cost(struct sim *s, int t, int c, int job)
{
    const struct scenario *sc = &s->sc;
    struct sim_conn *conn = &s->conns[JOB_CONN(job)];
    int64_t cost = 0;
    switch (JOB_TYPE(job)) {
    case JOB_ACCEPT:
        cost = sc->cost_accept;
        if (s->threads[t].role == ROLE_ACCEPT)
            cost += sc->cost_handoff;
        break;
    case JOB_REQUEST: {
        struct dist service = scenario_service(sc);
        cost = sc->cost_recv + sc->cost_parse + sc->cost_send;
        cost += dist_sample_ns(&service, &s->rng);
        break;
    }
    case JOB_CLOSE:
        cost = sc->cost_close;
        break;
    }
    /* The connection's socket, TCP state and buffers are warm in the cache
     * of the core that last touched them; elsewhere they must be fetched. */
    if (conn->last_core >= 0 && conn->last_core != c) {
        cost += sc->cost_cache;
        if (after_warmup(s))
            s->cache_misses++;
    }
    conn->last_core = c;
    return cost;
}
//! [job cost]

static int schedule(struct sim *s, int64_t at, int kind, int a, int b)
{
    return heap_push(&s->events, at, kind, a, b);
}

/* accept4 returns at the start of the accept job: the fd exists from
 * then, and the rest of the job (choosing a target, epoll_ctl) follows,
 * so the view shows the fd in the accept slot before it is handed on. */
static void accept_start(struct sim *s, int t, int k)
{
    struct sim_conn *conn = &s->conns[k];
    conn->fd = s->nfree_fds ? s->free_fds[--s->nfree_fds] : s->next_fd++;
    s->threads[t].backlog--;
    emit(s, t, FD_ACCEPT, conn->fd, LISTEN_FD);
}

/* Start the next job on core c if it is free and has work. */
static void core_kick(struct sim *s, int c)
{
    struct sim_core *core = &s->cores[c];
    if (core->busy)
        return;
    int t = core_pick_thread(s, c);
    if (t < 0)
        return;
    struct sim_thread *th = &s->threads[t];
    int64_t cost = 0;
    if (core->thread >= 0 && core->thread != t)
        cost += s->sc.cost_switch;
    core->thread = t;
    int job;
    if (th->role == ROLE_WORKER) {
        /* The shared queue's lock is held by one taker at a time. */
        int64_t start = s->now + cost;
        if (start < s->lock_free_at)
            start = s->lock_free_at;
        s->lock_free_at = start + s->sc.cost_lock;
        cost = s->lock_free_at - s->now;
        shared_change(s, -1);
        job = jobq_pop(&s->shared);
    } else {
        core_queue_change(s, c, -1);
        job = jobq_pop(&th->queue);
    }
    if (th->waiting) {
        th->waiting = false;
        cost += s->sc.cost_epoll_wait;
        emit(s, t, FD_WAKE, -1,
             1 + (th->role == ROLE_WORKER ? s->shared.len : th->queue.len));
    }
    cost += job_cost(s, t, c, job);
    if (JOB_TYPE(job) == JOB_ACCEPT)
        accept_start(s, t, JOB_CONN(job));
    if (JOB_TYPE(job) == JOB_REQUEST)
        emit(s, t, FD_RECV, s->conns[JOB_CONN(job)].fd, 78);
    core->busy = true;
    core->job = job;
    core->busy_since = s->now;
    schedule(s, s->now + cost, EV_DONE, c, t);
}

/* ---- 3. where jobs go ------------------------------------------------- */

static void give(struct sim *s, int t, int job)
{
    if (JOB_TYPE(job) == JOB_ACCEPT) /* its listener's accept queue */
        s->threads[t].backlog++;
    jobq_push(&s->threads[t].queue, job);
    core_queue_change(s, s->threads[t].core, +1);
    core_kick(s, s->threads[t].core);
}

/* Pool: any free worker core may take the job. */
static void give_shared(struct sim *s, int job)
{
    shared_change(s, +1);
    jobq_push(&s->shared, job);
    for (int i = 0; i < s->nworkers && s->shared.len > 0; i++)
        core_kick(s, s->threads[s->workers[i]].core);
}

/* A request has arrived on connection k: its fd is readable and joins
 * its owner's ready list (the pool's shared queue). */
static void request_ready(struct sim *s, int k)
{
    struct sim_conn *conn = &s->conns[k];
    emit(s, conn->owner, FD_READY, conn->fd, 0);
    if (s->sc.arch == SIM_POOL)
        give_shared(s, JOB(k, JOB_REQUEST));
    else
        give(s, conn->owner, JOB(k, JOB_REQUEST));
}

//! [listener pick]
/* Among threads[0..n) (indexes in list), the one the kernel wakes. */
static int listener_pick(struct sim *s, const int *list, int n)
{
    if (n == 1)
        return list[0];
    if (s->sc.listener == LISTEN_REUSEPORT)
        return list[rng_next(&s->rng) % (uint64_t)n];
    /* One listener in every thread's epoll set, added with EPOLLEXCLUSIVE:
     * each epoll instance hangs an exclusive entry on the listener's wait
     * queue, in registration order, and the wake-up (ep_poll_callback in
     * fs/eventpoll.c) stops at the first instance with a thread asleep in
     * epoll_wait. So the first idle thread in registration order wins,
     * and under light load one thread takes nearly all. With none asleep,
     * whichever returns to epoll_wait first takes it: model that as
     * chance. */
    for (int i = 0; i < n; i++)
        if (s->threads[list[i]].waiting)
            return list[i];
    return list[rng_next(&s->rng) % (uint64_t)n];
}
//! [listener pick]

//! [wake herd]
/* listener = herd: the listener sits in every accept thread's epoll set
 * without EPOLLEXCLUSIVE, so a connection wakes every thread asleep in
 * epoll_wait. One takes it; the others find the queue empty and go back
 * to sleep. They are counted and traced, not charged: the model's cores
 * do not spend time on them. */
static void wake_herd(struct sim *s, int winner)
{
    for (int i = 0; i < s->nacceptors; i++) {
        int t = s->acceptors[i];
        if (t == winner || !s->threads[t].waiting)
            continue;
        if (after_warmup(s))
            s->wasted++;
        emit(s, t, FD_WASTED, LISTEN_FD, 0);
    }
}
//! [wake herd]

static void request_send(struct sim *s, int k)
{
    struct sim_conn *conn = &s->conns[k];
    conn->sent_at = s->now;
    s->sent++;
    if (after_warmup(s))
        s->offered++;
    in_system_change(s, +1);
    request_ready(s, k);
}

static int conn_new(struct sim *s, int client)
{
    if (s->free_conn < 0) {
        if (s->nconns >= s->max_conns)
            return -1;
        int n = s->nconns ? s->nconns * 2 : 256;
        n = n < s->max_conns ? n : s->max_conns;
        struct sim_conn *grown = realloc(s->conns, (size_t)n * sizeof *grown);
        if (!grown)
            return -1;
        for (int i = s->nconns; i < n; i++)
            grown[i].next_free = i + 1 < n ? i + 1 : -1;
        s->conns = grown;
        s->free_conn = s->nconns;
        s->nconns = n;
    }
    int k = s->free_conn;
    struct sim_conn *conn = &s->conns[k];
    s->free_conn = conn->next_free;
    int requests = s->sc.requests_per_conn;
    if (s->sc.long_fraction > 0 && rng_uniform(&s->rng) < s->sc.long_fraction)
        requests = s->sc.long_requests;
    *conn = (struct sim_conn){.fd = -1,
                              .client = client,
                              .owner = -1,
                              .last_core = -1,
                              .requests_left = requests ? requests : -1};
    return k;
}

/* A client connects and sends its first request with the connection (as
 * TCP_DEFER_ACCEPT lets it). */
static void client_connect(struct sim *s, int client)
{
    int k = conn_new(s, client);
    if (k < 0) { /* SIM_MAX_CONNS open, or no memory: dropped */
        s->dropped++;
        if (after_warmup(s))
            s->offered++;
        return;
    }
    struct sim_conn *conn = &s->conns[k];
    conn->sent_at = s->now;
    s->sent++;
    if (after_warmup(s))
        s->offered++;
    in_system_change(s, +1);
    int winner = listener_pick(s, s->acceptors, s->nacceptors);
    if (s->sc.listener == LISTEN_HERD)
        wake_herd(s, winner);
    /* Before give(): an idle acceptor accepts it at once, and the view
     * must see it wait in the queue before it sees it accepted. */
    emit(s, winner, FD_ARRIVE, -1, k);
    give(s, winner, JOB(k, JOB_ACCEPT));
}

/* ---- 4. what a finished job does -------------------------------------- */

//! [accept done]
static void accept_done(struct sim *s, int t, int k)
{
    struct sim_conn *conn = &s->conns[k];
    s->threads[t].accepted++;
    if (after_warmup(s))
        s->accepted++;
    if (s->sc.arch == SIM_STAGED) {
        int target = s->workers[s->policy->pick(s, t)];
        emit(s, t, FD_HANDOFF, conn->fd, target);
        s->threads[t].handoffs++;
        if (after_warmup(s))
            s->handoffs++;
        conn->owner = target;
    } else {
        conn->owner = t;
    }
    s->threads[conn->owner].open++;
    request_ready(s, k);
}
//! [accept done]

static void request_done(struct sim *s, int t, int k)
{
    struct sim_conn *conn = &s->conns[k];
    s->threads[t].requests++;
    s->answered++;
    in_system_change(s, -1);
    /* Count what completes inside the measured window, as the time
     * averages do, so that Little's law holds in the report. */
    if (after_warmup(s)) {
        hist_add(&s->latency, s->now - conn->sent_at);
        s->completed++;
    }
    emit(s, t, FD_REQUEST, conn->fd, 1);
    emit(s, t, FD_SEND, conn->fd, 130);
    if (conn->requests_left > 0 && --conn->requests_left == 0) {
        /* The client said Connection: close; the owner closes. */
        int owner = s->sc.arch == SIM_POOL ? s->acceptors[0] : conn->owner;
        give(s, owner, JOB(k, JOB_CLOSE));
        return;
    }
    int64_t think = rng_exp_ns(&s->rng, s->sc.think_ns);
    schedule(s, s->now + think, EV_SEND, k, 0);
}

static void close_done(struct sim *s, int t, int k)
{
    struct sim_conn *conn = &s->conns[k];
    emit(s, t, FD_CLOSE, conn->fd, 0);
    s->threads[conn->owner].open--;
    if (after_warmup(s))
        s->closed++;
    if (s->nfree_fds == s->free_fds_cap) {
        int cap = s->free_fds_cap ? s->free_fds_cap * 2 : 256;
        int *grown = realloc(s->free_fds, (size_t)cap * sizeof *grown);
        if (grown) {
            s->free_fds = grown;
            s->free_fds_cap = cap;
        }
    }
    if (s->nfree_fds < s->free_fds_cap)
        s->free_fds[s->nfree_fds++] = conn->fd;
    if (conn->client >= 0) {
        int64_t think = rng_exp_ns(&s->rng, s->sc.think_ns);
        schedule(s, s->now + think, EV_CONNECT, conn->client, 0);
    }
    conn->next_free = s->free_conn;
    s->free_conn = k;
}

static void job_done(struct sim *s, int c, int t)
{
    struct sim_core *core = &s->cores[c];
    int job = core->job;
    core->busy = false;
    core->busy_ns += measured(s, core->busy_since, s->now);
    if (JOB_TYPE(job) == JOB_REQUEST)
        s->serving_area += (double)measured(s, core->busy_since, s->now);
    switch (JOB_TYPE(job)) {
    case JOB_ACCEPT:
        accept_done(s, t, JOB_CONN(job));
        break;
    case JOB_REQUEST:
        request_done(s, t, JOB_CONN(job));
        break;
    case JOB_CLOSE:
        close_done(s, t, JOB_CONN(job));
        break;
    }
    /* The thread sleeps in epoll_wait when it has nothing left to do. The
     * handler above may already have started its next job on this core
     * (an accept's request, a request's close): then it is running, not
     * asleep, and that job's successor must not pay a wake-up. */
    if (!thread_has_work(s, t) && !(core->busy && core->thread == t))
        s->threads[t].waiting = true;
    core_kick(s, c);
}

/* ---- 5. the event loop ------------------------------------------------ */

/* The open loop's next Poisson arrival. The clock counts whole ns, but
 * the arrival times are summed in fractions and only then rounded:
 * rounding each gap (E[round(X)] = 0.96 ns for a mean of 1 ns) offered
 * 4% more than rate = 1e9 asked, and 1% more at 5e8. */
static void schedule_arrival(struct sim *s)
{
    s->next_arrival += rng_exp(&s->rng, 1e9 / s->sc.rate);
    schedule(s, llround(s->next_arrival), EV_ARRIVAL, 0, 0);
}

bool sim_step(struct sim *s)
{
    struct event ev;
    if (s->events.len == 0 || s->events.items[0].time > s->sc.duration_ns)
        return false;
    heap_pop(&s->events, &ev);
    s->now = ev.time;
    s->processed++;
    switch (ev.kind) {
    case EV_CONNECT:
        client_connect(s, ev.a);
        break;
    case EV_SEND:
        request_send(s, ev.a);
        break;
    case EV_DONE:
        job_done(s, ev.a, ev.b);
        break;
    case EV_ARRIVAL:
        client_connect(s, -1);
        schedule_arrival(s);
        break;
    }
    return true;
}

bool sim_run_until(struct sim *s, int64_t until)
{
    while (s->events.len > 0 && s->events.items[0].time <= until)
        if (!sim_step(s))
            break;
    if (s->events.len == 0 || s->events.items[0].time > s->sc.duration_ns) {
        s->now = s->sc.duration_ns;
        return false;
    }
    s->now = until > s->now ? until : s->now;
    return true;
}

void sim_set_emitter(struct sim *s, sim_emit_fn fn, void *ctx)
{
    s->emit = fn;
    s->emit_ctx = ctx;
}

int sim_workers(const struct sim *s)
{
    return s->nworkers;
}

int sim_worker_open(const struct sim *s, int i)
{
    return s->threads[s->workers[i]].open;
}

int sim_init(struct sim *s, const struct scenario *sc, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->sc = *sc;
    s->max_conns = SIM_MAX_CONNS;
    s->policy = policy_find(sc->schedule);
    if (!s->policy) {
        snprintf(err, errlen, "no scheduling policy named '%s'", sc->schedule);
        return -1;
    }
    rng_seed(&s->rng, sc->seed);
    int n = sc->threads ? sc->threads : sc->cores;
    if (sc->arch == SIM_SINGLE)
        n = 1;
    /* The pool: the loop and threads - 1 workers, or by default a worker
     * per other core. threads was once ignored here, so a pool asked for
     * 8 workers on 4 cores ran 3 and said nothing. */
    if (sc->arch == SIM_POOL && !sc->threads)
        n = 1 + (sc->cores > 1 ? sc->cores - 1 : 1);
    int clients = sc->open_loop ? 0 : sc->clients;
    s->nthreads = n;
    s->threads = calloc((size_t)n, sizeof *s->threads);
    s->workers = calloc((size_t)n, sizeof *s->workers);
    s->acceptors = calloc((size_t)n, sizeof *s->acceptors);
    s->cores = calloc((size_t)sc->cores, sizeof *s->cores);
    if (!s->threads || !s->workers || !s->acceptors || !s->cores) {
        snprintf(err, errlen, "out of memory");
        sim_free(s);
        return -1;
    }
    s->free_conn = -1;
    s->next_fd = 5; /* 0-2 stdio, 3 listener, 4 epoll */
    for (int i = 0; i < sc->cores; i++)
        s->cores[i].thread = -1;
    for (int t = 0; t < n; t++) {
        struct sim_thread *th = &s->threads[t];
        th->core = t % sc->cores;
        th->waiting = true;
        switch (sc->arch) {
        case SIM_STAGED:
            th->role = t < sc->accept_threads ? ROLE_ACCEPT : ROLE_REQUEST;
            break;
        case SIM_POOL:
            th->role = t == 0 ? ROLE_LOOP : ROLE_WORKER;
            /* The loop on core 0, workers on the others (or with it). */
            th->core =
                t == 0 || sc->cores == 1 ? 0 : 1 + (t - 1) % (sc->cores - 1);
            break;
        default:
            th->role = ROLE_BOTH;
            break;
        }
        if (th->role != ROLE_REQUEST && th->role != ROLE_WORKER)
            s->acceptors[s->nacceptors++] = t;
        if (th->role != ROLE_ACCEPT && th->role != ROLE_LOOP)
            s->workers[s->nworkers++] = t;
    }
    /* Closed-loop clients start spread over one mean think time (within
     * the warm-up), as they would be in the steady state, not all in the
     * first nanosecond: a start-up burst would distort a short run. With
     * no think time a burst is what the load is. */
    double spread = sc->think_ns < (double)sc->warmup_ns
                        ? sc->think_ns
                        : (double)sc->warmup_ns;
    for (int c = 0; c < clients; c++)
        schedule(s, (int64_t)(spread * c / clients), EV_CONNECT, c, 0);
    if (sc->open_loop)
        schedule_arrival(s);
    return 0;
}

void sim_free(struct sim *s)
{
    for (int t = 0; t < s->nthreads && s->threads; t++)
        free(s->threads[t].queue.items);
    free(s->threads);
    free(s->workers);
    free(s->acceptors);
    free(s->cores);
    free(s->conns);
    free(s->free_fds);
    free(s->shared.items);
    heap_free(&s->events);
    memset(s, 0, sizeof *s);
}

void sim_report(const struct sim *s, struct sim_report *r)
{
    double secs = (double)(s->sc.duration_ns - s->sc.warmup_ns) / 1e9;
    double area =
        s->in_system_area +
        (double)s->in_system * (double)measured(s, s->in_system_since, s->now);
    /* A request is in the system from its send to the end of its job; on
     * a core while that job runs; waiting the rest of the time (behind
     * other jobs, and while its connection's accept job runs). */
    double serving = s->serving_area, busiest = 0;
    for (int c = 0; c < s->sc.cores; c++) {
        if (s->cores[c].busy && JOB_TYPE(s->cores[c].job) == JOB_REQUEST)
            serving += (double)measured(s, s->cores[c].busy_since, s->now);
        if (sim_core_util(s, c) > busiest)
            busiest = sim_core_util(s, c);
    }
    *r = (struct sim_report){
        .throughput_rps = (double)s->completed / secs,
        .mean_us = hist_mean(&s->latency) / 1e3,
        .p50_us = hist_quantile(&s->latency, 0.50) / 1e3,
        .p99_us = hist_quantile(&s->latency, 0.99) / 1e3,
        .mean_in_system = area / (secs * 1e9),
        .mean_serving = serving / (secs * 1e9),
        .mean_waiting = (area - serving) / (secs * 1e9),
        .completed = s->completed,
        .handoffs = s->handoffs,
        .cache_misses = s->cache_misses,
        .accepted = s->accepted,
        .wasted_wakes = s->wasted,
        .events = s->processed,
        .sim_time_s = (double)s->sc.duration_ns / 1e9,
        .offered_rps = (double)s->offered / secs,
        .offered = s->offered,
        .in_system_end = s->in_system,
        .dropped = s->dropped,
        .busiest_util = busiest,
    };
}

bool sim_report_so_far(const struct sim *s, struct sim_report *r)
{
    if (s->now <= s->sc.warmup_ns)
        return false;
    /* A shallow copy whose run ends now: read, never run or freed. */
    struct sim m = *s;
    if (m.now < m.sc.duration_ns)
        m.sc.duration_ns = m.now;
    sim_report(&m, r);
    return true;
}

bool sim_overloaded(const struct sim_report *r)
{
    /* Sent minus answered in the window is how much the backlog grew.
     * In a steady state that change is of the order of the mean backlog
     * L = X W, so it tops 1% of what was answered only when W is over 1%
     * of the window (a run too short to judge). At rho = 1.02 it is 2%
     * and the old 5% let it pass as a steady state whose latency grows
     * with the run.
     *
     * Then the server must have been unable to keep up. A core busy the
     * whole window says so whatever the warm-up: the backlog test alone
     * (the end above 4/3 of the mean, as a line growing from zero at the
     * start of the run ends) fails once the warm-up is half the run or
     * more, where the backlog built in the warm-up lifts the mean, and
     * called rho = 2 steady with warmup_ms 1000 of duration_ms 2000.
     * Neither sign is proof in a short window (rho 0.8 measured for 2 ms:
     * 181 sent, 174 answered, the core busy throughout and the backlog
     * ending above the mean): the growth must also be more than three
     * standard deviations of the arrivals' count, sqrt(offered) for
     * Poisson arrivals. Drops are counted in offered, so they grow it. */
    double grown = (double)r->offered - (double)r->completed;
    return r->offered_rps > 1.01 * r->throughput_rps &&
           grown > 3 * sqrt((double)r->offered) &&
           (r->busiest_util >= 0.99 ||
            (double)r->in_system_end > 2 * r->mean_in_system / 1.5 ||
            r->dropped > 0);
}

double sim_shared_queue(const struct sim *s)
{
    double area =
        s->shared_area +
        (double)s->shared.len * (double)measured(s, s->shared_since, s->now);
    return area / (double)(s->sc.duration_ns - s->sc.warmup_ns);
}

double sim_core_util(const struct sim *s, int c)
{
    const struct sim_core *core = &s->cores[c];
    int64_t busy = core->busy_ns;
    if (core->busy)
        busy += measured(s, core->busy_since, s->now);
    return (double)busy / (double)(s->sc.duration_ns - s->sc.warmup_ns);
}

double sim_core_queue(const struct sim *s, int c)
{
    const struct sim_core *core = &s->cores[c];
    double area =
        core->queue_area +
        (double)core->queued * (double)measured(s, core->queue_since, s->now);
    return area / (double)(s->sc.duration_ns - s->sc.warmup_ns);
}
