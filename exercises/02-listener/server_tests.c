/*
 * Exercise 02, layer (b): the listener's cases, run against the learner's
 * fastd ($FASTD_BIN).
 */
#include "exercises/grader/graded.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* The harness is compiled in: the grader builds this file alone. */
#include "tests/server/fastd_harness.c"

static struct fastd f;

static void start(const char *const *args)
{
    fastd_io_timeout_ms = 2000;
    if (fastd_start(&f, args, 0) < 0)
        fail_msg("fastd %s did not start", args ? args[0] : "");
}

static void test_serves_get(void **state)
{
    (void)state;
    start(NULL);
    char body[64];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_string_equal(body, "Hello, World!");
    fastd_stop(&f, NULL, 0);
}

static void test_shared_nothing(void **state)
{
    (void)state;
    const char *args[] = {"--arch", "shared-nothing", "--threads", "2", NULL};
    start(args);
    char body[64];
    for (int i = 0; i < 10; i++)
        assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    fastd_stop(&f, NULL, 0);
}

static void test_silent_client_waits(void **state)
{
    (void)state;
    start(NULL);
    /* Connected, silent: with TCP_DEFER_ACCEPT fastd does not accept it
     * yet; the /stats connection after it is the only one accepted. */
    int quiet = fastd_connect(&f);
    assert_true(quiet >= 0);
    usleep(100 * 1000);
    long accepted = fastd_total(&f, "accepted");
    close(quiet);
    if (accepted != 1)
        fail_msg("a client that has sent nothing was accepted (%ld accepted)",
                 accepted);
    fastd_stop(&f, NULL, 0);
}

static void test_nofile_raised(void **state)
{
    (void)state;
    struct rlimit rl, old;
    getrlimit(RLIMIT_NOFILE, &old);
    if (old.rlim_max < 512)
        skip();
    rl = old;
    rl.rlim_cur = 256; /* fastd inherits a low soft limit */
    setrlimit(RLIMIT_NOFILE, &rl);
    start(NULL);
    setrlimit(RLIMIT_NOFILE, &old);
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/limits", (int)proc_pid(f.pid));
    FILE *l = fopen(path, "r");
    assert_non_null(l);
    long soft = -1, hard = -2;
    while (fgets(line, sizeof line, l))
        if (sscanf(line, "Max open files %ld %ld", &soft, &hard) == 2)
            break;
    fclose(l);
    fastd_stop(&f, NULL, 0);
    if (soft != hard)
        fail_msg("fastd runs with %ld fds at most (hard limit %ld)", soft,
                 hard);
}

static const struct graded table[] = {
    GRADED(test_serves_get, 1, 1),
    GRADED(test_shared_nothing, 2, 3),
    GRADED(test_silent_client_waits, 2, 2),
    GRADED(test_nofile_raised, 2, 1),
};
GRADED_MAIN(table)
