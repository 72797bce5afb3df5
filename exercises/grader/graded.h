/**
 * \file
 * \brief What an exercise's test program includes: a table of graded
 *        tests, a main() that runs exactly one of them for the grader,
 *        and assertion helpers whose failures read as sentences.
 *
 * The grader (exercises/grader/grade.sh) runs `tests NAME` once per line
 * of the exercise's tests.manifest, each in its own process, session and
 * time limit. The manifest, not this table, says which tests count and
 * what they are worth; the table only maps names to functions.
 *
 * How a result reaches the grader: the grader hands the process a fresh
 * random token on a private pipe (the environment variable GRADED_FD
 * names the two fds). main() reads it before any test code runs and
 * writes `pass TOKEN` on the report fd only after cmocka says the test
 * passed and no file descriptor leaked. What the program prints, or an
 * early exit(0), proves nothing. Run by hand (no GRADED_FD), the program
 * behaves as a plain cmocka program: `tests` runs every test, `tests
 * NAME` one, `tests --list` prints the table.
 *
 * Around every test: the fds open before and after are compared; a test
 * that passes but leaves an fd open fails with the fd's name
 * ("socket:[...]", "anon_inode:[eventpoll]"). A test that must keep fds
 * open is declared with GRADED_KEEPS_FDS().
 */
#ifndef GRADED_H
#define GRADED_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

/**
 * cmocka's fail_msg() formats its message into a 1024-byte buffer
 * (vprint_error) and cuts the rest, newline included, so that cmocka's
 * next line lands on the message's last one: an oracle's long message
 * lost the half that says what the learner's code did. Here the message
 * is written whole (as "ERROR: ...", the line the grader reads), then
 * the test fails as cmocka's would.
 */
static inline void graded_print_error_(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void graded_print_error_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ERROR: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    va_end(ap);
}
#undef fail_msg
/** cmocka's fail_msg(), with the message whole (graded_print_error_). */
#define fail_msg(...)                                                          \
    do {                                                                       \
        graded_print_error_(__VA_ARGS__);                                      \
        fail();                                                                \
    } while (0)

/** One graded test. */
struct graded {
    const char *name;      /**< the cmocka test's name */
    int points;            /**< what it is worth (the manifest decides) */
    int hint;              /**< which hints/N.md helps (the manifest decides) */
    CMUnitTestFunction fn; /**< the test */
    int keeps_fds;         /**< 1: skip the fd-leak check for this test */
    /** Run after the test, whether it passed or failed (NULL: none). */
    CMFixtureFunction cleanup;
};

/** One table entry: GRADED(test_fn, points, hint). */
#define GRADED(fn, points, hint)                                               \
    {                                                                          \
#fn, points, hint, fn, 0, NULL                                         \
    }

/**
 * A table entry with a cleanup that runs after the test even when an
 * assertion failed (cmocka's teardown): it stops the threads and closes
 * the fds the test set up, so that one failure is not reported again as
 * a race or a leak by the tests after it (the asan/tsan `*` lines run
 * every test in one process).
 */
#define GRADED_CLEANUP(fn, points, hint, cleanup_fn)                           \
    {                                                                          \
#fn, points, hint, fn, 0, cleanup_fn                                   \
    }

/** A table entry whose test may leave fds open (no fd-leak check). */
#define GRADED_KEEPS_FDS(fn, points, hint)                                     \
    {                                                                          \
#fn, points, hint, fn, 1, NULL                                         \
    }

/* The harness's state lives in this file's statics: the learner's object
 * cannot name them (and the grader refuses objects that try to reach
 * graded_ or cmocka symbols). */
static char graded_token_[72];
static int graded_report_fd_ = -1;
static char graded_skip_reason_[256];

/**
 * Skip the running test with a reason (io_uring disabled, too few CPUs):
 * it is then worth nothing and counts against nothing.
 */
#define graded_skip(...)                                                       \
    do {                                                                       \
        snprintf(graded_skip_reason_, sizeof graded_skip_reason_,              \
                 __VA_ARGS__);                                                 \
        print_message("SKIPPED: %s\n", graded_skip_reason_);                   \
        skip();                                                                \
    } while (0)

/** The CPU time (user + system) this process has used so far, in s. */
static inline double graded_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/** How many connections wait in the accept queue of the TCP listeners
 * on local port @p port (IPv4 and IPv6, every SO_REUSEPORT socket), as
 * the kernel says in /proc/net/tcp{,6}; -1 if it cannot be read. */
static inline int graded_accept_queue(int port)
{
    const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int total = -1;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(files[i], "r");
        if (!f)
            continue;
        char line[512];
        unsigned lport, state, rx;
        total = total < 0 ? 0 : total;
        while (fgets(line, sizeof line, f))
            /* "sl: local:PORT remote:PORT st tx:rx ..."; LISTEN is 0A,
             * and a listener's rx is its accept queue's length. */
            if (sscanf(line,
                       " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%x",
                       &lport, &state, &rx) == 3 &&
                (int)lport == port && state == 0x0A)
                total += (int)rx;
        fclose(f);
    }
    return total;
}

/** Wait (up to @p ms) until at least @p n connections wait in the accept
 * queue on @p port; returns how many do. A test that needs connections
 * queued waits for them rather than sleeping a guess: on a loaded
 * machine the kernel may queue a connection late (its data, which
 * TCP_DEFER_ACCEPT waits for, handled by a starved ksoftirqd). */
static inline int graded_wait_accept_queue(int port, int n, int ms)
{
    int q = graded_accept_queue(port);
    for (int waited = 0; q >= 0 && q < n && waited < ms; waited += 5) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        q = graded_accept_queue(port);
    }
    return q;
}

/** The name of an errno value ("EAGAIN"), or its number as text. */
static inline const char *graded_errno_name(int err)
{
    static __thread char num[16];
    const char *name = err == 0 ? "0 (no error)" : strerrorname_np(err);
    if (name)
        return name;
    snprintf(num, sizeof num, "%d", err);
    return num;
}

/**
 * \name Assertions that explain themselves
 * Each fails the test with "WHAT: expected X, saw Y": say in WHAT what
 * was being checked, in words a learner knows ("pool_size(0)", "bytes
 * the client received"). The grader adds which hint to read.
 * @{
 */
/** Integers equal. */
#define want_int(what, expected, seen)                                         \
    do {                                                                       \
        long long want_e_ = (long long)(expected);                             \
        long long want_s_ = (long long)(seen);                                 \
        if (want_e_ != want_s_)                                                \
            fail_msg("%s: expected %lld, saw %lld", (what), want_e_, want_s_); \
    } while (0)

/** An integer within [lo, hi]. */
#define want_range(what, lo, hi, seen)                                         \
    do {                                                                       \
        long long want_l_ = (long long)(lo), want_h_ = (long long)(hi);        \
        long long want_s_ = (long long)(seen);                                 \
        if (want_s_ < want_l_ || want_s_ > want_h_)                            \
            fail_msg("%s: expected %lld to %lld, saw %lld", (what), want_l_,   \
                     want_h_, want_s_);                                        \
    } while (0)

/** Strings equal (NULL is shown as such). */
#define want_str(what, expected, seen)                                         \
    do {                                                                       \
        const char *want_e_ = (expected), *want_s_ = (seen);                   \
        if (!want_e_ || !want_s_ || strcmp(want_e_, want_s_) != 0)             \
            fail_msg("%s: expected \"%s\", saw \"%s\"", (what),                \
                     want_e_ ? want_e_ : "(null)",                             \
                     want_s_ ? want_s_ : "(null)");                            \
    } while (0)

/** An errno value, shown by name: "expected EAGAIN, saw EINTR". */
#define want_errno(what, expected, seen)                                       \
    do {                                                                       \
        int want_e_ = (expected), want_s_ = (seen);                            \
        if (want_e_ != want_s_)                                                \
            fail_msg("%s: expected %s, saw %s", (what),                        \
                     graded_errno_name(want_e_), graded_errno_name(want_s_));  \
    } while (0)

/** A condition; the message (printf format) says what was expected. */
#define want_true(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond))                                                           \
            fail_msg(__VA_ARGS__);                                             \
    } while (0)
/** @} */

/* Which fds are open (fd < 1024), and how many. */
static inline int graded_open_fds_(unsigned char open[1024])
{
    int n = 0;
    memset(open, 0, 1024);
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == self || fd < 0 || fd >= 1024)
            continue;
        open[fd] = 1;
        n++;
    }
    closedir(d);
    return n;
}

static inline void graded_report_(const char *word, const char *text)
{
    if (graded_report_fd_ < 0)
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s%s%s\n", word, graded_token_,
                     text && *text ? " " : "", text ? text : "");
    if (n > (int)sizeof line - 1) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    for (int i = 0; i < n - 1; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    if (write(graded_report_fd_, line, (size_t)n) < 0) {
        /* The grader is gone: nobody to tell. */
    }
}

/* Take the token and the report fd (before any test code runs). */
static inline void graded_take_token_(void)
{
    const char *fds = getenv("GRADED_FD");
    int in = -1, out = -1;
    if (!fds || sscanf(fds, "%d,%d", &in, &out) != 2 || in < 0 || out < 0)
        return;
    unsetenv("GRADED_FD");
    /* One read: the grader writes the token line in one write. */
    ssize_t n = read(in, graded_token_, sizeof graded_token_ - 1);
    size_t got = n > 0 ? strcspn(graded_token_, "\n") : 0;
    graded_token_[got] = 0;
    close(in);
    if (got == 0)
        return;
    fcntl(out, F_SETFD, FD_CLOEXEC); /* a server the test starts gets none */
    graded_report_fd_ = out;
}

/* The fds a test left open: "fd 5 (socket:[123]), ...". */
static inline int graded_leaks_(const unsigned char before[1024], char *out,
                                size_t cap)
{
    unsigned char after[1024];
    int leaks = 0;
    out[0] = 0;
    if (graded_open_fds_(after) < 0)
        return 0;
    for (int fd = 0; fd < 1024; fd++) {
        if (!after[fd] || before[fd] || fd == graded_report_fd_)
            continue;
        char path[64], target[128] = "?";
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        size_t len = strlen(out);
        if (leaks < 6 && len + 1 < cap)
            snprintf(out + len, cap - len, "%sfd %d (%s)", leaks ? ", " : "",
                     fd, target);
        leaks++;
    }
    return leaks;
}

/* main() of a graded test program (see GRADED_MAIN). */
static inline int graded_main_(const struct graded *table, size_t n, int argc,
                               char **argv)
{
    graded_take_token_();
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s %d %d\n", table[i].name, table[i].points, table[i].hint);
        return 0;
    }
    const char *want = argc > 1 && strcmp(argv[1], "*") != 0 ? argv[1] : NULL;
    struct CMUnitTest tests[64];
    size_t k = 0;
    int keeps_fds = 0;
    for (size_t i = 0; i < n && k < 64; i++)
        if (!want || strcmp(want, table[i].name) == 0) {
            tests[k++] = (struct CMUnitTest){table[i].name, table[i].fn, NULL,
                                             table[i].cleanup, NULL};
            keeps_fds |= table[i].keeps_fds;
        }
    if (k == 0) {
        fprintf(stderr, "no test named '%s' in this program\n", want);
        graded_report_("fail", "the test program has no test of this name "
                               "(the manifest and tests.c disagree)");
        return 2;
    }
    /* The test's name off the command line (/proc/self/cmdline shows
     * this memory): a learner's file that looks there to answer one test
     * and not another finds nothing (cheat 05/test-by-name). */
    for (int i = 1; i < argc; i++)
        memset(argv[i], 0, strlen(argv[i]));
    /* The manifest's fds=keep: this test may leave fds open. */
    if (getenv("GRADED_FDS_KEEP"))
        keeps_fds = 1;
    unsetenv("GRADED_FDS_KEEP");
    unsigned char before[1024];
    graded_open_fds_(before);
    int failed = _cmocka_run_group_tests("exercise", tests, k, NULL, NULL);
    if (failed) {
        graded_report_("fail", "");
        return 1;
    }
    char leaked[400];
    if (!keeps_fds && graded_leaks_(before, leaked, sizeof leaked) > 0) {
        char msg[520];
        snprintf(msg, sizeof msg,
                 "file descriptors left open: expected none, saw %s - close "
                 "every fd you open, on error paths too",
                 leaked);
        fprintf(stderr, "ERROR: %s\n", msg);
        graded_report_("fail", msg);
        return 1;
    }
    if (graded_skip_reason_[0])
        graded_report_("skip", graded_skip_reason_);
    else
        graded_report_("pass", "");
    return 0;
}

/** main(): runs the test named by argv[1] (all of them without one, or
 *  with "*"); `--list` prints "name points hint" lines for humans. */
#define GRADED_MAIN(table)                                                     \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        return graded_main_(table, sizeof(table) / sizeof(table[0]), argc,     \
                            argv);                                             \
    }

#endif
