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
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "exercises/common/fake_server.h"
#include "exercises/grader/faults.h"
#include "reference-server/acceptor.h"
#include "reference-server/listener.h"

static int inject_errno, inject_count; /* fail the next accept4 calls */

/* A script for the differential test: what each accept4 call returns -
 * 0: a new connection (a fresh socket, made here), else that errno; once
 * it has run out, EAGAIN. The fds made are remembered by inode, so that
 * the test can tell, after the burst, which are still open. */
#define SCRIPT_MAX 8
static int script[SCRIPT_MAX], script_len = -1, script_pos;
static struct made {
    int fd;
    ino_t ino;
} made[SCRIPT_MAX];
static int nmade;

static ino_t ino_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* The script's next outcome: a new fd, or -1 with its errno. */
/* A script of this many connections in a row, then EAGAIN (0: none):
 * each connection handed off is closed at once by the epoll_ctl below,
 * so that a burst of any length holds one fd at a time. */
static int script_run;

static int scripted(int flags)
{
    int err = script_pos < script_len ? script[script_pos] : EAGAIN;
    if (script_run > 0)
        err = script_pos < script_run ? 0 : EAGAIN;
    script_pos++;
    if (err) {
        errno = err;
        return -1;
    }
    int c = socket(AF_INET, SOCK_STREAM | flags, 0);
    if (c >= 0 && nmade < SCRIPT_MAX)
        made[nmade++] = (struct made){c, ino_of(c)};
    return c;
}

/* (accept() too follows the script: a shed may use either.) */
int accept(int fd, __SOCKADDR_ARG addr, socklen_t *restrict len)
{
    if (script_len >= 0)
        return scripted(0);
    return (int)syscall(SYS_accept, fd, addr.__sockaddr__, len);
}

/* test_emfile_other_thread_waits: when the main thread closes its spare
 * (its shed: the slot is free for its own accept4), another thread's
 * burst starts - or, in the second round, goes on after the hand-off of
 * its first connection, held until then - and the main thread waits until that
 * thread's next accept4() has returned, or 200 ms if it never gets that
 * far (it waits for srv->shed_lock, as it must). */
static pthread_t race_main;
static atomic_int race_on, race_spare = -1, race_go, race_other_returned;
static atomic_int race_hold_first, race_held; /* the second round */
static atomic_int
    race_reopen_armed; /* the shed's spare closed: hold its reopening */

/* Wait until *flag is set or ms have passed, by the clock: on a loaded
 * machine a 1 ms sleep can take 20, and a count of sleeps would wait
 * far longer than meant. */
static void race_wait(atomic_int *flag, int ms)
{
    struct timespec now, end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    while (!atomic_load(flag)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > end.tv_sec ||
            (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
            return;
        syscall(SYS_nanosleep, &(struct timespec){.tv_nsec = 1000000}, NULL);
    }
}

static void race_hold_main(int closed_fd)
{
    if (!atomic_load(&race_on) || closed_fd < 0 ||
        closed_fd != atomic_load(&race_spare) ||
        !pthread_equal(pthread_self(), race_main))
        return;
    atomic_store(&race_spare, -1); /* once */
    atomic_store(&race_go, 1);
    race_wait(&race_other_returned, 200);
    atomic_store(&race_reopen_armed, 1);
}

/* The same shed, when the main thread opens its spare again: the other
 * thread's accept4() may return first only if it did not wait for
 * srv->shed_lock, which a right shed holds until its spare is back. */
static void race_hold_reopen(const char *path)
{
    (void)path;
    if (!atomic_load(&race_on) || !pthread_equal(pthread_self(), race_main) ||
        !atomic_exchange(&race_reopen_armed, 0))
        return;
    race_wait(&race_other_returned, 200);
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *restrict len, int flags)
{
    if (script_len >= 0)
        return scripted(flags);
    if (atomic_load(&race_on)) {
        bool other = !pthread_equal(pthread_self(), race_main);
        bool after_go = atomic_load(&race_go);
        int rc = (int)syscall(SYS_accept4, fd, addr.__sockaddr__, len, flags);
        if (other && after_go)
            atomic_store(&race_other_returned, 1);
        return rc;
    }
    if (inject_count > 0) {
        inject_count--;
        errno = inject_errno;
        return -1;
    }
    return (int)syscall(SYS_accept4, fd, addr.__sockaddr__, len, flags);
}

static int adds, add_nonblock, add_cloexec; /* what the hand-offs saw */
static ino_t added[SCRIPT_MAX];             /* the fds handed off (script) */

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    if (op == EPOLL_CTL_ADD && atomic_load(&race_hold_first) &&
        !pthread_equal(pthread_self(), race_main) && !atomic_load(&race_go)) {
        /* The other thread's burst is under way, fds not yet short: hold
         * its first hand-off (outside any lock of its own, in a right
         * solution) until the main thread has closed its spare, 1 s at
         * most (a burst that holds shed_lock throughout goes on then). */
        atomic_store(&race_held, 1);
        race_wait(&race_go, 1000);
    }
    if (op == EPOLL_CTL_ADD) {
        if (adds < SCRIPT_MAX)
            added[adds] = ino_of(fd);
        adds++;
        add_nonblock += (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
        add_cloexec += (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
    }
    int rc = (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
    if (script_run > 0 && op == EPOLL_CTL_ADD && rc == 0)
        syscall(SYS_close, fd); /* handed off: gone from the set too */
    return rc;
}

/* close(), counted while the differential test runs: a close of an fd
 * number that is not open (EBADF) is a double close - in a server, the number
 * may by then name another thread's new connection. */
static bool closes_counted;
static int bad_closes;

int close(int fd)
{
    long rc = syscall(SYS_close, fd);
    race_hold_main(fd);
    /* (close(-1) names no fd: harmless.) */
    if (rc < 0 && errno == EBADF && fd >= 0 && closes_counted)
        bad_closes++;
    return (int)rc;
}

/* The pauses asked of nanosleep(), clock_nanosleep() and usleep(), in
 * ns; while the differential test runs they are only counted (a pause
 * costs no time, and a thousand cases run in a blink), else slept. A
 * pause made another way (poll() with a timeout...) is measured as the
 * time passed. */
static long asked_ns;
static bool sleep_counts_only;

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (req)
        asked_ns += req->tv_sec * 1000000000L + req->tv_nsec;
    if (sleep_counts_only)
        return 0;
    return (int)syscall(SYS_nanosleep, req, rem);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                    struct timespec *rem)
{
    if (req && !(flags & TIMER_ABSTIME))
        asked_ns += req->tv_sec * 1000000000L + req->tv_nsec;
    if (sleep_counts_only && !(flags & TIMER_ABSTIME))
        return 0;
    return (int)syscall(SYS_clock_nanosleep, clock, flags, req, rem) < 0 ? errno
                                                                         : 0;
}

int usleep(useconds_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    return nanosleep(&ts, NULL);
}

#define BURST_MANY 300 /* a burst no fixed batch of accepts covers */

struct env {
    struct server *srv;
    struct thread *self;
    int lfd, port, clients[BURST_MANY + 16], nclients;
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

/* The env a test has open, and the fd table it filled: a failed
 * assertion leaves the test at once, and its cleanup (env_cleanup) closes
 * them, so that the next test in the asan line's one process does not
 * report them as a leak of its own. */
static struct env *env_live;
/* fd 0, moved away by test_lowest_fd: its copy, or -2 when the test
 * found it closed (to be left closed). */
static int stdin_saved = -1;
static int *plugs_live, nplugs_live;
static struct rlimit plugs_old;

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
    env_live = e;
}

/* Is a connection still waiting in the listener's queue? */
static bool pending(int lfd)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* Close the fds the hand-offs put in the threads' epoll sets (each is
 * reported once: edge-triggered, readable). */
static void env_close(struct env *e)
{
    for (int i = 0; i < e->srv->nthreads; i++) {
        struct epoll_event ev[64];
        int n;
        while (e->srv->threads[i].epfd >= 0 &&
               (n = epoll_wait(e->srv->threads[i].epfd, ev, 64, 0)) > 0)
            for (int k = 0; k < n; k++)
                close(ev[k].data.fd);
    }
    for (int i = 0; i < e->nclients; i++)
        close(e->clients[i]);
    for (int i = 0; i < e->srv->nthreads; i++)
        if (e->srv->threads[i].reserve_fd >= 0)
            close(e->srv->threads[i].reserve_fd);
    close(e->lfd);
    fake_server_free(e->srv);
    env_live = NULL;
}

static void test_accepts_all_pending(void **state)
{
    (void)state;
    static struct env e;
    env_open(&e, 1, 6);
    accept_burst(e.self, e.lfd);
    int counted = (int)counter_get(&e.self->stats.accepted);
    if (counted != 6 && adds == 6 && !pending(e.lfd))
        fail_msg("one call handed off all 6 pending connections, but "
                 "stats::accepted says %d (count each new connection: "
                 "counter_add(&self->stats.accepted, 1))",
                 counted);
    if (counted != 6)
        fail_msg("one call accepted %d of 6 pending connections (accept "
                 "until EAGAIN: a wake-up per connection is what this "
                 "stage must not cost)",
                 counted);
    want_true(!pending(e.lfd), "one call left connections in the queue");
    want_int("connections handed off by one call, 6 pending", 6, adds);
    env_close(&e);
}

/* Many more pending connections than any fixed batch: one call takes
 * them all ("accept until the listener's queue is empty"). */
static void test_accepts_a_long_burst(void **state)
{
    (void)state;
    static struct env e;
    env_open(&e, 1, BURST_MANY);
    accept_burst(e.self, e.lfd);
    int accepted = (int)counter_get(&e.self->stats.accepted);
    bool left = pending(e.lfd);
    env_close(&e);
    if (accepted != BURST_MANY || left)
        fail_msg("one call counted %d of %d pending connections in "
                 "stats::accepted%s: accept until EAGAIN, however many are "
                 "queued, and count each",
                 accepted, BURST_MANY,
                 left ? ", and left the rest queued"
                      : " (none left queued: are they counted?)");
}

/* However long the queue: 10,000 connections in a row (accept4 follows a
 * script here, each connection closed once handed off), one call takes
 * them all and stops at EAGAIN. A cap of any size is a wake-up per
 * capful, and the header promises none. */
static void test_accepts_a_very_long_burst(void **state)
{
    (void)state;
    enum { RUN = 10000 };
    struct server *s = fake_server(1, 2, SCHEDULE_RR, true);
    struct thread *self = &s->threads[0];
    script_len = 0;
    script_pos = nmade = adds = 0;
    script_run = RUN;
    sleep_counts_only = true;
    accept_burst(self, -1);
    sleep_counts_only = false;
    script_run = 0;
    script_len = -1;
    int calls = script_pos, accepted = (int)counter_get(&self->stats.accepted);
    fake_server_free(s);
    if (calls != RUN + 1 || accepted != RUN)
        fail_msg("%d connections queued: one call accepted %d and called "
                 "accept4 %d time(s); expected all %d, then one call that "
                 "says EAGAIN (accept until the queue is empty, however "
                 "long)",
                 RUN, accepted, calls, RUN);
}

/* fd 0 is free (a server started with stdin closed): the first connection
 * accepted is fd 0, an fd like any other, handed off and counted. */
static void test_lowest_fd(void **state)
{
    (void)state;
    static struct env e;
    /* fd 0 held while the env opens, so that none of its fds is 0. */
    bool had_stdin = fcntl(0, F_GETFD) >= 0;
    if (!had_stdin && open("/dev/null", O_RDONLY) != 0)
        fail_msg("could not hold fd 0 with /dev/null");
    env_open(&e, 1, 2);
    stdin_saved = had_stdin ? fcntl(0, F_DUPFD_CLOEXEC, 3) : -2;
    close(0);
    accept_burst(e.self, e.lfd);
    bool zero_open = fcntl(0, F_GETFD) >= 0;
    int accepted = (int)counter_get(&e.self->stats.accepted), handed = adds;
    env_close(&e);
    if (zero_open) /* left open and nowhere: not in any epoll set */
        close(0);
    if (stdin_saved >= 0) {
        dup2(stdin_saved, 0);
        close(stdin_saved);
    }
    stdin_saved = -1;
    if (accepted != 2 || handed != 2)
        fail_msg("with fd 0 free, %d of 2 pending connections were accepted "
                 "and %d handed off%s: accept4 returning 0 is a new "
                 "connection on fd 0, not an error",
                 accepted, handed,
                 zero_open ? " (fd 0 was left open and nowhere)" : "");
}

static void test_nonblocking_cloexec_at_handoff(void **state)
{
    (void)state;
    static struct env e;
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
    static struct env e;
    env_open(&e, 1, 4);
    for (int i = 0; i < 4 && pending(e.lfd); i++)
        accept_burst(e.self, e.lfd);
    /* Staged: schedule_pick's round-robin over the two request threads. */
    for (int t = 1; t <= 2; t++)
        want_true(
            counter_get(&e.srv->threads[t].stats.conns_in) == 2,
            "staged, 4 connections, 2 request threads by round-robin: "
            "request thread %d got %llu, expected 2 (the accept thread "
            "hands each fd to schedule_pick(self))",
            t,
            (unsigned long long)counter_get(&e.srv->threads[t].stats.conns_in));
    want_int("staged: the accept thread's stats::handed_off after 4 "
             "connections",
             4, (long long)counter_get(&e.self->stats.handed_off));
    env_close(&e);
    /* Shared-nothing: a thread that accepts keeps what it accepts. */
    env_open(&e, 0, 2);
    for (int i = 0; i < 2 && pending(e.lfd); i++)
        accept_burst(e.self, e.lfd);
    want_true(
        counter_get(&e.self->stats.conns_in) == 2 &&
            counter_get(&e.srv->threads[1].stats.conns_in) == 0,
        "shared-nothing, 2 connections accepted by thread 0: it kept "
        "%llu and handed %llu to thread 1 (a thread that accepts and "
        "serves keeps its connections: hand them to self, not to "
        "schedule_pick())",
        (unsigned long long)counter_get(&e.self->stats.conns_in),
        (unsigned long long)counter_get(&e.srv->threads[1].stats.conns_in));
    env_close(&e);
}

static void test_eintr_goes_on(void **state)
{
    (void)state;
    static struct env e;
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
    static struct env e;
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
    plugs_live = plugs;
    nplugs_live = *nplugs;
    plugs_old = old;
    return old;
}

static void empty_fd_table(int *plugs, int nplugs, struct rlimit old)
{
    for (int i = 0; i < nplugs; i++)
        close(plugs[i]);
    setrlimit(RLIMIT_NOFILE, &old);
    plugs_live = NULL;
}

/* The cleanup of every test that opens an env (see env_live). */
static int env_cleanup(void **state)
{
    (void)state;
    alarm(0);
    inject_count = 0;
    script_len = -1;
    script_run = 0;
    sleep_counts_only = false;
    closes_counted = false;
    atomic_store(&race_on, 0);
    atomic_store(&race_hold_first, 0);
    fault_open_hook = NULL;
    fault_reset();
    if (plugs_live)
        empty_fd_table(plugs_live, nplugs_live, plugs_old);
    if (env_live)
        env_close(env_live);
    if (stdin_saved >= 0) {
        dup2(stdin_saved, 0);
        close(stdin_saved);
    } else if (stdin_saved == -2 && fcntl(0, F_GETFD) >= 0) {
        close(0);
    }
    stdin_saved = -1;
    return 0;
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
    static struct env e;
    env_open(&e, 1, 3);
    int before = open_fds(), nplugs;
    static int plugs[1024];
    alarm(8); /* a loop that spins on EMFILE dies here */
    struct rlimit old = fill_fd_table(plugs, &nplugs);
    accept_burst(e.self, e.lfd);
    empty_fd_table(plugs, nplugs, old);
    alarm(0);
    want_true(adds == 0,
              "out of fds (the table full), %d connection(s) were still "
              "accepted and handed off: a slot freed by a shed was left "
              "free (the spare must take it back: close the shed "
              "connection first, then open the spare again)",
              adds);
    if (pending(e.lfd))
        fail_msg("out of fds, the burst left connections queued: the "
                 "listener stays readable and the loop spins (each EMFILE "
                 "sheds one: close the spare, accept, close what you got, "
                 "open the spare again; a shed connection left open keeps "
                 "the freed slot, and the next shed has none)");
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

/* Each new fd, fd 0 included, also when shedding: with stdin closed the
 * spare is fd 0, and so is the connection accepted in its place - it
 * must be closed like any other (and the spare taken back). */
static void test_emfile_shed_on_fd_zero(void **state)
{
    (void)state;
    static struct env e;
    bool had_stdin = fcntl(0, F_GETFD) >= 0;
    if (!had_stdin && open("/dev/null", O_RDONLY) != 0)
        fail_msg("could not hold fd 0 with /dev/null");
    env_open(&e, 1, 3);
    stdin_saved = had_stdin ? fcntl(0, F_DUPFD_CLOEXEC, 3) : -2;
    close(0);
    int zero = fcntl(e.self->reserve_fd, F_DUPFD_CLOEXEC, 0);
    close(e.self->reserve_fd);
    e.self->reserve_fd = zero; /* the spare is fd 0 */
    assert_int_equal(zero, 0);
    static int plugs[1024];
    int nplugs;
    alarm(8);
    struct rlimit old = fill_fd_table(plugs, &nplugs);
    accept_burst(e.self, e.lfd);
    empty_fd_table(plugs, nplugs, old);
    alarm(0);
    int shed = 0;
    for (int i = 0; i < e.nclients; i++)
        shed += client_closed(e.clients[i]);
    bool left = pending(e.lfd);
    env_close(&e);
    if (stdin_saved >= 0) {
        dup2(stdin_saved, 0);
        close(stdin_saved);
    } else if (fcntl(0, F_GETFD) >= 0) {
        close(0);
    }
    stdin_saved = -1;
    if (shed != 3 || left)
        fail_msg("with the spare on fd 0 (stdin closed), out of fds: %d of 3 "
                 "clients were closed%s (the connection accepted in the "
                 "spare's place is fd 0: close it too)",
                 shed, left ? ", the others left queued" : "");
}

static void test_emfile_twice(void **state)
{
    (void)state;
    static struct env e;
    env_open(&e, 1, 2);
    static int plugs[1024];
    int nplugs;
    alarm(8); /* on a loaded machine, two waves of clients take a while */
    for (int round = 0; round < 2; round++) {
        struct rlimit old = fill_fd_table(plugs, &nplugs);
        accept_burst(e.self, e.lfd);
        empty_fd_table(plugs, nplugs, old);
        if (pending(e.lfd))
            fail_msg("EMFILE round %d: connections left queued (after a "
                     "shed the spare must be open again, or be opened at "
                     "the next shortage)",
                     round + 1);
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
    static struct env e;
    env_open(&e, 1, 2);
    close(e.self->reserve_fd);
    e.self->reserve_fd = -1;
    static int plugs[1024];
    int nplugs;
    alarm(8); /* out of fds with no spare: back off and return */
    struct rlimit old = fill_fd_table(plugs, &nplugs);
    accept_burst(e.self, e.lfd);
    empty_fd_table(plugs, nplugs, old);
    alarm(0);
    want_true(adds == 0,
              "out of fds with no spare: %d connection(s) were handed off "
              "(none can be accepted: back off 10 ms and return)",
              adds);
    env_close(&e);
}

/* The spares of all accepting threads are one pool (acceptor.h): a
 * thread whose own spare is gone (lost to a failed reopening) sheds with
 * another thread's, and that one is taken back. Shared-nothing, two
 * threads: thread 0 has no spare, thread 1 has one. */
static void test_emfile_borrows_spare(void **state)
{
    (void)state;
    static struct env e;
    env_open(&e, 0, 2);
    close(e.self->reserve_fd);
    e.self->reserve_fd = -1;
    struct thread *other = &e.srv->threads[1];
    other->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int before = open_fds(), nplugs;
    static int plugs[1024];
    alarm(8); /* a loop that spins on EMFILE dies here */
    struct rlimit old = fill_fd_table(plugs, &nplugs);
    accept_burst(e.self, e.lfd);
    empty_fd_table(plugs, nplugs, old);
    alarm(0);
    int shed = 0;
    for (int i = 0; i < e.nclients; i++)
        shed += client_closed(e.clients[i]);
    if (shed != e.nclients || pending(e.lfd))
        fail_msg("out of fds, thread 0's own spare lost, thread 1's spare "
                 "open: %d of %d clients were closed%s (the spares of all "
                 "accepting threads are one pool: shed with any thread's, "
                 "under srv->shed_lock)",
                 shed, e.nclients, pending(e.lfd) ? ", the others queued" : "");
    if (other->reserve_fd < 0 || fcntl(other->reserve_fd, F_GETFD) < 0)
        fail_msg("thread 1's spare, used by thread 0 to shed, was not taken "
                 "back: the next EMFILE has none");
    if (open_fds() != before)
        fail_msg("%d fds open after shedding, %d before (a leak)", open_fds(),
                 before);
    env_close(&e);
}

struct racer {
    struct thread *self;
    int lfd;
    bool under_way; /* begin at once (held at its first hand-off) */
};

static void *racer_run(void *arg)
{
    struct racer *r = arg;
    while (!r->under_way && !atomic_load(&race_go))
        syscall(SYS_nanosleep, &(struct timespec){.tv_nsec = 1000000}, NULL);
    accept_burst(r->self, r->lfd);
    return NULL;
}

/* One round of test_emfile_other_thread_waits; under_way: thread 1's
 * burst began before fds ran short and took one connection (of two
 * queued), and goes on just as thread 0 has closed the spare to shed;
 * short_before: fds ran short once already, a minute ago (the careful
 * window that shortage opened, server::shed_until_ms, long past). */
static void race_round(bool under_way, bool short_before)
{
    static struct env e;
    env_open(&e, 0, 1);
    if (short_before)
        atomic_store(&e.srv->shed_until_ms, clock_ms() - 60 * 1000);
    char err[256];
    struct racer r = {&e.srv->threads[1], -1, under_way};
    r.lfd = listener_open("127.0.0.1", 0, false, err, sizeof err);
    if (r.lfd < 0)
        fail_msg("%s", err);
    r.self->listen_fd = r.lfd;
    int others[2], nothers = under_way ? 2 : 1;
    for (int i = 0; i < nothers; i++)
        others[i] = dial(listener_port(r.lfd));
    graded_wait_accept_queue(listener_port(r.lfd), nothers, 5000);
    static int plugs[1024];
    int nplugs;
    pthread_t th;
    race_main = pthread_self();
    atomic_store(&race_spare, e.self->reserve_fd);
    atomic_store(&race_go, 0);
    atomic_store(&race_other_returned, 0);
    atomic_store(&race_hold_first, under_way);
    atomic_store(&race_held, 0);
    atomic_store(&race_reopen_armed, 0);
    fault_open_hook = race_hold_reopen;
    alarm(8); /* a loop that spins on EMFILE dies here */
    atomic_store(&race_on, 1);
    if (pthread_create(&th, NULL, racer_run, &r) != 0)
        fail_msg("pthread_create failed");
    /* Under way: thread 1 has its first connection before fds run short
     * (a burst that took none goes on all the same after 2 s). */
    if (under_way)
        race_wait(&race_held, 2000);
    struct rlimit old = fill_fd_table(plugs, &nplugs);
    accept_burst(e.self, e.lfd);
    atomic_store(&race_go, 1); /* a burst that never shed: go anyway */
    pthread_join(th, NULL);
    atomic_store(&race_on, 0);
    atomic_store(&race_hold_first, 0);
    fault_open_hook = NULL;
    empty_fd_table(plugs, nplugs, old);
    alarm(0);
    bool mine_shed = client_closed(e.clients[0]);
    int spares = 0;
    for (int i = 0; i < e.srv->nthreads; i++)
        spares += e.srv->threads[i].reserve_fd >= 0 &&
                  fcntl(e.srv->threads[i].reserve_fd, F_GETFD) >= 0;
    for (int i = 0; i < nothers; i++)
        close(others[i]);
    close(r.lfd);
    char left[64] = "the spare is back";
    if (spares != 1)
        snprintf(left, sizeof left, "%d spares left, not 1", spares);
    if (!mine_shed || spares != 1)
        fail_msg("two threads out of fds, one spare: while thread 0 shed "
                 "(its spare closed, the slot free for its own accept4), "
                 "thread 1 %s%s. Thread 0's client was %s; %s. "
                 "While fds are short every accept4() takes "
                 "srv->shed_lock, or another thread's takes the slot a "
                 "shed freed (acceptor.h; chapter 4, Shedding on EMFILE)",
                 under_way ? "went on with a burst it had begun before fds "
                             "ran short (one connection taken, one still "
                             "queued): each accept4() of a burst, not only "
                             "its first, must look at whether fds are short"
                           : "began a burst",
                 short_before ? " (fds had run short once before, a minute "
                                "earlier: server::shed_until_ms long past; "
                                "each shortage opens the window anew)"
                              : "",
                 mine_shed ? "shed" : "not shed (still queued)", left);
    env_close(&e);
}

/* Two threads out of fds (shared-nothing: one fd table, a listener each,
 * one spare in the pool). Thread 0 sheds: it closes the spare, and the
 * free slot is for its own accept4(). Just then thread 1's burst starts
 * (first round) or goes on (second round: it began before fds ran
 * short), and again after a shortage long past (third round): while fds
 * are short its accept4() must wait for srv->shed_lock (acceptor.h), or it
 * takes that slot, thread 0's accept4() fails, and the spare cannot be opened
 * again. The close wrapper makes that moment happen every time
 * (race_hold_main()). */
static void test_emfile_other_thread_waits(void **state)
{
    (void)state;
    race_round(false, false);
    race_round(true, false);
    race_round(false, true);
}

/*
 * The differential test: your accept_burst() and the reference's
 * (reference-server/accept_burst.c, linked beside yours with its symbols
 * renamed ref_*: exercise.conf's `oracle`) on generated sequences of what
 * accept4 returns - a connection, or any errno its man page lists - with
 * and without a spare fd, with the spare's reopening failing, and with
 * the hand-off's epoll_ctl failing. Sequences go shortest first: the
 * first that differs, the one shown, is the smallest.
 */
void ref_accept_burst(struct thread *self, int listen_fd);

/* Every errno accept4(2) lists, and 0: a connection. */
static const int accept_outcomes[] = {
    0,      EAGAIN, EINTR, ECONNABORTED, EPROTO, EMFILE,   ENFILE,    ENOBUFS,
    ENOMEM, EPERM,  EBADF, EFAULT,       EINVAL, ENOTSOCK, EOPNOTSUPP};
#define NOUTCOMES (int)(sizeof accept_outcomes / sizeof accept_outcomes[0])

struct burst_case {
    int script[SCRIPT_MAX], len;
    bool spare;           /* a spare fd at the start */
    enum fault_call fail; /* FAULT_CALLS: none; else its nth fails */
    int nth, err;
};

static void describe_case(const struct burst_case *c, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "accept4 returns: ");
    for (int i = 0; i < c->len; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s, ",
                                 c->script[i] ? graded_errno_name(c->script[i])
                                              : "a connection");
    used += (size_t)snprintf(out + used, cap - used, "then EAGAIN; %s",
                             c->spare ? "a spare fd" : "no spare fd");
    if (c->fail != FAULT_CALLS)
        snprintf(out + used, cap - used, "; call %d of %s fails with %s",
                 c->nth, fault_name(c->fail), graded_errno_name(c->err));
}

/* One run of fn on the case: what a client, the kernel and the server
 * would see afterwards. paused_ns: the pause it made. */
static void burst_outcome(void (*fn)(struct thread *, int),
                          const struct burst_case *c, char *out, size_t cap,
                          long *paused_ns)
{
    struct server *srv = fake_server(1, 2, SCHEDULE_RR, true);
    struct thread *self = &srv->threads[0];
    self->reserve_fd = c->spare ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
    int before = open_fds();
    memcpy(script, c->script, sizeof script);
    script_len = c->len;
    script_pos = nmade = adds = add_nonblock = 0;
    asked_ns = 0;
    sleep_counts_only = true;
    if (c->fail != FAULT_CALLS)
        fault_fail_nth(c->fail, c->nth, c->err);
    struct timespec t0, t1;
    bad_closes = 0;
    closes_counted = true;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fn(self, -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    closes_counted = false;
    fault_reset();
    sleep_counts_only = false;
    script_len = -1;
    long took = (t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec;
    /* The reference's pause is what it asked of nanosleep; a learner's
     * may be another call: the time passed, if longer. */
    *paused_ns = fn == ref_accept_burst || asked_ns > took ? asked_ns : took;
    /* The connections: handed off, closed at once (shed), or left open
     * and nowhere (a leak: that client waits forever). */
    int handed = 0, leaked = 0;
    for (int i = 0; i < nmade; i++) {
        bool open_now = ino_of(made[i].fd) == made[i].ino;
        bool was_added = false;
        for (int k = 0; k < adds && k < SCRIPT_MAX; k++)
            was_added |= added[k] == made[i].ino;
        if (open_now && was_added)
            handed++;
        else if (open_now)
            leaked++;
        if (open_now)
            close(made[i].fd);
    }
    bool spare = self->reserve_fd >= 0 && ino_of(self->reserve_fd) != 0;
    int spare_fds = spare ? 1 : 0, spare_was = c->spare ? 1 : 0;
    int extra = open_fds() - before - (spare_fds - spare_was);
    snprintf(out, cap,
             "accept4 (or accept) called %d time(s); %d connection(s) "
             "handed off, %d "
             "closed at once, %d left open and never handed off; %d of them "
             "non-blocking at the hand-off; stats::accepted %d; %s spare fd "
             "after%s%s",
             script_pos, handed, nmade - handed - leaked, leaked, add_nonblock,
             (int)counter_get(&self->stats.accepted), spare ? "a" : "no",
             extra ? "; other fds left open" : "",
             bad_closes ? "; close() called on an fd no longer open (a "
                          "double close)"
                        : "");
    if (self->reserve_fd >= 0)
        close(self->reserve_fd);
    fake_server_free(srv);
}

/* stderr caught in a pipe while a burst runs: whether it said anything
 * (each run has a thread of its own, so thread_warn()'s once a second
 * lets its first warning through). */
static int stderr_saved = -1, stderr_pipe[2] = {-1, -1};

static void catch_stderr(void)
{
    fflush(stderr);
    if (pipe2(stderr_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        fail_msg("pipe2: %s", strerror(errno));
    stderr_saved = dup(2);
    dup2(stderr_pipe[1], 2);
}

static bool stderr_said(void)
{
    fflush(stderr);
    dup2(stderr_saved, 2);
    close(stderr_saved);
    char buf[4096];
    ssize_t n = read(stderr_pipe[0], buf, sizeof buf);
    close(stderr_pipe[0]);
    close(stderr_pipe[1]);
    return n > 0;
}

/* Compare the two on one case; false (with the message) when they differ. */
static bool burst_same(const struct burst_case *c, char *msg, size_t cap)
{
    char mine[512], ref[512], what[256];
    long pm, pr;
    catch_stderr();
    burst_outcome(ref_accept_burst, c, ref, sizeof ref, &pr);
    bool ref_said = stderr_said();
    catch_stderr();
    burst_outcome(accept_burst, c, mine, sizeof mine, &pm);
    bool mine_said = stderr_said();
    long asked = asked_ns; /* what yours asked of the sleeping calls */
    /* "Any other error: warn": where nothing ran short of fds (the
     * reference also warns when it sheds, which the header leaves
     * free), a warning of the reference's must be yours too. */
    bool short_of_fds = false;
    for (int i = 0; i < c->len; i++)
        short_of_fds |= c->script[i] == EMFILE || c->script[i] == ENFILE;
    describe_case(c, what, sizeof what);
    if (strcmp(mine, ref) != 0) {
        snprintf(msg, cap,
                 "smallest differing case: %s. Yours: %s. The "
                 "reference: %s",
                 what, mine, ref);
        return false;
    }
    /* One-sided: a pause as long as the reference's, or longer. */
    if (pm < pr * 9 / 10) {
        snprintf(msg, cap,
                 "smallest differing case: %s. The reference "
                 "pauses %.1f ms before it returns (the listener is still "
                 "readable: without a pause the accept loop spins); yours "
                 "returned after %.2f ms. Both: %s",
                 what, pr / 1e6, pm / 1e6, ref);
        return false;
    }
    if (ref_said && !mine_said && !short_of_fds) {
        snprintf(msg, cap,
                 "smallest differing case: %s. The reference warned on "
                 "stderr (an error it returns on: the header says warn); "
                 "yours said nothing. Both: %s",
                 what, ref);
        return false;
    }
    /* ...and not much longer: the header's pauses are 10 ms and 1 ms,
     * and the accept thread takes no connection while it sleeps. Only
     * the pauses asked of nanosleep(), clock_nanosleep() and usleep()
     * are held to this (they are counted exactly; time passed is not). */
    if (asked > pr * 4 + 2 * 1000 * 1000) {
        snprintf(msg, cap,
                 "smallest differing case: %s. The reference pauses %.1f "
                 "ms before it returns; yours asked to sleep %.1f ms (the "
                 "header's pauses are 10 ms with no spare, 1 ms on another "
                 "error: the accept thread takes no connection meanwhile). "
                 "Both: %s",
                 what, pr / 1e6, asked / 1e6, ref);
        return false;
    }
    return true;
}

/* A burst that meets only connections and the errnos after which it goes
 * on (EINTR, ECONNABORTED, EPROTO), then EAGAIN, asks for no pause: the
 * header pauses only when out of fds with no spare, or on another error,
 * and a pause at each empty queue would delay every next connection. */
static void test_drained_burst_no_pause(void **state)
{
    (void)state;
    static const int go_on[] = {0, EINTR, ECONNABORTED, EPROTO};
    char mine[512], what[256];
    struct burst_case c = {.fail = FAULT_CALLS, .spare = true};
    for (int len = 0; len <= 3; len++)
        for (int k = 0; k < (len ? 1 << (2 * len) : 1); k++) {
            c.len = len;
            for (int i = 0, v = k; i < len; i++, v >>= 2)
                c.script[i] = go_on[v & 3];
            long paused;
            burst_outcome(accept_burst, &c, mine, sizeof mine, &paused);
            if (asked_ns > 0) {
                describe_case(&c, what, sizeof what);
                fail_msg("%s: yours paused %.2f ms before it returned; the "
                         "reference does not pause (%s). Only EAGAIN ends "
                         "the burst, with no pause; EINTR, ECONNABORTED and "
                         "EPROTO end one connection: go on with the next "
                         "accept4",
                         what, asked_ns / 1e6, mine);
            }
        }
}

static void test_oracle_accept_sequences(void **state)
{
    (void)state;
    char msg[1400];
    struct burst_case c = {.fail = FAULT_CALLS};
    /* Every sequence of up to 2 outcomes, with and without a spare. */
    for (int len = 1; len <= 2; len++)
        for (int k = 0; k < NOUTCOMES * (len == 2 ? NOUTCOMES : 1); k++)
            for (int spare = 1; spare >= 0; spare--) {
                c.len = len;
                c.script[0] = accept_outcomes[k % NOUTCOMES];
                c.script[1] = accept_outcomes[k / NOUTCOMES];
                c.spare = spare;
                if (!burst_same(&c, msg, sizeof msg))
                    fail_msg("%s", msg);
            }
    /* Runs of one outcome, 3 to 7 in a row, then a connection: a signal
     * storm, a flood of clients that gave up, a kernel short of memory. */
    for (int o = 1; o < NOUTCOMES; o++)
        for (int run = 3; run < SCRIPT_MAX; run++)
            for (int spare = 1; spare >= 0; spare--) {
                c.len = run + 1;
                for (int i = 0; i < run; i++)
                    c.script[i] = accept_outcomes[o];
                c.script[run] = 0;
                c.spare = spare;
                if (!burst_same(&c, msg, sizeof msg))
                    fail_msg("%s", msg);
            }
}

/* Out of fds: sequences of connections, EMFILE and ENFILE, with the
 * spare's reopening (open) failing in turn with each errno its man page
 * lists; and the hand-off (epoll_ctl) failing with each of its own. */
static void test_fault_matrix_accept(void **state)
{
    (void)state;
    char msg[1400];
    const int short_of[] = {0, EMFILE, ENFILE};
    struct burst_case c = {0};
    const int *errs;
    int nerr = fault_errnos(FAULT_OPEN, &errs);
    for (int len = 1; len <= 2; len++) {
        int total = len == 1 ? 3 : 9;
        for (int k = 0; k < total; k++)
            for (int spare = 1; spare >= 0; spare--)
                for (int nth = 1; nth <= 2; nth++)
                    for (int e = 0; e < nerr; e++) {
                        c.len = len;
                        for (int i = 0, v = k; i < len; i++, v /= 3)
                            c.script[i] = short_of[v % 3];
                        c.spare = spare;
                        c.fail = FAULT_OPEN;
                        c.nth = nth;
                        c.err = errs[e];
                        if (!burst_same(&c, msg, sizeof msg))
                            fail_msg("%s", msg);
                    }
    }
    nerr = fault_errnos(FAULT_EPOLL_CTL, &errs);
    for (int len = 1; len <= 2; len++)
        for (int nth = 1; nth <= len; nth++)
            for (int e = 0; e < nerr; e++) {
                c = (struct burst_case){.len = len,
                                        .spare = true,
                                        .fail = FAULT_EPOLL_CTL,
                                        .nth = nth,
                                        .err = errs[e]};
                if (!burst_same(&c, msg, sizeof msg))
                    fail_msg("%s", msg);
            }
}

static const struct graded table[] = {
    GRADED_CLEANUP(test_accepts_all_pending, 3, 1, env_cleanup),
    GRADED_CLEANUP(test_accepts_a_long_burst, 1, 1, env_cleanup),
    GRADED_CLEANUP(test_accepts_a_very_long_burst, 1, 1, env_cleanup),
    GRADED_CLEANUP(test_lowest_fd, 1, 1, env_cleanup),
    GRADED_CLEANUP(test_nonblocking_cloexec_at_handoff, 2, 1, env_cleanup),
    GRADED_CLEANUP(test_spreads_or_keeps, 2, 2, env_cleanup),
    GRADED_CLEANUP(test_eintr_goes_on, 2, 2, env_cleanup),
    GRADED_CLEANUP(test_aborted_goes_on, 1, 2, env_cleanup),
    GRADED_CLEANUP(test_emfile_sheds, 3, 3, env_cleanup),
    GRADED_CLEANUP(test_emfile_twice, 2, 3, env_cleanup),
    GRADED_CLEANUP(test_emfile_shed_on_fd_zero, 1, 3, env_cleanup),
    GRADED_CLEANUP(test_emfile_no_spare_returns, 1, 3, env_cleanup),
    GRADED_CLEANUP(test_emfile_borrows_spare, 1, 3, env_cleanup),
    GRADED_CLEANUP(test_emfile_other_thread_waits, 2, 3, env_cleanup),
    GRADED_CLEANUP(test_drained_burst_no_pause, 1, 1, env_cleanup),
    GRADED_CLEANUP(test_oracle_accept_sequences, 4, 4, env_cleanup),
    GRADED_CLEANUP(test_fault_matrix_accept, 3, 3, env_cleanup),
};
GRADED_MAIN(table)
