/*
 * ceiling - the bench's no-parse responder: the fastest HTTP server this
 * machine can run, so that every other row reads as a share of it.
 *
 *   ceiling --io epoll|uring [--threads N] [--body-kib N] [--close]
 *           [--status N] [--send copy|sendfile|zerocopy]
 *
 * It listens on 127.0.0.1, port 0, one SO_REUSEPORT listener per thread
 * (no hand-off, no pinning), prints "ceiling: listening on ADDR:PORT (...)"
 * and answers every request with the same response: 200 and "Hello,
 * World!" (or --body-kib N KiB of zero bytes; --status N for another
 * status, which the bench's self-check uses to prove it refuses a server
 * that answers anything but 200). It does not parse: a request is whatever
 * ends in an empty line ("\r\n\r\n"), counted across reads, and each one
 * gets one copy of the response, all of a read's answers in one send.
 * --close closes the connection after answering (the churn workload: the
 * client asked for Connection: close, and this server does not read that).
 *
 * --send picks how a --body-kib body is sent: send() from memory (copy),
 * sendfile() from a memfd (epoll only) or MSG_ZEROCOPY (on io_uring,
 * IORING_OP_SEND_ZC) - the comparison of chapter 10's large-body section
 * (chapters/experiments/10-body-send.sh).
 *
 * What it leaves out - the parser, routes, the idle clock, statistics, the
 * trace, the staged hand-off - is what fastd's rows pay for above it.
 * Runs until SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS  65536
#define RECV_CAP 4096

enum { SEND_COPY, SEND_FILE, SEND_ZEROCOPY };

struct conn {
    unsigned tail;  /* how many of "\r\n\r\n" the last read ended with */
    uint64_t left;  /* bytes of answers still to send */
    uint64_t pos;   /* offset in the repeated response stream */
    bool waits_out; /* epoll: registered for EPOLLOUT */
    bool recving, sending, dead; /* io_uring: in flight; to be closed */
};

static struct conn *conns; /* indexed by fd: fds are unique process-wide */
/* io_uring's receive buffers, by fd (epoll reads into the stack). */
static char (*bufs)[RECV_CAP];
static char *rep; /* REPS copies of the response, back to back */
static size_t resp_len, rep_len, head_len;
static int send_mode = SEND_COPY, body_fd = -1; /* --send; sendfile's memfd */
static bool close_after, use_uring;
static int port;

static void die(const char *what)
{
    fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Requests ended in buf[0..n): counts "\r\n\r\n", carrying a partial
 * match across reads in *tail. The only look at the bytes it takes. */
static unsigned count_requests(struct conn *c, const char *buf, size_t n)
{
    static const char end[] = "\r\n\r\n";
    unsigned done = 0, t = c->tail;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == end[t])
            t++;
        else
            t = buf[i] == '\r' ? 1 : 0;
        if (t == 4) {
            done++;
            t = 0;
        }
    }
    c->tail = t;
    return done;
}

/* The next stretch of the answer stream to send: at most rep_len bytes
 * from where the last send stopped. */
static size_t next_chunk(const struct conn *c, const char **p)
{
    size_t off = (size_t)(c->pos % resp_len);
    size_t n = rep_len - off;
    *p = rep + off;
    return c->left < n ? (size_t)c->left : n;
}

static int listen_one(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    if (fd < 0)
        die("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        die("setsockopt SO_REUSEPORT");
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("bind 127.0.0.1");
    if (listen(fd, 4096) < 0)
        die("listen");
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        die("getsockname");
    port = ntohs(a.sin_port);
    return fd;
}

/* ---- epoll: level-triggered, read then send everything, then read ---- */

/* One send of what is due, by --send: copy (send() from memory, the body
 * copied into the socket), sendfile (the body's pages from a memfd, passed
 * by reference, no copy on this side) or zerocopy (send() with
 * MSG_ZEROCOPY: the pages pinned, the kernel reports on the error queue
 * when it let go of them). The head always goes by send(), with MSG_MORE
 * when the body follows by another call. */
static ssize_t send_some(int fd, struct conn *c)
{
    const char *p;
    size_t len = next_chunk(c, &p), off = (size_t)(c->pos % resp_len);
    if (send_mode == SEND_COPY)
        return send(fd, p, len, MSG_NOSIGNAL);
    if (off < head_len)
        return send(fd, p, head_len - off, MSG_NOSIGNAL | MSG_MORE);
    if (send_mode == SEND_FILE) {
        off_t at = (off_t)(off - head_len);
        return sendfile(fd, body_fd, &at, len);
    }
    return send(fd, p, len, MSG_NOSIGNAL | MSG_ZEROCOPY);
}

/* Read (and drop) MSG_ZEROCOPY's completion notes from fd's error queue:
 * the body is constant, so nothing waits on them but the socket's quota. */
static void reap_zerocopy(int fd)
{
    char ctl[256];
    for (;;) {
        struct msghdr m = {.msg_control = ctl, .msg_controllen = sizeof ctl};
        if (recvmsg(fd, &m, MSG_ERRQUEUE) < 0)
            return;
    }
}

static void ep_serve(int ep, int fd)
{
    struct conn *c = &conns[fd];
    char buf[RECV_CAP]; /* on the stack: an idle connection holds none */
    while (c->left == 0) {
        ssize_t n = read(fd, buf, RECV_CAP);
        if (n <= 0) {
            if (n < 0 && errno == EAGAIN)
                return;
            close(fd);
            return;
        }
        c->left += count_requests(c, buf, (size_t)n) * resp_len;
        if (c->left == 0)
            continue;
    }
    while (c->left > 0) {
        ssize_t n = send_some(fd, c);
        if (n < 0 && errno == ENOBUFS) { /* zero-copy notes pile up */
            reap_zerocopy(fd);
            continue;
        }
        if (n < 0) {
            if (errno != EAGAIN) {
                close(fd);
                return;
            }
            struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            c->waits_out = true;
            return;
        }
        c->left -= (uint64_t)n;
        c->pos += (uint64_t)n;
    }
    if (close_after) {
        close(fd);
        return;
    }
    if (c->waits_out) { /* only then: a call per request saved */
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        c->waits_out = false;
    }
}

static void *ep_thread(void *arg)
{
    int lfd = (int)(intptr_t)arg, ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}, evs[64];
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
        die("epoll_ctl listener");
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd != lfd) {
                if (evs[i].events & EPOLLERR && send_mode == SEND_ZEROCOPY)
                    reap_zerocopy(fd);
                ep_serve(ep, fd);
                continue;
            }
            int c;
            while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                if (c >= MAX_FDS) {
                    close(c);
                    continue;
                }
                memset(&conns[c], 0, sizeof conns[c]);
                int one = 1; /* no Nagle wait for a response's tail */
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                if (send_mode == SEND_ZEROCOPY &&
                    setsockopt(c, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one))
                    die("setsockopt SO_ZEROCOPY");
                struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
            }
        }
    }
    return NULL;
}

/* ---- io_uring: one accept, and per connection recv -> send -> recv ---- */

enum { OP_ACCEPT, OP_RECV, OP_SEND };
#define UD(op, fd) ((uint64_t)(op) << 32 | (uint32_t)(fd))

static void ur_queue(struct io_uring *r, int op, int fd)
{
    struct io_uring_sqe *s = io_uring_get_sqe(r);
    if (!s) { /* full: hand what is queued to the kernel, then retry */
        io_uring_submit(r);
        s = io_uring_get_sqe(r);
    }
    const char *p;
    size_t len;
    switch (op) {
    case OP_ACCEPT:
        io_uring_prep_accept(s, fd, NULL, NULL, 0);
        break;
    case OP_RECV:
        io_uring_prep_recv(s, fd, bufs[fd], RECV_CAP, 0);
        break;
    default: /* MSG_WAITALL: the kernel retries a short send itself */
        len = next_chunk(&conns[fd], &p);
        /* --send zerocopy: IORING_OP_SEND_ZC, the ring's MSG_ZEROCOPY. Its
         * second completion (F_NOTIF) says the pages are free again; the
         * response is one shared buffer that never changes, so that note
         * is only counted off (ur_thread). */
        if (send_mode == SEND_ZEROCOPY)
            io_uring_prep_send_zc(s, fd, p, len, MSG_NOSIGNAL | MSG_WAITALL, 0);
        else
            io_uring_prep_send(s, fd, p, len, MSG_NOSIGNAL | MSG_WAITALL);
        break;
    }
    io_uring_sqe_set_data64(s, UD(op, fd));
}

static void ur_complete(struct io_uring *r, int lfd, uint64_t ud, int res)
{
    int op = (int)(ud >> 32), fd = (int)(uint32_t)ud;
    struct conn *c = &conns[fd];
    if (op == OP_ACCEPT) {
        if (res >= 0 && res < MAX_FDS) {
            memset(&conns[res], 0, sizeof conns[res]);
            int one = 1; /* as on epoll: no Nagle wait */
            setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            ur_queue(r, OP_RECV, res);
            conns[res].recving = true;
        } else if (res >= 0) {
            close(res);
        }
        ur_queue(r, OP_ACCEPT, lfd);
        return;
    }
    if (op == OP_RECV) {
        c->recving = false;
        if (res <= 0)
            c->dead = true;
        else
            c->left += count_requests(c, bufs[fd], (size_t)res) * resp_len;
    } else {
        c->sending = false;
        if (res <= 0)
            c->dead = true;
        else
            c->left -= (uint64_t)res, c->pos += (uint64_t)res;
    }
    if (c->dead) { /* close once nothing of ours is in flight on fd */
        if (c->recving || c->sending)
            shutdown(fd, SHUT_RDWR); /* ends them: their CQEs come back */
        else
            close(fd);
        return;
    }
    if (c->left > 0 && !c->sending) {
        ur_queue(r, OP_SEND, fd);
        c->sending = true;
    }
    if (close_after && !c->sending && c->left == 0 && op == OP_SEND) {
        close(fd);
        return;
    }
    /* Keep-alive: the next receive is armed while the answer is still
     * going out, so the client's next request finds it waiting: a loop
     * pass (and an io_uring_enter()) less per request than receive ->
     * send -> receive. Not with --close: a receive in flight would hold
     * the socket open past close(). */
    if (!c->recving && (!close_after || (!c->sending && c->left == 0))) {
        ur_queue(r, OP_RECV, fd);
        c->recving = true;
    }
}

static void *ur_thread(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    struct io_uring r;
    /* One thread submits and reaps; completions run when it waits (no
     * interrupting task work): the cheapest setup 6.1+ offers. */
    struct io_uring_params pr = {.flags = IORING_SETUP_SINGLE_ISSUER |
                                          IORING_SETUP_DEFER_TASKRUN};
    int rc = io_uring_queue_init_params(1024, &r, &pr);
    if (rc == -EINVAL)
        rc = io_uring_queue_init(1024, &r, 0);
    if (rc < 0) {
        errno = -rc;
        die("io_uring_queue_init");
    }
    ur_queue(&r, OP_ACCEPT, lfd);
    for (;;) {
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        rc = io_uring_submit_and_wait(&r, 1);
        if (rc < 0 && rc != -EINTR) {
            errno = -rc;
            die("io_uring_submit_and_wait");
        }
        io_uring_for_each_cqe(&r, head, cqe)
        {
            seen++;
            if (!(cqe->flags & IORING_CQE_F_NOTIF)) /* not SEND_ZC's note */
                ur_complete(&r, lfd, cqe->user_data, cqe->res);
        }
        io_uring_cq_advance(&r, seen);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN), body_kib = 0;
    int status = 200;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--close"))
            close_after = true;
        else if (!strcmp(a, "--io") && v)
            use_uring = !strcmp(argv[++i], "uring");
        else if (!strcmp(a, "--threads") && v)
            threads = atoi(argv[++i]);
        else if (!strcmp(a, "--body-kib") && v)
            body_kib = atoi(argv[++i]);
        else if (!strcmp(a, "--status") && v)
            status = atoi(argv[++i]);
        else if (!strcmp(a, "--send") && v) {
            v = argv[++i];
            send_mode = !strcmp(v, "copy")       ? SEND_COPY
                        : !strcmp(v, "sendfile") ? SEND_FILE
                        : !strcmp(v, "zerocopy") ? SEND_ZEROCOPY
                                                 : -1;
        } else {
            fprintf(stderr, "usage: ceiling --io epoll|uring [--threads N] "
                            "[--body-kib N] [--close] [--status N]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 64 || body_kib < 0 || body_kib > 1024 ||
        status < 100 || status > 999 || send_mode < 0 ||
        (send_mode != SEND_COPY && !body_kib) ||
        (send_mode == SEND_FILE && use_uring)) {
        fprintf(stderr, "ceiling: --threads 1..64, --body-kib 0..1024, "
                        "--status 100..999, --send copy|sendfile|zerocopy "
                        "(the last two with --body-kib only; sendfile on "
                        "epoll only)\n");
        return 2;
    }
    size_t body = body_kib ? (size_t)body_kib * 1024 : 13;
    char head[160];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n"
                      "Content-Type: %s\r\n%s\r\n",
                      status, status == 200 ? "OK" : "Other", body,
                      body_kib ? "application/octet-stream" : "text/plain",
                      close_after ? "Connection: close\r\n" : "");
    resp_len = (size_t)hl + body;
    head_len = (size_t)hl;
    if (send_mode == SEND_FILE) { /* the body as a file's pages */
        body_fd = memfd_create("ceiling-body", 0);
        char zero[4096] = {0};
        for (size_t n = 0; body_fd >= 0 && n < body; n += sizeof zero)
            if (write(body_fd, zero, sizeof zero) != (ssize_t)sizeof zero)
                die("write memfd");
        if (body_fd < 0)
            die("memfd_create");
    }
    /* Small answers: 256 copies, so a pipelined read's answers go in one
     * send; a large one: a single copy. */
    size_t reps = body_kib ? 1 : 256;
    rep_len = reps * resp_len;
    rep = calloc(1, rep_len);
    conns = calloc(MAX_FDS, sizeof *conns);
    bufs = use_uring ? calloc(MAX_FDS, RECV_CAP) : NULL; /* touched per use */
    if (!rep || !conns || (use_uring && !bufs))
        die("calloc");
    for (size_t i = 0; i < reps; i++) {
        memcpy(rep + i * resp_len, head, (size_t)hl);
        if (!body_kib)
            memcpy(rep + i * resp_len + hl, "Hello, World!", 13);
    }
    int lfds[64];
    for (int t = 0; t < threads; t++)
        lfds[t] = listen_one(); /* the first picks the port, the rest join */
    printf("ceiling: listening on 127.0.0.1:%d (%s, %d threads)\n", port,
           use_uring ? "io_uring" : "epoll", threads);
    fflush(stdout);
    pthread_t tid;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid, NULL, use_uring ? ur_thread : ep_thread,
                           (void *)(intptr_t)lfds[t]) != 0)
            die("pthread_create");
    (use_uring ? ur_thread : ep_thread)((void *)(intptr_t)lfds[0]);
    return 0;
}
