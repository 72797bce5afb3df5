/*
 * The learner's fastd, proved (issue 9): the untouched starters of the
 * exercises 01-07 build a fastd that answers GET /; each starter loses
 * points in its stage's unit tests (layer a) and server tests (layer b);
 * each reference solution - fastd's own file - gets full marks in both;
 * and a fastd built from every solution (MINE=all) passes tests/server's
 * programs that drive a live fastd (tests/grader/solutions-suite.sh).
 * tests/grader/learner-check.sh does the building and the running.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/server/fastd_harness.h"

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

/* Run a shell command, return its output (stdout and stderr). */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("popen(%s) failed", cmd);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - 1 - len, p)) > 0) {
        len += n;
        if (len + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[len] = 0;
    pclose(p);
    return out;
}

struct score {
    int points, max, unit_failed, server_failed;
    char *text;
};

/* Run every check, two at a time (most of their time is spent waiting on
 * sockets and timeouts): starter ("s") and solution ("r") of 01-07. */
static int check_all(void **state)
{
    (void)state;
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    int rc = system(
        "mkdir -p " BUILD_DIR "/learner-check && for n in 01 02 03 04 05 06 "
        "07; do echo $n s; echo $n r; done | xargs -P 2 -L 1 sh -c '"
        "d=$(ls -d exercises/$0-*); [ $1 = r ] && d=$d/solution; "
        "CHECK_TIMEOUT=15 tests/grader/learner-check.sh " BUILD_DIR
        " $0 $d > " BUILD_DIR "/learner-check/$0-$1.txt 2>&1'");
    return rc == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("no %s", path);
    char *s = calloc(1, 1 << 16);
    size_t n = fread(s, 1, (1 << 16) - 1, f);
    s[n] = 0;
    fclose(f);
    return s;
}

static struct score check(const char *nn, const char *which)
{
    char path[256];
    snprintf(path, sizeof path, BUILD_DIR "/learner-check/%s-%s.txt", nn,
             which);
    struct score s = {.points = -1, .max = -1};
    s.text = slurp(path);
    const char *last = strstr(s.text, "points ");
    if (!last || strstr(s.text, "BUILD "))
        fail_msg("exercise %s (%s) did not build:\n%s", nn, which, s.text);
    sscanf(last, "points %d %d", &s.points, &s.max);
    for (const char *p = s.text; (p = strstr(p, "FAIL ")) != NULL; p++) {
        s.unit_failed += strncmp(p + 5, "unit ", 5) == 0;
        s.server_failed += strncmp(p + 5, "server ", 7) == 0;
    }
    return s;
}

static void prove(const char *nn)
{
    struct score st = check(nn, "s");
    if (st.unit_failed == 0 || st.server_failed == 0)
        fail_msg("exercise %s: the starter must lose points in both layers "
                 "(unit failed %d, server failed %d):\n%s",
                 nn, st.unit_failed, st.server_failed, st.text);
    assert_true(st.points < st.max);
    struct score so = check(nn, "r");
    if (so.points != so.max)
        fail_msg("exercise %s: the solution scores %d of %d:\n%s", nn,
                 so.points, so.max, so.text);
    free(st.text);
    free(so.text);
}

static void test_ex01(void **state)
{
    (void)state;
    prove("01");
}
static void test_ex02(void **state)
{
    (void)state;
    prove("02");
}
static void test_ex03(void **state)
{
    (void)state;
    prove("03");
}
static void test_ex04(void **state)
{
    (void)state;
    prove("04");
}
static void test_ex05(void **state)
{
    (void)state;
    prove("05");
}
static void test_ex06(void **state)
{
    (void)state;
    prove("06");
}
static void test_ex07(void **state)
{
    (void)state;
    prove("07");
}

/* make mine from the untouched starters: a fastd that serves curl. */
static void test_starters_answer_get(void **state)
{
    (void)state;
    /* In the checks' tree: the reference's objects are there already. */
    char *out =
        run("make --no-print-directory -s MINE=all "
            "BUILD=" BUILD_DIR "/check " BUILD_DIR "/check/bin/fastd 2>&1");
    free(out);
    setenv("FASTD_BIN", BUILD_DIR "/check/bin/fastd", 1);
    struct fastd f;
    const char *args[] = {"--threads", "2", NULL};
    int rc = fastd_start(&f, args, 0);
    unsetenv("FASTD_BIN");
    if (rc < 0)
        fail_msg("the starters' fastd did not start");
    char body[64];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_string_equal(body, "Hello, World!");
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

/* Every exercise's solution in (make mine with the solutions, MINE=all):
 * tests/server's programs that drive a live fastd all pass on it
 * (tests/grader/solutions-suite.sh builds and runs them, two at a time). */
static void test_solutions_pass_server_suite(void **state)
{
    (void)state;
    char *out = run("tests/grader/solutions-suite.sh " BUILD_DIR " 2>&1; "
                    "echo \"status $?\"");
    const char *programs[] = {
        "test_fastd", "test_lifecycle",  "test_http_replies", "test_memory",
        "test_churn", "test_idle_clock", "test_fastd_uring"};
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char line[96];
        snprintf(line, sizeof line, "%s exit 0 passed ", programs[i]);
        if (!strstr(out, line))
            fail_msg("%s on the solutions' fastd:\n%s", programs[i], out);
    }
    if (!strstr(out, "status 0") || strstr(out, "failed 1") ||
        strstr(out, " passed 0 "))
        fail_msg("tests/server on the solutions' fastd:\n%s", out);
    free(out);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    /* The builds below are plain ones in their own trees: a make above us
     * (make sanitize's SAN=asan...) must not pass its variables down. */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starters_answer_get),
        cmocka_unit_test(test_ex01),
        cmocka_unit_test(test_ex02),
        cmocka_unit_test(test_ex03),
        cmocka_unit_test(test_ex04),
        cmocka_unit_test(test_ex05),
        cmocka_unit_test(test_ex06),
        cmocka_unit_test(test_ex07),
        cmocka_unit_test(test_solutions_pass_server_suite),
    };
    return cmocka_run_group_tests_name("learner", tests, check_all, NULL);
}
