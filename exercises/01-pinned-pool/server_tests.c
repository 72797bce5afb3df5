/*
 * Exercise 01, layer (b): the pool's cases from fastd's own integration
 * tests, run against the learner's fastd ($FASTD_BIN).
 */
#include "exercises/grader/graded.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* The harness is compiled in: the grader builds this file alone. */
#include "tests/server/fastd_harness.c"

static struct fastd f;

static void start(const char *const *args)
{
    fastd_io_timeout_ms = 2000;
    if (fastd_start(&f, args, 0) < 0)
        fail_msg("fastd did not start");
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

/* The threads pool_spawn starts run the whole request stage, not only
 * the smallest answer: every route fastd has (its statistics, a body of
 * 32 KiB), each answered, and the process still alive to stop cleanly
 * after. (A thread given too small a stack can serve GET / and crash on
 * the next route.) */
static void test_serves_every_route(void **state)
{
    (void)state;
    const char *args[] = {"--threads", "2", "--body-kib", "32", NULL};
    start(args);
    static char body[64 * 1024];
    const char *paths[] = {"/", "/stats", "/body", "/"};
    for (int i = 0; i < 4; i++) {
        int status = fastd_get(&f, paths[i], body, sizeof body);
        if (status != 200) {
            fastd_stop(&f, NULL, 0);
            fail_msg("GET %s: status %d (-1: no answer; did fastd crash?)",
                     paths[i], status);
        }
    }
    char out[4096] = "";
    int rc = fastd_stop(&f, out, sizeof out);
    if (rc != 0)
        fail_msg("after every route, fastd did not exit cleanly (%d): %s", rc,
                 out);
}

static void test_one_core_each(void **state)
{
    (void)state;
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        skip();
    const char *args[] = {"--threads", "2", NULL};
    start(args);
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/task", (int)proc_pid(f.pid));
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *de;
    int seen = 0, cpus[8];
    while ((de = readdir(d)) != NULL) {
        char file[512], comm[32] = {0}, line[256] = "";
        snprintf(file, sizeof file, "%s/%s/comm", path, de->d_name);
        FILE *c = fopen(file, "r");
        if (!c)
            continue;
        if (!fgets(comm, sizeof comm, c) || strncmp(comm, "fastd-", 6) != 0) {
            fclose(c);
            continue; /* the main thread */
        }
        fclose(c);
        comm[strcspn(comm, "\n")] = 0; /* the whole name in a message */
        snprintf(file, sizeof file, "%s/%s/status", path, de->d_name);
        FILE *s = fopen(file, "r");
        assert_non_null(s);
        while (fgets(line, sizeof line, s))
            if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
                break;
        fclose(s);
        char *list = line + 18;
        while (*list == ' ' || *list == '\t')
            list++;
        list[strcspn(list, "\n")] = 0;
        if (strspn(list, "0123456789") != strlen(list))
            fail_msg("thread %s may run on cpus '%s', not one", comm, list);
        assert_true(seen < 8);
        cpus[seen++] = atoi(list);
    }
    closedir(d);
    assert_int_equal(seen, 2);
    assert_int_not_equal(cpus[0], cpus[1]);
    fastd_stop(&f, NULL, 0);
}

static void test_epoll_per_thread(void **state)
{
    (void)state;
    const char *args[] = {"--threads", "3", NULL};
    start(args);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)proc_pid(f.pid));
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *de;
    int epolls = 0;
    while ((de = readdir(d)) != NULL) {
        char file[512], link[64] = {0};
        snprintf(file, sizeof file, "%s/%s", path, de->d_name);
        if (readlink(file, link, sizeof link - 1) > 0 &&
            strstr(link, "eventpoll"))
            epolls++;
    }
    closedir(d);
    if (epolls != 3)
        fail_msg("3 threads, %d epoll fds", epolls);
    fastd_stop(&f, NULL, 0);
}

static void test_stops_on_sigterm(void **state)
{
    (void)state;
    start(NULL);
    kill(f.pid, SIGTERM);
    int status = -1;
    for (int i = 0; i < 60 && waitpid(f.pid, &status, WNOHANG) == 0; i++)
        usleep(50 * 1000);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("fastd did not exit cleanly within 3 s of SIGTERM");
    f.pid = 0;
    close(f.out_fd);
}

static const struct graded table[] = {
    GRADED(test_serves_get, 1, 1),       GRADED(test_serves_every_route, 1, 1),
    GRADED(test_one_core_each, 3, 1),    GRADED(test_epoll_per_thread, 1, 2),
    GRADED(test_stops_on_sigterm, 1, 2),
};
GRADED_MAIN(table)
