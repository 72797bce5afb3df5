/* The grader and the exercises, proved (test_grader; with GRADER_CORPUS
 * defined, the corpus: test_grader_mutants, test_grader_corpus for the
 * right variants, test_grader_cheats): each way a test can end is told
 * apart; the outputs are valid and merge per exercise; every reference
 * solution scores full marks, run after run; every untouched starter
 * scores less; every known-wrong variant (tests/grader/mutants/) loses
 * points; every right-but-different variant (tests/grader/correct/) keeps
 * full marks; and every cheat (tests/grader/cheats/) scores no more than
 * the untouched starter, within the limits, leaving no process behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Each of the programs built from this file runs only part of it. */
#pragma GCC diagnostic ignored "-Wunused-function"

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif
#if !defined(GRADER_CORPUS)
#define T BUILD_DIR "/grader-test"
#elif defined(GRADER_MUTANTS)
#define T BUILD_DIR "/grader-mutants"
#elif defined(GRADER_CHEATS)
#define T BUILD_DIR "/grader-cheats"
#else
#define T BUILD_DIR "/grader-corpus"
#endif
/* Course objects compiled once for all the runs below, and for both
 * programs (the cache is keyed by the course's own files); no measurement
 * (layer c is not graded, and wrk beside the tests would only slow them). */
#define ENV "GRADE_CACHE=" BUILD_DIR "/grader-cache GRADE_MEASURE=0 "

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

static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("'%s' exited with %d", cmd, rc);
}

/* Run the grader (output in OUT/), return OUT/results.json's text. */
static char *grade(const char *env, const char *opts, const char *out,
                   const char *ex)
{
    sh("%s exercises/grader/grade.sh --out %s %s " BUILD_DIR " %s > %s.out "
       "2>&1",
       env, out, opts, ex, out);
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", out);
    char *json = slurp(path);
    if (!json)
        fail_msg("no %s", path);
    return json;
}

/* ---- a small JSON syntax check ------------------------------------------ */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL; /* a raw control character */
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)p[i]))
                        return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return p + 1;
}

static const char *json_list(const char *p, char close, int object)
{
    p = json_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (object) {
            p = json_string(json_ws(p));
            if (!p || *(p = json_ws(p)) != ':')
                return NULL;
            p++;
        }
        p = json_value(p);
        if (!p)
            return NULL;
        p = json_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p)
{
    p = json_ws(p);
    if (*p == '{')
        return json_list(p, '}', 1);
    if (*p == '[')
        return json_list(p, ']', 0);
    if (*p == '"')
        return json_string(p);
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
        return p + 4;
    if (strncmp(p, "false", 5) == 0)
        return p + 5;
    char *end;
    strtod(p, &end);
    return end > p ? end : NULL;
}

static void expect_json(const char *what, const char *text)
{
    const char *end = text ? json_value(text) : NULL;
    if (!end || *json_ws(end))
        fail_msg("%s is not valid JSON (near offset %ld)", what,
                 end ? (long)(end - text) : -1L);
}

/* ---- reading results ----------------------------------------------------- */

static long number_after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    return p ? atol(p + strlen(key)) : -1;
}

/* The entry of one exercise in results.json, or NULL. */
static const char *exercise_entry(const char *json, const char *name)
{
    char key[160];
    snprintf(key, sizeof key, "{\"exercise\":\"%s\"", name);
    return strstr(json, key);
}

static void scores(const char *json, const char *name, long *points, long *max)
{
    const char *e = exercise_entry(json, name);
    if (!e)
        fail_msg("results.json has no entry for %s", name);
    *points = number_after(e, "\"points\":");
    *max = number_after(e, "\"max\":");
}

/* The JSON object of one test in results.json (up to its end). */
static void test_entry(const char *json, const char *name, char *out,
                       size_t cap)
{
    char key[96];
    snprintf(key, sizeof key, "{\"name\":\"%s\"", name);
    const char *p = strstr(json, key);
    if (!p)
        fail_msg("no result for %s", name);
    const char *end = strstr(p, "\"hint\":");
    size_t n = end ? (size_t)(end - p) : strlen(p);
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static void expect_status(const char *json, const char *name,
                          const char *status, const char *reason)
{
    char buf[4096], want[64];
    test_entry(json, name, buf, sizeof buf);
    snprintf(want, sizeof want, "\"status\":\"%s\"", status);
    if (!strstr(buf, want) || (reason && !strstr(buf, reason)))
        fail_msg("%s: expected %s (%s), got %s", name, status,
                 reason ? reason : "", buf);
}

/* ---- the fixture: every way a test can end --------------------------------
 */

static void test_grader_reports_each_ending(void **state)
{
    (void)state;
    sh("rm -f evilconf-pwned-* && mkdir -p " T);
    char *json =
        grade(ENV "EXERCISES_DIR=tests/grader/fixture", "", T "/fixture", "");
    expect_json("results.json", json);
    expect_status(json, "test_passes", "pass", NULL);
    expect_status(json, "test_fails", "fail", "observed 3");
    expect_status(json, "test_hangs", "fail", "timed out after 2 s");
    expect_status(json, "test_segfaults", "fail", "SIGSEGV");
    /* Not "crashed": the test's own alarm caught a call that hung. */
    expect_status(json, "test_alarm_fires", "fail",
                  "stopped by the test's alarm (SIGALRM)");
    /* Past cmocka's 1024 bytes, whole, and nothing of cmocka's after. */
    expect_status(json, "test_long_message", "fail",
                  "xxx and its end: yours had 7 (at ");
    /* A crash cmocka's handler caught, in words; an assert_false() that
     * failed reads as one, not as "expected x to hold". */
    expect_status(json, "test_caught_segfault", "fail",
                  "crashed: Segmentation fault (signal 11): a read or write");
    /* A crash on another thread: cmocka's exit(-1), read as one. */
    expect_status(json, "test_thread_segfaults", "fail",
                  "a crash (SIGSEGV, SIGBUS, SIGFPE) hits a thread other");
    expect_status(json, "test_false_assert", "fail",
                  "expected answer() == 42 to be false, it was true");
    expect_status(json, "test_exits", "fail", "exited (status 0) before");
    expect_status(json, "test_skips", "skip", "not possible");
    /* Whole messages, C-escaped (a JSON string of "\x1b", "\r\n"). */
    expect_status(json, "test_control_chars", "fail", "esc\\\\x1b[31m");
    expect_status(json, "test_control_chars", "fail", "cr\\\\r <&>");
    expect_status(json, "test_whole_message", "fail",
                  "differs on\\n\\\"GET / HTTP/1.1\\\\r\\\\nHost: a\\\\r\\\\n");
    expect_status(json, "test_whole_message", "fail", "\\nyours: 200 OK (at ");
    /* A sanitizer's report is the learner's when it names their file,
     * the harness's (not counted) when it does not. */
    expect_status(json, "asan:test_learner_leak", "fail",
                  "16 byte(s) leaked in 1 allocation(s). (at impl.c:");
    expect_status(json, "asan:test_harness_leak", "harness",
                  "not of your file");
    expect_status(json, "test_leaks_fd", "fail", "socket:[");
    expect_status(json, "test_busy", "fail", "of CPU");
    expect_status(json, "test_plain_assert", "fail", "expected 0, saw -2");
    expect_status(json, "test_injects", "pass", NULL);
    /* A sanitizer's '*' line names the test that failed under it, and
     * gives that test's hint (1), not its own line's (3). */
    expect_status(json, "asan:*", "fail", "test_fails: expected 7 bytes");
    char key[64];
    snprintf(key, sizeof key, "{\"name\":\"asan:*\"");
    const char *star = strstr(json, key);
    assert_non_null(star);
    assert_int_equal(number_after(star, "\"hint\":"), 1);
    long pts, max;
    scores(json, "90-fixture", &pts, &max);
    assert_int_equal(pts, 2);  /* passes + injects */
    assert_int_equal(max, 28); /* 35 less the 6 skipped, less the harness's 1 */
    /* The broken one: 0, its first error (not its warnings), every test
     * listed as failed, and the run went on. */
    const char *br = exercise_entry(json, "91-broken");
    assert_non_null(br);
    assert_non_null(strstr(br, "\"status\":\"compile-error\""));
    assert_non_null(strstr(br, "error: expected"));
    assert_null(strstr(br, "unused"));
    /* The conf's shell lines were read as data, never run. */
    const char *ev = exercise_entry(json, "92-evilconf");
    assert_non_null(ev);
    assert_non_null(strstr(ev, "\"status\":\"complete\""));
    struct stat st;
    for (int i = 1; i <= 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "evilconf-pwned-%d", i);
        if (stat(path, &st) == 0)
            fail_msg("exercise.conf was run as shell: %s exists", path);
    }
    /* JUnit: classname, time, skipped, a failure body with the hint. */
    char *junit = slurp(T "/fixture/junit.xml");
    assert_non_null(junit);
    assert_non_null(strstr(junit, "<testsuite name=\"exercises.90-fixture\""));
    assert_non_null(strstr(junit, "classname=\"exercises.90-fixture\""));
    assert_non_null(strstr(junit, " time=\""));
    assert_non_null(strstr(junit, "<skipped message=\"not possible"));
    /* The skipped test, and the harness's fault (not counted). */
    assert_non_null(strstr(junit, "skipped=\"2\""));
    assert_non_null(
        strstr(junit, "<skipped message=\"a fault of the test harness"));
    assert_non_null(strstr(junit, "observed 3 (at "));
    assert_non_null(strstr(junit, "\nhint: make hint EX=90 HINT=1\n"));
    for (const char *p = junit; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
            fail_msg("junit.xml holds control character 0x%02x", *p);
    char *out = slurp(T "/fixture.out");
    assert_non_null(out);
    assert_non_null(strstr(out, "Exercises: 1/3 complete, 3/50 points"));
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\r'));
    /* In the table: the request on one line, the message's own lines
     * below the first, indented. */
    assert_non_null(strstr(out,
                           "    FAIL test_whole_message: the reply differs "
                           "on\n          \"GET / HTTP/1.1\\r\\nHost: "
                           "a\\r\\n\\r\\n\"\n          reference: 400"));
    assert_non_null(strstr(out, "    HARNESS asan:test_harness_leak: "));
    free(out);
    free(junit);
    free(json);
}

/* The Gradescope shape, and merging: EX=N updates only its own entry. */
static void test_outputs_merge_and_gradescope(void **state)
{
    (void)state;
    sh("rm -rf " T "/merge && mkdir -p " T);
    char *one = grade(ENV "SOLUTIONS=1", "", T "/merge", "4");
    free(one);
    char *two =
        grade(ENV, "--submission tests/grader/fixture", T "/merge", "1");
    expect_json("merged results.json", two);
    long pts, max;
    scores(two, "04-scheduling", &pts, &max);
    if (pts != max)
        fail_msg("EX=1 changed exercise 04's entry: %ld of %ld", pts, max);
    assert_non_null(exercise_entry(two, "01-pinned-pool"));
    assert_null(exercise_entry(two, "02-listener"));
    /* The missing file is said in words. */
    assert_non_null(strstr(exercise_entry(two, "01-pinned-pool"),
                           "pool_thread.c is missing"));
    /* Two of the nine graded: the summary's points are theirs only. */
    char *said = slurp(T "/merge.out");
    assert_non_null(said);
    if (!strstr(said, "(of the 2 exercise(s) graded so far; 'make grade' "
                      "grades all 9)"))
        fail_msg("the summary does not say two of nine are graded:\n%s", said);
    free(said);
    char *gs = slurp(T "/merge/gradescope.json");
    expect_json("gradescope.json", gs);
    long total = number_after(gs, "{\"score\":"), sum = 0;
    const char *keys[] = {"\"name\":", "\"score\":", "\"max_score\":",
                          "\"output\":", "\"visibility\":\"visible\""};
    int tests = 0;
    for (const char *p = strstr(gs, "\"tests\":[{"); p;
         p = strstr(p + 1, "},{")) {
        const char *end = strstr(p + 2, "}");
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *at = strstr(p, keys[k]);
            if (!at || at > end)
                fail_msg("gradescope.json: test %d lacks %s", tests, keys[k]);
        }
        sum += number_after(strstr(p, "\"score\":"), "\"score\":");
        tests++;
    }
    assert_true(tests >= 9);
    assert_int_equal(sum, total);
    assert_int_equal(total, number_after(two, "\"points\":"));
    /* SOLUTIONS=1 writes elsewhere by default. */
    assert_non_null(strstr(T "/merge", "merge"));
    free(gs);
    free(two);
}

/* How many runs the solutions get in `make test`: GRADER_REPEAT (default
 * 2) for the cheap exercises, one for those whose tests wait on timers
 * (06, 07) or run the model for seconds (09). The full
 * proof, 20 runs out of 20: `GRADER_REPEAT=20 build/tests/test_grader
 * '*solutions*'`. */
static int runs_for(const char *name)
{
    if (strncmp(name, "06", 2) == 0 || strncmp(name, "07", 2) == 0 ||
        strncmp(name, "09", 2) == 0)
        return 1;
    const char *env = getenv("GRADER_REPEAT");
    int n = env ? atoi(env) : 2;
    return n > 1 ? n : 2;
}

static char *starters_json;

/* The solutions (two groups by repeat count) and the starters, graded
 * side by side (each grader GRADE_JOBS exercises at once): the machine is
 * shared, and most of a run is waiting. */
static void test_solutions_full_every_run(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("exercises/[0-9][0-9]-*/", 0, NULL, &g), 0);
    char lists[2][256] = {"", ""};
    const int reps[2] = {runs_for("01"), 1};
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char nn[3];
        snprintf(nn, sizeof nn, "%.2s", g.gl_pathv[i] + strlen("exercises/"));
        for (int k = 0; k < 2; k++)
            if (runs_for(nn) == reps[k]) {
                strcat(lists[k], nn);
                strcat(lists[k], " ");
            }
    }
    sh("rm -rf " T "/solutions-* " T "/starters && mkdir -p " T);
    char cmd[2048] = "";
    for (int k = 0; k < 2; k++)
        if (lists[k][0])
            snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd),
                     "(" ENV "SOLUTIONS=1 exercises/grader/grade.sh --out " T
                     "/solutions-%d --repeat %d " BUILD_DIR " %s > " T
                     "/solutions-%d.out 2>&1) & ",
                     reps[k], reps[k], lists[k], reps[k]);
    snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd),
             "(" ENV "exercises/grader/grade.sh --out " T "/starters " BUILD_DIR
             " > " T "/starters.out 2>&1) & wait");
    sh("%s", cmd);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char name[128], path[256];
        snprintf(name, sizeof name, "%.*s",
                 (int)(strlen(g.gl_pathv[i]) - strlen("exercises/") - 1),
                 g.gl_pathv[i] + strlen("exercises/"));
        snprintf(path, sizeof path, T "/solutions-%d/results.json",
                 runs_for(name));
        char *json = slurp(path);
        if (!json)
            fail_msg("no %s", path);
        expect_json(path, json);
        long pts, max;
        scores(json, name, &pts, &max);
        if (pts != max || max <= 0) {
            char first[1024];
            const char *f = strstr(exercise_entry(json, name), "\"fail\"");
            snprintf(first, sizeof first, "%.300s", f ? f : "");
            fail_msg("%s: the solution scores %ld of %ld in %d runs (logs in " T
                     "/solutions-%d/logs/%s/): %s",
                     name, pts, max, runs_for(name), runs_for(name), name,
                     first);
        }
        free(json);
    }
    globfree(&g);
    starters_json = slurp(T "/starters/results.json");
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
        if (!text)
            fail_msg("%s: no %s", dir, path);
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

static void test_starters_score_less(void **state)
{
    (void)state;
    if (!starters_json)
        starters_json = grade(ENV, "", T "/starters", "");
    const char *started = starters_json;
    glob_t g;
    assert_int_equal(glob("exercises/[0-9][0-9]-*/exercise.conf", 0, NULL, &g),
                     0);
    assert_true(g.gl_pathc >= 9);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char dir[256], name[128], sources[256], chapter[128];
        snprintf(dir, sizeof dir, "%.*s",
                 (int)(strrchr(g.gl_pathv[i], '/') - g.gl_pathv[i]),
                 g.gl_pathv[i]);
        snprintf(name, sizeof name, "%s", strrchr(dir, '/') + 1);
        char *conf = slurp(g.gl_pathv[i]);
        char *conf_nl = malloc(strlen(conf) + 2);
        sprintf(conf_nl, "\n%s", conf);
        conf_value(conf_nl, "sources", sources, sizeof sources);
        conf_value(conf_nl, "chapter", chapter, sizeof chapter);
        const char *t = exercise_entry(started, name);
        assert_non_null(t);
        long tpoints = number_after(t, "\"points\":");
        if (tpoints >= number_after(t, "\"max\":"))
            fail_msg("%s: the untouched starter scores full marks", name);
        /* At least one failing test per TODO. */
        const char *end = strstr(t + 1, "{\"exercise\":\"");
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
}

/* ---- variants: a submission folder from a base plus a variant's files ---- */

/* Exercise folder exercises/NN-*, by number. */
static void exercise_of(const char *nn, char *out, size_t cap)
{
    char pattern[64];
    glob_t g;
    snprintf(pattern, sizeof pattern, "exercises/%s-*/", nn);
    if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc != 1)
        fail_msg("no single exercise %s", nn);
    snprintf(out, cap, "%.*s", (int)strlen(g.gl_pathv[0]) - 1, g.gl_pathv[0]);
    globfree(&g);
}

/* One variant: tests/grader/ROOT/NN/CLASS (a folder), or a mutant's
 * tests/grader/mutants/NN/CLASS.patch. */
struct variant {
    char nn[3], dir[512], job[600], exdir[256];
    char exs[32];     /* the exercises graded: NN, and a cheat's `also` */
    char opts[1024];  /* grade.sh options of its own (a mutant's --only) */
    char killed[768]; /* a mutant's killed-by line */
};

/* The sources named in an exercise.conf, as a shell list. */
#define SOURCES_OF(exdir)                                                      \
    "$(sed -n 's/^sources=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}$/\\1/p' " exdir   \
    "/exercise.conf)"

/* Every variant under tests/grader/ROOT, each given a job folder
 * T/v/ROOT-NN-CLASS holding sub/NAME/ = the base folder's sources (the
 * solution's, or the starter's) overlaid with the variant's files, or
 * patched by its FILE.patch (a variant that differs from its base in a
 * few lines is kept as a patch, so it follows the base when it moves); a
 * cheat's `also` file names more exercises graded in the same run, from
 * their starters (what one exercise's test does to another's). */
static int variants(const char *root, int from_solution, struct variant **out)
{
    char pattern[128];
    glob_t g;
    snprintf(pattern, sizeof pattern, "tests/grader/%s/[0-9][0-9]/*/", root);
    *out = NULL;
    if (glob(pattern, 0, NULL, &g) != 0)
        return 0;
    struct variant *v = calloc(g.gl_pathc, sizeof *v);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        snprintf(v[i].dir, sizeof v[i].dir, "%.*s",
                 (int)strlen(g.gl_pathv[i]) - 1, g.gl_pathv[i]);
        snprintf(v[i].nn, sizeof v[i].nn, "%.2s",
                 g.gl_pathv[i] + strlen("tests/grader/") + strlen(root) + 1);
        exercise_of(v[i].nn, v[i].exdir, sizeof v[i].exdir);
        snprintf(v[i].job, sizeof v[i].job, T "/v/%s-%s-%s", root, v[i].nn,
                 strrchr(v[i].dir, '/') + 1);
        snprintf(v[i].exs, sizeof v[i].exs, "%s", v[i].nn);
        char also_path[600];
        snprintf(also_path, sizeof also_path, "%s/also", v[i].dir);
        char *also = slurp(also_path);
        const char *name = strrchr(v[i].exdir, '/') + 1;
        sh("rm -rf %s && mkdir -p %s/sub/%s && "
           "for f in " SOURCES_OF(
               "%s") "; do [ ! -f %s%s/$f ] || "
                     "cp -L %s%s/$f %s/sub/%s/; done && cp %s/* %s/sub/%s/ && "
                     "rm -f %s/sub/%s/also && cd %s/sub/%s && "
                     "for p in *.patch; do [ -f \"$p\" ] || continue; "
                     "patch -s -p1 < \"$p\" && rm -f \"$p\" || exit 1; done",
           v[i].job, v[i].job, name, v[i].exdir, v[i].exdir,
           from_solution ? "/solution" : "", v[i].exdir,
           from_solution ? "/solution" : "", v[i].job, name, v[i].dir, v[i].job,
           name, v[i].job, name, v[i].job, name);
        for (char *t = also ? strtok(also, " \n") : NULL; t;
             t = strtok(NULL, " \n")) {
            char exdir[256];
            exercise_of(t, exdir, sizeof exdir);
            const char *other = strrchr(exdir, '/') + 1;
            sh("mkdir -p %s/sub/%s && for f in " SOURCES_OF(
                   "%s") "; do "
                         "cp -L %s/$f %s/sub/%s/; done",
               v[i].job, other, exdir, exdir, v[i].job, other);
            snprintf(v[i].exs + strlen(v[i].exs),
                     sizeof v[i].exs - strlen(v[i].exs), " %.2s", t);
        }
        free(also);
    }
    int n = (int)g.gl_pathc;
    globfree(&g);
    *out = v;
    return n;
}

/* The mutants: tests/grader/mutants/NN/CLASS.patch, line 1 "# mutant:
 * what is wrong", line 2 "# killed-by: TEST...", then a unified diff of
 * the solution's file (a/FILE, b/FILE), applied with patch -p1 to a copy
 * of the solution's sources in the job's sub/NAME/. Each is graded with
 * only its killed-by tests (--only). */
static int mutants(struct variant **out)
{
    glob_t g;
    *out = NULL;
    if (glob("tests/grader/mutants/[0-9][0-9]/*.patch", 0, NULL, &g) != 0)
        return 0;
    struct variant *v = calloc(g.gl_pathc, sizeof *v);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *path = g.gl_pathv[i];
        snprintf(v[i].dir, sizeof v[i].dir, "%s", path);
        snprintf(v[i].nn, sizeof v[i].nn, "%.2s",
                 path + strlen("tests/grader/mutants/"));
        snprintf(v[i].exs, sizeof v[i].exs, "%s", v[i].nn);
        exercise_of(v[i].nn, v[i].exdir, sizeof v[i].exdir);
        const char *cls = strrchr(path, '/') + 1;
        snprintf(v[i].job, sizeof v[i].job, T "/v/mutants-%s-%.*s", v[i].nn,
                 (int)(strlen(cls) - strlen(".patch")), cls);
        char *text = slurp(path);
        const char *l2 = text ? strchr(text, '\n') : NULL;
        if (!text || strncmp(text, "# mutant: ", 10) != 0 || !l2 ||
            l2 - text < 12 || strncmp(l2 + 1, "# killed-by: ", 13) != 0)
            fail_msg("%s: line 1 must be '# mutant: what is wrong', line 2 "
                     "'# killed-by: TEST...'",
                     path);
        snprintf(v[i].killed, sizeof v[i].killed, "%.*s",
                 (int)strcspn(l2 + 14, "\n"), l2 + 14);
        if (strspn(v[i].killed, " ") == strlen(v[i].killed))
            fail_msg("%s: killed-by names no test", path);
        for (const char *c = v[i].killed; *c; c++)
            if (!isalnum((unsigned char)*c) && !strchr("_:* ", *c))
                fail_msg("%s: killed-by holds '%c'", path, *c);
        snprintf(v[i].opts, sizeof v[i].opts, "--only \"%s\"", v[i].killed);
        const char *name = strrchr(v[i].exdir, '/') + 1;
        sh("rm -rf %s && mkdir -p %s/sub/%s && for f in " SOURCES_OF(
               "%s") "; do cp -L %s/solution/$f %s/sub/%s/; done && "
                     "patch -s -p1 -d %s/sub/%s < %s > %s.patch.log 2>&1 || "
                     "{ cat %s.patch.log; exit 1; }",
           v[i].job, v[i].job, name, v[i].exdir, v[i].exdir, v[i].job, name,
           v[i].job, name, path, v[i].job, v[i].job);
        free(text);
    }
    int n = (int)g.gl_pathc;
    globfree(&g);
    *out = v;
    return n;
}

/* Grade every job, three at a time; ENVF(i) gives a job's environment. */
static void grade_all(struct variant *v, int n, const char *opts,
                      const char *(*envf)(int))
{
    sh("mkdir -p " T "/v && : > " T "/v/jobs");
    for (int i = 0; i < n; i++) {
        /* One line of xargs input, run by sh -c: quotes as the shell's. */
        char line[4096];
        snprintf(line, sizeof line,
                 "%s exercises/grader/grade.sh --out %s/out --submission "
                 "%s/sub %s %s " BUILD_DIR " %s > %s/out.txt 2>&1; echo "
                 "$(date +%%s) > %s/ended",
                 envf ? envf(i) : ENV, v[i].job, v[i].job, opts, v[i].opts,
                 v[i].exs, v[i].job, v[i].job);
        FILE *f = fopen(T "/v/jobs", "a");
        assert_non_null(f);
        fprintf(f, "%s\n", line);
        fclose(f);
    }
    const char *jobs = getenv("GRADER_JOBS");
    sh("xargs -P %d -d '\\n' -n 1 sh -c < " T "/v/jobs",
       jobs && atoi(jobs) > 0 ? atoi(jobs) : 3);
}

static char *job_results(const struct variant *v, long *pts, long *max)
{
    char path[700];
    snprintf(path, sizeof path, "%s/out/results.json", v->job);
    char *json = slurp(path);
    if (!json)
        fail_msg("%s: no results (see %s/out.txt)", v->dir, v->job);
    scores(json, strrchr(v->exdir, '/') + 1, pts, max);
    return json;
}

/* The status of the test labelled LABEL in one exercise's entry, or
 * NULL ("status" of {"name":"LABEL",...}). */
static const char *status_of(const char *entry, const char *label, char *out,
                             size_t cap)
{
    char key[256];
    snprintf(key, sizeof key, "{\"name\":\"%s\",", label);
    const char *p = strstr(entry, key);
    const char *next = strstr(entry + 1, "{\"exercise\":\"");
    if (!p || (next && p > next))
        return NULL;
    const char *st = strstr(p, "\"status\":\"");
    if (!st)
        return NULL;
    st += strlen("\"status\":\"");
    snprintf(out, cap, "%.*s", (int)strcspn(st, "\""), st);
    return out;
}

static void test_mutants_lose_points(void **state)
{
    (void)state;
    struct variant *v;
    int n = mutants(&v);
    grade_all(v, n, "", NULL);
    for (int i = 0; i < n; i++) {
        long pts, max;
        char *json = job_results(&v[i], &pts, &max);
        const char *entry = exercise_entry(json, strrchr(v[i].exdir, '/') + 1);
        /* It built, and was graded (not refused, not a compile error). */
        if (!strstr(entry, "\"status\":\"incomplete\"") &&
            !strstr(entry, "\"status\":\"complete\""))
            fail_msg("mutant %s was not graded: %.300s (logs in %s/out/)",
                     v[i].dir, entry, v[i].job);
        if (pts >= max)
            fail_msg("mutant %s keeps full marks (%ld of %ld) in its killed-by "
                     "tests %s",
                     v[i].dir, pts, max, v[i].killed);
        /* Each test its killed-by line names lost its points: a bare name
         * is the unit test's label, or where there is no unit test of that
         * name, every other suite's test of that name (as --only reads it). */
        char list[768];
        snprintf(list, sizeof list, "%s", v[i].killed);
        for (char *t = strtok(list, " "); t; t = strtok(NULL, " ")) {
            const char *prefixes[] = {"", "server:", "asan:", "tsan:"};
            int found = 0;
            for (size_t k = 0; k < 4; k++) {
                char label[200], st[32];
                if (k > 0 && (strchr(t, ':') || found))
                    break;
                snprintf(label, sizeof label, "%s%s", prefixes[k], t);
                if (!status_of(entry, label, st, sizeof st))
                    continue;
                found++;
                if (strcmp(st, "fail") != 0)
                    fail_msg("mutant %s: %s is in killed-by but did not lose "
                             "points on it (%s; logs in %s/out/)",
                             v[i].dir, label, st, v[i].job);
            }
            if (!found)
                fail_msg("mutant %s: killed-by names %s, which is no test of "
                         "its exercise's tests.manifest",
                         v[i].dir, t);
        }
        free(json);
    }
    print_message("%d mutants, each lost points in every test of its "
                  "killed-by line\n",
                  n);
    assert_true(n >= 6);
    free(v);
}

static void test_right_variants_keep_full_marks(void **state)
{
    (void)state;
    struct variant *v;
    int n = variants("correct", 1, &v);
    grade_all(v, n, "", NULL);
    for (int i = 0; i < n; i++) {
        long pts, max;
        free(job_results(&v[i], &pts, &max));
        if (pts != max)
            fail_msg("%s is right but scores %ld of %ld (a false positive; "
                     "logs in %s/out/logs/)",
                     v[i].dir, pts, max, v[i].job);
    }
    free(v);
}

/* Processes whose environment holds the marker: what a cheat left. */
static int marked_processes(const char *mark)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]) ||
            atoi(e->d_name) == (int)getpid())
            continue;
        char path[300], env[16384];
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(env, 1, sizeof env - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (env[i] == 0)
                env[i] = '\n';
        env[n] = 0;
        if (strstr(env, mark))
            found++;
    }
    closedir(d);
    return found;
}

static char cheat_mark[64];
static struct variant *cheat_list;

static const char *cheat_env(int i)
{
    static char env[1024];
    snprintf(env, sizeof env,
             ENV "GRADER_CHEAT_MARK=%s GRADER_CHEAT_TARGET=%s/out/results.json",
             cheat_mark, cheat_list[i].job);
    return env;
}

static void test_cheats_gain_nothing(void **state)
{
    (void)state;
    snprintf(cheat_mark, sizeof cheat_mark, "%d.%ld", (int)getpid(),
             (long)time(NULL));
    int n = variants("cheats", 0, &cheat_list);
    sh("rm -f conf-line-pwned* " BUILD_DIR "/grader-cache/cheat-was-here");
    /* The untouched starters of every exercise a cheat's run grades. */
    char wanted[256] = "";
    for (int i = 0; i < n; i++) {
        char exs[32];
        snprintf(exs, sizeof exs, "%s", cheat_list[i].exs);
        for (char *t = strtok(exs, " "); t; t = strtok(NULL, " "))
            if (!strstr(wanted, t) && strlen(wanted) + 4 < sizeof wanted)
                strcat(strcat(wanted, t), " ");
    }
    free(starters_json);
    starters_json = grade(ENV, "", T "/starters", wanted);
    time_t t0 = time(NULL);
    grade_all(cheat_list, n, "", cheat_env);
    int left = marked_processes(cheat_mark);
    if (left)
        fail_msg("the cheats left %d process(es) running after the grader",
                 left);
    for (int i = 0; i < n; i++) {
        struct variant *v = &cheat_list[i];
        long starter, smax, pts, max;
        char *json = job_results(v, &pts, &max);
        /* No exercise of the run above its starter: the cheat's own, and
         * the others it could reach. */
        char exs[32];
        snprintf(exs, sizeof exs, "%s", v->exs);
        for (char *t = strtok(exs, " "); t; t = strtok(NULL, " ")) {
            char exdir[256];
            exercise_of(t, exdir, sizeof exdir);
            const char *name = strrchr(exdir, '/') + 1;
            scores(starters_json, name, &starter, &smax);
            scores(json, name, &pts, &max);
            if (pts > starter)
                fail_msg("cheat %s: %s scores %ld, its untouched starter %ld",
                         v->dir, name, pts, starter);
        }
        /* Within the limits: each job's end, against the start. */
        char path[700];
        snprintf(path, sizeof path, "%s/ended", v->job);
        char *ended = slurp(path);
        if (!ended || atol(ended) - (long)t0 > 300)
            fail_msg("cheat %s: grading did not end in time", v->dir);
        free(ended);
        /* Nothing rewrote the results after the grader ended. */
        snprintf(path, sizeof path, "%s/out/results.json", v->job);
        char *again = slurp(path);
        assert_non_null(again);
        if (strcmp(json, again) != 0 || strstr(again, "\"points\":1000"))
            fail_msg("cheat %s: results.json changed after the grader", v->dir);
        free(again);
        free(json);
    }
    struct stat st;
    if (stat("conf-line-pwned", &st) == 0 ||
        stat("conf-line-pwned-2", &st) == 0)
        fail_msg("a line of a cheat's exercise.conf was run");
    if (stat(BUILD_DIR "/grader-cache/cheat-was-here", &st) == 0)
        fail_msg("a cheat's test wrote into the grader's cache");
    print_message("%d cheats, none scored above the starter\n", n);
    assert_true(n >= 17);
    free(cheat_list);
}

static void test_hint_reveals_one_at_a_time(void **state)
{
    (void)state;
    sh("rm -f " T "/grade/hints-* && mkdir -p " T);
    char *out[5];
    for (int i = 0; i < 5; i++) {
        sh("exercises/grader/hint.sh " T " %s > " T "/hint.out",
           i % 2 ? "04" : "4");
        out[i] = slurp(T "/hint.out");
    }
    assert_non_null(strstr(out[0], "hint 1 of 4"));
    assert_non_null(strstr(out[1], "hint 2 of 4"));
    assert_non_null(strstr(out[2], "hint 3 of 4"));
    assert_non_null(strstr(out[3], "hint 4 of 4"));
    assert_non_null(strstr(out[4], "all 4 hints shown"));
    for (int i = 0; i < 5; i++)
        free(out[i]);
    sh("exercises/grader/hint.sh " T " 09 4 > " T "/hint.out");
    char *four = slurp(T "/hint.out");
    assert_non_null(strstr(four, "hint 4 of 4"));
    free(four);
    /* A wrong EX says what is wrong and lists the exercises. */
    assert_int_not_equal(
        system("exercises/grader/hint.sh " T " 77 > " T "/hint.out 2>&1"), 0);
    char *bad = slurp(T "/hint.out");
    assert_non_null(strstr(bad, "no exercise '77'"));
    assert_non_null(strstr(bad, "01-pinned-pool"));
    free(bad);
    assert_int_not_equal(system("exercises/grader/grade.sh --out " T
                                "/bad " BUILD_DIR " 77 > " T "/bad.out 2>&1"),
                         0);
    bad = slurp(T "/bad.out");
    assert_non_null(strstr(bad, "no exercise '77'"));
    free(bad);
}

/* argv[1], if given, runs only the tests whose names match it (a glob).
 * Four programs come from this file (tests/grader/module.mk), each well
 * within run-tests.sh's time limit (300 s): the grader itself, the course
 * mutants (test_grader_mutants), the right variants (test_grader_corpus)
 * and the cheats (test_grader_cheats). The corpus with the variants and
 * the cheats in one program took 152 s in a fresh-clone CI run with 53
 * variants and 29 cheats, and 169 s to 312 s on a loaded machine once
 * round four added more. */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
#ifndef GRADER_CORPUS
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grader_reports_each_ending),
        cmocka_unit_test(test_outputs_merge_and_gradescope),
        cmocka_unit_test(test_hint_reveals_one_at_a_time),
        cmocka_unit_test(test_solutions_full_every_run),
        cmocka_unit_test(test_starters_score_less),
    };
    return cmocka_run_group_tests_name("grader", tests, NULL, NULL);
#elif defined(GRADER_MUTANTS)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutants_lose_points),
    };
    return cmocka_run_group_tests_name("grader mutants", tests, NULL, NULL);
#elif defined(GRADER_CHEATS)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cheats_gain_nothing),
    };
    return cmocka_run_group_tests_name("grader cheats", tests, NULL, NULL);
#else
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_variants_keep_full_marks),
    };
    return cmocka_run_group_tests_name("grader corpus", tests, NULL, NULL);
#endif
}
