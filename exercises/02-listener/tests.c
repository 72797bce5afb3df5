/*
 * Exercise 02, layer (a): your listener_open, listener_backlog and
 * nofile_raise, checked with getsockopt, ss and real connections.
 */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exercises/grader/faults.h"
#include "exercises/grader/oracle.h"
#include "reference-server/listener.h"

#include <malloc.h>

/* close(), counted while test_failures_close_once runs: a close of an fd
 * number that is not open (EBADF) is a double close - in fastd, where
 * every thread opens fds, the number may by then be another thread's new
 * connection, which the second close() would cut. */
static bool closes_counted;
static int bad_closes;

int close(int fd)
{
    long rc = syscall(SYS_close, fd);
    /* (close(-1) names no fd: harmless.) */
    if (rc < 0 && errno == EBADF && fd >= 0 && closes_counted)
        bad_closes++;
    return (int)rc;
}

static int open_or_fail(bool reuseport, int port)
{
    char err[256] = "";
    int fd = listener_open("127.0.0.1", port, reuseport, err, sizeof err);
    if (fd < 0)
        fail_msg("listener_open: %s", err);
    return fd;
}

static int opt_int(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(fd, level, name, &v, &len);
    return v;
}

static void test_nofile_raised(void **state)
{
    (void)state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max < 256)
        skip();
    rl.rlim_cur = 128;
    setrlimit(RLIMIT_NOFILE, &rl);
    long got = nofile_raise();
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != rl.rlim_max)
        fail_msg("soft limit %ld, hard %ld: not raised", (long)rl.rlim_cur,
                 (long)rl.rlim_max);
    if (rl.rlim_max != RLIM_INFINITY)
        assert_int_equal(got, (long)rl.rlim_cur);
}

/* The backlog is what somaxconn says: the test has another file opened
 * in its place (faults.h's fault_substitute()) that says one less than
 * this machine's somaxconn - a value no constant can know, and one the
 * kernel does not cap - and the listener must have that backlog: ss
 * shows a listener's backlog as its Send-Q. */
static void test_backlog_is_somaxconn(void **state)
{
    (void)state;
    int real = 4096;
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    if (f) {
        if (fscanf(f, "%d", &real) != 1)
            real = 4096;
        fclose(f);
    }
    if (real < 3)
        skip();
    int want = real - 1;
    char path[] = "/tmp/somaxconn-XXXXXX";
    int tmp = mkstemp(path);
    if (tmp < 0)
        fail_msg("mkstemp: %s", strerror(errno));
    dprintf(tmp, "%d\n", want);
    close(tmp);
    fault_substitute("/proc/sys/net/core/somaxconn", path);
    int backlog = listener_backlog();
    int fd = open_or_fail(false, 0);
    fault_reset();
    unlink(path);
    want_int("listener_backlog() when somaxconn says one less than this "
             "machine's",
             want, backlog);
    char cmd[128], line[256] = "";
    snprintf(cmd, sizeof cmd, "ss -Hltn 'sport = :%d'", listener_port(fd));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(line, sizeof line, p))
        line[0] = 0;
    pclose(p);
    close(fd);
    int recvq = -1, sendq = -1;
    if (sscanf(line, "%*s %d %d", &recvq, &sendq) != 2)
        skip(); /* no ss here */
    if (sendq != want)
        fail_msg("the listener's backlog is %d, somaxconn says %d", sendq,
                 want);
}

static void test_lingering_off(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    struct linger l = {-1, -1};
    socklen_t len = sizeof l;
    getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len);
    close(fd);
    if (l.l_onoff != 0)
        fail_msg("SO_LINGER {%d, %d}: close() would %s", l.l_onoff, l.l_linger,
                 l.l_linger == 0 ? "reset connections, dropping unsent data"
                                 : "block");
}

static void test_defer_accept(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    int v = opt_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT);
    close(fd);
    if (v <= 0)
        fail_msg("TCP_DEFER_ACCEPT is off: the accept stage is woken for "
                 "clients that have sent nothing");
}

static void test_nodelay_reuseaddr(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    assert_true(opt_int(fd, SOL_SOCKET, SO_REUSEADDR) > 0);
    if (opt_int(fd, IPPROTO_TCP, TCP_NODELAY) <= 0)
        fail_msg("TCP_NODELAY is off on the listener (accepted sockets "
                 "inherit it)");
    close(fd);
}

static void test_nonblocking_cloexec(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

static void test_reuseport(void **state)
{
    (void)state;
    int a = open_or_fail(true, 0);
    assert_true(opt_int(a, SOL_SOCKET, SO_REUSEPORT) > 0);
    char err[256] = "";
    int b = listener_open("127.0.0.1", listener_port(a), true, err, sizeof err);
    if (b < 0)
        fail_msg("a second listener with reuseport on the same port: %s", err);
    close(b);
    close(a);
    a = open_or_fail(false, 0);
    assert_int_equal(opt_int(a, SOL_SOCKET, SO_REUSEPORT), 0);
    close(a);
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

static void test_errors_close_and_say(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(listener_open("not-an-address", 0, false, err, sizeof err),
                     -1);
    assert_true(strlen(err) > 0);
    int a = open_or_fail(false, 0), before = open_fds();
    err[0] = 0;
    /* The port is taken, and neither socket allows sharing it. */
    assert_int_equal(
        listener_open("127.0.0.1", listener_port(a), false, err, sizeof err),
        -1);
    if (!strstr(err, "bind") || !strstr(err, "127.0.0.1"))
        fail_msg("error message '%s' should name the call (bind) and the "
                 "address",
                 err);
    if (open_fds() != before)
        fail_msg("a failed listener_open left its socket open");
    close(a);
}

/*
 * The differential tests: your functions and the reference's
 * (reference-server/listener.c, linked beside yours with its symbols
 * renamed ref_*: exercise.conf's `oracle`) on the same generated cases;
 * everything observable is compared. Cases go smallest first, so the
 * first that differs, the one shown, is the smallest.
 */
int ref_listener_open(const char *addr, int port, bool reuseport, char *err,
                      size_t errlen);
int ref_listener_port(int fd);
int ref_listener_backlog(void);
long ref_nofile_raise(void);

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

/* The log of calls with the options before bind() sorted (their order is
 * free), one "; " between calls, the reading of somaxconn left out. */
static void calls_of(const char *log, char *out, size_t cap)
{
    char lines[64][160];
    int n = 0;
    for (const char *p = log; *p && n < 64;) {
        size_t len = strcspn(p, "\n");
        snprintf(lines[n], sizeof lines[n], "%.*s", (int)len, p);
        p += len + (p[len] == '\n');
        /* An int option's value as on or off: the header says which
         * options, not which non-zero value (a TCP_DEFER_ACCEPT of 5 s or
         * 30 s keeps the promise). */
        char *last = strrchr(lines[n], ' ');
        if (!strncmp(lines[n], "setsockopt ", 11) && last &&
            strspn(last + 1, "-0123456789") == strlen(last + 1) && last[1])
            snprintf(last + 1, sizeof lines[n] - (size_t)(last + 1 - lines[n]),
                     "%s", atoi(last + 1) ? "on" : "off");
        /* SO_LINGER off ({0, N}): the kernel ignores N, so any is off. */
        if (!strncmp(lines[n], "setsockopt SOL_SOCKET SO_LINGER {0,", 35))
            snprintf(lines[n], sizeof lines[n],
                     "setsockopt SOL_SOCKET SO_LINGER {0,_} (off)");
        /* How the socket is made non-blocking and close-on-exec (its
         * flags, or fcntl after) and the protocol named (0 or
         * IPPROTO_TCP) are free: the socket's state is compared. */
        if (!strncmp(lines[n], "socket ", 7)) {
            char fam[32] = "", type[32] = "";
            sscanf(lines[n], "socket %31s %31s", fam, type);
            snprintf(lines[n], sizeof lines[n], "socket %s %s", fam, type);
        }
        /* How somaxconn is read (fopen, open...) is free. So is an int
         * option set to 0 (SO_REUSEPORT 0 when reuseport is false,
         * IPV6_V6ONLY 0): the options that matter are compared in the
         * socket's state, and an option turned off stays off. */
        size_t len_n = strlen(lines[n]);
        bool off = !strncmp(lines[n], "setsockopt ", 11) && len_n > 4 &&
                   !strcmp(lines[n] + len_n - 4, " off");
        if (strncmp(lines[n], "fopen ", 6) && strncmp(lines[n], "open ", 5) &&
            !off)
            n++;
    }
    /* Sort each run of setsockopt lines. */
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n && !strncmp(lines[k], "setsockopt", 10) &&
                            !strncmp(lines[i], "setsockopt", 10);
             k++)
            if (strcmp(lines[k], lines[i]) < 0) {
                char tmp[160];
                memcpy(tmp, lines[i], sizeof tmp);
                memcpy(lines[i], lines[k], sizeof tmp);
                memcpy(lines[k], tmp, sizeof tmp);
            }
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < n && used + 4 < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "; " : "",
                                 lines[i]);
}

/* Everything listener_open() left behind, in words: the return, the
 * socket's state (family, address, every option, flags, listening),
 * the message's call and reason, the fds and heap left, the calls. */
static void listener_outcome(int (*fn)(const char *, int, bool, char *, size_t),
                             const char *addr, int port, bool reuseport,
                             enum fault_call call, int nth, int errno_,
                             char *out, size_t cap)
{
    char err[256] = "";
    /* Once untracked, then measured: freed memory that malloc keeps in
     * its per-thread caches counts as in use, and is reused by the same
     * calls the second time; a leak grows again. */
    if (call < FAULT_CALLS)
        fault_fail_nth(call, nth, errno_);
    int fd = fn(addr, port, reuseport, err, sizeof err);
    if (fd >= 0)
        close(fd);
    int fds = open_fds();
    size_t heap = heap_in_use();
    if (call < FAULT_CALLS)
        fault_fail_nth(call, nth, errno_);
    fault_record(1);
    fd = fn(addr, port, reuseport, err, sizeof err);
    fault_record(0);
    bool with_calls = call == FAULT_CALLS;
    size_t used;
    if (fd < 0 && !strstr(fault_log(), "socket ")) {
        /* The address refused before any socket: how it was parsed
         * (getaddrinfo, inet_pton) is free, and so is the message. */
        used = (size_t)snprintf(out, cap, "returned %d, %s", fd,
                                err[0] ? "a message in err" : "err empty");
    } else if (fd < 0) {
        /* "call(object): reason": the call, and the reason. */
        const char *colon = strrchr(err, ':');
        used = (size_t)snprintf(out, cap,
                                "returned %d, err names the call '%.*s', "
                                "reason '%s'",
                                fd, (int)strcspn(err, "(: "), err,
                                colon ? colon + 2 : "(none)");
    } else {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        char host[INET6_ADDRSTRLEN] = "?";
        getsockname(fd, (struct sockaddr *)&ss, &sl);
        if (ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host,
                      sizeof host);
        else
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
                      sizeof host);
        struct linger lg = {-1, -1};
        socklen_t ll = sizeof lg;
        getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &ll);
        int fl = fcntl(fd, F_GETFL), fdf = fcntl(fd, F_GETFD);
        int port_seen = ss.ss_family == AF_INET6
                            ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                            : ntohs(((struct sockaddr_in *)&ss)->sin_port);
        used = (size_t)snprintf(
            out, cap,
            "a socket: %s %s, listener_port() %s, listening %d, SO_REUSEADDR "
            "%d, SO_REUSEPORT "
            "%d, SO_LINGER {%d,%d}, TCP_DEFER_ACCEPT %s, TCP_NODELAY %d, "
            "%sblocking, %sclose-on-exec",
            ss.ss_family == AF_INET6 ? "IPv6" : "IPv4", host,
            listener_port(fd) == port_seen ? "right" : "wrong",
            opt_int(fd, SOL_SOCKET, SO_ACCEPTCONN),
            opt_int(fd, SOL_SOCKET, SO_REUSEADDR),
            opt_int(fd, SOL_SOCKET, SO_REUSEPORT), lg.l_onoff, lg.l_linger,
            opt_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT) > 0 ? "on" : "off",
            opt_int(fd, IPPROTO_TCP, TCP_NODELAY),
            fl & O_NONBLOCK ? "non-" : "", fdf & FD_CLOEXEC ? "" : "not ");
        close(fd);
    }
    int left = open_fds() - fds;
    if (left)
        used += (size_t)snprintf(out + used, cap - used, ", %d fd(s) left open",
                                 left);
    size_t grown = heap_in_use() - heap;
    if (heap_in_use() > heap)
        used += (size_t)snprintf(out + used, cap - used,
                                 ", %zu byte(s) of heap not freed", grown);
    if (with_calls) {
        char calls[2048];
        calls_of(fault_log(), calls, sizeof calls);
        snprintf(out + used, cap - used, "; calls: %s", calls);
    }
    fault_reset();
}

/* What the first calls of getaddrinfo() and friends keep for good
 * (caches) is not the learner's leak: make them before measuring. */
static void warm_up(void)
{
    char err[256];
    const char *addrs[] = {"127.0.0.1", "::1", "localhost", "x"};
    for (int i = 0; i < 4; i++) {
        int fd = ref_listener_open(addrs[i], 0, false, err, sizeof err);
        if (fd >= 0)
            close(fd);
    }
}

/* Every address form (IPv4, IPv6, wildcards, a v4-mapped one, and
 * strings that are no address) x SO_REUSEPORT or not. Names, and
 * shorthands such as "1.2.3" that inet_aton takes and inet_pton does not,
 * are left out: the header promises nothing for them beyond "numeric". */
static void test_oracle_listener_matrix(void **state)
{
    (void)state;
    const char *addrs[] = {"127.0.0.1", "::1",       "0.0.0.0",
                           "::",        "127.0.0.2", "::ffff:127.0.0.1",
                           "",          "::g",       "256.0.0.1"};
    char mine[3072], ref[3072];
    warm_up();
    for (size_t a = 0; a < sizeof addrs / sizeof addrs[0]; a++)
        for (int rp = 0; rp < 2; rp++) {
            listener_outcome(ref_listener_open, addrs[a], 0, rp, FAULT_CALLS, 0,
                             0, ref, sizeof ref);
            listener_outcome(listener_open, addrs[a], 0, rp, FAULT_CALLS, 0, 0,
                             mine, sizeof mine);
            if (strcmp(mine, ref) != 0)
                fail_msg("smallest differing case: listener_open(\"%s\", "
                         "port 0, reuseport %s). Yours: %s. The reference: %s",
                         addrs[a], rp ? "true" : "false", mine, ref);
        }
    /* A port already taken, by a listener that shares it or not. */
    for (int rp = 0; rp < 2; rp++) {
        char err[256];
        int taken = ref_listener_open("127.0.0.1", 0, rp, err, sizeof err);
        if (taken < 0)
            fail_msg("%s", err);
        int port = listener_port(taken);
        listener_outcome(ref_listener_open, "127.0.0.1", port, rp, FAULT_CALLS,
                         0, 0, ref, sizeof ref);
        listener_outcome(listener_open, "127.0.0.1", port, rp, FAULT_CALLS, 0,
                         0, mine, sizeof mine);
        close(taken);
        if (strcmp(mine, ref) != 0)
            fail_msg("listener_open(\"127.0.0.1\", a port taken by a "
                     "listener with reuseport %s, reuseport %s). Yours: %s. "
                     "The reference: %s",
                     rp ? "true" : "false", rp ? "true" : "false", mine, ref);
    }
    /* The highest port, 65535 (outside the ephemeral range, so no port-0
     * bind takes it meanwhile): free or not, the same outcome. */
    listener_outcome(ref_listener_open, "127.0.0.1", 65535, false, FAULT_CALLS,
                     0, 0, ref, sizeof ref);
    listener_outcome(listener_open, "127.0.0.1", 65535, false, FAULT_CALLS, 0,
                     0, mine, sizeof mine);
    if (strcmp(mine, ref) != 0)
        fail_msg("listener_open(\"127.0.0.1\", port 65535, reuseport false). "
                 "Yours: %s. The reference: %s",
                 mine, ref);
    want_int("listener_backlog()", ref_listener_backlog(), listener_backlog());
    /* somaxconn unreadable: fopen fails with each errno it may give. */
    const int *errs;
    int nerr = fault_errnos(FAULT_FOPEN, &errs);
    for (int e = 0; e < nerr; e++) {
        fault_fail_nth(FAULT_FOPEN, 1, errs[e]);
        int ref_backlog = ref_listener_backlog();
        fault_fail_nth(FAULT_FOPEN, 1, errs[e]);
        int backlog = listener_backlog();
        fault_reset();
        if (backlog != ref_backlog)
            fail_msg("listener_backlog() when fopen(somaxconn) fails with %s: "
                     "yours %d, the reference's %d",
                     graded_errno_name(errs[e]), backlog, ref_backlog);
    }
    want_int("listener_port(-1)", ref_listener_port(-1), listener_port(-1));
    int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int not_socket = listener_port(file),
        ref_not_socket = ref_listener_port(file);
    close(file);
    want_int("listener_port() of a file", ref_not_socket, not_socket);
}

/* Each call listener_open() makes - socket, each setsockopt, bind,
 * listen - failed in turn with each errno its man page lists, on IPv4 and
 * IPv6, with and without SO_REUSEPORT: the outcome (return, the message's
 * call and reason, fds and heap left) must be the reference's. */
static void test_fault_matrix_listener(void **state)
{
    (void)state;
    enum fault_call calls[] = {FAULT_SOCKET, FAULT_SETSOCKOPT, FAULT_BIND,
                               FAULT_LISTEN};
    const char *addrs[] = {"127.0.0.1", "::1"};
    char mine[3072], ref[3072];
    warm_up();
    for (int a = 0; a < 2; a++)
        for (int rp = 0; rp < 2; rp++)
            for (int c = 0; c < 4; c++)
                for (int nth = 1;
                     nth <= (calls[c] == FAULT_SETSOCKOPT ? 4 + rp : 1);
                     nth++) {
                    const int *errs;
                    int nerr = fault_errnos(calls[c], &errs);
                    for (int e = 0; e < nerr; e++) {
                        listener_outcome(ref_listener_open, addrs[a], 0, rp,
                                         calls[c], nth, errs[e], ref,
                                         sizeof ref);
                        if (strstr(ref, "a socket:")) /* no IPv6 here? */
                            continue;
                        listener_outcome(listener_open, addrs[a], 0, rp,
                                         calls[c], nth, errs[e], mine,
                                         sizeof mine);
                        /* The reason must be the same; the call's name
                         * may be the option's ("SO_LINGER") or the
                         * call's ("setsockopt"). */
                        char *cm = strstr(mine, "err names the call '");
                        char *cr = strstr(ref, "err names the call '");
                        if (cm && cr && calls[c] == FAULT_SETSOCKOPT) {
                            char *em = strchr(cm + 20, '\''),
                                 *er = strchr(cr + 20, '\'');
                            memmove(cm + 20, em, strlen(em) + 1);
                            memmove(cr + 20, er, strlen(er) + 1);
                            /* (the option's name, or setsockopt's) */
                        }
                        if (strcmp(mine, ref) != 0)
                            fail_msg("listener_open(\"%s\", port 0, "
                                     "reuseport %s), call %d of %s fails "
                                     "with %s. Yours: %s. The reference: %s",
                                     addrs[a], rp ? "true" : "false", nth,
                                     fault_name(calls[c]),
                                     graded_errno_name(errs[e]), mine, ref);
                    }
                }
}

/* listener_backlog(), and the backlog listener_open() gives listen(),
 * in words; a file left open by the reading said so. */
static void backlog_outcome(int (*backlog)(void),
                            int (*open_fn)(const char *, int, bool, char *,
                                           size_t),
                            char *out, size_t cap)
{
    char err[256] = "";
    int before = open_fds();
    int b = backlog();
    bool left = open_fds() != before;
    fault_record(1);
    int fd = open_fn("127.0.0.1", 0, false, err, sizeof err);
    fault_record(0);
    const char *l = strstr(fault_log(), "listen backlog ");
    char asked[32] = "no listen() call";
    if (l)
        snprintf(asked, sizeof asked, "%d", atoi(l + 15));
    if (fd >= 0)
        close(fd);
    snprintf(out, cap, "listener_backlog() %d, listen() asked for %s%s%s", b,
             asked, fd < 0 ? " (listener_open failed: " : "",
             fd < 0 ? err : "");
    if (fd < 0)
        snprintf(out + strlen(out), cap - strlen(out), ")");
    if (left || open_fds() != before)
        snprintf(out + strlen(out), cap - strlen(out), ", a file left open");
}

/* The backlog follows what /proc/sys/net/core/somaxconn says, whatever
 * it says: the test has another file opened in its place (faults.h's
 * fault_substitute()) holding values this machine's somaxconn is not -
 * small, of five digits, above 16 bits, with a blank first - or no
 * number at all (4096 then). listener_backlog() and listen()'s
 * argument must be the reference's, and no file left open. Each case
 * runs in a child process of its own, first calls included: reading
 * somaxconn once and keeping it is free. */
static void test_backlog_follows_somaxconn(void **state)
{
    (void)state;
    static const char *const says[] = {"1000\n",  "1\n",      "12345\n",
                                       "65536\n", "100000\n", " 300\n",
                                       "4096",    "junk\n",   ""};
    char path[] = "/tmp/somaxconn-XXXXXX";
    int tmp = mkstemp(path);
    if (tmp < 0)
        fail_msg("mkstemp: %s", strerror(errno));
    close(tmp);
    warm_up();
    char mine[512], ref[512];
    for (size_t i = 0; i < sizeof says / sizeof says[0]; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(says[i], f);
        fclose(f);
        int out[2];
        if (pipe2(out, O_CLOEXEC) < 0)
            fail_msg("pipe2: %s", strerror(errno));
        fflush(NULL);
        pid_t child = fork();
        if (child == 0) {
            close(out[0]);
            fault_substitute("/proc/sys/net/core/somaxconn", path);
            backlog_outcome(ref_listener_backlog, ref_listener_open, ref,
                            sizeof ref);
            backlog_outcome(listener_backlog, listener_open, mine, sizeof mine);
            char both[1024];
            int n = snprintf(both, sizeof both, "%s\n%s", ref, mine);
            _exit(write(out[1], both, (size_t)n) == n ? 0 : 1);
        }
        close(out[1]);
        char both[1024];
        size_t got = 0;
        ssize_t n;
        while (got + 1 < sizeof both &&
               (n = read(out[0], both + got, sizeof both - 1 - got)) > 0)
            got += (size_t)n;
        both[got] = 0;
        close(out[0]);
        int status = -1;
        waitpid(child, &status, 0);
        char *nl = strchr(both, '\n');
        if (child < 0 || !nl) {
            unlink(path);
            fail_msg("the case's child process gave no outcome (status %d)",
                     status);
        }
        *nl = 0;
        snprintf(ref, sizeof ref, "%s", both);
        snprintf(mine, sizeof mine, "%s", nl + 1);
        if (strcmp(mine, ref) != 0) {
            char shown[64];
            oracle_escape(says[i], strlen(says[i]), shown, sizeof shown);
            unlink(path);
            fail_msg("/proc/sys/net/core/somaxconn says \"%s\". Yours: %s. "
                     "The reference: %s",
                     shown, mine, ref);
        }
    }
    unlink(path);
}

/* A failure's message fits in errlen bytes: listener_open() refusing an
 * address, a port taken (bind) and each call failed in turn, with err
 * only 1, 8 or 24 bytes long inside a bigger buffer: nothing written past
 * err[errlen - 1], and a NUL within it. */
static void test_err_fits_errlen(void **state)
{
    (void)state;
    char err[256];
    int taken = open_or_fail(false, 0);
    int port = listener_port(taken);
    enum fault_call calls[] = {FAULT_CALLS, FAULT_SOCKET, FAULT_SETSOCKOPT,
                               FAULT_BIND, FAULT_LISTEN};
    /* 0 too: a buffer of no bytes gets none (snprintf writes nothing). */
    const size_t lens[] = {0, 1, 8, 24};
    for (int c = -1; c < 5; c++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            memset(err, 'Z', sizeof err);
            const char *addr = c < 0 ? "not-an-address" : "127.0.0.1";
            if (c > 0)
                fault_fail_nth(calls[c], 1, EACCES);
            int fd =
                listener_open(addr, c == 0 ? port : 0, false, err, lens[l]);
            fault_reset();
            if (fd >= 0)
                close(fd);
            size_t past = lens[l];
            while (past < sizeof err && err[past] == 'Z')
                past++;
            if (fd >= 0 || past != sizeof err ||
                (lens[l] && !memchr(err, 0, lens[l]))) {
                close(taken);
                fail_msg("listener_open(\"%s\", %s, err, errlen %zu)%s%s: "
                         "%s",
                         addr, c == 0 ? "a port taken" : "port 0", lens[l],
                         c > 0 ? ", the first call of " : "",
                         c > 0 ? fault_name(calls[c]) : "",
                         fd >= 0 ? "it did not fail"
                         : past != sizeof err
                             ? "it wrote past err[errlen - 1] (snprintf(err, "
                               "errlen, ...) cuts the message to fit)"
                             : "the message in err has no NUL");
            }
        }
    close(taken);
}

/* nofile_raise() from generated soft limits, and with getrlimit() or
 * setrlimit() failing with each errno their man page lists: the value
 * returned and the limit left must be the reference's. */
static void test_oracle_nofile(void **state)
{
    (void)state;
    struct rlimit start;
    getrlimit(RLIMIT_NOFILE, &start);
    if (start.rlim_max < 256 || start.rlim_max == RLIM_INFINITY)
        skip();
    rlim_t softs[] = {64, 128, start.rlim_max / 2, start.rlim_max};
    enum fault_call calls[] = {FAULT_CALLS, FAULT_GETRLIMIT, FAULT_SETRLIMIT};
    for (int c = 0; c < 3; c++) {
        const int *errs;
        int nerr = c ? fault_errnos(calls[c], &errs) : 1;
        for (int e = 0; e < nerr; e++)
            for (size_t k = 0; k < sizeof softs / sizeof softs[0]; k++) {
                long got[2];
                rlim_t left[2];
                for (int who = 0; who < 2; who++) {
                    struct rlimit rl = {softs[k], start.rlim_max};
                    setrlimit(RLIMIT_NOFILE, &rl);
                    if (c)
                        fault_fail_nth(calls[c], 1, errs[e]);
                    got[who] = who ? nofile_raise() : ref_nofile_raise();
                    fault_reset();
                    getrlimit(RLIMIT_NOFILE, &rl);
                    left[who] = rl.rlim_cur;
                }
                setrlimit(RLIMIT_NOFILE, &start);
                if (got[0] != got[1] || left[0] != left[1])
                    fail_msg("soft limit %ld, hard %ld%s%s%s%s: yours returned "
                             "%ld and left the soft limit at %ld; the "
                             "reference returned %ld and left it at %ld",
                             (long)softs[k], (long)start.rlim_max,
                             c ? ", " : "", c ? fault_name(calls[c]) : "",
                             c ? " fails with " : "",
                             c ? graded_errno_name(errs[e]) : "", got[1],
                             (long)left[1], got[0], (long)left[0]);
                (void)nerr;
            }
    }
}

/* Every failure closes the socket once: socket(), each setsockopt(),
 * bind() and listen() failed in turn, and a port really taken. A second
 * close() of the number (EBADF here) would, in fastd, close whatever
 * another thread has opened under it meanwhile. */
static void test_failures_close_once(void **state)
{
    (void)state;
    enum fault_call calls[] = {FAULT_SOCKET, FAULT_SETSOCKOPT, FAULT_BIND,
                               FAULT_LISTEN};
    int taken = open_or_fail(false, 0);
    for (int c = 0; c <= 4; c++)
        for (int nth = 1; nth <= (c == 1 ? 5 : 1); nth++) {
            char err[256] = "";
            const int *errs;
            if (c < 4) {
                fault_errnos(calls[c], &errs);
                fault_fail_nth(calls[c], nth, errs[0]);
            }
            bad_closes = 0;
            closes_counted = true;
            int fd =
                listener_open("127.0.0.1", c < 4 ? 0 : listener_port(taken),
                              true, err, sizeof err);
            closes_counted = false;
            fault_reset();
            if (fd >= 0)
                close(fd);
            if (fd >= 0 || bad_closes) {
                char what[64] = "a port taken (without SO_REUSEPORT)";
                if (c < 4)
                    snprintf(what, sizeof what, "port 0, call %d of %s fails",
                             nth, fault_name(calls[c]));
                close(taken);
                fail_msg("listener_open(\"127.0.0.1\", %s, reuseport true): %s",
                         what,
                         fd >= 0 ? "it did not fail"
                                 : "close() was called on an fd no longer "
                                   "open (the socket closed twice: in fastd "
                                   "the number may by then be another "
                                   "thread's new connection)");
            }
        }
    close(taken);
}

static const struct graded table[] = {
    GRADED(test_nofile_raised, 2, 1),
    GRADED(test_backlog_is_somaxconn, 1, 1),
    GRADED(test_lingering_off, 1, 2),
    GRADED(test_defer_accept, 2, 2),
    GRADED(test_nodelay_reuseaddr, 1, 2),
    GRADED(test_nonblocking_cloexec, 1, 2),
    GRADED(test_reuseport, 2, 3),
    GRADED(test_errors_close_and_say, 2, 3),
    GRADED(test_err_fits_errlen, 1, 3),
    GRADED(test_oracle_listener_matrix, 3, 4),
    GRADED(test_fault_matrix_listener, 3, 3),
    GRADED(test_oracle_nofile, 1, 1),
    GRADED(test_backlog_follows_somaxconn, 1, 1),
    GRADED(test_failures_close_once, 1, 3),
};
GRADED_MAIN(table)
