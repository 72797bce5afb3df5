/*
 * The io_uring path's threads: set-up, the loop, accept and hand-off.
 *
 * One loop serves every stage. It submits what the last batch queued and
 * waits for the next batch in one io_uring_enter(), then dispatches each
 * completion on its tag (uring_ring.h). An accept thread only ever sees
 * accept completions and the confirmations of its hand-offs; a request
 * thread sees receives, sends and hand-offs arriving; a shared-nothing or
 * single thread sees all of them.
 */
#include "reference-server/uring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "reference-server/handoff.h"
#include "reference-server/listener.h"
#include "reference-server/pool.h"
#include "reference-server/uring_recv.h"

/* Submission and completion queue sizes: a batch can queue a send and a
 * receive per connection it touched; completions outnumber submissions
 * (multishot), and the kernel keeps overflow rather than drop it. */
#define SQ_ENTRIES 1024
#define CQ_ENTRIES 8192
#define BUF_GROUP  0

int uring_probe(char *err, size_t errlen)
{
    struct io_uring ring;
    int rc = io_uring_queue_init(4, &ring, 0);
    if (rc < 0) {
        snprintf(err, errlen,
                 "io_uring is unavailable: io_uring_setup: %s (see "
                 "/proc/sys/kernel/io_uring_disabled, or a seccomp profile); "
                 "use --io epoll",
                 strerror(-rc));
        return -1;
    }
    struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
    /* IORING_OP_SEND_ZC came with Linux 6.0, as did multishot receive,
     * which the probe cannot see: take the one as a sign of the other. */
    bool ok = probe && io_uring_opcode_supported(probe, IORING_OP_MSG_RING) &&
              io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
    io_uring_free_probe(probe);
    io_uring_queue_exit(&ring);
    if (!ok) {
        snprintf(err, errlen,
                 "io_uring is too old here: --io uring needs "
                 "Linux >= 6.0; use --io epoll");
        return -1;
    }
    return 0;
}

static void arm_accept(struct uring_thread *u)
{
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe)
        return;
    io_uring_prep_multishot_accept(sqe, u->self->listen_fd, NULL, NULL,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe,
                            uring_tag(URING_ACCEPT, 0, u->self->listen_fd));
    u->accept_armed = true;
}

//! [uring handoff]
/* The staged hand-off: a message to the target's ring carrying the fd.
 * The target gets it as a completion tagged URING_NEW_CONN; we get one
 * tagged URING_MSG_SENT saying whether it was delivered. */
static void handoff_msg(struct uring_thread *u, struct thread *target, int fd)
{
    struct thread *self = u->self;
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe) { /* before any count: the target will never see this fd */
        thread_warn(self, "no SQE for the hand-off of fd %d", fd);
        TRACE(self->trace, TRACE_CLOSE, fd, CLOSE_ERROR);
        close(fd);
        return;
    }
    /* Release: what this thread did with the fd (accept4() while fds are
     * short) happens before the target takes it (acquire in dispatch()).
     * The ring orders the message too, but ThreadSanitizer cannot see
     * that; this pair it sees, and it costs one atomic either way. */
    atomic_fetch_add_explicit(&target->stats.conns_in.value, 1,
                              memory_order_release);
    counter_add(&self->stats.handed_off, 1);
    TRACE(self->trace, TRACE_HANDOFF, fd, target->id);
    io_uring_prep_msg_ring(sqe, target->ring_fd, 0,
                           uring_tag(URING_NEW_CONN, 0, fd), 0);
    io_uring_sqe_set_data64(
        sqe, uring_tag(URING_MSG_SENT, (uint32_t)target->id, fd));
    u->msgs_in_flight++;
}
//! [uring handoff]

static void on_msg_sent(struct uring_thread *u, const struct io_uring_cqe *cqe)
{
    struct thread *self = u->self;
    u->msgs_in_flight--;
    if (cqe->res >= 0)
        return;
    int fd = uring_tag_fd(cqe->user_data);
    struct thread *target = &self->srv->threads[uring_tag_gen(cqe->user_data)];
    thread_warn(self, "MSG_RING(fd %d to thread %d): %s", fd, target->id,
                strerror(-cqe->res));
    /* Take the counts back: the target never saw this connection. */
    atomic_fetch_sub_explicit(&target->stats.conns_in.value, 1,
                              memory_order_relaxed);
    atomic_store_explicit(&self->stats.handed_off.value,
                          counter_get(&self->stats.handed_off) - 1,
                          memory_order_relaxed);
    TRACE(self->trace, TRACE_CLOSE, fd, CLOSE_ERROR);
    close(fd);
}

/* Out of fds: shed a waiting client as accept_burst.c does. Every
 * accepting thread shares one fd table, so the spare fds are one pool
 * (any thread may give up any of them) and the shedding takes one lock.
 * Returns whether a client was shed. */
static bool shed_connection(struct thread *self, int err)
{
    struct server *srv = self->srv;
    thread_warn(self, "accept: %s: closing new connections until fds free",
                strerror(err));
    pthread_mutex_lock(&srv->shed_lock);
    int *spare = &self->reserve_fd;
    for (int i = 0; i < srv->nthreads && *spare < 0; i++)
        if (srv->threads[i].reserve_fd >= 0)
            spare = &srv->threads[i].reserve_fd;
    if (*spare < 0) /* every spare was lost: perhaps a slot freed since */
        *spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd = -1;
    if (*spare >= 0) {
        close(*spare);
        fd = accept4(self->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        *spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    bool lost = *spare < 0;
    pthread_mutex_unlock(&srv->shed_lock);
    if (lost && fd < 0) /* no spare left anywhere: back off, do not spin */
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    return fd >= 0;
}

/* Wait for the listener to have a client (a one-shot poll). */
static void wait_listener(struct uring_thread *u)
{
    struct io_uring_sqe *sqe = uring_sqe(u);
    if (!sqe)
        return;
    io_uring_prep_poll_add(sqe, u->self->listen_fd, POLLIN);
    io_uring_sqe_set_data64(sqe,
                            uring_tag(URING_LISTEN, 0, u->self->listen_fd));
    u->accept_armed = true;
}

/* A new connection: hand it off (staged) or serve it here. */
static void take_connection(struct uring_thread *u, int fd)
{
    struct thread *self = u->self;
    counter_add(&self->stats.accepted, 1);
    TRACE(self->trace, TRACE_ACCEPT, fd, self->listen_fd);
    if (self->stage == STAGE_ACCEPT) {
        handoff_msg(u, schedule_pick(self), fd);
    } else {
        counter_add_shared(&self->stats.conns_in, 1);
        uring_conn_open(u, fd);
    }
}

//! [uring accept by hand]
/* While fds are short, accept with accept4() under the shedding lock, as
 * accept_burst.c does, and not with the multishot accept: that one takes
 * an fd slot in the kernel whenever a client comes, and would take the
 * slot another thread frees to shed its own client. Once the careful
 * time is over, the multishot accept comes back. */
static void accept_by_hand(struct uring_thread *u)
{
    struct thread *self = u->self;
    struct server *srv = self->srv;
    for (;;) {
        pthread_mutex_lock(&srv->shed_lock);
        int fd =
            accept4(self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int err = errno;
        pthread_mutex_unlock(&srv->shed_lock);
        if (fd >= 0)
            take_connection(u, fd);
        else if (err == EMFILE || err == ENFILE) {
            atomic_store_explicit(&srv->shed_until_ms,
                                  clock_ms() + SHED_CAREFUL_MS,
                                  memory_order_relaxed);
            if (!shed_connection(self, err))
                break;
        } else if (err != EINTR && err != ECONNABORTED)
            break; /* EAGAIN: nobody waits; anything else: try later */
    }
    if (clock_ms() <
        atomic_load_explicit(&srv->shed_until_ms, memory_order_relaxed))
        wait_listener(u);
    else
        arm_accept(u);
}
//! [uring accept by hand]

//! [uring accept]
static void on_accept(struct uring_thread *u, const struct io_uring_cqe *cqe)
{
    struct thread *self = u->self;
    int fd = cqe->res;
    if (fd >= 0)
        take_connection(u, fd);
    if (cqe->flags & IORING_CQE_F_MORE)
        return;
    u->accept_armed = false; /* the multishot ended: say why, arm again */
    if (u->stopping)
        return;
    if (fd == -EMFILE || fd == -ENFILE) {
        accept_by_hand(u); /* out of fds: shed, carefully */
        return;
    }
    if (fd < 0 && fd != -ECANCELED) {
        thread_warn(self, "accept(fd %d): %s", self->listen_fd, strerror(-fd));
        nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
    }
    arm_accept(u);
}
//! [uring accept]

/* Stopping: take the clients already queued by hand, as acceptor.c's
 * accept_queued() does (acceptor.h says why): closing the listener over
 * them would reset them. */
static void accept_queued_by_hand(struct uring_thread *u)
{
    for (int n = listener_backlog(); n > 0; n--) {
        int fd = accept4(u->self->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0)
            return; /* EAGAIN: no one is left; out of fds: they stay */
        take_connection(u, fd);
    }
}

//! [uring stop]
/* The stop eventfd fired: stop accepting, answer what is in flight (the
 * drain of worker.c: a grace period, then idle connections close). */
static void on_stop(struct uring_thread *u)
{
    struct thread *self = u->self;
    u->stopping = true;
    if (u->accept_armed) { /* one of the two is in flight */
        uring_cancel(u, uring_tag(URING_ACCEPT, 0, self->listen_fd));
        uring_cancel(u, uring_tag(URING_LISTEN, 0, self->listen_fd));
    }
    if (self->listen_fd >= 0)
        accept_queued_by_hand(u); /* before its listener closes */
    if (self->stage == STAGE_ACCEPT)
        return; /* the staged listener is pool_drain()'s to close */
    /* Our own listener: closed now, so that new clients are refused at
     * once. The cancelled accept holds it until the cancel runs, in the
     * io_uring_enter() that ends this turn. */
    if (self->listen_fd >= 0)
        close(self->listen_fd);
    self->draining = true;
    self->drain_deadline = clock_second() + DRAIN_SECONDS;
    self->drain_grace_end = clock_ms() + DRAIN_GRACE_MS;
}
//! [uring stop]

static void dispatch(struct uring_thread *u, const struct io_uring_cqe *cqe)
{
    switch (uring_tag_op(cqe->user_data)) {
    case URING_STOP:
        on_stop(u);
        break;
    case URING_ACCEPT:
        on_accept(u, cqe);
        break;
    case URING_MSG_SENT:
        on_msg_sent(u, cqe);
        break;
    case URING_NEW_CONN: /* acquire: see handoff_msg() */
        atomic_load_explicit(&u->self->stats.conns_in.value,
                             memory_order_acquire);
        uring_conn_open(u, uring_tag_fd(cqe->user_data));
        break;
    case URING_RECV:
        uring_conn_on_recv(u, cqe);
        break;
    case URING_SEND:
        uring_conn_on_send(u, cqe);
        break;
    case URING_LISTEN: /* a client waits, while fds are short */
        u->accept_armed = false;
        if (!u->stopping)
            accept_by_hand(u);
        break;
    case URING_CANCEL:
        break;
    case URING_CLOSE: /* the fd's number may be another's now: leave it */
        thread_warn(u->self, "fd %d: close: %s", uring_tag_fd(cqe->user_data),
                    strerror(-cqe->res));
        break;
    }
}

/* Whether the thread has finished: stopped, nothing of its own in flight,
 * and (serving threads) every connection it was given closed. */
static bool finished(const struct uring_thread *u)
{
    const struct thread *self = u->self;
    if (!u->stopping || u->accept_armed || u->msgs_in_flight > 0)
        return false;
    if (self->stage == STAGE_ACCEPT)
        return true;
    /* acceptors_done first, with acquire: once it is seen, every hand-off
     * to us is counted in conns_in, so a count read after it is whole. */
    return atomic_load_explicit(&self->srv->acceptors_done,
                                memory_order_acquire) &&
           conns_open(self) == 0 && stats_open_conns(&self->stats) == 0;
}

//! [uring loop]
static void uring_loop(struct uring_thread *u)
{
    struct thread *self = u->self;
    while (!finished(u)) {
        /* Submit everything the last batch queued and wait, in one call. */
        long ms = self->draining                    ? 50
                  : self->srv->opt.idle_timeout > 0 ? 1000
                                                    : 3600 * 1000;
        struct __kernel_timespec ts = {.tv_sec = ms / 1000,
                                       .tv_nsec = ms % 1000 * 1000000};
        struct io_uring_cqe *cqe;
        int rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
        if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
            thread_warn(self, "io_uring_enter: %s", strerror(-rc));
            break;
        }
        /* A wait cut short (a stop signal, SIGSTOP and SIGCONT) or timed
         * out may return before the receives deferred to this thread
         * (DEFER_TASKRUN) have run: run them now, so that what arrived is
         * seen before the expiry pass below judges who is idle. */
        if (rc == -ETIME || rc == -EINTR)
            io_uring_get_events(&u->ring);
        self->now = clock_second();
        http_date_refresh(&self->date, clock_wall_second());
        unsigned head, n = 0;
        io_uring_for_each_cqe(&u->ring, head, cqe)
        {
            dispatch(u, cqe);
            n++;
        }
        io_uring_cq_advance(&u->ring, n);
        if (n > 0)
            TRACE(self->trace, TRACE_WAKE, -1, n);
        if (self->stage != STAGE_ACCEPT)
            uring_conns_expire(u);
    }
}
//! [uring loop]

static void name_thread(struct thread *self)
{
    static const char *const tags[] = {"acc", "req", "all"};
    char name[16];
    snprintf(name, sizeof name, "fastd-%s-%d", tags[self->stage], self->id);
    pthread_setname_np(pthread_self(), name);
    atomic_store(&self->os_tid, gettid());
}

//! [uring setup]
static int uring_setup(struct uring_thread *u)
{
    struct thread *self = u->self;
    struct server *srv = self->srv;
    char err[256];
    /* One thread submits to this ring, and completions need only be ready
     * when it asks for them: let the kernel skip the locking and the
     * interrupts that a shared ring would need. Older kernels refuse
     * these flags; fall back to none. */
    struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE |
                                         IORING_SETUP_SINGLE_ISSUER |
                                         IORING_SETUP_DEFER_TASKRUN,
                                .cq_entries = CQ_ENTRIES};
    int rc = io_uring_queue_init_params(SQ_ENTRIES, &u->ring, &p);
    if (rc == -EINVAL) {
        p = (struct io_uring_params){.flags = IORING_SETUP_CQSIZE,
                                     .cq_entries = CQ_ENTRIES};
        rc = io_uring_queue_init_params(SQ_ENTRIES, &u->ring, &p);
    }
    if (rc < 0) {
        fprintf(stderr, "fastd: thread %d: io_uring_queue_init: %s\n", self->id,
                strerror(-rc));
        return -1;
    }
    self->ring_fd = u->ring.ring_fd;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    io_uring_prep_poll_add(sqe, srv->stop_fd, POLLIN);
    io_uring_sqe_set_data64(sqe, uring_tag(URING_STOP, 0, srv->stop_fd));
    if (self->stage != STAGE_REQUEST) {
        if (self->listen_fd < 0)
            return -1;
        self->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        arm_accept(u);
    }
    if (self->stage != STAGE_ACCEPT) {
        /* --uring-bufs: what the thread keeps whatever its connections
         * (the buffers and their ring), shown apart in /stats, since it
         * is no connection's cost: a kernel-chosen buffer holds bytes
         * only from their arrival to the end of the batch. */
        unsigned count = (unsigned)srv->opt.uring_bufs;
        if (uring_bufs_setup(&u->ring, &u->bufs, count, URING_BUF_SIZE,
                             BUF_GROUP, err, sizeof err) < 0) {
            fprintf(stderr, "fastd: thread %d: %s\n", self->id, err);
            return -1;
        }
        counter_add(&self->stats.fixed_bytes,
                    (uint64_t)count *
                        (URING_BUF_SIZE + sizeof(struct io_uring_buf)));
        if (conns_init(&self->conns, (int)srv->nofile) < 0)
            return -1;
        /* A reply with a tail (--body-kib) goes in one sendmsg, whose
         * header and iovecs need a home per SQE slot until the kernel
         * has copied them, which it has once it took the SQE (Linux 5.5,
         * older than the 6.0 uring_probe() asks for; checked all the
         * same). Without them a reply's head and tail go in two sends. */
        if (srv->opt.body_kib > 0 && (p.features & IORING_FEAT_SUBMIT_STABLE)) {
            unsigned slots = u->ring.sq.ring_entries;
            u->sendmsgs = calloc(slots, sizeof *u->sendmsgs);
            if (u->sendmsgs)
                counter_add(&self->stats.fixed_bytes,
                            (uint64_t)slots * sizeof *u->sendmsgs);
        }
    }
    if (srv->trace_fd >= 0 &&
        !(self->trace = trace_buf_new(srv->trace_fd, self->id, self->core,
                                      srv->origin_ns)))
        return -1;
    self->now = clock_second();
    http_date_refresh(&self->date, clock_wall_second());
    return 0;
}
//! [uring setup]

void *uring_thread_main(struct thread *self)
{
    struct server *srv = self->srv;
    struct uring_thread u = {.self = self};
    name_thread(self);
    thread_pin(self);
    if (uring_setup(&u) < 0)
        atomic_store(&srv->setup_failed, true);
    pthread_barrier_wait(&srv->ready);
    if (!atomic_load(&srv->setup_failed))
        uring_loop(&u);
    if (self->ring_fd >= 0) {
        io_uring_submit(&u.ring);     /* the last batch's closes */
        io_uring_queue_exit(&u.ring); /* cancels what is still in flight */
    }
    if (self->conns.by_fd)
        uring_conns_release(&u);
    uring_bufs_free(&u.ring, &u.bufs);
    free(u.sendmsgs);
    if (self->trace) {
        trace_flush(self->trace);
        free(self->trace);
        self->trace = NULL;
    }
    /* Other threads may still take our spare to shed (shed_connection). */
    pthread_mutex_lock(&srv->shed_lock);
    if (self->reserve_fd >= 0)
        close(self->reserve_fd);
    self->reserve_fd = -1;
    pthread_mutex_unlock(&srv->shed_lock);
    return NULL;
}
