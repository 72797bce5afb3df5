/* Quoted code and pictures are today's: a chapter shows its code and its
 * diagrams on a forge only because they are written into the repository,
 * so a copy that no longer matches its source is a bug.
 *   - scripts/snippets --check: every "<!-- snippet: FILE NAME -->" block
 *     holds the code between FILE's [NAME] markers now, and no bare
 *     \snippet line or \dot block is left (`make snippets` fixes both);
 *   - every docs/images/NN-name.dot has its NN-name.png, rendered from the
 *     .dot as it is now: docs/images/diagrams.sha256, which `make diagrams`
 *     writes with the pictures, still matches the .dot files. */
#include "tests/docs/checks.h"
#include "tests/docs/supervisor.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Time limit of the tool and of sha256sum, in seconds. */
#define TOOL_SECONDS 60

/* Run ARGV from the repository root; on a failure report WHAT and the
 * command's output. */
static void run_tool(const struct docs *d, struct report *r,
                     const char *const argv[], const char *log,
                     const char *what)
{
    struct run res = run_bounded(argv, d->root, log, NULL, TOOL_SECONDS);
    if (!res.timed_out && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0)
        return;
    char why[128];
    describe(&res, TOOL_SECONDS, why, sizeof why);
    report(r, "%s (%s: %s); its output (in %s):", what, argv[0], why, log);
    tail_into(r, log, TAIL_LINES);
}

void test_snippets_fresh(void **state)
{
    const struct docs *d = *state;
    struct report r = {0};
    char logs[PATH_MAX + 32], log[PATH_MAX + 64];
    snprintf(logs, sizeof logs, "%s/test-logs", d->build);
    make_dir(logs);

    snprintf(log, sizeof log, "%s/snippets.log", logs);
    const char *const snippets[] = {"scripts/snippets", "--check", NULL};
    run_tool(d, &r, snippets, log,
             "the chapters' quoted code or diagrams are not the sources' "
             "(run 'make snippets')");

    /* Each diagram source has its picture, rendered from it as it is. */
    char pattern[PATH_MAX + 32];
    snprintf(pattern, sizeof pattern, "%s/docs/images/*.dot", d->root);
    glob_t g;
    int n = 0;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++, n++) {
            char png[PATH_MAX + 8];
            snprintf(png, sizeof png, "%.*s.png",
                     (int)(strlen(g.gl_pathv[i]) - 4), g.gl_pathv[i]);
            if (!exists(png))
                report(&r,
                       "docs/images/%s: no picture %s beside it (run "
                       "'make diagrams')",
                       base_name(g.gl_pathv[i]), base_name(png));
        }
        globfree(&g);
    }
    if (n) {
        snprintf(log, sizeof log, "%s/diagrams.log", logs);
        const char *const sums[] = {"sha256sum", "--check", "--quiet",
                                    "docs/images/diagrams.sha256", NULL};
        run_tool(d, &r, sums, log,
                 "docs/images/diagrams.sha256: a diagram's source changed "
                 "after its picture was rendered (run 'make diagrams')");
    }
    print_message("quoted code checked by scripts/snippets; %d diagram(s)\n",
                  n);
    report_done(&r, "problem(s) with the quoted code and the diagrams");
}
