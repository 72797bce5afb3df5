/* The chapter linter: every chapter has the shape CONTRIBUTING.md's
 * "Chapters" section gives it - a title without a label, the seven
 * sections in order, a diagram in "The idea", quoted code whose markers
 * exist, the questions' answers, and the previous/next navigation as its
 * last line. */
#include "tests/docs/checks.h"

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

static const char *const SECTIONS[] = {
    "What you will learn",      "The idea",   "The code",
    "In the simulator",         "Experiment", "Exercise",
    "Check your understanding",
};
#define NSECTIONS (int)(sizeof SECTIONS / sizeof SECTIONS[0])

/* The file name chapter NUM has (or will have): the file if it exists,
 * else the README's entry, else "". */
static const char *chapter_file(const struct chapter *c, int n,
                                const struct listed *l, int nl, int num)
{
    const struct chapter *ch = chapter_num(c, n, num);
    if (ch)
        return base_name(ch->rel);
    for (int i = 0; i < nl; i++)
        if (l[i].num == num)
            return l[i].name;
    return "";
}

/* "Check your understanding" ends with its answers, collapsed: a line
 * "<details><summary>Answers</summary>", one numbered item per question,
 * numbered as the questions are, then "</details>". */
static void check_answers(struct report *r, const char *rel,
                          const struct text *t)
{
    int from = -1, details = -1, end = -1, questions = 0, answers = 0;
    for (int i = 0; i < t->n; i++) {
        if (t->kind[i] != PROSE)
            continue;
        const char *l = t->line[i];
        if (!strncmp(l, "## ", 3)) {
            char h[256];
            heading_text(l, h, sizeof h);
            from = !strcmp(h, "Check your understanding") ? i : -1;
            continue;
        }
        if (from < 0 || end >= 0)
            continue;
        if (!strncmp(l, "<details><summary>Answers</summary>", 35))
            details = i;
        else if (details >= 0 && !strncmp(l, "</details>", 10))
            end = i;
        else if (isdigit((unsigned char)l[0])) {
            int k = atoi(l);
            const char *dot = l + strspn(l, "0123456789");
            if (dot[0] != '.' || dot[1] != ' ')
                continue;
            int *count = details < 0 ? &questions : &answers;
            if (k != *count + 1)
                report(r, "%s:%d: %s %d follows %s %d", rel, i + 1,
                       details < 0 ? "question" : "answer", k,
                       details < 0 ? "question" : "answer", *count);
            (*count)++;
        }
    }
    if (details < 0)
        report(r,
               "%s: 'Check your understanding' has no answers: end it with "
               "'<details><summary>Answers</summary>', a numbered list and "
               "'</details>'",
               rel);
    else if (end < 0)
        report(r, "%s:%d: the answers' <details> is not closed", rel,
               details + 1);
    else if (answers != questions)
        report(r, "%s:%d: %d question(s) but %d answer(s)", rel, details + 1,
               questions, answers);
}

/* Check "[Chapter K: Title](file.md)" from a navigation line. */
static void check_nav_link(struct report *r, const char *rel, int line,
                           const char *which, int k, const char *text,
                           const char *target, const struct chapter *c, int n,
                           const struct listed *l, int nl)
{
    char want[600];
    snprintf(want, sizeof want, "Chapter %d: ", k);
    if (strncmp(text, want, strlen(want)) != 0)
        report(r, "%s:%d: %s link text '%s' should start with '%s'", rel, line,
               which, text, want);
    const struct chapter *ch = chapter_num(c, n, k);
    if (ch && ch->title[0]) {
        snprintf(want, sizeof want, "Chapter %d: %s", k, ch->title);
        if (strcmp(text, want) != 0)
            report(r, "%s:%d: %s link text '%s' differs from %s's title '%s'",
                   rel, line, which, text, ch->rel, want);
    }
    const char *file = chapter_file(c, n, l, nl, k);
    if (file[0] && strcmp(target, file) != 0)
        report(r, "%s:%d: %s link goes to '%s', not to chapter %d's file '%s'",
               rel, line, which, target, k, file);
    if (!file[0] && !(is_chapter_name(target) && atoi(target) == k))
        report(r, "%s:%d: %s link goes to '%s', not to a %02d-*.md file", rel,
               line, which, target, k);
}

/*
 * How many lines of FILE hold the marker of NAME: "//! [NAME]" in a .c
 * file, "/\* [NAME] *\/" in a header - Doxygen reads a header's "//!" lines
 * as documentation, so there the marker must be a plain comment. A "//!"
 * marker in a header counts as -2 (an error the caller reports).
 */
static int snippet_markers(const char *file, const char *name)
{
    char *s = slurp(file, NULL);
    if (!s)
        return -1;
    size_t flen = strlen(file);
    bool header = flen > 2 && !strcmp(file + flen - 2, ".h");
    char doc[600], plain[600];
    snprintf(doc, sizeof doc, "//! [%s]", name);
    snprintf(plain, sizeof plain, "/* [%s] */", name);
    int k = 0, doc_in_header = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, header ? plain : doc))
            k++;
        else if (header && strstr(line, doc))
            doc_in_header++;
    }
    free(s);
    return doc_in_header ? -2 : k;
}

static void check_chapter(const struct docs *d, struct report *r,
                          struct chapter *c, int n, const struct listed *l,
                          int nl, int idx)
{
    struct chapter *ch = &c[idx];
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", d->root, ch->rel);
    struct text t;
    if (!text_load(&t, path)) {
        report(r, "%s: cannot read: %s", ch->rel, strerror(errno));
        return;
    }
    const char *rel = ch->rel;

    /* Sections, in order, each once, no others. */
    int k = 0, idea = -1;
    for (int i = 0; i < t.n; i++) {
        if (t.kind[i] != PROSE || strncmp(t.line[i], "## ", 3) != 0)
            continue;
        char h[512];
        heading_text(t.line[i], h, sizeof h);
        if (k < 0)
            break;
        if (k < NSECTIONS && !strcmp(h, SECTIONS[k])) {
            if (k == 1)
                idea = i;
            k++;
        } else {
            if (k < NSECTIONS)
                report(r,
                       "%s:%d: section '%s' where '%s' was expected (the "
                       "seven ## sections, in order: What you will learn, The "
                       "idea, The code, In the simulator, Experiment, "
                       "Exercise, Check your understanding)",
                       rel, i + 1, h, SECTIONS[k]);
            else
                report(r,
                       "%s:%d: section '%s' after '%s' (only the seven "
                       "## sections; use ### inside them)",
                       rel, i + 1, h, SECTIONS[NSECTIONS - 1]);
            k = -1; /* one report per chapter is enough */
        }
    }
    if (k >= 0 && k < NSECTIONS)
        report(r, "%s: no '## %s' section (expected after '%s')", rel,
               SECTIONS[k], k ? SECTIONS[k - 1] : "the title");

    /* The idea comes with a diagram. */
    if (idea >= 0) {
        bool diagram = false;
        for (int i = idea + 1; i < t.n; i++) {
            if (t.kind[i] == PROSE && !strncmp(t.line[i], "## ", 3))
                break;
            if (t.kind[i] == PROSE) {
                char *s = prose(t.line[i]);
                diagram |=
                    strstr(s, "\\dot") || strstr(s, "@dot") || strstr(s, "![");
                free(s);
            }
        }
        if (!diagram)
            report(r,
                   "%s:%d: 'The idea' has no diagram "
                   "(![caption](../docs/images/NN-name.png))",
                   rel, idea + 1);
    }

    /* Quoted code: at least one quote, each naming a file that holds
     * exactly one pair of its markers. A quote is the line
     * "<!-- snippet: FILE NAME -->" that scripts/snippets writes (a bare
     * "\snippet FILE NAME" line is checked too: the snippets check asks
     * for it to be inlined). */
    int snippets = 0;
    for (int i = 0; i < t.n; i++) {
        if (t.kind[i] != PROSE)
            continue;
        char *s = prose(t.line[i]);
        regmatch_t m[4];
        bool quote = regex_match(
            "^<!-- snippet: ([^ \t]+) (.*[^ \t]) -->[ \t]*$", s, m, 3);
        bool bare = !quote && regex_match("[\\\\@]snippet(\\{[^}]*\\})?[ \t]+"
                                          "([^ \t]+)[ \t]+(.*[^ \t])",
                                          s, m, 4);
        if (quote || bare) {
            char file[PATH_MAX], name[512], full[PATH_MAX * 2];
            group(s, &m[bare ? 2 : 1], file, sizeof file);
            group(s, &m[bare ? 3 : 2], name, sizeof name);
            snippets++;
            snprintf(full, sizeof full, "%s/%s", d->root, file);
            int markers = snippet_markers(full, name);
            bool header =
                strlen(file) > 2 && !strcmp(file + strlen(file) - 2, ".h");
            if (markers == -1)
                report(r, "%s:%d: snippet %s %s: no such file %s", rel, i + 1,
                       file, name, file);
            else if (markers == -2)
                report(r,
                       "%s:%d: snippet %s %s: in a header the marker is "
                       "'/* [%s] */' - Doxygen takes '//!' for documentation",
                       rel, i + 1, file, name, name);
            else if (markers != 2)
                report(r,
                       "%s:%d: snippet %s %s: '%s[%s]%s' is on %d line(s) "
                       "of %s; a snippet needs exactly one pair",
                       rel, i + 1, file, name, header ? "/* " : "//! ", name,
                       header ? " */" : "", markers, file);
        }
        free(s);
    }
    if (!snippets)
        report(r,
               "%s: no quoted code (write '\\snippet file.c name' on a line, "
               "between //! [name] markers in the source, and run 'make "
               "snippets')",
               rel);

    check_answers(r, rel, &t);

    /* The last line: Previous and Next. */
    int last = t.n - 1;
    while (last >= 0 && !*trim(t.line[last]))
        last--;
    if (last < 0) {
        report(r, "%s: empty", rel);
        text_free(&t);
        return;
    }
    const char *nav = t.line[last];
    regmatch_t m[8];
    if (t.kind[last] != PROSE ||
        !regex_match("^(Previous: \\[([^]]*)\\]\\(([^)]*)\\))?( \\| )?"
                     "(Next: \\[([^]]*)\\]\\(([^)]*)\\))?[ \t]*$",
                     nav, m, 8) ||
        (m[1].rm_so < 0 && m[5].rm_so < 0)) {
        report(r,
               "%s:%d: the last line is not the navigation 'Previous: "
               "[Chapter N: Title](file.md) | Next: [Chapter N: Title]"
               "(file.md)': '%s'",
               rel, last + 1, nav);
        text_free(&t);
        return;
    }
    bool prev = m[1].rm_so >= 0, next = m[5].rm_so >= 0;
    int num = ch->num, lastnum = COURSE_CHAPTERS - 1;
    if (num == 0 && prev)
        report(r, "%s:%d: chapter 0 has no Previous link", rel, last + 1);
    if (num > 0 && !prev)
        report(r, "%s:%d: no 'Previous: [Chapter %d: ...](...)' link", rel,
               last + 1, num - 1);
    if (num == lastnum && next)
        report(r, "%s:%d: the last chapter has no Next link", rel, last + 1);
    if (num < lastnum && !next)
        report(r, "%s:%d: no 'Next: [Chapter %d: ...](...)' link", rel,
               last + 1, num + 1);
    if (prev && next && m[4].rm_so < 0)
        report(r, "%s:%d: Previous and Next are separated by ' | '", rel,
               last + 1);
    char text[600], target[600];
    if (prev && num > 0) {
        group(nav, &m[2], text, sizeof text);
        group(nav, &m[3], target, sizeof target);
        check_nav_link(r, rel, last + 1, "Previous", num - 1, text, target, c,
                       n, l, nl);
    }
    if (next && num < lastnum) {
        group(nav, &m[6], text, sizeof text);
        group(nav, &m[7], target, sizeof target);
        check_nav_link(r, rel, last + 1, "Next", num + 1, text, target, c, n, l,
                       nl);
    }
    text_free(&t);
}

void test_chapter_shape(void **state)
{
    const struct docs *d = *state;
    struct chapter *c;
    int n = list_chapters(d, &c);
    struct report r = {0};
    if (n == 0) {
        print_message("no chapters yet in chapters/: nothing to check\n");
        free(c);
        return;
    }
    struct listed l[64];
    int section;
    int nl = readme_chapters(d, l, 64, &section);

    /* Names, numbers 00 to 11 without a gap, no duplicates. */
    for (int k = 0; k < COURSE_CHAPTERS; k++)
        if (!chapter_num(c, n, k))
            report(&r, "chapters/: chapter %02d is missing", k);
    for (int i = 0; i < n; i++) {
        if (c[i].num < 0)
            report(&r,
                   "%s: not a chapter name (NN-slug.md: two digits, a dash, "
                   "lower-case words joined by dashes)",
                   c[i].rel);
        else if (c[i].num >= COURSE_CHAPTERS)
            report(&r, "%s: the course has chapters 00 to %02d", c[i].rel,
                   COURSE_CHAPTERS - 1);
        else if (i > 0 && c[i - 1].num == c[i].num)
            report(&r, "%s: a second chapter %02d (also %s)", c[i].rel,
                   c[i].num, c[i - 1].rel);
    }
    read_titles(d, &r, c, n);
    for (int i = 0; i < n; i++)
        if (c[i].num >= 0 && c[i].num < COURSE_CHAPTERS)
            check_chapter(d, &r, c, n, l, nl, i);
    print_message("%d chapter(s) checked\n", n);
    free(c);
    report_done(&r, "problem(s) with the chapters' shape (CONTRIBUTING.md, "
                    "\"Chapters\")");
}
