/*
 * Exercise 07, layer (a): conns_expire() alone, on a request thread whose
 * connections are real socket pairs served by fastd's own conn_serve().
 */
#include "exercises/grader/graded.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "exercises/grader/inject.h"
#include "exercises/grader/oracle.h"
#include "reference-server/conn.h"

/* recvfrom() and recvmsg() without an address (and recvmsg() with one
 * buffer and no control data) are recv() by another name: they go
 * through recv(), which the grader wraps, so that the fault matrix fails
 * a peek written with either as it fails one written with recv(). A
 * peek with recvfrom() that took EINTR for idle kept 43/43 while only
 * recv() met the faults. */
ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                 struct sockaddr *from, socklen_t *fromlen)
{
    if (!from)
        return recv(fd, buf, len, flags);
    return syscall(SYS_recvfrom, fd, buf, len, flags, from, fromlen);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (!msg->msg_name && !msg->msg_control && msg->msg_iovlen == 1) {
        ssize_t n =
            recv(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, flags);
        if (n >= 0)
            msg->msg_flags = 0;
        return n;
    }
    return syscall(SYS_recvmsg, fd, msg, flags);
}

static struct server *srv;
static struct thread *self;
static int peers[128];

static void setup(int timeout)
{
    srv = fake_server(0, 1, SCHEDULE_RR, false);
    srv->opt.idle_timeout = timeout;
    self = &srv->threads[0];
    self->now = 1000;
    assert_int_equal(conns_init(&self->conns, 4096), 0);
    memset(peers, -1, sizeof peers);
}

/* A connection fastd's request stage has seen, last active at `when`;
 * with `partial`, half a request is buffered in it. Returns its fd. */
static int add_conn(long when, bool partial)
{
    int sv[2];
    assert_int_equal(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    if (partial)
        send(sv[1], "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
    long now = self->now;
    self->now = when;
    conn_serve(self, sv[0], EPOLLIN | EPOLLOUT);
    self->now = now;
    assert_non_null(self->conns.by_fd[sv[0]]);
    assert_int_equal(self->conns.by_fd[sv[0]]->in_len, partial ? 16 : 0);
    peers[sv[0]] = sv[1];
    return sv[0];
}

static bool is_open(int fd)
{
    return self->conns.by_fd[fd] != NULL;
}

/* The peer saw the close (EOF), as a client would. */
static bool peer_closed(int fd)
{
    char c;
    return recv(peers[fd], &c, 1, MSG_DONTWAIT) == 0;
}

static void teardown_all(void)
{
    conns_release(self);
    for (int i = 0; i < 128; i++)
        if (peers[i] >= 0)
            close(peers[i]);
    fake_server_free(srv);
}

static void test_idle_closed(void **state)
{
    (void)state;
    setup(5);
    int old = add_conn(990, false), fresh = add_conn(998, false);
    conns_expire(self);
    if (is_open(old))
        fail_msg("a connection idle for 10 s outlived a 5 s timeout");
    want_true(peer_closed(old), "the client of the connection idle for 10 "
                                "s does not see it closed");
    want_true(is_open(fresh), "a connection idle for 2 s was closed by a 5 s "
                              "timeout");
    want_int("stats::closed_timeout after one idle connection closed "
             "(conn_close()'s reason must be CLOSE_TIMEOUT)",
             1, (long long)counter_get(&self->stats.closed_timeout));
    want_true(!self->done, "self->done set while not draining");
    teardown_all();
}

static void test_many_in_order(void **state)
{
    (void)state;
    setup(5);
    int fds[40];
    for (int i = 0; i < 40; i++) /* last active 980 .. 999 */
        fds[i] = add_conn(980 + i / 2, false);
    conns_expire(self);
    for (int i = 0; i < 40; i++) {
        bool idle = self->now - (980 + i / 2) > 5;
        if (is_open(fds[i]) == idle)
            fail_msg("connection last active at %d: %s at %ld with a 5 s "
                     "timeout",
                     980 + i / 2, idle ? "still open" : "closed", self->now);
    }
    assert_int_equal(counter_get(&self->stats.closed_timeout), 30);
    teardown_all();
}

static void test_no_timeout_when_zero(void **state)
{
    (void)state;
    setup(0);
    int old = add_conn(1, false);
    conns_expire(self);
    assert_true(is_open(old));
    teardown_all();
}

static void test_drain_keeps_busy(void **state)
{
    (void)state;
    setup(0);
    int idle = add_conn(999, false), busy = add_conn(999, true);
    int idle2 = add_conn(999, false), idle3 = add_conn(999, false);
    self->draining = true;
    self->drain_deadline = self->now + 5;
    atomic_store(&srv->acceptors_done, true);
    conns_expire(self);
    if (is_open(idle) || is_open(idle2) || is_open(idle3))
        fail_msg("draining, grace over: idle connections left open "
                 "(1 = open: the 1st %d, the 3rd %d, the 4th %d of the "
                 "activity list; the 2nd is busy and stays) - did "
                 "the walk go on from a ->newer read after conn_close() "
                 "freed the connection, or stop at the busy one?",
                 is_open(idle), is_open(idle2), is_open(idle3));
    assert_true(peer_closed(idle));
    if (!is_open(busy))
        fail_msg("draining closed a connection with a request in flight");
    assert_false(self->done);
    teardown_all();
}

static void test_drain_deadline(void **state)
{
    (void)state;
    setup(0);
    int busy = add_conn(999, true);
    self->draining = true;
    self->drain_deadline = self->now; /* the deadline is now */
    atomic_store(&srv->acceptors_done, true);
    conns_expire(self);
    if (is_open(busy))
        fail_msg("at the drain deadline a stuck client still holds fastd");
    want_true(self->done,
              "at the drain deadline, the last connection closed by this "
              "call and the accept stage done: self->done is still false "
              "(decide done after this call's closes, or the thread waits "
              "for another wake-up)");
    teardown_all();
}

static void test_done_after_acceptors(void **state)
{
    (void)state;
    setup(0);
    self->draining = true;
    self->drain_deadline = self->now + 5;
    conns_expire(self);
    if (self->done)
        fail_msg("done while the accept stage may still hand off a "
                 "connection (acceptors_done is false)");
    atomic_store(&srv->acceptors_done, true);
    conns_expire(self);
    assert_true(self->done);
    teardown_all();
}

/* ---- The differential oracle: your conns_expire() beside the reference ----
 */

/* The reference's, linked with its symbols renamed (exercise.conf). */
void ref_conns_expire(struct thread *self);
typedef void (*expire_fn)(struct thread *);

/* What a connection of a population is doing. */
enum cstate {
    C_IDLE,    /* nothing buffered, nothing waiting */
    C_PARTIAL, /* half a request in in[] */
    C_PEEKED,  /* a whole request waiting on the socket, not read yet */
    C_FIN,     /* the client's FIN waiting on the socket */
    C_OUTPUT,  /* a reply in out[] not sent yet */
    C_TAIL,    /* out[] sent, a tail (GET /body) still to send */
    C_LINGER,  /* answered with an error, lingering */
    C_STATES
};
static const char *const cstate_name[] = {"idle",
                                          "half a request read",
                                          "a request waiting on the socket",
                                          "a FIN waiting on the socket",
                                          "a reply not yet sent",
                                          "a tail not yet sent",
                                          "lingering"};

struct pconn {
    enum cstate state;
    int age; /* seconds since its last activity */
};

#define POP_MAX 12
/* A population and a clock. */
struct pop {
    int timeout;         /* --idle-timeout */
    bool draining;       /* the stop signal came */
    int deadline;        /* drain_deadline - now */
    bool grace_over;     /* clock_ms() >= drain_grace_end */
    bool acceptors_done; /* no more hand-offs */
    int steps[3];        /* seconds the clock moves before each call */
    int err;             /* recv() fails with this (the fault matrix) */
    size_t n;
    struct pconn c[POP_MAX];
};

static const char tail_body[64] = "a tail";

/* Build the population on a fresh thread; its fds in fds[]. */
static struct server *build(const struct pop *p, int *fds, int *peer)
{
    struct server *s = fake_server(0, 1, SCHEDULE_RR, false);
    s->opt.idle_timeout = p->timeout;
    struct thread *t = &s->threads[0];
    t->now = 1000;
    assert_int_equal(conns_init(&t->conns, 4096), 0);
    /* Oldest first, as fastd's clock makes them: the activity list (and
     * the linger list) is in time order (conn.h), and a sweep may rely
     * on it or not. */
    size_t order[POP_MAX];
    for (size_t k = 0; k < p->n; k++) {
        size_t at = k;
        while (at > 0 && p->c[order[at - 1]].age < p->c[k].age) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = k;
    }
    for (size_t k = 0; k < p->n; k++) {
        size_t i = order[k];
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX,
                                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                    0, sv),
                         0);
        fds[i] = sv[0];
        peer[i] = sv[1];
        if (p->c[i].state == C_PARTIAL)
            send(sv[1], "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
        t->now = 1000 - p->c[i].age;
        conn_serve(t, sv[0], EPOLLIN | EPOLLOUT);
        struct conn *cn = t->conns.by_fd[sv[0]];
        assert_non_null(cn);
        switch (p->c[i].state) {
        case C_PEEKED:
            send(sv[1], "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, MSG_NOSIGNAL);
            break;
        case C_FIN:
            shutdown(sv[1], SHUT_WR);
            break;
        case C_OUTPUT:
            cn->out = conn_buf_take(&t->conns);
            assert_non_null(cn->out);
            memcpy(cn->out, "HTTP/1.1 200 OK\r\n", 17);
            cn->out_len = 17;
            break;
        case C_TAIL:
            cn->tail = tail_body;
            cn->tail_len = sizeof tail_body;
            break;
        case C_LINGER:
            conn_linger(t, cn);
            break;
        default:
            break;
        }
    }
    t->now = 1000;
    t->draining = p->draining;
    t->drain_deadline = t->now + p->deadline;
    t->drain_grace_end = p->grace_over ? 0 : clock_ms() + 3600 * 1000;
    atomic_store(&s->acceptors_done, p->acceptors_done);
    return s;
}

static long pop_recvs; /* recv() calls of the last run_pop() under a fault */

/* Run the clock and conns_expire(); write what a caller can see after
 * each call: who is open, the close counters, done, what each client
 * sees. */
static void run_pop(expire_fn fn, const struct pop *p, char *out, size_t cap)
{
    int fds[POP_MAX], peer[POP_MAX];
    struct server *s = build(p, fds, peer);
    struct thread *t = &s->threads[0];
    size_t o = 0;
    out[0] = 0;
    for (int k = 0; k < 3; k++) {
        t->now += p->steps[k];
        if (p->err) {
            inject_reset();
            inject_fail(INJECT_RECV, p->err, -1);
        }
        fn(t);
        pop_recvs += inject_calls(INJECT_RECV);
        inject_reset();
        oracle_appendf(out, cap, &o, "%sat +%lds: open [", k ? "; " : "",
                       t->now - 1000);
        for (size_t i = 0; i < p->n && o < cap; i++) {
            char b;
            ssize_t got = recv(peer[i], &b, 1, MSG_PEEK | MSG_DONTWAIT);
            oracle_appendf(out, cap, &o, "%s%zu%s", i ? " " : "", i,
                           t->conns.by_fd[fds[i]] ? "" : "x");
            if (got == 0 && t->conns.by_fd[fds[i]] &&
                p->c[i].state != C_LINGER && o < cap)
                oracle_appendf(out, cap, &o, "(client saw EOF)");
        }
        if (o < cap)
            oracle_appendf(
                out, cap, &o,
                "] closed normal %llu, error %llu, timeout %llu, %d open%s",
                (unsigned long long)counter_get(&t->stats.closed_normal),
                (unsigned long long)counter_get(&t->stats.closed_error),
                (unsigned long long)counter_get(&t->stats.closed_timeout),
                conns_open(t), t->done ? ", done" : "");
        if (o >= cap)
            o = cap - 1;
    }
    conns_release(t);
    for (size_t i = 0; i < p->n; i++)
        close(peer[i]);
    fake_server_free(s);
}

static char ref_seen[4096], mine_seen[4096];

/* The fault matrix fails the peek (recv). A conns_expire() that asks
 * the socket another way (ioctl(FIONREAD)...) makes no recv() to fail:
 * it must then do what the reference does on a healthy socket. */
static bool pop_differs(const struct pop *p)
{
    run_pop(ref_conns_expire, p, ref_seen, sizeof ref_seen);
    pop_recvs = 0;
    run_pop(conns_expire, p, mine_seen, sizeof mine_seen);
    if (p->err && pop_recvs == 0) {
        struct pop healthy = *p;
        healthy.err = 0;
        run_pop(ref_conns_expire, &healthy, ref_seen, sizeof ref_seen);
        run_pop(conns_expire, &healthy, mine_seen, sizeof mine_seen);
    }
    return strcmp(ref_seen, mine_seen) != 0;
}

static bool conns_differ(const void *items, size_t n, void *ctx)
{
    struct pop p = *(struct pop *)ctx;
    memcpy(p.c, items, n * sizeof *p.c);
    p.n = n;
    return pop_differs(&p);
}

static void check_pop(const char *what, struct pop *p)
{
    if (!pop_differs(p))
        return;
    p->n = oracle_shrink(p->c, p->n, sizeof *p->c, conns_differ, p, 200);
    pop_differs(p);
    char desc[1600];
    size_t o = 0;
    oracle_appendf(
        desc, sizeof desc, &o,
        "idle timeout %d s, %s, drain deadline in %d s, grace %s, "
        "acceptors %s%s%s; the clock moves +%d, +%d, +%d s; connections:",
        p->timeout, p->draining ? "draining" : "not draining", p->deadline,
        p->grace_over ? "over" : "not over",
        p->acceptors_done ? "done" : "still running",
        p->err ? "; every recv() fails with " : "",
        p->err ? graded_errno_name(p->err) : "", p->steps[0], p->steps[1],
        p->steps[2]);
    for (size_t i = 0; i < p->n && o < sizeof desc; i++)
        oracle_appendf(desc, sizeof desc, &o, " %zu: %s, last active %d s ago;",
                       i, cstate_name[p->c[i].state], p->c[i].age);
    if (p->n == 0)
        oracle_appendf(desc, sizeof desc, &o, " none;");
    fail_msg("%s: your conns_expire() and the reference differ on this "
             "population (shrunk): %s - after each call (the connections "
             "by number, 'x' once closed) the reference had: "
             "%s - yours had: %s",
             what, desc, ref_seen, mine_seen);
}

static void random_pop(struct oracle_rng *r, struct pop *p, bool draining)
{
    static const int timeouts[] = {0, 1, 2, 5, 30};
    static const int deadlines[] = {-1, 0, 1, 2, 5};
    *p = (struct pop){.timeout = ORACLE_PICK(r, timeouts),
                      .draining = draining,
                      .deadline = ORACLE_PICK(r, deadlines),
                      .grace_over = oracle_below(r, 3) != 0,
                      .acceptors_done = oracle_below(r, 3) != 0};
    for (int k = 0; k < 3; k++)
        p->steps[k] = k == 0 ? 0 : (int)oracle_below(r, 3);
    p->n = 1 + oracle_below(r, POP_MAX);
    for (size_t i = 0; i < p->n; i++)
        p->c[i] = (struct pconn){(enum cstate)oracle_below(r, C_STATES),
                                 (int)oracle_below(r, 8)};
}

/* 1. Idle timeouts and lingering connections: populations in every
 * state, ages around the timeouts, clocks that move. */
static void test_oracle_expiry(void **state)
{
    (void)state;
    struct oracle_rng r = {0xe1e1e1e1u};
    for (int i = 0; i < 120; i++) {
        struct pop p;
        random_pop(&r, &p, false);
        check_pop("expiry (not draining)", &p);
    }
}

/* 2. The drain: the same populations after the stop signal, with the
 * grace period running or over, the deadline ahead or past, the accept
 * stage done or not. */
static void test_oracle_drain(void **state)
{
    (void)state;
    struct oracle_rng r = {0xd7a1d7a1u};
    for (int i = 0; i < 160; i++) {
        struct pop p;
        random_pop(&r, &p, true);
        check_pop("the drain", &p);
    }
    /* Each state alone, grace over, deadline ahead. */
    for (int st = 0; st < C_STATES; st++) {
        struct pop p = {.draining = true,
                        .deadline = 5,
                        .grace_over = true,
                        .acceptors_done = true,
                        .n = 1,
                        .c = {{(enum cstate)st, 0}}};
        check_pop("the drain, one connection", &p);
    }
}

/* 3. The fault matrix: the peek at the socket (recv) fails with each
 * errno recv(2) lists; the outcome must equal the reference's. */
static void test_fault_matrix(void **state)
{
    (void)state;
    static const int errs[] = {EAGAIN, EBADF,  ECONNREFUSED, EFAULT,  EINTR,
                               EINVAL, ENOMEM, ENOTCONN,     ENOTSOCK};
    for (size_t e = 0; e < sizeof errs / sizeof *errs; e++)
        for (int st = 0; st < C_STATES; st++) {
            struct pop p = {.draining = true,
                            .deadline = 5,
                            .grace_over = true,
                            .acceptors_done = true,
                            .err = errs[e],
                            .n = 2,
                            .c = {{(enum cstate)st, 0}, {C_IDLE, 1}}};
            check_pop("a recv() that fails during the drain", &p);
        }
}

static void test_idle_spares_unread_request(void **state)
{
    (void)state;
    setup(5);
    int slow = add_conn(990, false), idle = add_conn(990, false);
    /* A request arrived that the thread has not read yet (it was busy,
     * or stopped): the client is not idle, the server was behind. */
    static const char get[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    send(peers[slow], get, sizeof get - 1, MSG_NOSIGNAL);
    conns_expire(self);
    if (!is_open(slow))
        fail_msg("closed for its idle timeout a connection whose request "
                 "was waiting unread in its socket (ask conn_moving())");
    assert_int_equal(self->conns.by_fd[slow]->last_active, self->now);
    if (is_open(idle))
        fail_msg("a connection idle for 10 s outlived a 5 s timeout");
    teardown_all();
}

static void test_drain_waits_for_tail(void **state)
{
    (void)state;
    setup(0);
    srv->opt.body_kib = 1024;
    int sv[2];
    assert_int_equal(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    peers[sv[0]] = sv[1];
    /* 1 MiB of body does not fit the socket: the rest waits as a tail,
     * with nothing left in in[] or out[]. */
    static const char get[] = "GET /body HTTP/1.1\r\nHost: t\r\n\r\n";
    send(sv[1], get, sizeof get - 1, MSG_NOSIGNAL);
    conn_serve(self, sv[0], EPOLLIN | EPOLLOUT);
    struct conn *c = self->conns.by_fd[sv[0]];
    assert_non_null(c);
    assert_true(c->tail_len > 0);
    self->draining = true;
    self->drain_deadline = self->now + 5;
    atomic_store(&srv->acceptors_done, true);
    conns_expire(self);
    if (!is_open(sv[0]))
        fail_msg("draining closed a connection in the middle of sending a "
                 "reply (its tail_len was not 0)");
    assert_false(self->done);
    teardown_all();
}

/* conn.h: while draining, "a request that arrived just before the
 * signal is answered". Looking at the socket must leave the request
 * there whole: once the thread serves the connection, the client gets
 * its reply. */
static void test_drain_answers_waiting_request(void **state)
{
    (void)state;
    setup(0);
    int busy = add_conn(999, false), idle = add_conn(999, false);
    static const char get[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    send(peers[busy], get, sizeof get - 1, MSG_NOSIGNAL);
    self->draining = true;
    self->drain_deadline = self->now + 5;
    atomic_store(&srv->acceptors_done, true);
    conns_expire(self);
    if (!is_open(busy))
        fail_msg("draining closed a connection whose request was waiting "
                 "on its socket");
    if (is_open(idle))
        fail_msg("draining left an idle connection open");
    /* The event that brought the request, as the next batch has it. */
    conn_serve(self, busy, EPOLLIN | EPOLLOUT);
    char reply[512];
    ssize_t n = recv(peers[busy], reply, sizeof reply - 1, MSG_DONTWAIT);
    reply[n > 0 ? n : 0] = 0;
    if (n < 12 || memcmp(reply, "HTTP/1.1 200", 12) != 0)
        fail_msg("after the drain's pass the waiting request was served, "
                 "and the client got '%s' instead of a 200 reply (did the "
                 "look at the socket read the request's first byte? "
                 "MSG_PEEK leaves it there)",
                 reply);
    teardown_all();
}

/* conn.h: "Close connections idle past the timeout": all of them, in
 * one call, however many (here 200). */
static void test_expire_many_at_once(void **state)
{
    (void)state;
    enum { N = 200 };
    setup(5);
    int fds[N + 1], far[N + 1];
    for (int i = 0; i <= N; i++) { /* the last one is fresh */
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX,
                                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                    0, sv),
                         0);
        self->now = i < N ? 980 + i % 10 : 999;
        conn_serve(self, sv[0], EPOLLIN | EPOLLOUT);
        fds[i] = sv[0];
        far[i] = sv[1];
    }
    self->now = 1000;
    conns_expire(self);
    int left = 0;
    for (int i = 0; i < N; i++)
        left += is_open(fds[i]);
    bool fresh_open = is_open(fds[N]);
    unsigned long long closed = counter_get(&self->stats.closed_timeout);
    for (int i = 0; i <= N; i++)
        close(far[i]);
    if (left)
        fail_msg("%d of %d connections idle past a 5 s timeout are still "
                 "open after conns_expire() (it closes every one of them in "
                 "the same call)",
                 left, N);
    assert_true(fresh_open);
    assert_int_equal(closed, N);
    teardown_all();
}

/* The grace period ends at a time in milliseconds (drain_grace_end, on
 * clock_ms()'s clock), not at a whole second: on the thread's own clock
 * (now read from clock_second(), as the loops do), an idle connection
 * stays while the grace runs and is closed as soon as it is over, not up
 * to a second later. */
static void test_drain_grace_by_the_ms(void **state)
{
    (void)state;
    setup(0);
    /* Away from a second's edge, where the two clocks agree. */
    while (clock_ms() % 1000 < 100 || clock_ms() % 1000 > 950)
        usleep(10 * 1000);
    self->now = clock_second();
    int idle = add_conn(self->now - 1, false);
    self->draining = true;
    self->drain_deadline = self->now + 60;
    atomic_store(&srv->acceptors_done, true);
    self->drain_grace_end = clock_ms() + 3600 * 1000;
    conns_expire(self);
    if (!is_open(idle))
        fail_msg("draining closed an idle connection before the grace "
                 "period (drain_grace_end) was over");
    /* 50 ms ago: a coarser millisecond clock still sees it over. */
    self->drain_grace_end = clock_ms() - 50;
    conns_expire(self);
    if (is_open(idle))
        fail_msg("the grace period ended 50 ms ago (clock_ms() >= "
                 "drain_grace_end) and an idle connection is still open: "
                 "the grace is counted in milliseconds, not whole seconds "
                 "of self->now");
    assert_true(self->done);
    teardown_all();
}

/* A lingering close reads and discards what the client still sends until
 * its FIN or CONN_LINGER_SECONDS (conn.h, conn_linger()): a hard limit
 * from the start of the linger. A client that keeps sending (bytes wait
 * unread: conn_moving() says busy) must not keep the connection past it,
 * with or without an idle timeout; one lingering for less stays. */
static void test_linger_cut_while_sending(void **state)
{
    (void)state;
    for (int timeout = 0; timeout <= 60; timeout += 60) {
        setup(timeout);
        int fd = add_conn(self->now, false), young = add_conn(self->now, false);
        self->now = 1000 - CONN_LINGER_SECONDS;
        conn_linger(self, self->conns.by_fd[fd]);
        self->now = 1000 - CONN_LINGER_SECONDS + 1;
        conn_linger(self, self->conns.by_fd[young]);
        self->now = 1000;
        send(peers[fd], "more bytes", 10, MSG_NOSIGNAL);
        send(peers[young], "more bytes", 10, MSG_NOSIGNAL);
        want_true(conn_moving(self->conns.by_fd[fd]),
                  "the course's fault: bytes wait unread, yet conn_moving() "
                  "says the socket is still");
        conns_expire(self);
        bool open = is_open(fd), young_open = is_open(young);
        unsigned long long errors = counter_get(&self->stats.closed_error);
        teardown_all();
        if (open)
            fail_msg("idle timeout %d: a connection lingering for "
                     "CONN_LINGER_SECONDS (%d s) whose client still sends is "
                     "still open: the linger ends at its limit, whatever the "
                     "socket does (conn_moving() is for the idle timeout)",
                     timeout, CONN_LINGER_SECONDS);
        if (!young_open)
            fail_msg("idle timeout %d: a connection lingering for %d s, "
                     "under CONN_LINGER_SECONDS (%d s), was closed",
                     timeout, CONN_LINGER_SECONDS - 1, CONN_LINGER_SECONDS);
        want_int("lingering connections closed, counted as errors", 1,
                 (long long)errors);
    }
}

/* conn.h: conn_moving() "costs a recv() and an ioctl(), on expired
 * connections only". A pass that asks every connection's socket makes
 * two system calls per open connection after every batch of events, and
 * touching a fresh one whose request waits unread only reorders the
 * list: neither shows in who is closed, so count the peeks and look at
 * the fresh ones' stamps. (Walking past the fresh ones without asking
 * them is slower but right.) */
static void test_fresh_left_alone(void **state)
{
    (void)state;
    setup(5);
    enum { EXPIRED = 2, FRESH = 20 };
    int old[EXPIRED], fresh[FRESH];
    for (int i = 0; i < EXPIRED; i++)
        old[i] = add_conn(990, false);
    static const char get[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    for (int i = 0; i < FRESH; i++) {
        fresh[i] = add_conn(996 + i % 4, false);
        if (i % 2) /* a request waits unread: a fresh client's, all the same */
            send(peers[fresh[i]], get, sizeof get - 1, MSG_NOSIGNAL);
    }
    inject_reset();
    conns_expire(self);
    long peeks = inject_calls(INJECT_RECV);
    for (int i = 0; i < EXPIRED; i++)
        want_true(!is_open(old[i]),
                  "a connection idle for 10 s outlived a 5 s timeout");
    for (int i = 0; i < FRESH; i++) {
        if (!is_open(fresh[i]))
            fail_msg("a connection idle for %d s was closed by a 5 s "
                     "timeout",
                     4 - i % 4);
        if (self->conns.by_fd[fresh[i]]->last_active != 996 + i % 4)
            fail_msg("a connection last active %d s ago, within the 5 s "
                     "timeout, was touched (last_active %ld): conn_moving() "
                     "is asked of expired connections only",
                     4 - i % 4, self->conns.by_fd[fresh[i]]->last_active);
    }
    /* conn_moving() makes one recv(); an extra peek of an expired one's
     * own is slower but allowed. */
    if (peeks > 2 * EXPIRED)
        fail_msg("%ld recv() calls for %d expired and %d fresh connections: "
                 "the sweep asks only the expired ones' sockets "
                 "(conn_moving() costs a recv() and an ioctl() each)",
                 peeks, EXPIRED, FRESH);
    teardown_all();
}

static const struct graded table[] = {
    GRADED(test_idle_closed, 3, 1),
    GRADED(test_many_in_order, 2, 1),
    GRADED(test_no_timeout_when_zero, 1, 1),
    GRADED(test_drain_keeps_busy, 3, 2),
    GRADED(test_drain_deadline, 2, 2),
    GRADED(test_done_after_acceptors, 2, 3),
    GRADED(test_oracle_expiry, 3, 4),
    GRADED(test_oracle_drain, 4, 4),
    GRADED(test_fault_matrix, 2, 4),
    GRADED(test_idle_spares_unread_request, 2, 1),
    GRADED(test_drain_waits_for_tail, 2, 2),
    GRADED(test_drain_answers_waiting_request, 2, 2),
    GRADED(test_expire_many_at_once, 1, 1),
    GRADED(test_drain_grace_by_the_ms, 1, 2),
    GRADED(test_linger_cut_while_sending, 1, 1),
    GRADED(test_fresh_left_alone, 1, 1),
};
GRADED_MAIN(table)
