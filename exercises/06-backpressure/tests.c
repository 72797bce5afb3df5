/*
 * Exercise 06, layer (a): conn_flush() alone, on a socket pair whose
 * buffers are small, with send() wrapped here (a definition in the program
 * takes the place of libc's) to count calls and inject EINTR.
 */
#include "exercises/grader/graded.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "exercises/grader/inject.h"
#include "exercises/grader/oracle.h"
#include "reference-server/conn.h"
#include "reference-server/trace.h"

/* Atomic: test_flush_in_two_threads sends from two threads at once. */
static _Atomic int sends, eintr_next, eintr_unless, short_sends,
    sends_after_short;
/* test_full_socket_returns_at_once: while conn_flush() runs, the calls
 * that write to a real socket (send, sendto, sendmsg, write, writev) and
 * the waits (poll, select, a sleep...). */
static _Atomic int in_flush, out_calls, waits;
static int flush_fd = -1;

/* The simulated socket of the differential tests (sim.fd >= 0): every
 * call that writes to it (send, sendto, sendmsg, write, writev) takes
 * what the schedule allows - at most `room` bytes in this conn_flush()
 * call, EINTR on its `eintr_at`-th call, then `err` (EAGAIN unless the
 * fault matrix names another) once the room is used up. The bytes go to
 * `got`, as the peer would read them. */
static struct {
    int fd;
    long room;      /* bytes the socket still takes (< 0: any) */
    int eintr_at;   /* this call (1, 2...) fails with EINTR; 0: none */
    int err;        /* the errno once the room is used up */
    int calls;      /* calls in this conn_flush() */
    bool no_nosig;  /* a send without MSG_NOSIGNAL, or write/writev */
    char *got;      /* what the peer received */
    size_t got_len; /* bytes in got */
    size_t got_cap; /* room in got */
} sim = {.fd = -1};

static ssize_t sim_take(const struct iovec *iov, int iovcnt)
{
    sim.calls++;
    if (sim.calls == sim.eintr_at) {
        errno = EINTR;
        return -1;
    }
    if (sim.room == 0) {
        errno = sim.err ? sim.err : EAGAIN;
        return -1;
    }
    size_t moved = 0;
    for (int i = 0; i < iovcnt; i++) {
        size_t k = iov[i].iov_len;
        if (sim.room >= 0 && k > (size_t)sim.room - moved)
            k = (size_t)sim.room - moved;
        if (sim.got_len + k > sim.got_cap)
            k = sim.got_cap - sim.got_len;
        memcpy(sim.got + sim.got_len, iov[i].iov_base, k);
        sim.got_len += k;
        moved += k;
        if (k < iov[i].iov_len)
            break;
    }
    if (sim.room >= 0)
        sim.room -= (long)moved;
    return (ssize_t)moved;
}

/* Every call that writes to a real socket (send, sendto, sendmsg, write,
 * writev: a right conn_flush() may use any of them) is counted the same
 * way and meets the same injected EINTR: a test that watched send() alone
 * let a conn_flush() written with sendto() or sendmsg() go on sending
 * after a short write, or never meet the EINTR it must retry. write()
 * and writev() on what is not a socket (the harness's own pipe) pass
 * untouched. */
static bool out_enter(int fd)
{
    sends++;
    out_calls += fd == flush_fd;
    sends_after_short += short_sends > 0;
    if (eintr_next > 0 || (eintr_unless && sends % eintr_unless != 0)) {
        eintr_next -= eintr_next > 0;
        errno = EINTR;
        return false;
    }
    return true;
}

static ssize_t out_leave(ssize_t n, size_t len)
{
    if (n >= 0 && (size_t)n < len)
        short_sends++;
    return n;
}

static size_t iov_bytes(const struct iovec *iov, size_t iovcnt)
{
    size_t n = 0;
    for (size_t i = 0; i < iovcnt; i++)
        n += iov[i].iov_len;
    return n;
}

static bool is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    if (fd == sim.fd) {
        sim.no_nosig |= !(flags & MSG_NOSIGNAL);
        struct iovec v = {(void *)buf, len};
        return sim_take(&v, 1);
    }
    if (!out_enter(fd))
        return -1;
    return out_leave(syscall(SYS_sendto, fd, buf, len, flags, NULL, 0), len);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
               const struct sockaddr *to, socklen_t tolen)
{
    if (fd == sim.fd)
        return send(fd, buf, len, flags);
    if (!out_enter(fd))
        return -1;
    return out_leave(syscall(SYS_sendto, fd, buf, len, flags, to, tolen), len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (fd == sim.fd) {
        sim.no_nosig |= !(flags & MSG_NOSIGNAL);
        return sim_take(msg->msg_iov, (int)msg->msg_iovlen);
    }
    if (!out_enter(fd))
        return -1;
    return out_leave(syscall(SYS_sendmsg, fd, msg, flags),
                     iov_bytes(msg->msg_iov, msg->msg_iovlen));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    if (fd == sim.fd) {
        sim.no_nosig = true;
        return sim_take(iov, iovcnt);
    }
    if (!is_socket(fd))
        return syscall(SYS_writev, fd, iov, iovcnt);
    if (!out_enter(fd))
        return -1;
    return out_leave(syscall(SYS_writev, fd, iov, iovcnt),
                     iov_bytes(iov, (size_t)iovcnt));
}

ssize_t write(int fd, const void *buf, size_t len)
{
    if (fd == sim.fd) {
        struct iovec v = {(void *)buf, len};
        sim.no_nosig = true;
        return sim_take(&v, 1);
    }
    if (!is_socket(fd))
        return syscall(SYS_write, fd, buf, len);
    if (!out_enter(fd))
        return -1;
    return out_leave(syscall(SYS_write, fd, buf, len), len);
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
    sends = short_sends = sends_after_short = eintr_next = eintr_unless = 0;
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
    if (c->out_len != 0 || c->out_sent != 0)
        fail_msg("all 1000 bytes sent and 1 returned, but out_len is %u and "
                 "out_sent %u: both go back to 0 once out[] is all sent",
                 (unsigned)c->out_len, (unsigned)c->out_sent);
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
    /* Pending: out_len - out_sent (where the rest sits in out[] is
     * free). */
    uint32_t pending = c->out_len - c->out_sent;
    want_true(pending > 0 && pending < CONN_OUT_CAP,
              "0 returned on a full socket: some of the %d bytes should be "
              "sent and some pending (out_len - out_sent), saw out_sent %u, "
              "out_len %u",
              CONN_OUT_CAP, (unsigned)c->out_sent, (unsigned)c->out_len);
    /* Called again with the socket still full: send() says EAGAIN. */
    r = conn_flush(self, c);
    alarm(0);
    if (r != 0 || c->out_len - c->out_sent != pending)
        fail_msg("called again on a full socket: expected 0 and nothing "
                 "sent, got %d with %u byte(s) pending (%u before)",
                 r, (unsigned)(c->out_len - c->out_sent), (unsigned)pending);
    want_int("stats.bytes_out after two calls on a full socket (the bytes "
             "that went out, out[] less what is pending - not the bytes "
             "asked for)",
             CONN_OUT_CAP - pending, counter_get(&self->stats.bytes_out));
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
    if (c->out_len != 0)
        fail_msg("all %d bytes sent and 1 returned, but out_len is %u: "
                 "out_len and out_sent go back to 0 once out[] is all sent",
                 CONN_OUT_CAP, (unsigned)c->out_len);
    teardown_all();
}

static void test_short_write_stops(void **state)
{
    (void)state;
    setup(CONN_OUT_CAP);
    assert_int_equal(conn_flush(self, c), 0);
    /* Sends that took all they were offered may come first (a piece at a
     * time is fine); none may follow the first short one. */
    if (sends_after_short > 0)
        fail_msg("out[] (%d bytes) on a socket that takes less: expected no "
                 "send() after the first short write (the socket is full), "
                 "saw %d more (send, sendto, sendmsg, write and writev all "
                 "count; each one only said EAGAIN)",
                 CONN_OUT_CAP, sends_after_short);
    teardown_all();
}

/* conn.h: 0 "if the socket is full (backpressure: read nothing more
 * until EPOLLOUT)". On a socket already full, the send() that says
 * EAGAIN ends the call, in out[] and in the tail: the next EPOLLOUT says
 * when there is room. Trying again (a loop of retries), or waiting for
 * room in the call (poll(), select(), epoll_wait(), a sleep), holds the
 * request thread while every other client of it waits. The waits are
 * counted by definitions here that take the place of libc's (below),
 * only while conn_flush() runs. */

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    waits += in_flush;
    struct timespec t = {timeout / 1000, (long)(timeout % 1000) * 1000000};
    return (int)syscall(SYS_ppoll, fds, n, timeout < 0 ? NULL : &t, NULL,
                        _NSIG / 8);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
          const sigset_t *mask)
{
    waits += in_flush;
    return (int)syscall(SYS_ppoll, fds, n, t, mask, _NSIG / 8);
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
    waits += in_flush;
    struct timespec ts = {0, 0};
    if (t)
        ts = (struct timespec){t->tv_sec, (long)t->tv_usec * 1000};
    return (int)syscall(SYS_pselect6, n, r, w, e, t ? &ts : NULL, NULL);
}

int nanosleep(const struct timespec *t, struct timespec *left)
{
    waits += in_flush;
    return (int)syscall(SYS_nanosleep, t, left);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *t,
                    struct timespec *left)
{
    waits += in_flush;
    return syscall(SYS_clock_nanosleep, clock, flags, t, left) < 0 ? errno : 0;
}

int usleep(useconds_t us)
{
    waits += in_flush;
    struct timespec t = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    return (int)syscall(SYS_nanosleep, &t, NULL);
}

unsigned sleep(unsigned s)
{
    waits += in_flush;
    struct timespec t = {(time_t)s, 0};
    return syscall(SYS_nanosleep, &t, NULL) < 0 ? s : 0;
}

static void test_full_socket_returns_at_once(void **state)
{
    (void)state;
    static char tail[10000];
    setup(CONN_OUT_CAP);
    alarm(3);
    int r = conn_flush(self, c);
    for (int i = 0; r == 1 && i < 8; i++) /* (a huge socket buffer) */
        r = conn_flush(self, c);
    if (r != 0) {
        alarm(0);
        teardown_all();
        fail_msg("the peer reads nothing: expected 0 once the socket is "
                 "full, got %d",
                 r);
    }
    /* out[] pending; out[] and a tail behind it (the tail waits for
     * out[]: a send of it now would put its bytes before out[]'s rest,
     * should the peer read meanwhile); only a tail. */
    const char *where[] = {"out[]", "out[] and a tail", "the tail"};
    for (int k = 0; k < 3; k++) {
        if (k == 1) {
            c->tail = tail;
            c->tail_len = sizeof tail;
        }
        if (k == 2) { /* out[] sent: only a tail left */
            c->out_len = c->out_sent = 0;
            c->tail = tail;
            c->tail_len = sizeof tail;
        }
        out_calls = waits = 0;
        inject_reset();
        in_flush = 1;
        flush_fd = c->fd;
        r = conn_flush(self, c);
        in_flush = 0;
        flush_fd = -1;
        int epoll_waits = (int)inject_calls(INJECT_EPOLL_WAIT);
        if (r != 0 || out_calls != 1 || waits || epoll_waits) {
            alarm(0);
            teardown_all();
            fail_msg("called with %s pending on a full socket: expected one "
                     "send() (EAGAIN), no wait, and 0; saw %d send() "
                     "call(s), %d wait(s) (poll, select, epoll_wait, a "
                     "sleep) and %d%s",
                     where[k], out_calls, waits + epoll_waits, r,
                     k == 1 && out_calls > 1
                         ? " (the tail waits until out[] is all sent: "
                           "sent now, its bytes would go before out[]'s "
                           "rest if the peer read meanwhile)"
                         : "");
        }
    }
    alarm(0);
    teardown_all();
}

/* conn.h: -1 "on error", and the caller closes the connection
 * (conn_close()): the fd is still the connection's when conn_flush()
 * returns. Closed here as well, it is closed twice - the second time
 * perhaps a new client's, accepted meanwhile on the same number. */
static void test_error_leaves_the_fd(void **state)
{
    (void)state;
    setup(CONN_OUT_CAP);
    close(peer);
    peer = open("/dev/null", O_RDONLY | O_CLOEXEC); /* for teardown_all */
    struct stat before, after;
    fstat(c->fd, &before);
    int r = conn_flush(self, c);
    int gone = fstat(c->fd, &after) < 0 || after.st_ino != before.st_ino;
    teardown_all(); /* (closing c->fd again, if it was: EBADF) */
    assert_int_equal(r, -1);
    if (gone)
        fail_msg("conn_flush() returned -1 with the connection's socket "
                 "closed: the caller closes it (conn_close()), so it is "
                 "closed twice");
}

static void test_eintr_retries(void **state)
{
    (void)state;
    setup(500);
    eintr_next = 1;
    int r = conn_flush(self, c);
    if (r != 1)
        fail_msg("500 bytes with room for them, the first send() fails with "
                 "EINTR: expected 1 (EINTR is not an error: send again), "
                 "got %d",
                 r);
    size_t at = 0;
    assert_int_equal(drain_peer(&at), 500);
    teardown_all();
}

/* conn.h: "retries on EINTR" - every time, in out[] and in the tail:
 * here only every third send() is let through, so each piece meets two
 * EINTRs in a row before it goes out. */
static void test_eintr_every_time(void **state)
{
    (void)state;
    static char tail[700];
    setup(300);
    for (size_t i = 0; i < sizeof tail; i++)
        tail[i] = (char)('a' + (300 + i) % 23);
    c->tail = tail;
    c->tail_len = sizeof tail;
    eintr_unless = 3;
    int r = conn_flush(self, c);
    eintr_unless = 0;
    if (r != 1)
        fail_msg("with EINTR twice before each send() that goes through, "
                 "out[] (300 bytes) then a tail (700): expected 1 (all "
                 "sent, EINTR retried each time), got %d after %d send() "
                 "calls",
                 r, sends);
    size_t at = 0;
    size_t got = drain_peer(&at);
    if (got != 1000)
        fail_msg("conn_flush() returned 1, but the peer got %zu of 1000 "
                 "bytes: out[] (300) and then the tail (700, c->tail) must "
                 "all go out",
                 got);
    want_int("c->tail_len once the tail is all sent", 0, c->tail_len);
    want_int("stats.bytes_out after 1000 bytes went out (each send() "
             "that moved bytes adds what it moved; one that failed with "
             "EINTR adds nothing)",
             1000, counter_get(&self->stats.bytes_out));
    teardown_all();
}

/* conn.h: 1 "if everything was sent". On a TCP connection with room
 * (TCP_NODELAY, as fastd's sockets have it), a reply conn_flush() calls
 * sent has left: nothing of it waits unsent in the kernel's send queue
 * (SIOCOUTQNSD). A send with MSG_MORE holds the last piece back until
 * more comes - up to 200 ms, on every keep-alive reply. */
static void test_nothing_held_back(void **state)
{
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 1), 0);
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(client, (struct sockaddr *)&sa, sizeof sa), 0);
    int server = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    close(lfd);
    assert_true(server >= 0);
    int one = 1;
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setup(200);
    int pair = c->fd; /* setup()'s own socket, put back for teardown */
    c->fd = server;
    int r = conn_flush(self, c);
    int unsent = -1;
    ioctl(server, SIOCOUTQNSD, &unsent);
    c->fd = pair;
    close(server);
    close(client);
    teardown_all();
    assert_int_equal(r, 1);
    if (unsent != 0)
        fail_msg("conn_flush() returned 1 for a 200-byte reply, but %d bytes "
                 "of it are still held in the kernel, not sent (a send with "
                 "MSG_MORE? the client waits for them up to 200 ms)",
                 unsent);
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

/* ---- The differential oracle: your conn_flush() beside the reference ---- */

/* The reference's, linked with its symbols renamed (exercise.conf). */
int ref_conn_flush(struct thread *self, struct conn *c);
typedef int (*flush_fn)(struct thread *, struct conn *);

/* One conn_flush() call of a schedule: what the socket does meanwhile. */
struct step {
    long room;    /* bytes it takes in this call (< 0: all) */
    int eintr_at; /* the call that fails with EINTR (0: none) */
    int err;      /* the errno once the room is used up (0: EAGAIN) */
};

#define STEPS_MAX 24
#define TAIL_MAX  (256 * 1024)

/* A case: the connection's state, then the schedule. */
struct wcase {
    uint32_t out_len, out_sent, tail_len;
    size_t nsteps;
    struct step steps[STEPS_MAX];
};

static char tail_bytes[TAIL_MAX];
/* The fault matrix's socket: once it has failed, it keeps failing with
 * the same errno, and only the outcome once conn_flush() says 1 or -1
 * (or after three more calls) is compared. When the error comes right
 * after a short write, conn_flush() may see it in the same call (the
 * reference's tail loop tries again) or stop at the short write and
 * see it in the next call (the next EPOLLOUT): both are right. */
static bool settle_errors;
/* The trace run_case() gives its thread (NULL: none). */
static struct trace_buf *case_trace;
static int case_fd; /* the connection's fd in the last run_case() */

/* Run a case with one conn_flush; write what a caller can see after
 * each call into out. */
static void run_case(flush_fn fn, const struct wcase *w, char *out, size_t cap)
{
    static char got[CONN_OUT_CAP + TAIL_MAX];
    struct server *s = fake_server(0, 1, SCHEDULE_RR, false);
    struct thread *t = &s->threads[0];
    t->now = 1000;
    t->trace = case_trace;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct conn *cn = calloc(1, sizeof *cn);
    cn->fd = case_fd = sv[0];
    cn->out = malloc(CONN_OUT_CAP);
    for (size_t i = 0; i < CONN_OUT_CAP; i++)
        cn->out[i] = (char)('a' + i % 23);
    cn->out_len = w->out_len;
    cn->out_sent = w->out_sent;
    cn->tail = w->tail_len ? tail_bytes : NULL;
    cn->tail_len = w->tail_len;
    cn->last_active = 1;
    sim.fd = sv[0];
    sim.got = got;
    sim.got_len = 0;
    sim.got_cap = sizeof got;
    sim.no_nosig = false;
    size_t o = 0;
    out[0] = 0;
    int r = 0;
    size_t calls = settle_errors ? w->nsteps + 3 : w->nsteps + 1;
    bool touch_wrong = false; /* settle_errors: touched without progress,
                                 or progress not touched */
    for (size_t k = 0; k < calls && r == 0; k++) {
        struct step st = k < w->nsteps ? w->steps[k] : (struct step){-1, 0, 0};
        if (settle_errors && k >= w->nsteps)
            st = (struct step){0, 0,
                               w->nsteps ? w->steps[w->nsteps - 1].err : 0};
        if (settle_errors)
            o = 0; /* only the settled outcome */
        sim.room = st.room;
        sim.eintr_at = st.eintr_at;
        sim.err = st.err;
        sim.calls = 0;
        cn->last_active = 1;
        size_t got_before = sim.got_len;
        alarm(5); /* a loop that spins on EAGAIN dies here */
        r = fn(t, cn);
        alarm(0);
        bool touched = cn->last_active == t->now;
        touch_wrong |= touched != (sim.got_len > got_before);
        /* Where c->tail points matters only while bytes are left in
         * it: once tail_len is 0 nothing reads it (routes.c sets both
         * for the next body), so setting it to NULL then is fine. */
        long tail_at =
            cn->tail && cn->tail_len ? (long)(cn->tail - tail_bytes) : -1;
        /* After -1 the caller closes the connection (conn_close()): what
         * is left in out[] and the tail is read by no one, and the
         * header promises nothing of it. Of out[], what is compared is
         * how much is pending (out_len - out_sent; the bytes themselves
         * show in what arrives later), and that both are 0 once none
         * is: where the rest sits in out[] is free (moving it to the
         * front, out_sent 0, is right too). */
        char left[128] = "";
        uint32_t pending = cn->out_len - cn->out_sent;
        if (r >= 0 && pending)
            snprintf(left, sizeof left,
                     "%u byte(s) of out[] pending, tail at %ld, tail_len %u, ",
                     pending, tail_at, cn->tail_len);
        else if (r >= 0)
            snprintf(left, sizeof left,
                     "out[] all sent%s, tail at %ld, tail_len %u, ",
                     cn->out_len ? " but out_len and out_sent not back to 0"
                                 : "",
                     tail_at, cn->tail_len);
        oracle_appendf(
            out, cap, &o, "%s%d (%s%zu bytes delivered, bytes_out %llu%s)",
            o ? "; " : "", r, left, sim.got_len,
            (unsigned long long)counter_get(&t->stats.bytes_out),
            settle_errors ? (touch_wrong ? ", touched without progress or "
                                           "progress not touched"
                                         : "")
            : touched     ? ", touched"
                          : "");
        if (o >= cap)
            o = cap - 1;
    }
    /* What arrived, and in which order: out[] from out_sent, then the
     * tail, each byte once. */
    size_t want = w->out_len - w->out_sent;
    bool good = sim.got_len <= want + w->tail_len;
    for (size_t i = 0; good && i < sim.got_len; i++)
        good = sim.got[i] == (i < want ? (char)('a' + (w->out_sent + i) % 23)
                                       : tail_bytes[i - want]);
    snprintf(out + o, cap - o, "%s%s",
             good ? "" : "; the bytes delivered are not out[] then the tail",
             sim.no_nosig ? "; a write without MSG_NOSIGNAL" : "");
    sim.fd = -1;
    close(sv[0]);
    close(sv[1]);
    free(cn->out);
    free(cn);
    fake_server_free(s);
}

static char ref_seen[4096], mine_seen[4096];

static bool case_differs(const struct wcase *w)
{
    run_case(ref_conn_flush, w, ref_seen, sizeof ref_seen);
    run_case(conn_flush, w, mine_seen, sizeof mine_seen);
    return strcmp(ref_seen, mine_seen) != 0;
}

/* The kind of a difference: the return values, call after call, on
 * both sides ("0 1 / 0 0 -1"), and whether the bytes or the flags were
 * wrong. Shrinking keeps it, so that the small case shows the same
 * mistake. */
static char want_kind[256];
static void kind_of(char *out, size_t cap)
{
    size_t o = 0;
    const char *sides[] = {ref_seen, mine_seen};
    out[0] = 0;
    for (int k = 0; k < 2; k++) {
        const char *p = sides[k];
        for (;;) {
            oracle_appendf(out, cap, &o, "%d ", atoi(p));
            const char *next = strstr(p, "); ");
            if (!next || next[3] < '-' || next[3] > '9')
                break;
            p = next + 3;
        }
        oracle_appendf(out, cap, &o, "%s%s/ ",
                       strstr(sides[k], "not out[] then") ? "bytes " : "",
                       strstr(sides[k], "MSG_NOSIGNAL") ? "flags " : "");
    }
}

static bool same_kind_differs(const struct wcase *w)
{
    char kind[256];
    if (!case_differs(w))
        return false;
    kind_of(kind, sizeof kind);
    return strcmp(kind, want_kind) == 0;
}

static bool steps_differ(const void *items, size_t n, void *ctx)
{
    struct wcase w = *(struct wcase *)ctx;
    memcpy(w.steps, items, n * sizeof *w.steps);
    w.nsteps = n;
    return same_kind_differs(&w);
}

static void describe(const struct wcase *w, char *out, size_t cap)
{
    size_t o = 0;
    oracle_appendf(out, cap, &o,
                   "out_len %u, out_sent %u, tail_len %u; the "
                   "socket takes%s",
                   w->out_len, w->out_sent, w->tail_len,
                   w->nsteps ? "" : " all it is given");
    for (size_t k = 0; k < w->nsteps && o < cap; k++) {
        const struct step *st = &w->steps[k];
        char room[32], eintr[40] = "";
        if (st->room < 0)
            snprintf(room, sizeof room, "all");
        else
            snprintf(room, sizeof room, "%ld bytes", st->room);
        if (st->eintr_at)
            snprintf(eintr, sizeof eintr, ", EINTR on call %d", st->eintr_at);
        oracle_appendf(out, cap, &o, "%s %s%s%s", k ? ";" : "", room, eintr,
                       st->err ? ", then " : "");
        if (st->err && o < cap)
            oracle_appendf(out, cap, &o, "%s", graded_errno_name(st->err));
    }
    if (o < cap && w->nsteps)
        snprintf(out + o, cap - o,
                 settle_errors ? "; then it fails the same way every time "
                                 "(the settled outcome is compared)"
                               : "; then all it is given");
}

/* Compare; on a difference shrink the case (fewer steps, smaller
 * numbers) and fail with it and both outcomes. */
static void check_wcase(const char *what, struct wcase *w)
{
    if (!case_differs(w))
        return;
    kind_of(want_kind, sizeof want_kind);
    w->nsteps = oracle_shrink(w->steps, w->nsteps, sizeof *w->steps,
                              steps_differ, w, 200);
    /* Smaller numbers, while it still differs. */
    for (int pass = 0; pass < 2; pass++) {
        uint32_t *field[] = {&w->tail_len, &w->out_len, &w->out_sent};
        for (size_t f = 0; f < 3; f++)
            for (int tries = 0; tries < 20 && *field[f] > 0; tries++) {
                uint32_t save = *field[f];
                *field[f] /= 2;
                if (w->out_sent > w->out_len || !same_kind_differs(w)) {
                    *field[f] = save;
                    break;
                }
            }
        for (size_t k = 0; k < w->nsteps; k++)
            for (int tries = 0; tries < 20 && w->steps[k].room > 1; tries++) {
                long save = w->steps[k].room;
                w->steps[k].room /= 2;
                if (!same_kind_differs(w)) {
                    w->steps[k].room = save;
                    break;
                }
            }
    }
    case_differs(w);
    char desc[1024];
    describe(w, desc, sizeof desc);
    fail_msg("%s: your conn_flush() and the reference differ on this case "
             "(shrunk): %s - after each call the reference had: %s - "
             "yours had: %s",
             what, desc, ref_seen, mine_seen);
}

static uint32_t pick_size(struct oracle_rng *r, uint32_t most)
{
    static const uint32_t sizes[] = {0,    1,     2,     100,   4095,
                                     4096, 16383, 16384, 65536, 262144};
    uint32_t v = ORACLE_PICK(r, sizes);
    return v > most ? most : v;
}

static void fill_tail(void)
{
    for (size_t i = 0; i < TAIL_MAX; i++)
        tail_bytes[i] = (char)('A' + (i * 7) % 26);
}

/* 1. The tail: out[], then a large body sent from where it lives, on a
 * socket that takes everything, then in pieces. */
static void test_oracle_tail(void **state)
{
    (void)state;
    fill_tail();
    struct wcase w = {.out_len = 200, .tail_len = TAIL_MAX, .nsteps = 0};
    check_wcase("out[] then a 256 KiB tail, the socket takes all", &w);
    struct oracle_rng r = {0x7a11u};
    for (int i = 0; i < 60; i++) {
        w = (struct wcase){.out_len = pick_size(&r, CONN_OUT_CAP),
                           .tail_len = pick_size(&r, TAIL_MAX - 1) + 1};
        w.nsteps = 1 + oracle_below(&r, 6);
        for (size_t k = 0; k < w.nsteps; k++)
            w.steps[k].room =
                (long)pick_size(&r, TAIL_MAX) + (long)oracle_below(&r, 3) - 1;
        check_wcase("out[] then a tail, sent in pieces", &w);
    }
}

/* One step of a generated schedule: how much room the socket has (none,
 * a few bytes, or up to a tail) and whether EINTR comes first. */
static void random_room(struct oracle_rng *r, struct step *s)
{
    unsigned kind = oracle_below(r, 4);
    s->room = kind == 0   ? 0
              : kind == 1 ? (long)oracle_below(r, 8)
                          : (long)pick_size(r, TAIL_MAX);
    s->eintr_at = oracle_below(r, 3) == 0 ? 1 + (int)oracle_below(r, 3) : 0;
}

/* 2. Schedules: short writes, EAGAIN and EINTR at random across out[],
 * the body already copied and the tail. */
static void test_oracle_schedules(void **state)
{
    (void)state;
    fill_tail();
    struct oracle_rng r = {0xbacc9e55u};
    for (int i = 0; i < 300; i++) {
        struct wcase w = {.out_len = pick_size(&r, CONN_OUT_CAP)};
        w.out_sent = w.out_len ? oracle_below(&r, w.out_len + 1) : 0;
        if (oracle_below(&r, 2))
            w.out_sent = 0;
        w.tail_len = oracle_below(&r, 2) ? pick_size(&r, TAIL_MAX) : 0;
        w.nsteps = oracle_below(&r, STEPS_MAX);
        for (size_t k = 0; k < w.nsteps; k++)
            random_room(&r, &w.steps[k]);
        check_wcase("a schedule of short writes, EAGAIN and EINTR", &w);
    }
}

/* 3. The fault matrix: every errno send(2) lists, in out[] and in the
 * tail, after 0 or some bytes: the same outcome as the reference (0 for
 * EAGAIN, a retry for EINTR, -1 for the rest) and the same state. */
static void test_fault_matrix(void **state)
{
    (void)state;
    fill_tail();
    static const int errs[] = {
        EACCES, EAGAIN,   EALREADY, EBADF,      ECONNRESET, EDESTADDRREQ,
        EFAULT, EINTR,    EINVAL,   EISCONN,    EMSGSIZE,   ENOBUFS,
        ENOMEM, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPIPE};
    static const long rooms[] = {0, 10, 300, 5000};
    for (size_t e = 0; e < sizeof errs / sizeof *errs; e++)
        for (size_t k = 0; k < sizeof rooms / sizeof *rooms; k++) {
            struct wcase w = {.out_len = 300,
                              .tail_len = 5000,
                              .nsteps = 1,
                              .steps = {{rooms[k], 0, errs[e]}}};
            if (errs[e] == EINTR) /* EINTR forever would never end */
                w.steps[0] = (struct step){rooms[k], 1, 0};
            settle_errors = true;
            check_wcase("a send that fails", &w);
            settle_errors = false;
        }
}

/* 4. The trace (README: "send lines with their sizes"; the starter's
 * "Keep: ... TRACE_SEND"): on schedules of short writes, EAGAIN, EINTR
 * and errors, the send lines of the connection's fd add up to the bytes
 * the client got, and each says a size that went out (no line of -1 for a
 * failed send). How many lines a piece takes is free. */
static void test_trace_sends(void **state)
{
    (void)state;
    fill_tail();
    static char seen[4096];
    struct oracle_rng r = {0x7ace5u};
    for (int i = 0; i < 120; i++) {
        struct wcase w = {.out_len = pick_size(&r, CONN_OUT_CAP)};
        w.out_sent = w.out_len ? oracle_below(&r, w.out_len + 1) : 0;
        w.tail_len = oracle_below(&r, 2) ? pick_size(&r, TAIL_MAX) : 0;
        w.nsteps = oracle_below(&r, 8);
        for (size_t k = 0; k < w.nsteps; k++) {
            random_room(&r, &w.steps[k]);
            if (oracle_below(&r, 8) == 0)
                w.steps[k].err = oracle_below(&r, 2) ? EPIPE : ENOBUFS;
        }
        case_trace = trace_buf_new(-1, 0, 0, trace_now_ns());
        assert_non_null(case_trace);
        run_case(conn_flush, &w, seen, sizeof seen);
        /* Read the thread's buffered lines: "T THREAD CORE send FD N". */
        char *text = case_trace->buf;
        text[case_trace->len] = 0;
        long traced = 0, lines = 0, bad = 0;
        for (char *ln = text; *ln; ln = strchr(ln, '\n') + 1) {
            char kind[16];
            int fd;
            long n;
            if (sscanf(ln, "%*s %*s %*s %15s %d %ld", kind, &fd, &n) == 3 &&
                !strcmp(kind, "send") && fd == case_fd) {
                lines++;
                traced += n;
                bad += n < 0;
            }
            if (!strchr(ln, '\n'))
                break;
        }
        free(case_trace);
        case_trace = NULL;
        if (traced != (long)sim.got_len || bad) {
            char desc[1024];
            describe(&w, desc, sizeof desc);
            fail_msg("the trace's send lines do not match what went out: %s "
                     "- the client got %zu bytes, the trace has %ld send "
                     "lines adding up to %ld bytes%s (TRACE_SEND once per "
                     "send() that moved bytes, with what it moved)",
                     desc, sim.got_len, lines, traced,
                     bad ? ", some of them negative" : "");
        }
    }
}

/* fastd calls conn_flush() from every request thread at once, each on
 * its own connections (conn.h: the thread self, and its connection c):
 * whatever the call keeps must live in c or self, not in a static shared
 * by the threads. Two threads, each with its own connection, flush
 * replies of out[] and a tail in a loop while reading their peer: each
 * peer must get its own bytes, each in order. Run again under
 * ThreadSanitizer (the manifest's tsan line), which reports two threads
 * writing the same memory without a lock even when no byte went astray. */
enum {
    FLUSH_THREADS = 2,
    FLUSH_ROUNDS = 300,
    FLUSH_OUT = 700,
    FLUSH_TAIL = 2500
};

struct flusher {
    struct thread *self;
    int id;
    char msg[256];
};

static char flush_byte(int id, size_t i)
{
    return (char)((id ? 'A' : 'a') + i % 23);
}

static void *flush_loop(void *arg)
{
    struct flusher *f = arg;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) <
        0) {
        snprintf(f->msg, sizeof f->msg, "socketpair: %s", strerror(errno));
        return NULL;
    }
    static char tails[FLUSH_THREADS][FLUSH_TAIL];
    char *tail = tails[f->id];
    for (size_t i = 0; i < FLUSH_TAIL; i++)
        tail[i] = flush_byte(f->id, FLUSH_OUT + i);
    struct conn *cn = calloc(1, sizeof *cn);
    cn->fd = sv[0];
    cn->out = malloc(CONN_OUT_CAP);
    for (size_t i = 0; i < FLUSH_OUT; i++)
        cn->out[i] = flush_byte(f->id, i);
    char buf[8192];
    for (int round = 0; round < FLUSH_ROUNDS && !f->msg[0]; round++) {
        cn->out_len = FLUSH_OUT;
        cn->out_sent = 0;
        cn->tail = tail;
        cn->tail_len = FLUSH_TAIL;
        size_t at = 0;
        int r = 0;
        for (int k = 0;
             k < 10000 && !f->msg[0] && (r == 0 || at < FLUSH_OUT + FLUSH_TAIL);
             k++) {
            if (r == 0)
                r = conn_flush(f->self, cn);
            if (r < 0) {
                snprintf(f->msg, sizeof f->msg,
                         "thread %d, reply %d: conn_flush() returned -1 on "
                         "a healthy peer",
                         f->id, round + 1);
                break;
            }
            ssize_t n;
            while ((n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)) > 0)
                for (ssize_t i = 0; i < n && !f->msg[0]; i++, at++)
                    if (at >= FLUSH_OUT + FLUSH_TAIL ||
                        buf[i] != flush_byte(f->id, at))
                        snprintf(f->msg, sizeof f->msg,
                                 "thread %d, reply %d: byte %zu is '%c', "
                                 "expected '%c'%s",
                                 f->id, round + 1, at, buf[i],
                                 at < FLUSH_OUT + FLUSH_TAIL
                                     ? flush_byte(f->id, at)
                                     : '-',
                                 buf[i] == flush_byte(!f->id, at)
                                     ? " (the other thread's reply: does "
                                       "conn_flush() keep something in a "
                                       "static, shared by the threads?)"
                                     : "");
        }
        if (!f->msg[0] && at != FLUSH_OUT + FLUSH_TAIL)
            snprintf(f->msg, sizeof f->msg,
                     "thread %d, reply %d: %zu of %d bytes arrived (out[] "
                     "of %d, then the tail: is the tail sent?)",
                     f->id, round + 1, at, FLUSH_OUT + FLUSH_TAIL, FLUSH_OUT);
    }
    close(sv[0]);
    close(sv[1]);
    free(cn->out);
    free(cn);
    return NULL;
}

static void test_flush_in_two_threads(void **state)
{
    (void)state;
    struct server *s = fake_server(0, FLUSH_THREADS, SCHEDULE_RR, false);
    struct flusher f[FLUSH_THREADS];
    pthread_t tid[FLUSH_THREADS];
    alarm(20); /* a flush that never returns */
    for (int i = 0; i < FLUSH_THREADS; i++) {
        f[i] = (struct flusher){.self = &s->threads[i], .id = i};
        f[i].self->now = 1000;
        if (pthread_create(&tid[i], NULL, flush_loop, &f[i]) != 0)
            fail_msg("pthread_create failed");
    }
    for (int i = 0; i < FLUSH_THREADS; i++)
        pthread_join(tid[i], NULL);
    alarm(0);
    fake_server_free(s);
    for (int i = 0; i < FLUSH_THREADS; i++)
        if (f[i].msg[0])
            fail_msg("two request threads, each flushing its own connection "
                     "(out[] of %d bytes, then a tail of %d), %d replies "
                     "each: %s",
                     FLUSH_OUT, FLUSH_TAIL, FLUSH_ROUNDS, f[i].msg);
}

static const struct graded table[] = {
    GRADED(test_sends_all_when_room, 1, 1),
    GRADED(test_full_socket_waits, 3, 1),
    GRADED(test_every_byte_once, 3, 1),
    GRADED(test_short_write_stops, 1, 2),
    GRADED(test_eintr_retries, 1, 3),
    GRADED(test_error_when_peer_gone, 2, 3),
    GRADED(test_progress_touches, 1, 3),
    GRADED(test_oracle_tail, 3, 4),
    GRADED(test_oracle_schedules, 3, 4),
    GRADED(test_fault_matrix, 2, 4),
    GRADED(test_eintr_every_time, 1, 3),
    GRADED(test_trace_sends, 1, 3),
    GRADED(test_nothing_held_back, 1, 3),
    GRADED(test_full_socket_returns_at_once, 1, 2),
    GRADED(test_error_leaves_the_fd, 1, 3),
    GRADED(test_flush_in_two_threads, 1, 3),
};
GRADED_MAIN(table)
