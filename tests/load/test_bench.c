/*
 * make bench's trust checks (issue 23): scripts/bench.sh measures a server
 * only after it answered the workload's GET with 200 and exactly the
 * expected body, and prints no row - "REFUSED" and why, exit 1 - for one
 * that does not. The servers here are the bench's own no-parse responder
 * told to answer wrongly (a 403, a 1 KiB body where "Hello, World!" was
 * due) and the real peers, nginx and h2o, from a tree under a private
 * (0700) folder - the case where their unprivileged workers answered 403
 * from files they could not read. Short runs: one round of one second,
 * no perf, latency or memory parts, no measurement lock (a few seconds
 * each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

struct run {
    int status;
    char *out;
};

/* scripts/bench.sh BUILD with ENV (VAR=value ...) before it, short. */
static struct run bench(const char *build, const char *env)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "env BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_SYSCALLS=0 "
             "BENCH_LATENCY=0 BENCH_MEM=0 BENCH_TW_WAIT=0 BENCH_LOCK=0 %s "
             "scripts/bench.sh %s 2>&1",
             env, build);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    assert_non_null(out);
    while ((n = fread(out + len, 1, cap - 1 - len, p)) > 0) {
        len += n;
        if (len + 1 == cap) {
            out = realloc(out, cap *= 2);
            assert_non_null(out);
        }
    }
    out[len] = 0;
    int st = pclose(p);
    print_message("%s", out);
    return (struct run){WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

/* The table line of SERVER in the section of WORKLOAD ("  ceiling   123
 * ..." or "  ceiling   REFUSED: ..."), up to its end; fails if none. */
static char *row(const char *out, const char *workload, const char *server)
{
    char head[64], key[80];
    snprintf(head, sizeof head, "\n%s (median of", workload);
    snprintf(key, sizeof key, "\n  %s ", server);
    const char *t = strstr(out, head);
    if (!t)
        fail_msg("no %s table in the bench's output", workload);
    const char *r = strstr(t, key);
    if (!r)
        fail_msg("the %s table has no line for %s", workload, server);
    r += strlen(key);
    static char line[512];
    size_t n = strcspn(r, "\n");
    snprintf(line, sizeof line, "%.*s", (int)n, r);
    return line;
}

static void test_refuses_a_403(void **state)
{
    (void)state;
    struct run r = bench(BUILD_DIR, "BENCH_SERVERS=ceiling "
                                    "BENCH_WORKLOADS=keep-alive "
                                    "BENCH_CEILING_FLAGS='--status 403'");
    assert_int_equal(r.status, 1);
    char *l = row(r.out, "keep-alive", "ceiling");
    assert_non_null(strstr(l, "REFUSED"));
    assert_non_null(strstr(l, "answered 403"));
    assert_null(strstr(r.out, "round 1 ceiling")); /* nothing measured */
    free(r.out);
}

static void test_refuses_the_wrong_body(void **state)
{
    (void)state;
    struct run r = bench(BUILD_DIR, "BENCH_SERVERS=ceiling "
                                    "BENCH_WORKLOADS=keep-alive "
                                    "BENCH_CEILING_FLAGS='--body-kib 1'");
    assert_int_equal(r.status, 1);
    char *l = row(r.out, "keep-alive", "ceiling");
    assert_non_null(strstr(l, "REFUSED"));
    assert_non_null(strstr(l, "1024-byte body"));
    free(r.out);
}

/* The control: the same responder answering rightly gets its row. */
static void test_measures_a_right_answer(void **state)
{
    (void)state;
    struct run r = bench(BUILD_DIR, "BENCH_SERVERS='ceiling ceiling-uring' "
                                    "BENCH_WORKLOADS='keep-alive body64k'");
    assert_int_equal(r.status, 0);
    const char *ws[] = {"keep-alive", "body64k"};
    const char *ss[] = {"ceiling", "ceiling-uring"};
    for (int w = 0; w < 2; w++)
        for (int s = 0; s < 2; s++) {
            char *l = row(r.out, ws[w], ss[s]);
            assert_null(strstr(l, "REFUSED"));
            assert_true(strtod(l, NULL) > 0);
        }
    free(r.out);
}

/* A tree under a 0700 folder (BUILD_DIR's programs linked in): nginx and
 * h2o serve the bench's own readable copy of the files, so they answer. */
static void test_private_tree_measures_peers(void **state)
{
    (void)state;
    if (system("command -v nginx >/dev/null && command -v h2o >/dev/null"))
        skip();
    char dir[] = "/tmp/fast-servers-test-bench.XXXXXX", bin[PATH_MAX];
    char build[PATH_MAX + 8], env[PATH_MAX + 128], cmd[4 * PATH_MAX];
    assert_non_null(mkdtemp(dir)); /* mode 0700 */
    snprintf(build, sizeof build, "%s/build", dir);
    assert_non_null(realpath(BUILD_DIR "/bin", bin));
    snprintf(cmd, sizeof cmd, "mkdir %s && ln -s %s %s/bin", build, bin, build);
    assert_int_equal(system(cmd), 0);
    snprintf(env, sizeof env,
             "BENCH_SERVERS='nginx h2o' BENCH_WORKLOADS='keep-alive "
             "body64k'");
    struct run r = bench(build, env);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(r.status, 0);
    const char *ws[] = {"keep-alive", "body64k"};
    const char *ss[] = {"nginx", "h2o"};
    for (int w = 0; w < 2; w++)
        for (int s = 0; s < 2; s++)
            assert_null(strstr(row(r.out, ws[w], ss[s]), "REFUSED"));
    free(r.out);
}

/* The folder served made private on purpose: under root, the peers'
 * workers run as nobody and answer 403; the bench must refuse them. */
static void test_unreadable_files_refused(void **state)
{
    (void)state;
    if (geteuid() != 0 || system("command -v h2o >/dev/null"))
        skip(); /* as a user, the workers read the user's own files */
    struct run r = bench(BUILD_DIR, "BENCH_SERVERS=h2o "
                                    "BENCH_WORKLOADS=keep-alive "
                                    "BENCH_WWW_MODE=0700");
    assert_int_equal(r.status, 1);
    char *l = row(r.out, "keep-alive", "h2o");
    assert_non_null(strstr(l, "REFUSED"));
    assert_non_null(strstr(l, "answered 403"));
    free(r.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_a_403),
        cmocka_unit_test(test_refuses_the_wrong_body),
        cmocka_unit_test(test_measures_a_right_answer),
        cmocka_unit_test(test_private_tree_measures_peers),
        cmocka_unit_test(test_unreadable_files_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
