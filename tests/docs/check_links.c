/* The Markdown link checker: every relative link and picture in the
 * chapters, the READMEs and CONTRIBUTING.md resolves from the file it is in
 * (as on a forge; Doxygen is not asked), with its #anchor; every \ref names
 * a label, a documented symbol or a file; the README lists the chapters. */
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

/* ---- labels for \ref ------------------------------------------------- */

struct labels {
    char **v;
    int n, cap;
};

static void label_add(struct labels *l, const char *s, size_t len)
{
    if (l->n == l->cap)
        l->v = realloc(l->v, sizeof *l->v * (size_t)(l->cap = l->cap * 2 + 16));
    l->v[l->n++] = strndup(s, len);
}

static bool label_has(const struct labels *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return true;
    return false;
}

static void labels_free(struct labels *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Labels FILE defines: {#label}, \anchor, \page, \section, ... */
static void labels_from(struct labels *l, const char *file)
{
    struct text t;
    if (!text_load(&t, file))
        return;
    static const char *const cmds[] = {"anchor ",        "page ",
                                       "section ",       "subsection ",
                                       "subsubsection ", "paragraph "};
    for (int i = 0; i < t.n; i++) {
        if (t.kind[i] != PROSE)
            continue;
        const char *s = t.line[i];
        for (const char *p = s; (p = strstr(p, "{#")); p += 2) {
            size_t len = strcspn(p + 2, "}");
            if (p[2 + len] == '}')
                label_add(l, p + 2, len);
        }
        for (const char *p = s; *p; p++) {
            if (*p != '\\' && *p != '@')
                continue;
            for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
                size_t k = strlen(cmds[c]);
                if (!strncmp(p + 1, cmds[c], k)) {
                    const char *q = p + 1 + k;
                    q += strspn(q, " \t");
                    label_add(l, q, strcspn(q, " \t"));
                }
            }
        }
    }
    text_free(&t);
}

static void labels_glob(struct labels *l, const char *root, const char *pat)
{
    char pattern[PATH_MAX + 64];
    snprintf(pattern, sizeof pattern, "%s/%s", root, pat);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        labels_from(l, g.gl_pathv[i]);
    globfree(&g);
}

/* Is NAME a word in one of the documented headers (a \ref to a function,
 * a struct, a macro) or one of their file names? */
static bool in_headers(const char *root, const char *name)
{
    static const char *const dirs[] = {"reference-server", "simulator/model",
                                       "simulator/view"};
    bool found = false;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && !found; i++) {
        char pattern[PATH_MAX + 64];
        snprintf(pattern, sizeof pattern, "%s/%s/*.h", root, dirs[i]);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) != 0)
            continue;
        for (size_t j = 0; j < g.gl_pathc && !found; j++) {
            if (!strcmp(base_name(g.gl_pathv[j]), name)) {
                found = true;
                break;
            }
            char *s = slurp(g.gl_pathv[j], NULL);
            size_t k = strlen(name);
            for (char *p = s; p && (p = strstr(p, name)); p += k) {
                bool left =
                    p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
                bool right = !(isalnum((unsigned char)p[k]) || p[k] == '_');
                if (left && right) {
                    found = true;
                    break;
                }
            }
            free(s);
        }
        globfree(&g);
    }
    return found;
}

/* ---- links between files ----------------------------------------------- */

struct link_check {
    const struct docs *d;
    struct report *r;
    struct labels labels;
};

static void check_md_file(struct link_check *lc, const char *rel)
{
    const struct docs *d = lc->d;
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", d->root, rel);
    struct text t;
    if (!text_load(&t, path))
        return;
    char dir[PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%s/%.*s", d->root, (int)(base_name(rel) - rel),
             rel);

    struct md_link *l;
    int n = md_links(&t, &l);
    for (int i = 0; i < n; i++) {
        char target[1024], resolved[PATH_MAX * 3];
        snprintf(target, sizeof target, "%s", l[i].target);
        if (!target[0] || has_scheme(target))
            continue;
        char *anchor = strchr(target, '#');
        if (anchor)
            *anchor++ = 0;
        if (!target[0]) {
            if (anchor && !md_has_anchor(path, anchor))
                report(lc->r, "%s:%d: link to #%s: no such label or heading",
                       rel, l[i].line, anchor);
            continue;
        }
        char *q = strchr(target, '?');
        if (q)
            *q = 0;
        snprintf(resolved, sizeof resolved, "%s%s", dir, target);
        /* Relative to the page, as a forge or an editor resolves it (the
         * docs filter shortens ../docs/images/ links for Doxygen). */
        if (!exists(resolved) && l[i].image) {
            report(lc->r,
                   "%s:%d: picture %s: no such file from %.*s (a picture in "
                   "docs/images/ is linked from chapters/ as "
                   "../docs/images/NN-name.png)",
                   rel, l[i].line, target, (int)(base_name(rel) - rel),
                   *rel && base_name(rel) != rel ? rel : "./");
            continue;
        }
        if (!exists(resolved)) {
            report(lc->r, "%s:%d: link to %s: no such file", rel, l[i].line,
                   target);
            continue;
        }
        size_t len = strlen(resolved);
        if (anchor && len > 3 && !strcmp(resolved + len - 3, ".md") &&
            !md_has_anchor(resolved, anchor))
            report(lc->r, "%s:%d: link to %s#%s: no such label or heading", rel,
                   l[i].line, target, anchor);
    }
    free(l);

    /* \ref and \subpage name a label, a documented symbol or a file. */
    for (int i = 0; i < t.n; i++) {
        if (t.kind[i] != PROSE)
            continue;
        char *s = prose(t.line[i]);
        for (char *p = s; *p; p++) {
            if (*p != '\\' && *p != '@')
                continue;
            size_t k = !strncmp(p + 1, "ref ", 4)       ? 4
                       : !strncmp(p + 1, "subpage ", 8) ? 8
                                                        : 0;
            if (!k)
                continue;
            char *name = p + 1 + k;
            name += strspn(name, " \t");
            size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_-.:/#");
            while (len && strchr(".,:;", name[len - 1]))
                len--;
            char label[512], file[PATH_MAX * 3];
            snprintf(label, sizeof label, "%.*s", (int)len, name);
            snprintf(file, sizeof file, "%s%s", dir, label);
            if (!label[0])
                report(lc->r, "%s:%d: \\ref without a name", rel, i + 1);
            else if (!label_has(&lc->labels, label) && !exists(file) &&
                     !in_headers(d->root, label))
                report(lc->r,
                       "%s:%d: \\ref %s: no such label ({#%s} or \\anchor), "
                       "documented symbol or file",
                       rel, i + 1, label, label);
        }
        free(s);
    }
    text_free(&t);
}

/* The README lists the twelve chapters, in order. */
static void check_readme_list(struct link_check *lc)
{
    struct listed l[64];
    int section;
    int n = readme_chapters(lc->d, l, 64, &section);
    if (!section) {
        report(lc->r, "README.md: no '## Chapters' section listing the "
                      "chapters (where a newcomer starts)");
        return;
    }
    for (int i = 0; i < n && i < COURSE_CHAPTERS; i++)
        if (l[i].num != i) {
            report(lc->r,
                   "README.md:%d: the chapter list's entry %d is chapter %02d "
                   "(chapters/%s); the list goes 00, 01, ... in order",
                   l[i].line, i + 1, l[i].num, l[i].name);
            break;
        }
    if (n != COURSE_CHAPTERS)
        report(lc->r,
               "README.md:%d: the chapter list links %d chapter file(s), not "
               "the course's %d",
               section, n, COURSE_CHAPTERS);
    struct chapter *c;
    int nc = list_chapters(lc->d, &c);
    for (int i = 0; i < nc; i++) {
        bool listed = false;
        for (int j = 0; j < n; j++)
            listed |= !strcmp(base_name(c[i].rel), l[j].name);
        if (!listed)
            report(lc->r, "README.md:%d: the chapter list does not link %s",
                   section, c[i].rel);
    }
    /* Each entry reads as the chapter's title does. */
    struct report quiet = {0};
    read_titles(lc->d, &quiet, c, nc);
    free(quiet.text);
    for (int j = 0; j < n; j++) {
        const struct chapter *ch = chapter_num(c, nc, l[j].num);
        char want[600];
        if (!ch || !ch->title[0] || strcmp(base_name(ch->rel), l[j].name))
            continue;
        snprintf(want, sizeof want, "Chapter %d: %s", l[j].num, ch->title);
        if (strcmp(l[j].text, want) != 0)
            report(lc->r,
                   "README.md:%d: the chapter list says '%s' for %s, whose "
                   "title is '%s'",
                   l[j].line, l[j].text, ch->rel, want);
    }
    free(c);
}

/* Each exercise's README title is "# Exercise NN: ..." and carries no
 * label: docs/md-filter adds {#exNN} for the site, where chapters' links
 * to the README become \ref exNN. */
static void check_exercise_titles(struct link_check *lc)
{
    char pattern[PATH_MAX + 64];
    snprintf(pattern, sizeof pattern, "%s/exercises/[0-9][0-9]-*/README.md",
             lc->d->root);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *rel = g.gl_pathv[i] + strlen(lc->d->root) + 1;
        const char *nn = rel + strlen("exercises/");
        char want[64];
        snprintf(want, sizeof want, "^# Exercise %.2s: [^{]*[^ {]$", nn);
        struct text t;
        regmatch_t m[1];
        if (text_load(&t, g.gl_pathv[i]) &&
            (t.n == 0 || !regex_match(want, t.line[0], m, 1)))
            report(lc->r,
                   "%s:1: the title is not '# Exercise %.2s: ...' (no "
                   "{#label}: docs/md-filter adds it): '%s'",
                   rel, nn, t.n ? t.line[0] : "");
        text_free(&t);
    }
    globfree(&g);
}

void test_links_resolve(void **state)
{
    const struct docs *d = *state;
    struct report r = {0};
    struct link_check lc = {.d = d, .r = &r};
    struct chapter *c;
    int nc = list_pages(d, &c);

    static const char *const label_files[] = {"*.md",
                                              "chapters/*.md",
                                              "chapters/*/*.md",
                                              "exercises/*.md",
                                              "exercises/*/README.md",
                                              "docs/pages/*.md",
                                              "docs/pages/*.dox"};
    for (size_t i = 0; i < sizeof label_files / sizeof label_files[0]; i++)
        labels_glob(&lc.labels, d->root, label_files[i]);
    labels_glob(&lc.labels, d->build, "docs/gen/*.md");

    int files = 0;
    static const char *const pages[] = {"README.md", "CONTRIBUTING.md",
                                        "exercises/README.md"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++, files++)
        check_md_file(&lc, pages[i]);
    for (int i = 0; i < nc; i++, files++)
        check_md_file(&lc, c[i].rel);
    char pattern[PATH_MAX + 64];
    snprintf(pattern, sizeof pattern, "%s/exercises/*/README.md", d->root);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++, files++)
            check_md_file(&lc, g.gl_pathv[i] + strlen(d->root) + 1);
        globfree(&g);
    }
    check_readme_list(&lc);
    check_exercise_titles(&lc);

    print_message("%d Markdown file(s) checked\n", files);
    free(c);
    labels_free(&lc.labels);
    report_done(&r, "broken link(s) between the course's pages");
}
