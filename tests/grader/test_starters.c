/*
 * The untouched starters compile without a warning under the course's
 * own flags. `make mine` and the grader build a learner's file with the
 * warnings on but not as errors (work in progress must still build), so
 * a starter that warns shows a newcomer a problem in code they have not
 * touched yet: exercise 08's did (an unused parameter, once its TODO no
 * longer wrote to it). Each exercise.conf's sources="..." are compiled
 * here with -Werror -fsyntax-only: quick, and nothing is left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef STARTER_CC
#define STARTER_CC "cc -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror"
#endif

/* The value of sources="..." in an exercise.conf, or "" if none. */
static void read_sources(const char *conf, char *out, size_t cap)
{
    FILE *f = fopen(conf, "r");
    if (!f)
        fail_msg("cannot open %s", conf);
    char line[1024];
    out[0] = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "sources=\"", 9))
            continue;
        char *end = strchr(line + 9, '"');
        if (end)
            *end = 0;
        snprintf(out, cap, "%s", line + 9);
    }
    fclose(f);
}

/* Compile one starter file; its diagnostics into out. */
static int compile_quietly(const char *file, char *out, size_t cap)
{
    char cmd[2560];
    snprintf(cmd, sizeof cmd, "%s -fsyntax-only %s 2>&1", STARTER_CC, file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = 0;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_starters_compile_without_warnings(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("exercises/[0-9][0-9]-*/exercise.conf", 0, NULL, &g),
                     0);
    int files = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char sources[1024], dir[512], path[1536], out[8192];
        read_sources(g.gl_pathv[i], sources, sizeof sources);
        snprintf(dir, sizeof dir, "%s", g.gl_pathv[i]);
        *strrchr(dir, '/') = 0;
        for (char *s = strtok(sources, " "); s; s = strtok(NULL, " ")) {
            snprintf(path, sizeof path, "%s/%s", dir, s);
            if (compile_quietly(path, out, sizeof out) != 0)
                fail_msg("the untouched starter %s does not compile "
                         "cleanly (%s -fsyntax-only):\n%s",
                         path, STARTER_CC, out);
            files++;
        }
    }
    globfree(&g);
    print_message("%d starter files compile without a warning\n", files);
    assert_true(files >= 9); /* one per exercise at least */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starters_compile_without_warnings),
    };
    return cmocka_run_group_tests_name("starters", tests, NULL, NULL);
}
