/* The course as the checks see it: the chapters in chapters/, their titles,
 * and the README's list of them. */
#include "tests/docs/course.h"

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

/* ---- the chapters ----------------------------------------------------- */

static int chapter_cmp(const void *a, const void *b)
{
    return strcmp(((const struct chapter *)a)->rel,
                  ((const struct chapter *)b)->rel);
}

/* Every chapters/ *.md (top level), sorted by name. */
int list_chapters(const struct docs *d, struct chapter **out)
{
    char pattern[PATH_MAX + 16];
    snprintf(pattern, sizeof pattern, "%s/chapters/*.md", d->root);
    glob_t g;
    int n = 0;
    *out = NULL;
    if (glob(pattern, 0, NULL, &g) != 0)
        return 0;
    struct chapter *v = calloc(g.gl_pathc + 1, sizeof *v);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *name = base_name(g.gl_pathv[i]);
        snprintf(v[n].rel, sizeof v[n].rel, "chapters/%s", name);
        v[n].num = is_chapter_name(name) ? atoi(name) : -1;
        n++;
    }
    globfree(&g);
    qsort(v, (size_t)n, sizeof *v, chapter_cmp);
    *out = v;
    return n;
}

int list_pages(const struct docs *d, struct chapter **out)
{
    int n = list_chapters(d, out);
    char pattern[PATH_MAX + 32];
    snprintf(pattern, sizeof pattern, "%s/chapters/more/*.md", d->root);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return n;
    struct chapter *v = realloc(*out, (n + g.gl_pathc + 1) * sizeof *v);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        memset(&v[n], 0, sizeof v[n]);
        snprintf(v[n].rel, sizeof v[n].rel, "chapters/more/%s",
                 base_name(g.gl_pathv[i]));
        v[n].num = -1;
        n++;
    }
    globfree(&g);
    *out = v;
    return n;
}

const struct chapter *chapter_num(const struct chapter *c, int n, int num)
{
    for (int i = 0; i < n; i++)
        if (c[i].num == num)
            return &c[i];
    return NULL;
}

int readme_chapters(const struct docs *d, struct listed *out, int max,
                    int *section_line)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/README.md", d->root);
    struct text t;
    *section_line = 0;
    if (!text_load(&t, path))
        return 0;
    int from = -1, to = t.n;
    for (int i = 0; i < t.n; i++) {
        if (t.kind[i] != PROSE || strncmp(t.line[i], "## ", 3) != 0)
            continue;
        char h[256];
        heading_text(t.line[i], h, sizeof h);
        if (from < 0 && !strcmp(h, "Chapters"))
            from = i;
        else if (from >= 0) {
            to = i;
            break;
        }
    }
    int n = 0;
    if (from >= 0) {
        *section_line = from + 1;
        struct md_link *l;
        int nl = md_links(&t, &l);
        for (int i = 0; i < nl && n < max; i++) {
            const char *tg = l[i].target;
            if (l[i].line <= from || l[i].line > to ||
                strncmp(tg, "chapters/", 9) != 0 || !is_chapter_name(tg + 9))
                continue;
            /* Items of the list only, not "start at [Chapter 0](...)". */
            const char *item = t.line[l[i].line - 1];
            item += strspn(item, " ");
            size_t digits = strspn(item, "0123456789");
            if (!((strchr("-*+", item[0]) && item[1] == ' ') ||
                  (digits && item[digits] == '.' && item[digits + 1] == ' ')))
                continue;
            out[n].num = atoi(tg + 9);
            snprintf(out[n].name, sizeof out[n].name, "%s", tg + 9);
            snprintf(out[n].text, sizeof out[n].text, "%s", l[i].text);
            out[n].line = l[i].line;
            n++;
        }
        free(l);
    }
    text_free(&t);
    return n;
}

/* Read each chapter's title line; report a malformed one. */
void read_titles(const struct docs *d, struct report *r, struct chapter *c,
                 int n)
{
    for (int i = 0; i < n; i++) {
        if (c[i].num < 0 || c[i].num >= COURSE_CHAPTERS)
            continue;
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", d->root, c[i].rel);
        struct text t;
        if (!text_load(&t, path) || t.n == 0) {
            report(r, "%s:1: empty or unreadable", c[i].rel);
            text_free(&t);
            continue;
        }
        /* Plain Markdown: the site's label {#chNN} is added by
         * docs/md-filter, so the title must not carry one. */
        regmatch_t m[3];
        char num[16];
        if (strstr(t.line[0], "{#")) {
            report(r,
                   "%s:1: the title carries a Doxygen label, which a forge "
                   "shows as text (docs/md-filter adds {#ch%02d} for the "
                   "site): '%s'",
                   c[i].rel, c[i].num, t.line[0]);
        } else if (!regex_match("^# Chapter ([0-9]+): (.*[^ ])[ \t]*$",
                                t.line[0], m, 3)) {
            report(r, "%s:1: the first line is not '# Chapter %d: Title': '%s'",
                   c[i].rel, c[i].num, t.line[0]);
        } else {
            group(t.line[0], &m[1], num, sizeof num);
            if (atoi(num) != c[i].num)
                report(r,
                       "%s:1: the title says 'Chapter %s'; the file name "
                       "says Chapter %d",
                       c[i].rel, num, c[i].num);
            else
                group(t.line[0], &m[2], c[i].title, sizeof c[i].title);
        }
        text_free(&t);
    }
}
