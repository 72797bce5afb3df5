/* The grader and the exercises, proved: every reference solution scores
 * full marks, every untouched starter scores less (failing at least one
 * test per TODO), and a test that hangs, crashes or exits early is failed
 * with the right reason while the run goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

/* Run the grader; return results.json's text. */
static char *grade(const char *env, const char *ex)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s exercises/grader/grade.sh " BUILD_DIR "/grader-test %s "
             "> " BUILD_DIR "/grader-test.out 2>&1",
             env, ex);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("grader exited with %d: see " BUILD_DIR "/grader-test.out",
                 rc);
    char *json = slurp(BUILD_DIR "/grader-test/grade/results.json");
    if (!json)
        fail_msg("no results.json");
    return json;
}

static long number_after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    return p ? atol(p + strlen(key)) : -1;
}

/* The JSON object of one test in results.json. */
static const char *test_entry(const char *json, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "{\"name\":\"%s\"", name);
    const char *p = strstr(json, key);
    if (!p)
        fail_msg("no result for %s", name);
    return p;
}

static void expect_status(const char *json, const char *name,
                          const char *status, const char *reason)
{
    const char *e = test_entry(json, name);
    const char *end = strchr(e, '}');
    char buf[512];
    size_t n =
        (size_t)(end - e) < sizeof buf - 1 ? (size_t)(end - e) : sizeof buf - 1;
    memcpy(buf, e, n);
    buf[n] = 0;
    char want[64];
    snprintf(want, sizeof want, "\"status\":\"%s\"", status);
    if (!strstr(buf, want) || (reason && !strstr(buf, reason)))
        fail_msg("%s: expected %s (%s), got %s", name, status,
                 reason ? reason : "", buf);
}

static void test_grader_reports_each_ending(void **state)
{
    (void)state;
    char *json = grade("EXERCISES_DIR=tests/grader/fixture", "");
    expect_status(json, "test_passes", "pass", NULL);
    expect_status(json, "test_fails", "fail", "observed 3");
    expect_status(json, "test_hangs", "fail", "timed out after 2 s");
    expect_status(json, "test_segfaults", "fail", "SIGSEGV");
    expect_status(json, "test_exits", "fail", "exited early");
    expect_status(json, "test_skips", "skip", "not possible");
    /* 1 point; 21 in all, less 6 skipped: 15 possible. */
    const char *fx = strstr(json, "\"exercise\":\"90-fixture\"");
    assert_non_null(fx);
    assert_int_equal(number_after(fx, "\"points\":"), 1);
    assert_int_equal(number_after(fx, "\"max\":"), 15);
    /* The broken one scores 0 and is shown, and did not stop the run. */
    const char *br = strstr(json, "\"exercise\":\"91-broken\"");
    assert_non_null(br);
    assert_non_null(strstr(br, "\"status\":\"compile-error\""));
    assert_non_null(strstr(br, "expected"));
    char *junit = slurp(BUILD_DIR "/grader-test/grade/junit.xml");
    assert_non_null(junit);
    assert_non_null(strstr(junit, "<testsuite name=\"90-fixture\""));
    assert_non_null(strstr(junit, "<skipped"));
    char *out = slurp(BUILD_DIR "/grader-test.out");
    assert_non_null(strstr(out, "Exercises: 0/2 complete, 1/22 points"));
    free(out);
    free(junit);
    free(json);
}

/* Distinct TODO numbers in a starter ("TODO 1", "TODO 2 (cont.)"...). */
static int todos(const char *dir, const char *sources)
{
    char list[256];
    snprintf(list, sizeof list, "%s", sources);
    int seen[32] = {0}, n = 0;
    for (char *f = strtok(list, " "); f; f = strtok(NULL, " ")) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, f);
        char *text = slurp(path);
        assert_non_null(text);
        for (char *p = text; (p = strstr(p, "TODO ")) != NULL; p += 5) {
            int k = atoi(p + 5);
            if (k > 0 && k < 32 && !seen[k]++)
                n++;
        }
        free(text);
    }
    return n;
}

/* A value in exercise.conf (key=value or key="value"). */
static void conf_value(const char *conf, const char *key, char *out, size_t cap)
{
    char k[64];
    snprintf(k, sizeof k, "\n%s=", key);
    const char *p = strstr(conf, k);
    out[0] = 0;
    if (p) {
        p += strlen(k);
        p += *p == '"';
        snprintf(out, cap, "%.*s", (int)strcspn(p, "\"\n"), p);
    }
}

static void test_solutions_full_starters_not(void **state)
{
    (void)state;
    char *solved = grade("SOLUTIONS=1", "");
    /* Keep the solutions' logs: the starters' run replaces grade/. */
    assert_int_equal(system("rm -rf " BUILD_DIR "/grader-test/solutions && "
                            "cp -r " BUILD_DIR "/grader-test/grade " BUILD_DIR
                            "/grader-test/solutions"),
                     0);
    char *started = grade("", "");
    glob_t g;
    assert_int_equal(glob("exercises/[0-9][0-9]-*/exercise.conf", 0, NULL, &g),
                     0);
    assert_int_equal(g.gl_pathc, 9);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char dir[256], name[128], key[160], sources[256], chapter[128];
        snprintf(dir, sizeof dir, "%.*s",
                 (int)(strrchr(g.gl_pathv[i], '/') - g.gl_pathv[i]),
                 g.gl_pathv[i]);
        snprintf(name, sizeof name, "%s", strrchr(dir, '/') + 1);
        char *conf = slurp(g.gl_pathv[i]);
        char *conf_nl = malloc(strlen(conf) + 2);
        sprintf(conf_nl, "\n%s", conf);
        conf_value(conf_nl, "sources", sources, sizeof sources);
        conf_value(conf_nl, "chapter", chapter, sizeof chapter);
        long max_conf = number_after(conf_nl, "\nmax_points=");

        snprintf(key, sizeof key, "\"exercise\":\"%s\"", name);
        const char *s = strstr(solved, key), *t = strstr(started, key);
        assert_non_null(s);
        assert_non_null(t);
        long smax = number_after(s, "\"max\":");
        if (number_after(s, "\"points\":") != smax)
            fail_msg("%s: the solution scores %ld of %ld (logs in " BUILD_DIR
                     "/grader-test/solutions/logs/%s/)",
                     name, number_after(s, "\"points\":"), smax, name);
        if (max_conf != smax && !strstr(s, "\"status\":\"skip\""))
            fail_msg("%s: exercise.conf says max_points=%ld, the tests add "
                     "up to %ld",
                     name, max_conf, smax);
        long tpoints = number_after(t, "\"points\":");
        if (tpoints >= number_after(t, "\"max\":"))
            fail_msg("%s: the untouched starter scores full marks", name);
        /* At least one failing test per TODO. */
        const char *end = strstr(t + 1, "\"exercise\":\"");
        int failed = 0;
        for (const char *p = t;
             (p = strstr(p, "\"status\":\"fail\"")) && (!end || p < end); p++)
            failed++;
        int n = todos(dir, sources);
        if (n < 1)
            fail_msg("%s: the starter has no TODO", name);
        if (failed < n)
            fail_msg("%s: %d TODOs but only %d failing tests in the starter",
                     name, n, failed);
        /* Hints exist and say something; the README names the chapter. */
        for (int h = 1; h <= 3; h++) {
            char path[512];
            struct stat st;
            snprintf(path, sizeof path, "%s/hints/%d.md", dir, h);
            if (stat(path, &st) < 0 || st.st_size < 20)
                fail_msg("%s: hint %d is missing or empty", name, h);
        }
        char readme[512];
        snprintf(readme, sizeof readme, "%s/README.md", dir);
        char *text = slurp(readme);
        assert_non_null(text);
        if (!chapter[0] || !strstr(text, chapter + strlen("chapters/")))
            fail_msg("%s: README.md does not name its chapter %s", name,
                     chapter);
        free(text);
        free(conf);
        free(conf_nl);
    }
    globfree(&g);
    free(solved);
    free(started);
}

static void test_hint_reveals_one_at_a_time(void **state)
{
    (void)state;
    assert_int_equal(system("rm -f " BUILD_DIR "/grader-test/grade/hints-*"),
                     0);
    char *out[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(system("exercises/grader/hint.sh " BUILD_DIR
                                "/grader-test 04 > " BUILD_DIR
                                "/grader-hint.out"),
                         0);
        out[i] = slurp(BUILD_DIR "/grader-hint.out");
    }
    assert_non_null(strstr(out[0], "hint 1 of 3"));
    assert_non_null(strstr(out[1], "hint 2 of 3"));
    assert_non_null(strstr(out[2], "hint 3 of 3"));
    assert_non_null(strstr(out[3], "all 3 hints shown"));
    for (int i = 0; i < 4; i++)
        free(out[i]);
    assert_int_not_equal(system("exercises/grader/hint.sh " BUILD_DIR
                                "/grader-test 77 > /dev/null"),
                         0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grader_reports_each_ending),
        cmocka_unit_test(test_solutions_full_starters_not),
        cmocka_unit_test(test_hint_reveals_one_at_a_time),
    };
    return cmocka_run_group_tests_name("grader", tests, NULL, NULL);
}
