/* The pages as a forge shows them: each chapter, the READMEs and
 * CONTRIBUTING.md rendered by a GitHub-flavoured Markdown renderer
 * (cmark-gfm, GitHub's own fork of cmark), and the HTML it writes read
 * back. Outside code, no Doxygen syntax may show ({#label}, \ref, @ref,
 * \snippet, ...: a forge prints them as text), and every relative link and
 * picture the renderer made must reach an existing file (and, for a .md
 * file, its #anchor) from the page's folder. The rendered pages are left
 * in build/forge/ (same paths, .html added) to look at. */
#include "tests/docs/checks.h"
#include "tests/docs/supervisor.h"

#include <ctype.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Time limit of one rendering, in seconds. */
#define RENDER_SECONDS 30

/* Doxygen commands a page must not show: the ones the course ever used,
 * and their common relatives. */
static const char *const DOXYGEN_COMMANDS[] = {
    "ref",
    "subpage",
    "snippet",
    "snippetdoc",
    "dot",
    "enddot",
    "anchor",
    "page",
    "section",
    "subsection",
    "image",
    "include",
    "copydoc",
    "brief",
    "param",
    "return",
    "code",
    "endcode",
    "verbatim",
    "endverbatim",
    "note",
    "warning",
    "sa",
    "see",
    "mainpage",
    "defgroup",
    "ingroup",
    "file",
    "tableofcontents",
};

/* The Markdown line the HTML at OFF came from: the last data-sourcepos
 * ("line:col-line:col", written by --sourcepos) that opens before OFF. */
static int source_line(const char *html, size_t off)
{
    int line = 1;
    const char *key = "data-sourcepos=\"";
    for (const char *p = html; (p = strstr(p, key)) && (size_t)(p - html) < off;
         p++)
        line = atoi(p + strlen(key));
    return line;
}

/* Blank out (with spaces, keeping offsets) every region from OPEN to CLOSE
 * in S: code, preformatted blocks and comments hold text a forge shows as
 * it is, which may quote Doxygen syntax on purpose. */
static void blank_regions(char *s, const char *open, const char *close)
{
    for (char *p = s; (p = strstr(p, open));) {
        char *e = strstr(p + strlen(open), close);
        char *end = e ? e + strlen(close) : p + strlen(p);
        memset(p, ' ', (size_t)(end - p));
        p = end;
    }
}

/* Report Doxygen syntax in the visible text of HTML (from REL). */
static void check_syntax(struct report *r, const char *rel, const char *html)
{
    char *s = strdup(html);
    blank_regions(s, "<pre", "</pre>");
    blank_regions(s, "<code", "</code>");
    blank_regions(s, "<!--", "-->");
    /* Tags and their attributes are not shown either. */
    for (char *p = s; (p = strchr(p, '<'));) {
        char *e = strchr(p, '>');
        char *end = e ? e + 1 : p + strlen(p);
        memset(p, ' ', (size_t)(end - p));
        p = end;
    }
    for (char *p = s; *p; p++) {
        if (p[0] == '{' && p[1] == '#') {
            size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
            if (n && p[2 + n] == '}')
                report(r,
                       "%s:%d: '%.*s' shows as text on a forge (a Doxygen "
                       "label; docs/md-filter adds page labels for the site)",
                       rel, source_line(html, (size_t)(p - s)), (int)n + 3, p);
            continue;
        }
        if (*p != '\\' && *p != '@')
            continue;
        if (*p == '@' && p > s &&
            (isalnum((unsigned char)p[-1]) || p[-1] == '.'))
            continue; /* an address, not a command */
        size_t n = 0;
        while (isalpha((unsigned char)p[1 + n]))
            n++;
        for (size_t c = 0;
             n && c < sizeof DOXYGEN_COMMANDS / sizeof DOXYGEN_COMMANDS[0]; c++)
            if (strlen(DOXYGEN_COMMANDS[c]) == n &&
                !strncmp(p + 1, DOXYGEN_COMMANDS[c], n)) {
                report(r,
                       "%s:%d: '%.*s' shows as text on a forge (Doxygen "
                       "syntax; link with [text](relative/path.md))",
                       rel, source_line(html, (size_t)(p - s)), (int)n + 1, p);
                break;
            }
    }
    free(s);
}

/* "a%20b&amp;c" -> "a b&c": an attribute value as the browser reads it. */
static void attr_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        if (in[i] == '&' && !strncmp(in + i, "&amp;", 5)) {
            out[o++] = '&';
            i += 4;
        } else if (in[i] == '%' && i + 2 < len &&
                   isxdigit((unsigned char)in[i + 1]) &&
                   isxdigit((unsigned char)in[i + 2])) {
            char hex[3] = {in[i + 1], in[i + 2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = 0;
}

/* Every href= and src= the renderer wrote for REL resolves from its
 * folder DIR (absolute, ending in '/'); PATH is REL's absolute path. */
static void check_targets(struct report *r, const char *rel, const char *path,
                          const char *dir, const char *html, int *links)
{
    static const char *const attrs[] = {" href=\"", " src=\""};
    for (size_t a = 0; a < 2; a++)
        for (const char *p = html; (p = strstr(p, attrs[a]));) {
            p += strlen(attrs[a]);
            const char *e = strchr(p, '"');
            if (!e)
                break;
            char target[2048];
            attr_decode(p, (size_t)(e - p), target, sizeof target);
            int line = source_line(html, (size_t)(p - html));
            p = e;
            if (!target[0] || has_scheme(target))
                continue;
            (*links)++;
            char *anchor = strchr(target, '#');
            if (anchor)
                *anchor++ = 0;
            char *query = strchr(target, '?');
            if (query)
                *query = 0;
            if (target[0] == '/') {
                report(r,
                       "%s:%d: link to %s: an absolute path; a forge and a "
                       "checkout disagree on where / is (use a relative one)",
                       rel, line, target);
                continue;
            }
            char resolved[PATH_MAX * 3];
            if (target[0])
                snprintf(resolved, sizeof resolved, "%s%s", dir, target);
            else
                snprintf(resolved, sizeof resolved, "%s", path);
            if (!exists(resolved)) {
                report(r, "%s:%d: dead link: %s (no such file from %s)", rel,
                       line, target, dir);
                continue;
            }
            size_t len = strlen(resolved);
            if (anchor && *anchor && len > 3 &&
                !strcmp(resolved + len - 3, ".md") &&
                !md_has_anchor(resolved, anchor))
                report(r, "%s:%d: dead link: %s#%s (no such heading there)",
                       rel, line, target[0] ? target : base_name(rel), anchor);
        }
}

static void check_page(const struct docs *d, struct report *r,
                       const char *cmark, const char *rel, int *links)
{
    char path[PATH_MAX * 2], out[PATH_MAX * 2 + 32];
    snprintf(path, sizeof path, "%s/%s", d->root, rel);
    snprintf(out, sizeof out, "%s/forge/%s.html", d->build, rel);
    char folder[PATH_MAX * 2];
    snprintf(folder, sizeof folder, "%.*s", (int)(base_name(out) - out), out);
    make_dir(folder);
    /* GitHub's extensions, and raw HTML kept (GitHub keeps <details>,
     * <summary>, comments, ... after sanitising). */
    const char *const argv[] = {
        cmark,      "--sourcepos", "--unsafe",      "-e", "table",    "-e",
        "autolink", "-e",          "strikethrough", "-e", "tasklist", path,
        NULL};
    struct run res = run_bounded(argv, d->root, out, NULL, RENDER_SECONDS);
    char why[128];
    describe(&res, RENDER_SECONDS, why, sizeof why);
    if (res.timed_out || !WIFEXITED(res.status) || WEXITSTATUS(res.status)) {
        report(r, "%s: cmark-gfm failed (%s)", rel, why);
        return;
    }
    char *html = slurp(out, NULL);
    if (!html || !*html) {
        report(r, "%s: cmark-gfm wrote nothing to %s", rel, out);
        free(html);
        return;
    }
    char dir[PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%.*s", (int)(base_name(path) - path), path);
    check_syntax(r, rel, html);
    check_targets(r, rel, path, dir, html, links);
    free(html);
}

void test_pages_on_a_forge(void **state)
{
    const struct docs *d = *state;
    char cmark[PATH_MAX];
    if (!find_program("cmark-gfm", cmark, sizeof cmark))
        fail_msg("cmark-gfm is not installed: run 'make deps'");
    struct report r = {0};
    int pages = 0, links = 0;
    static const char *const fixed[] = {"README.md", "CONTRIBUTING.md",
                                        "exercises/README.md"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++, pages++)
        check_page(d, &r, cmark, fixed[i], &links);
    static const char *const globs[] = {"chapters/[0-9][0-9]-*.md",
                                        "chapters/more/[0-9][0-9]-*.md",
                                        "exercises/[0-9][0-9]-*/README.md"};
    for (size_t g = 0; g < sizeof globs / sizeof globs[0]; g++) {
        char pattern[PATH_MAX + 64];
        snprintf(pattern, sizeof pattern, "%s/%s", d->root, globs[g]);
        glob_t gl;
        if (glob(pattern, 0, NULL, &gl) != 0)
            continue;
        for (size_t i = 0; i < gl.gl_pathc; i++, pages++)
            check_page(d, &r, cmark, gl.gl_pathv[i] + strlen(d->root) + 1,
                       &links);
        globfree(&gl);
    }
    print_message("%d page(s) rendered by cmark-gfm into %s/forge/, %d "
                  "relative link(s) and picture(s) followed\n",
                  pages, d->build, links);
    report_done(&r, "problem(s) a forge would show");
}
