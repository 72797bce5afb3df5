/*
 * fastd's banner tells the truth about pinning (issue 22): for each thread
 * the map on its first line ("t0:accept@cpu0 t1:request@cpu1") names the
 * CPUs that thread may run on as the kernel has them - compared here with
 * the Cpus_allowed_list of the thread of that number in /proc - whether
 * fastd pinned its threads, was told not to (--no-pin), or was started on
 * fewer CPUs than it asked threads for. Exercise 01's starter, which pins
 * nothing, showed "t0:accept@cpu0" before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/server/fastd_harness.h"

/* The Cpus_allowed_list of fastd's thread number id (its name ends in
 * "-ID": fastd-acc-0, fastd-req-1, ...), into out; 0 if found. */
static int allowed_of(pid_t pid, int id, char *out, size_t cap)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)proc_pid(pid));
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *t;
    int rc = -1;
    while (rc < 0 && (t = readdir(d)) != NULL) {
        if (t->d_name[0] == '.')
            continue;
        char path[400], comm[64] = "", line[256];
        snprintf(path, sizeof path, "%s/%s/comm", dir, t->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (!fgets(comm, sizeof comm, f))
            comm[0] = 0;
        fclose(f);
        char *dash = strrchr(comm, '-');
        if (!dash || strncmp(comm, "fastd-", 6) != 0 || atoi(dash + 1) != id)
            continue;
        snprintf(path, sizeof path, "%s/%s/status", dir, t->d_name);
        if (!(f = fopen(path, "r")))
            continue;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Cpus_allowed_list: %63s", out) == 1 && cap > 0)
                rc = 0;
        fclose(f);
    }
    closedir(d);
    return rc;
}

/* Start fastd with args; every "tN:stage@cpuLIST" of its banner must name
 * what /proc says thread N may run on. Returns the number of threads. */
static int check_banner(const char *const *args)
{
    struct fastd f;
    assert_int_equal(fastd_start(&f, args, 0), 0);
    print_message("  %s\n", f.banner);
    int n = 0;
    for (const char *p = strstr(f.banner, " t0:"); p && *p;) {
        int id;
        char stage[16], list[64], seen[64] = "";
        if (sscanf(p, " t%d:%15[a-z]@cpu%63s", &id, stage, list) != 3)
            break;
        if (allowed_of(f.pid, id, seen, sizeof seen) < 0) {
            fastd_stop(&f, NULL, 0);
            fail_msg("no thread %d of fastd in /proc", id);
        }
        if (strcmp(list, seen) != 0) {
            fastd_stop(&f, NULL, 0);
            fail_msg("the banner says thread %d runs on cpu%s; the kernel "
                     "allows it %s",
                     id, list, seen);
        }
        n++;
        p = strchr(p + 1, ' ');
    }
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    return n;
}

static void pinned(void **state)
{
    (void)state;
    const char *const args[] = {"--threads", "3", NULL};
    assert_int_equal(check_banner(args), 3);
}

static void not_pinned(void **state)
{
    (void)state;
    const char *const args[] = {"--threads", "2", "--no-pin", NULL};
    assert_int_equal(check_banner(args), 2);
}

static void shared_nothing(void **state)
{
    (void)state;
    const char *const args[] = {"--arch", "shared-nothing", "--threads", "2",
                                NULL};
    assert_int_equal(check_banner(args), 2);
}

/* Started on one CPU only (fastd inherits this process's mask). */
static void on_one_cpu(void **state)
{
    (void)state;
    cpu_set_t all, one;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);
            break;
        }
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    const char *const args[] = {"--threads", "3", NULL};
    int n = check_banner(args);
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
    assert_int_equal(n, 3);
}

int main(void)
{
    if (fastd_suite_skips())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pinned),
        cmocka_unit_test(not_pinned),
        cmocka_unit_test(shared_nothing),
        cmocka_unit_test(on_one_cpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
