/*
 * Exercise 07, layer (a): conns_expire() alone, on a request thread whose
 * connections are real socket pairs served by fastd's own conn_serve().
 */
#include "exercises/grader/graded.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "reference-server/conn.h"

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
    assert_true(peer_closed(old));
    assert_true(is_open(fresh));
    assert_int_equal(counter_get(&self->stats.closed_timeout), 1);
    assert_false(self->done);
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
        fail_msg("draining left idle connections open (%d %d %d)",
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
    assert_true(self->done);
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

static const struct graded table[] = {
    GRADED(test_idle_closed, 3, 1),
    GRADED(test_many_in_order, 2, 1),
    GRADED(test_no_timeout_when_zero, 1, 1),
    GRADED(test_drain_keeps_busy, 3, 2),
    GRADED(test_drain_deadline, 2, 2),
    GRADED(test_done_after_acceptors, 2, 3),
    GRADED(test_idle_spares_unread_request, 2, 1),
    GRADED(test_drain_waits_for_tail, 2, 2),
};
GRADED_MAIN(table)
