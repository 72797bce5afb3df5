/* The built site: Doxygen gave no warning, and every local href, src and
 * data of its HTML names a file that exists. */
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

/* ---- the built site --------------------------------------------------- */

void test_docs_build_clean(void **state)
{
    const struct docs *d = *state;
    char index[PATH_MAX + 32], warnings[PATH_MAX + 32];
    snprintf(index, sizeof index, "%s/index.html", d->html);
    snprintf(warnings, sizeof warnings, "%s/docs/warnings.log", d->build);
    size_t len;
    char *w = slurp(warnings, &len);
    if (!w)
        fail_msg("%s: missing; the docs were not built by 'make docs'",
                 warnings);
    if (len) {
        fputs(w, stdout);
        fflush(stdout);
        free(w);
        fail_msg("Doxygen warned (%s); warnings are errors", warnings);
    }
    free(w);
    if (!exists(index))
        fail_msg("%s: missing; run 'make docs'", index);
    print_message("the docs built with no warning: %s\n", index);
}

static void url_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else if (!strncmp(p, "&amp;", 5)) {
            *o++ = '&';
            p += 4;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
}

/* A chapter's collapsed answers reach the page whole: every <details>
 * opens with its <summary> and is closed (Doxygen 1.9 closes a Markdown
 * page's block right after the summary unless docs/md-filter passes it
 * through as raw HTML). */
static void check_details(struct report *r, const char *s, const char *shown)
{
    int open = 0, close = 0;
    for (const char *p = s; (p = strstr(p, "<details")); p++) {
        open++;
        const char *gt = strchr(p, '>');
        if (gt && strncmp(gt + 1, "<summary>", 9) != 0)
            report(r, "%s: a <details> without its <summary> right after it",
                   shown);
        const char *end = strstr(p, "</details>");
        const char *summary_end = strstr(p, "</summary>");
        if (end && summary_end && end == summary_end + 10)
            report(r,
                   "%s: a <details> that holds only its <summary> (the "
                   "answers fell out of it)",
                   shown);
    }
    for (const char *p = s; (p = strstr(p, "</details>")); p++)
        close++;
    if (open != close)
        report(r, "%s: %d <details> but %d </details>", shown, open, close);
}

/* Every local href, src and data of FILE names a file that exists. */
static int check_html_file(struct report *r, const char *file,
                           const char *shown)
{
    char *s = slurp(file, NULL);
    if (!s)
        return 0;
    check_details(r, s, shown);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(base_name(file) - file), file);
    static const char *const attrs[] = {"href=", "src=", "data="};
    int line = 1, links = 0;
    for (char *p = s; *p; p++) {
        if (*p == '\n') {
            line++;
            continue;
        }
        if (p == s || !isspace((unsigned char)p[-1]))
            continue;
        for (size_t a = 0; a < sizeof attrs / sizeof attrs[0]; a++) {
            size_t k = strlen(attrs[a]);
            if (strncasecmp(p, attrs[a], k) != 0 ||
                (p[k] != '"' && p[k] != '\''))
                continue;
            char quote = p[k], *v = p + k + 1, *end = strchr(v, quote);
            if (!end)
                continue;
            char value[2048];
            snprintf(value, sizeof value, "%.*s", (int)(end - v), v);
            value[strcspn(value, "#?")] = 0;
            if (!value[0] || has_scheme(value))
                continue;
            url_decode(value);
            char target[PATH_MAX * 3];
            if (value[0] == '/')
                snprintf(target, sizeof target, "%s", value);
            else
                snprintf(target, sizeof target, "%s%s", dir, value);
            links++;
            if (!exists(target))
                report(r, "%s:%d: %.*s\"%.*s\": no such file", shown, line,
                       (int)k, p, (int)(end - v), v);
        }
    }
    free(s);
    return links;
}

static void check_html_dir(struct report *r, const char *dir, const char *shown,
                           int *files, int *links)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX * 2], show[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(show, sizeof show, "%s/%s", shown, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t n = strlen(e->d_name);
        if (S_ISDIR(st.st_mode))
            check_html_dir(r, path, show, files, links);
        else if (n > 5 && !strcmp(e->d_name + n - 5, ".html")) {
            *links += check_html_file(r, path, show);
            (*files)++;
        }
    }
    closedir(dp);
}

void test_html_links_resolve(void **state)
{
    const struct docs *d = *state;
    struct report r = {0};
    int files = 0, links = 0;
    check_html_dir(&r, d->html, d->html, &files, &links);
    if (!files)
        fail_msg("%s: no HTML; run 'make docs'", d->html);
    print_message("%d local link(s) in %d HTML file(s) checked\n", links,
                  files);
    report_done(&r, "broken link(s) in the built site");
}
