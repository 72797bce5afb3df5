/* The runnable blocks: every ```sh or ```bash block after a line
 * "<!-- runnable -->" runs from the repository root and succeeds (QUICK=1,
 * BUILD set, a time limit, every process it started killed after). */
#include "tests/docs/checks.h"
#include "tests/docs/supervisor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Time limit of one runnable block, in seconds. */
#define BLOCK_SECONDS 120

/* ---- runnable blocks ------------------------------------------------- */

/* "build/" at the start of a word (or "./build/") becomes "$BUILD/". */
static char *rewrite_build(const char *script)
{
    size_t n = strlen(script);
    char *out = malloc(n * 2 + 1), *o = out;
    for (size_t i = 0; i < n;) {
        bool word_start =
            i == 0 || strchr(" \t\n'\"=(:;|&<>`,{", script[i - 1]);
        if (!strncmp(script + i, "./build/", 8) && word_start) {
            o += sprintf(o, "$BUILD/");
            i += 8;
        } else if (!strncmp(script + i, "build/", 6) && word_start) {
            o += sprintf(o, "$BUILD/");
            i += 6;
        } else {
            *o++ = script[i++];
        }
    }
    *o = 0;
    return out;
}

struct block {
    char rel[PATH_MAX];
    int line; /* of the opening fence */
    char *script;
    bool after; /* "<!-- runnable: after -->": against the solutions */
};

/* The blocks of one chapter: a line "<!-- runnable -->", then (blank lines
 * allowed) a fence opening ```sh or ```bash. */
static int find_blocks(const struct docs *d, const char *rel, struct report *r,
                       struct block **v, int n, int *cap)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", d->root, rel);
    struct text t;
    if (!text_load(&t, path))
        return n;
    for (int i = 0; i < t.n; i++) {
        char *s = strdup(t.line[i]);
        const char *m = trim(s);
        bool after = !strcmp(m, "<!-- runnable: after -->");
        bool marker =
            t.kind[i] == PROSE && (after || !strcmp(m, "<!-- runnable -->") ||
                                   !strcmp(m, "<!-- runnable: before -->"));
        free(s);
        if (!marker)
            continue;
        int j = i + 1;
        while (j < t.n && t.kind[j] == PROSE && !*t.line[j])
            j++;
        char info[64] = "";
        if (j < t.n && t.kind[j] == FENCE_OPEN) {
            const char *p = t.line[j] + strspn(t.line[j], " \t`~");
            snprintf(info, sizeof info, "%.*s", (int)strcspn(p, " \t{"), p);
        }
        if (strcmp(info, "sh") != 0 && strcmp(info, "bash") != 0) {
            report(r,
                   "%s:%d: '<!-- runnable -->' is not followed by a ```sh "
                   "or ```bash block",
                   rel, i + 1);
            continue;
        }
        size_t len = 0;
        int k;
        for (k = j + 1; k < t.n && t.kind[k] == IN_FENCE; k++)
            len += strlen(t.line[k]) + 1;
        char *script = malloc(len + 1);
        script[0] = 0;
        for (int q = j + 1; q < k; q++)
            strcat(strcat(script, t.line[q]), "\n");
        if (n == *cap)
            *v = realloc(*v, sizeof **v * (size_t)(*cap = *cap * 2 + 8));
        snprintf((*v)[n].rel, sizeof(*v)[n].rel, "%s", rel);
        (*v)[n].line = j + 1;
        (*v)[n].script = script;
        (*v)[n].after = after;
        n++;
    }
    text_free(&t);
    return n;
}

void test_runnable_blocks(void **state)
{
    const struct docs *d = *state;
    struct chapter *c;
    int nc = list_chapters(d, &c);
    if (nc == 0) {
        print_message("no chapters yet in chapters/: no runnable block to "
                      "run\n");
        free(c);
        return;
    }
    struct report r = {0};
    struct block *b = NULL;
    int nb = 0, cap = 0;
    for (int i = 0; i < nc; i++)
        nb = find_blocks(d, c[i].rel, &r, &b, nb, &cap);
    free(c);
    /* The exercises' READMEs: "before" blocks (or plain ones) run against
     * the starters as they are in exercises/, "after" blocks with
     * MINE_SRC pointing at a copy of exercises/ whose starters are
     * replaced by their solutions. */
    char pattern[PATH_MAX + 32];
    snprintf(pattern, sizeof pattern, "%s/exercises/*/README.md", d->root);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            nb = find_blocks(d, g.gl_pathv[i] + strlen(d->root) + 1, &r, &b, nb,
                             &cap);
        globfree(&g);
    }
    char solutions[PATH_MAX + 32], env_src[PATH_MAX + 48];
    snprintf(solutions, sizeof solutions, "%s/readme-solutions", d->build);
    snprintf(env_src, sizeof env_src, "MINE_SRC=%s", solutions);
    bool have_solutions = false;
    for (int i = 0; i < nb && !have_solutions; i++) {
        if (!b[i].after)
            continue;
        char cmd[PATH_MAX * 6 + 256];
        /* -L: a solution/ file is a link to the reference's file. */
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && rm -rf '%s' && mkdir -p '%s' && cp -rL "
                 "exercises/. '%s'/ && for e in '%s'/[0-9][0-9]-*/; do "
                 "[ -d \"$e/solution\" ] && cp \"$e\"/solution/* \"$e\"/; "
                 "done; true",
                 d->root, solutions, solutions, solutions, solutions);
        have_solutions = system(cmd) == 0;
        if (!have_solutions)
            report(&r, "could not copy the solutions into %s", solutions);
    }

    const char *lim = getenv("DOCS_BLOCK_TIMEOUT");
    double limit = lim && atof(lim) > 0 ? atof(lim) : BLOCK_SECONDS;
    char logs[PATH_MAX + 32], env_build[PATH_MAX + 16];
    snprintf(logs, sizeof logs, "%s/test-logs/runnable", d->build);
    snprintf(env_build, sizeof env_build, "BUILD=%s", d->build);
    make_dir(logs);
    const char *const env[] = {"QUICK=1", env_build, NULL};
    /* LeakSanitizer cannot run under ptrace, so in a `make sanitize` run
     * a block that traces fastd (strace, valgrind) would fail for the
     * tracer's sake; leaks are the other tests' job. */
    const char *const env_traced[] = {"QUICK=1", env_build,
                                      "ASAN_OPTIONS=detect_leaks=0", NULL};
    const char *const env_after[] = {"QUICK=1", env_build, env_src, NULL};

    double total = 0;
    int failed = 0;
    for (int i = 0; i < nb; i++) {
        char log[PATH_MAX * 2], *script = rewrite_build(b[i].script);
        /* exercises/NN-x/README.md: the log is named after its folder. */
        char name[PATH_MAX];
        snprintf(name, sizeof name, "%s", b[i].rel);
        char *slash = strrchr(name, '/');
        if (slash && !strcmp(slash, "/README.md")) {
            *slash = 0;
            slash = strrchr(name, '/');
        }
        snprintf(log, sizeof log, "%s/%s-%d.log", logs,
                 base_name(slash ? slash + 1 : name), b[i].line);
        const char *const argv[] = {"bash", "-eo",  "pipefail",
                                    "-c",   script, NULL};
        bool traced = strstr(script, "strace") || strstr(script, "valgrind");
        struct run res = run_bounded(argv, d->root, log,
                                     b[i].after ? env_after
                                     : traced   ? env_traced
                                                : env,
                                     limit);
        total += res.seconds;
        bool ok = !res.timed_out && WIFEXITED(res.status) &&
                  WEXITSTATUS(res.status) == 0;
        char why[128];
        describe(&res, limit, why, sizeof why);
        print_message("  %s %s:%d  %.1f s%s\n", ok ? "ok  " : "FAIL", b[i].rel,
                      b[i].line, res.seconds, ok ? "" : " (see below)");
        if (res.escaped)
            print_message("       note: %d process(es) it left in another "
                          "session were killed\n",
                          res.escaped);
        if (!ok) {
            failed++;
            report(&r,
                   "%s:%d: the runnable block failed: %s; its last %d "
                   "lines (all in %s):",
                   b[i].rel, b[i].line, why, TAIL_LINES, log);
            tail_into(&r, log, TAIL_LINES);
        }
        free(script);
        free(b[i].script);
    }
    free(b);
    /* The "after" blocks linked BUILD/mine/bin/fastd from the solutions:
     * link it back from exercises/, the learner's own files, so that a
     * learner's `make test` leaves them their own fastd. */
    if (have_solutions) {
        char cmd[PATH_MAX * 2 + 128];
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && env -u MINE_SRC -u MAKEFLAGS -u MAKELEVEL "
                 "BUILD='%s' make --no-print-directory -s mine >/dev/null",
                 d->root, d->build);
        if (system(cmd) != 0)
            report(&r, "could not relink %s/mine/bin/fastd from exercises/",
                   d->build);
    }
    print_message("%d runnable block(s), %d failed, %.1f s in all (QUICK=1)\n",
                  nb, failed, total);
    report_done(&r, "problem(s) with the runnable blocks");
}
