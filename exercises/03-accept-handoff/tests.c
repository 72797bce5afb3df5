/*
 * Exercise 03, layer (a): accept_burst() alone, on a real listener, with
 * fastd's real hand-off into epoll sets this program owns. accept4 and
 * epoll_ctl are wrapped here (a definition in the program takes the place
 * of libc's) to inject EINTR/ECONNABORTED and to look at each fd at the
 * moment it is handed off.
 */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "reference-server/acceptor.h"
#include "reference-server/listener.h"

static int inject_errno, inject_count; /* fail the next accept4 calls */

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *restrict len, int flags)
{
    if (inject_count > 0) {
        inject_count--;
        errno = inject_errno;
        return -1;
    }
    return (int)syscall(SYS_accept4, fd, addr.__sockaddr__, len, flags);
}

static int adds, add_nonblock, add_cloexec; /* what the hand-offs saw */

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    if (op == EPOLL_CTL_ADD) {
        adds++;
        add_nonblock += (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
        add_cloexec += (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
    }
    return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

struct env {
    struct server *srv;
    struct thread *self;
    int lfd, port, clients[16], nclients;
};

static int dial(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) < 0)
        fail_msg("connect: %s", strerror(errno));
    /* Data, so that TCP_DEFER_ACCEPT lets the connection through. */
    send(c, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL);
    return c;
}

/* naccept 1: staged (thread 0 accepts, 1 and 2 serve); 0: shared-nothing
 * (thread 0 accepts and serves, thread 1 too). */
static void env_open(struct env *e, int naccept, int nclients)
{
    char err[256];
    memset(e, 0, sizeof *e);
    e->srv = fake_server(naccept, 2, SCHEDULE_RR, true);
    e->self = &e->srv->threads[0];
    e->lfd = listener_open("127.0.0.1", 0, false, err, sizeof err);
    if (e->lfd < 0)
        fail_msg("%s", err);
    e->port = listener_port(e->lfd);
    e->self->listen_fd = e->lfd;
    e->self->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (int i = 0; i < nclients; i++)
        e->clients[e->nclients++] = dial(e->port);
    /* Every connection in the accept queue before the test goes on. */
    graded_wait_accept_queue(e->port, e->nclients, 5000);
    adds = add_nonblock = add_cloexec = 0;
}

/* Is a connection still waiting in the listener's queue? */
static bool pending(int lfd)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* Close the fds the hand-offs put in the threads' epoll sets. */
static void env_close(struct env *e)
{
    for (int i = 0; i < e->srv->nthreads; i++) {
        struct epoll_event ev[16];
        int n = e->srv->threads[i].epfd >= 0
                    ? epoll_wait(e->srv->threads[i].epfd, ev, 16, 0)
                    : 0;
        for (int k = 0; k < n; k++)
            close(ev[k].data.fd);
    }
    for (int i = 0; i < e->nclients; i++)
        close(e->clients[i]);
    if (e->self->reserve_fd >= 0)
        close(e->self->reserve_fd);
    close(e->lfd);
    fake_server_free(e->srv);
}

static void test_accepts_all_pending(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 6);
    accept_burst(e.self, e.lfd);
    if (counter_get(&e.self->stats.accepted) != 6)
        fail_msg("one call accepted %d of 6 pending connections (accept "
                 "until EAGAIN: a wake-up per connection is what this "
                 "stage must not cost)",
                 (int)counter_get(&e.self->stats.accepted));
    assert_false(pending(e.lfd));
    assert_int_equal(adds, 6);
    env_close(&e);
}

static void test_nonblocking_cloexec_at_handoff(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 3);
    accept_burst(e.self, e.lfd);
    assert_true(adds > 0);
    if (add_nonblock != adds)
        fail_msg("%d of %d fds were still blocking when handed off (set "
                 "O_NONBLOCK before: after the hand-off the fd is the "
                 "target's, and it may already be reading)",
                 adds - add_nonblock, adds);
    if (add_cloexec != adds)
        fail_msg("%d of %d fds lack close-on-exec", adds - add_cloexec, adds);
    env_close(&e);
}

static void test_spreads_or_keeps(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 4);
    for (int i = 0; i < 4 && pending(e.lfd); i++)
        accept_burst(e.self, e.lfd);
    /* Staged: schedule_pick's round-robin over the two request threads. */
    assert_int_equal(counter_get(&e.srv->threads[1].stats.conns_in), 2);
    assert_int_equal(counter_get(&e.srv->threads[2].stats.conns_in), 2);
    assert_int_equal(counter_get(&e.self->stats.handed_off), 4);
    env_close(&e);
    /* Shared-nothing: a thread that accepts keeps what it accepts. */
    env_open(&e, 0, 2);
    for (int i = 0; i < 2 && pending(e.lfd); i++)
        accept_burst(e.self, e.lfd);
    assert_int_equal(counter_get(&e.self->stats.conns_in), 2);
    assert_int_equal(counter_get(&e.srv->threads[1].stats.conns_in), 0);
    env_close(&e);
}

static void test_eintr_goes_on(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 3);
    inject_errno = EINTR;
    inject_count = 1;
    accept_burst(e.self, e.lfd);
    if (counter_get(&e.self->stats.accepted) != 3)
        fail_msg("an accept4 interrupted by a signal (EINTR) ended the "
                 "burst: %d of 3 accepted",
                 (int)counter_get(&e.self->stats.accepted));
    env_close(&e);
}

static void test_aborted_goes_on(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 3);
    inject_errno = ECONNABORTED;
    inject_count = 1;
    accept_burst(e.self, e.lfd);
    if (counter_get(&e.self->stats.accepted) != 3)
        fail_msg("a client that gave up before accept4 (ECONNABORTED) ended "
                 "the burst: %d of 3 accepted",
                 (int)counter_get(&e.self->stats.accepted));
    env_close(&e);
}

/* Fill the fd table: RLIMIT_NOFILE at the highest open fd + 1 and every
 * hole below plugged. Returns the old limit; the plugs go to plugs[]. */
static struct rlimit fill_fd_table(int *plugs, int *nplugs)
{
    struct rlimit old, rl;
    getrlimit(RLIMIT_NOFILE, &old);
    int top = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (atoi(de->d_name) > top)
            top = atoi(de->d_name);
    closedir(d);
    rl = old;
    rl.rlim_cur = (rlim_t)top + 1;
    setrlimit(RLIMIT_NOFILE, &rl);
    *nplugs = 0;
    int fd;
    while (*nplugs < 1024 && (fd = open("/dev/null", O_RDONLY)) >= 0)
        plugs[(*nplugs)++] = fd;
    return old;
}

static void empty_fd_table(int *plugs, int nplugs, struct rlimit old)
{
    for (int i = 0; i < nplugs; i++)
        close(plugs[i]);
    setrlimit(RLIMIT_NOFILE, &old);
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

/* What a client sees: 1 closed (FIN or RST), 0 nothing yet. */
static int client_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 300) != 1)
        return 0;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void test_emfile_sheds(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 3);
    int before = open_fds(), plugs[1024], nplugs;
    alarm(3); /* a loop that spins on EMFILE dies here */
    struct rlimit old = fill_fd_table(plugs, &nplugs);
    accept_burst(e.self, e.lfd);
    empty_fd_table(plugs, nplugs, old);
    alarm(0);
    assert_int_equal(adds, 0);
    if (pending(e.lfd))
        fail_msg("out of fds, the burst left connections queued: the "
                 "listener stays readable and the loop spins");
    int shed = 0;
    for (int i = 0; i < e.nclients; i++)
        shed += client_closed(e.clients[i]);
    if (shed != e.nclients)
        fail_msg("%d of %d clients were closed: the others wait forever", shed,
                 e.nclients);
    if (e.self->reserve_fd < 0 || fcntl(e.self->reserve_fd, F_GETFD) < 0)
        fail_msg("the spare fd is gone: the next EMFILE cannot shed");
    if (open_fds() != before)
        fail_msg("%d fds open after shedding, %d before (a leak)", open_fds(),
                 before);
    env_close(&e);
}

static void test_emfile_twice(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 2);
    int plugs[1024], nplugs;
    alarm(3);
    for (int round = 0; round < 2; round++) {
        struct rlimit old = fill_fd_table(plugs, &nplugs);
        accept_burst(e.self, e.lfd);
        empty_fd_table(plugs, nplugs, old);
        if (pending(e.lfd))
            fail_msg("EMFILE round %d: connections left queued", round + 1);
        if (round == 0) { /* a second wave of clients */
            for (int i = 0; i < 2; i++)
                e.clients[e.nclients++] = dial(e.port);
            graded_wait_accept_queue(e.port, 2, 2000);
        }
    }
    alarm(0);
    int shed = 0;
    for (int i = 0; i < e.nclients; i++)
        shed += client_closed(e.clients[i]);
    assert_int_equal(shed, e.nclients);
    env_close(&e);
}

static void test_emfile_no_spare_returns(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 2);
    close(e.self->reserve_fd);
    e.self->reserve_fd = -1;
    int plugs[1024], nplugs;
    alarm(2); /* out of fds with no spare: back off and return */
    struct rlimit old = fill_fd_table(plugs, &nplugs);
    accept_burst(e.self, e.lfd);
    empty_fd_table(plugs, nplugs, old);
    alarm(0);
    assert_int_equal(adds, 0);
    env_close(&e);
}

static const struct graded table[] = {
    GRADED(test_accepts_all_pending, 3, 1),
    GRADED(test_nonblocking_cloexec_at_handoff, 2, 1),
    GRADED(test_spreads_or_keeps, 2, 2),
    GRADED(test_eintr_goes_on, 2, 2),
    GRADED(test_aborted_goes_on, 1, 2),
    GRADED(test_emfile_sheds, 3, 3),
    GRADED(test_emfile_twice, 2, 3),
    GRADED(test_emfile_no_spare_returns, 1, 3),
};
GRADED_MAIN(table)
