/*
 * Exercise 06, layer (a): conn_flush() alone, on a socket pair whose
 * buffers are small, with send() wrapped here (a definition in the program
 * takes the place of libc's) to count calls and inject EINTR.
 */
#include "exercises/grader/graded.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "reference-server/conn.h"

static int sends, eintr_next, short_sends;

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    sends++;
    if (eintr_next > 0) {
        eintr_next--;
        errno = EINTR;
        return -1;
    }
    ssize_t n = syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
    if (n >= 0 && (size_t)n < len)
        short_sends++;
    return n;
}

static struct server *srv;
static struct thread *self;
static struct conn *c;
static int peer;

/* A connection whose socket holds little, with n bytes of output (a
 * pattern, so order and duplicates show). */
static void setup(size_t n)
{
    srv = fake_server(0, 1, SCHEDULE_RR, false);
    self = &srv->threads[0];
    self->now = 1000;
    int sv[2];
    assert_int_equal(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    peer = sv[1];
    c = calloc(1, sizeof *c);
    c->fd = sv[0];
    c->out = calloc(1, CONN_OUT_CAP); /* from the thread's pool in fastd */
    for (size_t i = 0; i < n; i++)
        c->out[i] = (char)('a' + i % 23);
    c->out_len = (uint32_t)n;
    sends = short_sends = eintr_next = 0;
}

static void teardown_all(void)
{
    close(c->fd);
    close(peer);
    free(c->out);
    free(c);
    fake_server_free(srv);
}

/* Read what is waiting at the peer, checking it continues the pattern
 * from *at. */
static size_t drain_peer(size_t *at)
{
    char buf[65536];
    size_t total = 0;
    ssize_t n;
    while ((n = recv(peer, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != (char)('a' + (*at + (size_t)i) % 23))
                fail_msg("byte %zu arrived wrong: bytes lost or sent twice",
                         *at + (size_t)i);
        *at += (size_t)n;
        total += (size_t)n;
    }
    return total;
}

static void test_sends_all_when_room(void **state)
{
    (void)state;
    setup(1000);
    assert_int_equal(conn_flush(self, c), 1);
    assert_int_equal(c->out_len, 0);
    assert_int_equal(c->out_sent, 0);
    size_t at = 0;
    assert_int_equal(drain_peer(&at), 1000);
    assert_int_equal(counter_get(&self->stats.bytes_out), 1000);
    teardown_all();
}

static void test_full_socket_waits(void **state)
{
    (void)state;
    setup(CONN_OUT_CAP);
    alarm(3); /* a loop that waits for room by spinning dies here */
    int r = conn_flush(self, c);
    if (r != 0)
        fail_msg("the peer's window is full: expected 0 (wait for EPOLLOUT), "
                 "got %d",
                 r);
    assert_true(c->out_sent > 0 && c->out_sent < c->out_len);
    /* Called again with the socket still full: send() says EAGAIN. */
    uint32_t sent = c->out_sent;
    r = conn_flush(self, c);
    alarm(0);
    if (r != 0 || c->out_sent != sent)
        fail_msg("called again on a full socket: expected 0 and nothing "
                 "sent, got %d",
                 r);
    assert_int_equal(c->out_len, CONN_OUT_CAP);
    assert_int_equal(counter_get(&self->stats.bytes_out), c->out_sent);
    teardown_all();
}

static void test_every_byte_once(void **state)
{
    (void)state;
    setup(CONN_OUT_CAP);
    size_t at = 0;
    int r = 0;
    alarm(3);
    for (int round = 0; round < 1000 && r != 1; round++) {
        r = conn_flush(self, c);
        if (r < 0)
            fail_msg("round %d: error on a healthy, slow peer", round);
        drain_peer(&at);
    }
    alarm(0);
    assert_int_equal(r, 1);
    drain_peer(&at);
    if (at != CONN_OUT_CAP)
        fail_msg("the peer got %zu of %d bytes", at, CONN_OUT_CAP);
    assert_int_equal(c->out_len, 0);
    teardown_all();
}

static void test_short_write_stops(void **state)
{
    (void)state;
    setup(CONN_OUT_CAP);
    assert_int_equal(conn_flush(self, c), 0);
    if (short_sends > 0 && sends > short_sends)
        fail_msg("%d send() calls after a short write (the socket was full: "
                 "each one only said EAGAIN)",
                 sends - short_sends);
    teardown_all();
}

static void test_eintr_retries(void **state)
{
    (void)state;
    setup(500);
    eintr_next = 1;
    assert_int_equal(conn_flush(self, c), 1);
    size_t at = 0;
    assert_int_equal(drain_peer(&at), 500);
    teardown_all();
}

static void test_error_when_peer_gone(void **state)
{
    (void)state;
    setup(CONN_OUT_CAP);
    close(peer);
    peer = open("/dev/null", O_RDONLY); /* for teardown_all */
    /* SIGPIPE is not ignored here: without MSG_NOSIGNAL this kills us. */
    signal(SIGPIPE, SIG_DFL);
    assert_int_equal(conn_flush(self, c), -1);
    teardown_all();
}

static void test_progress_touches(void **state)
{
    (void)state;
    setup(100);
    c->last_active = 1;
    assert_int_equal(conn_flush(self, c), 1);
    if (c->last_active != self->now)
        fail_msg("bytes went out but the connection's last activity was not "
                 "updated (conn_touch): the idle timeout will cut it");
    teardown_all();
}

static const struct graded table[] = {
    GRADED(test_sends_all_when_room, 1, 1),
    GRADED(test_full_socket_waits, 3, 1),
    GRADED(test_every_byte_once, 3, 1),
    GRADED(test_short_write_stops, 1, 2),
    GRADED(test_eintr_retries, 1, 3),
    GRADED(test_error_when_peer_gone, 2, 3),
    GRADED(test_progress_touches, 1, 3),
};
GRADED_MAIN(table)
