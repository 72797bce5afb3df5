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
#include <stdbool.h>
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

/* Run CMD (a shell command); its stdout and stderr, and exit status. */
static struct run sh(const char *cmd)
{
    char full[8192];
    snprintf(full, sizeof full, "{ %s; } 2>&1", cmd);
    FILE *p = popen(full, "r");
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

/* A results.json with these rows (JSON objects, comma-separated) in a
 * temporary file; returns its path (static). */
static const char *results_file(const char *rows)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/fast-servers-verdicts.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "{\"machine\":{},\"rows\":[%s],\"refused\":0}\n", rows);
    fclose(f);
    return path;
}

#define ROW(server, workload, rps, cpu, client)                                \
    "{\"server\":\"" server "\",\"workload\":\"" workload "\",\"rps\":" #rps   \
    ",\"cpu_us_per_req\":" #cpu ",\"client_cpu_percent\":" #client "}"

/* The line of comparison NAME in verdicts.sh's output; fails if none. */
static const char *verdict(const char *out, const char *name)
{
    static char line[512];
    const char *at = strstr(out, name);
    if (!at)
        fail_msg("no verdict for \"%s\"", name);
    snprintf(line, sizeof line, "%.*s", (int)strcspn(at, "\n"), at);
    return line;
}

static bool held(const char *line)
{
    size_t n = strlen(line);
    return n >= 5 && !strcmp(line + n - 5, " held") &&
           !strstr(line, "NOT held");
}

/* The verdict rules, on made-up rows where the right answer is known:
 * req/s when the client had room; CPU per request when wrk was the limit
 * in both cells (and only then); the better peer by req/s; io_uring must
 * also cost less CPU; missing rows leave their comparisons out. */
static void test_verdicts_follow_the_rules(void **state)
{
    (void)state;
    const char *path = results_file(
        /* keep-alive: every cell client-bound. staged slower by req/s
         * (0.98x) but a third cheaper than the peer: held by CPU. */
        ROW("fastd-staged", "keep-alive", 98000, 6.0,
            98) "," ROW("nginx", "keep-alive", 90000, 9.5,
                        96) "," ROW("h2o", "keep-alive", 100000, 9.0, 99) ","
        /* uring faster and cheaper: held; single's uring faster but
         * dearer: NOT held, whatever its req/s. */
        ROW("fastd-staged-uring", "keep-alive", 99000, 5.0, 99) "," ROW(
            "fastd-single", "keep-alive", 100000, 6.0,
            70) "," ROW("fastd-single-uring", "keep-alive", 120000, 6.5, 80) ","
        /* body64k: the peer had room (wrk 80%): by req/s, 1.03x < 1.05,
         * though fastd is cheaper. */
        ROW("fastd-staged", "body64k", 20600, 20.0,
            98) "," ROW("h2o", "body64k", 20000, 30.0, 80) ","
        /* shared-nothing by req/s against h2o only, though nginx is
         * faster: 1.00x holds. */
        ROW("fastd-shared-nothing", "churn", 20000, 40.0,
            90) "," ROW("h2o", "churn", 20000, 30.0,
                        80) "," ROW("nginx", "churn", 30000, 25.0, 90));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "scripts/bench/verdicts.sh %s", path);
    struct run r = sh(cmd);
    assert_int_equal(r.status, 0);
    const char *l = verdict(r.out, "keep-alive: fastd-staged / best peer");
    assert_non_null(strstr(l, "0.98x req/s"));
    assert_non_null(strstr(l, "client-bound: 1.50x CPU/req")); /* h2o's 9.0 */
    assert_true(held(l));
    l = verdict(r.out, "keep-alive: fastd-staged uring / epoll");
    assert_true(held(l));
    l = verdict(r.out, "keep-alive: fastd-single uring / epoll");
    assert_non_null(strstr(l, "1.20x req/s"));
    assert_false(held(l));
    l = verdict(r.out, "body64k: fastd-staged / best peer");
    assert_null(strstr(l, "client-bound"));
    assert_non_null(strstr(l, "1.03x req/s"));
    assert_false(held(l));
    l = verdict(r.out, "churn: fastd-shared-nothing / h2o");
    assert_non_null(strstr(l, "1.00x req/s"));
    assert_true(held(l));
    /* No rows, no verdict: nothing about rows that were not run. */
    assert_null(strstr(r.out, "fastd-staged-nopin"));
    assert_null(strstr(r.out, "churn: fastd-single"));
    assert_null(strstr(r.out, "churn: fastd-staged"));
    assert_non_null(strstr(r.out, "held: 3 of 6"));
    free(r.out);

    /* The same as JSON, and held.sh over it twice and once changed. */
    snprintf(
        cmd, sizeof cmd,
        "set -e; d=$(mktemp -d); f=%s; "
        "jq --argjson c \"$(scripts/bench/verdicts.sh --json $f)\" "
        "'. + {comparisons: $c}' $f > $d/a.json; "
        "jq '(.comparisons[] | select(.comparison == \"churn: "
        "fastd-shared-nothing / h2o\")) |= (.held = false | .value = 0.9)' "
        "$d/a.json > $d/b.json; "
        "scripts/bench/held.sh $d/a.json $d/b.json; "
        "scripts/bench/held.sh --table $d/a.json $d/b.json; rm -r $d",
        path);
    r = sh(cmd);
    assert_int_equal(r.status, 0);
    l = verdict(r.out, "churn: fastd-shared-nothing / h2o");
    assert_non_null(strstr(l, "1 of 2"));
    assert_non_null(strstr(l, "0.90-1.00"));
    assert_non_null(
        strstr(verdict(r.out, "keep-alive: fastd-staged / best"), "2 of 2"));
    assert_non_null(strstr(r.out, "held in every one of the 2 runs: 2 of 6"));
    /* --table: a column per workload, "-" where a comparison had no rows. */
    assert_non_null(strstr(r.out, "| comparison (target) | keep-alive | "
                                  "body64k | churn |"));
    assert_non_null(strstr(r.out, "| fastd-shared-nothing / h2o (1) | - | - "
                                  "| 1 of 2 |"));
    assert_non_null(strstr(r.out, "| fastd-staged / best peer (1.05) | 2 of 2 "
                                  "| 0 of 2 | - |"));
    free(r.out);
    unlink(path);

    /* Not a result: a clear message and exit 2, never a stack trace. */
    r = sh("echo '{\"rows\":[]}' > /tmp/fast-servers-held.json; "
           "scripts/bench/held.sh /tmp/fast-servers-held.json; e=$?; "
           "rm -f /tmp/fast-servers-held.json; exit $e");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.out, "not a bench result with comparisons"));
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
        cmocka_unit_test(test_verdicts_follow_the_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
