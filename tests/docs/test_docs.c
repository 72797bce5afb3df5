/* The chapters and the docs site, as CONTRIBUTING.md's "Chapters" section
 * describes them:
 *   - the docs build with zero Doxygen warnings;
 *   - every chapter has the contract's shape: title and label, the seven
 *     sections in order, a diagram, a \snippet whose markers exist, and the
 *     previous/next navigation as its last line;
 *   - every link resolves: relative Markdown links (and their #anchors),
 *     \ref labels, the README's chapter list, and every local href/src/data
 *     of the built HTML;
 *   - every shell block marked <!-- runnable --> runs and succeeds (QUICK=1,
 *     a time limit, every process it started killed after);
 *   - the site's index and a chapter open in headless Chromium with nothing
 *     on the console, and their screenshots are not blank.
 * Each failure names file:line. The repository and the build directory come
 * from DOCS_ROOT and DOCS_BUILD (tests/docs/module.mk); the environment
 * variables DOCS_TEST_ROOT and DOCS_TEST_BUILD override them, so that the
 * tests can be pointed at a broken copy and seen to fail. DOCS_BLOCK_TIMEOUT
 * (seconds) overrides the runnable blocks' time limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_HDR
#include <stb/stb_image.h>

#ifndef DOCS_ROOT
#define DOCS_ROOT "."
#endif
#ifndef DOCS_BUILD
#define DOCS_BUILD "build"
#endif

/* The course: chapters 00 ... 11. */
#define COURSE_CHAPTERS 12
/* Time limits in seconds: one runnable block, one Chromium run. */
#define BLOCK_SECONDS    120
#define CHROMIUM_SECONDS 60
/* Lines of a failed command's output that are shown. */
#define TAIL_LINES 30

static const char *const SECTIONS[] = {
    "What you will learn",      "The idea",   "The code",
    "In the simulator",         "Experiment", "Exercise",
    "Check your understanding",
};
#define NSECTIONS (int)(sizeof SECTIONS / sizeof SECTIONS[0])

/* Where the repository and the build are (absolute paths). */
struct docs {
    char root[PATH_MAX];
    char build[PATH_MAX];
    char html[PATH_MAX + 16];
};

/* ---- small helpers -------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            s = realloc(s, cap *= 2);
    }
    fclose(f);
    s[n] = 0;
    if (len)
        *len = n;
    return s;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* "chapters/04-accept-and-handoff.md" style names: two digits, a dash, a
 * slug of lower-case letters, digits and dashes, ".md". */
static bool is_chapter_name(const char *name)
{
    if (!isdigit((unsigned char)name[0]) || !isdigit((unsigned char)name[1]) ||
        name[2] != '-')
        return false;
    size_t n = strlen(name);
    if (n < 7 || strcmp(name + n - 3, ".md") != 0)
        return false;
    for (size_t i = 3; i < n - 3; i++)
        if (!islower((unsigned char)name[i]) &&
            !isdigit((unsigned char)name[i]) && name[i] != '-')
            return false;
    return true;
}

/* mkdir -p */
static void make_dir(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0755);
            *s = '/';
        }
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", p, strerror(errno));
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- failure reports: every problem, then one failure ---------------- */

struct report {
    char *text;
    size_t len;
    int failures;
};

static void report_add(struct report *r, const char *line)
{
    size_t n = strlen(line);
    r->text = realloc(r->text, r->len + n + 4);
    memcpy(r->text + r->len, "  ", 2);
    memcpy(r->text + r->len + 2, line, n);
    r->len += n + 2;
    r->text[r->len++] = '\n';
    r->text[r->len] = 0;
}

/* One problem, "file:line: what". */
static void report(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void report(struct report *r, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    report_add(r, line);
    r->failures++;
}

static void report_done(struct report *r, const char *what)
{
    int n = r->failures;
    if (n) {
        /* stdio, not print_message: cmocka cuts messages at 1 KiB */
        fputs(r->text, stdout);
        fflush(stdout);
    }
    free(r->text);
    r->text = NULL;
    r->len = 0;
    if (n)
        fail_msg("%d %s", n, what);
}

/* ---- Markdown files, line by line ------------------------------------ */

enum line_kind { PROSE, FENCE_OPEN, IN_FENCE, FENCE_CLOSE };

struct text {
    char *buf;
    char **line; /* line[i] is line i + 1, without its newline */
    enum line_kind *kind;
    int n;
};

/* A fence opens with ``` or ~~~ (any indentation, so that fences in list
 * items count) and closes with at least as many of the same character. */
static int fence_run(const char *s, char *ch)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '`' && *s != '~')
        return 0;
    int k = 0;
    while (s[k] == *s)
        k++;
    *ch = *s;
    return k >= 3 ? k : 0;
}

static bool text_load(struct text *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->buf = slurp(path, NULL);
    if (!t->buf)
        return false;
    int cap = 64;
    t->line = malloc(sizeof *t->line * (size_t)cap);
    for (char *p = t->buf; *p;) {
        if (t->n == cap)
            t->line = realloc(t->line, sizeof *t->line * (size_t)(cap *= 2));
        t->line[t->n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = 0;
        p = nl + 1;
    }
    t->kind = calloc((size_t)t->n + 1, sizeof *t->kind);
    int open = 0;
    char open_ch = 0;
    for (int i = 0; i < t->n; i++) {
        char ch = 0;
        int k = fence_run(t->line[i], &ch);
        if (!open && k) {
            open = k, open_ch = ch;
            t->kind[i] = FENCE_OPEN;
        } else if (open && k >= open && ch == open_ch) {
            const char *rest = t->line[i];
            while (*rest == ' ' || *rest == '\t' || *rest == ch)
                rest++;
            t->kind[i] = *rest ? IN_FENCE : FENCE_CLOSE;
            if (!*rest)
                open = 0;
        } else {
            t->kind[i] = open ? IN_FENCE : PROSE;
        }
    }
    return true;
}

static void text_free(struct text *t)
{
    free(t->buf);
    free(t->line);
    free(t->kind);
    memset(t, 0, sizeof *t);
}

/* A copy of a prose line with its `code spans` blanked out, so that a
 * command quoted in backticks is never taken for one. */
static char *prose(const char *line)
{
    char *s = strdup(line);
    for (char *p = s; *p;) {
        if (*p != '`') {
            p++;
            continue;
        }
        size_t k = strspn(p, "`");
        char *q = p + k, *end = NULL;
        while ((q = strchr(q, '`'))) {
            size_t m = strspn(q, "`");
            if (m == k) {
                end = q;
                break;
            }
            q += m;
        }
        if (!end)
            break;
        memset(p, ' ', (size_t)(end + k - p));
        p = end + k;
    }
    return s;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* A heading's text without its {#label} and surrounding blanks. */
static void heading_text(const char *line, char *out, size_t n)
{
    while (*line == '#')
        line++;
    snprintf(out, n, "%s", line);
    char *label = strstr(out, "{#");
    if (label)
        *label = 0;
    char *t = trim(out);
    memmove(out, t, strlen(t) + 1);
}

/* GitHub's anchor for a heading: lower case, blanks to dashes, no
 * punctuation. */
static void slug(const char *text, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = text; *p && j + 1 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '-' || c == '_')
            out[j++] = (char)tolower(c);
        else if (c == ' ')
            out[j++] = '-';
    }
    out[j] = 0;
}

/* ---- links in Markdown ------------------------------------------------ */

struct md_link {
    char target[1024];
    char text[512]; /* "" when it starts on an earlier line */
    bool image;
    int line; /* 1-based */
};

/* Every inline link, image and reference definition on the prose lines. */
static int md_links(const struct text *t, struct md_link **out)
{
    int n = 0, cap = 16;
    struct md_link *v = malloc(sizeof *v * (size_t)cap);
    for (int i = 0; i < t->n; i++) {
        if (t->kind[i] != PROSE)
            continue;
        char *s = prose(t->line[i]);
        char *p = s;
        /* [label]: target */
        char *q = s + strspn(s, " ");
        if (*q == '[' && (p = strstr(q, "]:")) && p[2] == ' ') {
            if (n == cap)
                v = realloc(v, sizeof *v * (size_t)(cap *= 2));
            q = p + 2 + strspn(p + 2, " ");
            size_t len = strcspn(q, " \t");
            snprintf(v[n].target, sizeof v[n].target, "%.*s", (int)len, q);
            v[n].image = false;
            v[n].text[0] = 0;
            v[n].line = i + 1;
            n++;
            free(s);
            continue;
        }
        for (p = s; (p = strstr(p, "](")); p += 2) {
            char *start = p + 2, *end;
            start += strspn(start, " ");
            if (*start == '<') {
                end = strchr(++start, '>');
                if (!end)
                    continue;
            } else {
                int depth = 0;
                for (end = start; *end && *end != ' ' && *end != '\t'; end++) {
                    if (*end == '(')
                        depth++;
                    else if (*end == ')' && depth-- == 0)
                        break;
                }
            }
            /* The '[' that opens this link: is it an image? */
            int depth = 0;
            bool image = false;
            char *open = NULL;
            for (char *b = p - 1; b >= s; b--) {
                if (*b == ']')
                    depth++;
                else if (*b == '[' && depth-- == 0) {
                    image = b > s && b[-1] == '!';
                    open = b;
                    break;
                }
            }
            if (n == cap)
                v = realloc(v, sizeof *v * (size_t)(cap *= 2));
            snprintf(v[n].text, sizeof v[n].text, "%.*s",
                     open ? (int)(p - open - 1) : 0, open ? open + 1 : "");
            snprintf(v[n].target, sizeof v[n].target, "%.*s",
                     (int)(end - start), start);
            v[n].image = image;
            v[n].line = i + 1;
            n++;
        }
        free(s);
    }
    *out = v;
    return n;
}

static bool has_scheme(const char *target)
{
    const char *p = target;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return p > target && *p == ':';
}

/* Does FILE (Markdown) define ANCHOR: a {#label}, an \anchor, or a heading
 * whose GitHub anchor it is? */
static bool md_has_anchor(const char *file, const char *anchor)
{
    struct text t;
    if (!text_load(&t, file))
        return false;
    char want[300];
    snprintf(want, sizeof want, "{#%s}", anchor);
    bool found = false;
    for (int i = 0; i < t.n && !found; i++) {
        if (t.kind[i] != PROSE)
            continue;
        const char *l = t.line[i];
        if (strstr(l, want))
            found = true;
        const char *a = strstr(l, "\\anchor ");
        if (a) {
            a += strlen("\\anchor ");
            size_t len = strcspn(a, " \t");
            found |= len == strlen(anchor) && !strncmp(a, anchor, len);
        }
        if (l[0] == '#') {
            char h[512], s[512];
            heading_text(l, h, sizeof h);
            slug(h, s, sizeof s);
            found |= !strcmp(s, anchor);
        }
    }
    text_free(&t);
    return found;
}

/* ---- the chapters ----------------------------------------------------- */

struct chapter {
    int num; /* from the file name; -1 when it is not NN-slug.md */
    char rel[PATH_MAX];
    char title[512]; /* from the title line, "" when malformed */
};

static int chapter_cmp(const void *a, const void *b)
{
    return strcmp(((const struct chapter *)a)->rel,
                  ((const struct chapter *)b)->rel);
}

/* Every chapters/ *.md (top level), sorted by name. */
static int list_chapters(const struct docs *d, struct chapter **out)
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

static const struct chapter *chapter_num(const struct chapter *c, int n,
                                         int num)
{
    for (int i = 0; i < n; i++)
        if (c[i].num == num)
            return &c[i];
    return NULL;
}

/* The README's chapter list: the list items of its "## Chapters" section
 * that link a chapters/NN-slug.md, in order. */
struct listed {
    int num;
    char name[256];
    char text[512];
    int line;
};

static int readme_chapters(const struct docs *d, struct listed *out, int max,
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

static bool regex_match(const char *re, const char *s, regmatch_t *m, size_t nm)
{
    regex_t rx;
    int rc = regcomp(&rx, re, REG_EXTENDED);
    assert_int_equal(rc, 0);
    bool ok = regexec(&rx, s, nm, m, 0) == 0;
    regfree(&rx);
    return ok;
}

static void group(const char *s, const regmatch_t *m, char *out, size_t n)
{
    if (m->rm_so < 0) {
        out[0] = 0;
        return;
    }
    snprintf(out, n, "%.*s", (int)(m->rm_eo - m->rm_so), s + m->rm_so);
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
                   "%s:%d: 'The idea' has no diagram (a \\dot block or "
                   "![caption](NN-name.png) from docs/images/)",
                   rel, idea + 1);
    }

    /* \snippet: at least one, each with its file and a pair of markers. */
    int snippets = 0;
    for (int i = 0; i < t.n; i++) {
        if (t.kind[i] != PROSE)
            continue;
        char *s = prose(t.line[i]);
        regmatch_t m[4];
        if (regex_match("[\\\\@]snippet(\\{[^}]*\\})?[ \t]+([^ \t]+)[ \t]+"
                        "(.*[^ \t])",
                        s, m, 4)) {
            char file[PATH_MAX], name[512], full[PATH_MAX * 2];
            group(s, &m[2], file, sizeof file);
            group(s, &m[3], name, sizeof name);
            snippets++;
            snprintf(full, sizeof full, "%s/%s", d->root, file);
            int markers = snippet_markers(full, name);
            bool header =
                strlen(file) > 2 && !strcmp(file + strlen(file) - 2, ".h");
            if (markers == -1)
                report(r, "%s:%d: \\snippet %s %s: no such file %s", rel, i + 1,
                       file, name, file);
            else if (markers == -2)
                report(r,
                       "%s:%d: \\snippet %s %s: in a header the marker is "
                       "'/* [%s] */' - Doxygen takes '//!' for documentation",
                       rel, i + 1, file, name, name);
            else if (markers != 2)
                report(r,
                       "%s:%d: \\snippet %s %s: '%s[%s]%s' is on %d line(s) "
                       "of %s; a snippet needs exactly one pair",
                       rel, i + 1, file, name, header ? "/* " : "//! ", name,
                       header ? " */" : "", markers, file);
        }
        free(s);
    }
    if (!snippets)
        report(r,
               "%s: no \\snippet (quote the code with \\snippet file.c name "
               "between //! [name] markers)",
               rel);

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

/* Read each chapter's title line; report a malformed one. */
static void read_titles(const struct docs *d, struct report *r,
                        struct chapter *c, int n)
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
        regmatch_t m[4];
        char num[16], label[16], want[16];
        snprintf(want, sizeof want, "ch%02d", c[i].num);
        if (!regex_match("^# Chapter ([0-9]+): (.*[^ ]) \\{#([a-z0-9]+)\\}"
                         "[ \t]*$",
                         t.line[0], m, 4)) {
            report(r,
                   "%s:1: the first line is not '# Chapter %d: Title {#%s}': "
                   "'%s'",
                   c[i].rel, c[i].num, want, t.line[0]);
        } else {
            group(t.line[0], &m[1], num, sizeof num);
            group(t.line[0], &m[3], label, sizeof label);
            if (atoi(num) != c[i].num || strcmp(label, want) != 0)
                report(r,
                       "%s:1: the title says 'Chapter %s' {#%s}; the file "
                       "name says Chapter %d {#%s}",
                       c[i].rel, num, label, c[i].num, want);
            else
                group(t.line[0], &m[2], c[i].title, sizeof c[i].title);
        }
        text_free(&t);
    }
}

static void test_chapter_shape(void **state)
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
        if (!exists(resolved) && l[i].image) {
            snprintf(resolved, sizeof resolved, "%s/docs/images/%s", d->root,
                     target);
            if (!exists(resolved))
                report(lc->r,
                       "%s:%d: image %s: not next to the page nor in "
                       "docs/images/",
                       rel, l[i].line, target);
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

/* Each exercise's README title carries its label: "# Exercise NN: ...
 * {#exNN}", so that chapters can say \ref exNN. */
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
        snprintf(want, sizeof want, "^# Exercise %.2s: .*[^ ] \\{#ex%.2s\\}$",
                 nn, nn);
        struct text t;
        regmatch_t m[1];
        if (text_load(&t, g.gl_pathv[i]) &&
            (t.n == 0 || !regex_match(want, t.line[0], m, 1)))
            report(lc->r,
                   "%s:1: the title is not '# Exercise %.2s: ... "
                   "{#ex%.2s}': '%s'",
                   rel, nn, nn, t.n ? t.line[0] : "");
        text_free(&t);
    }
    globfree(&g);
}

static void test_links_resolve(void **state)
{
    const struct docs *d = *state;
    struct report r = {0};
    struct link_check lc = {.d = d, .r = &r};
    struct chapter *c;
    int nc = list_chapters(d, &c);

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

/* ---- the built site --------------------------------------------------- */

static void test_docs_build_clean(void **state)
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

/* Every local href, src and data of FILE names a file that exists. */
static int check_html_file(struct report *r, const char *file,
                           const char *shown)
{
    char *s = slurp(file, NULL);
    if (!s)
        return 0;
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

static void test_html_links_resolve(void **state)
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

/* ---- running commands, bounded, and cleaning up after them ------------ */

/* The process group running now, for the signal handler: when the test
 * itself is stopped (the runner's time limit, ^C), what it started goes
 * too. The one global, because a signal handler has no other way in. */
static volatile sig_atomic_t running_group;

static void on_signal(int sig)
{
    if (running_group > 0)
        kill(-running_group, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Reap every child that has exited; true when no child is left. */
static bool reap(void)
{
    for (;;) {
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w > 0)
            continue;
        return w < 0 && errno == ECHILD;
    }
}

/* Kill what is left of process group PGID: SIGTERM, a grace period, then
 * SIGKILL. Then anything that escaped into a session of its own (this
 * process is a child subreaper, so orphans come back here): SIGKILL.
 * Returns how many such escapees there were. */
static int end_group(pid_t pgid)
{
    kill(-pgid, SIGTERM);
    double until = now_s() + 3;
    while (now_s() < until) {
        reap();
        if (kill(-pgid, 0) < 0 && errno == ESRCH)
            break;
        nap_ms(20);
    }
    kill(-pgid, SIGKILL);
    int escaped = 0;
    until = now_s() + 5;
    while (!reap() && now_s() < until) {
        DIR *dp = opendir("/proc");
        struct dirent *e;
        while (dp && (e = readdir(dp))) {
            pid_t pid = atoi(e->d_name);
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/stat", pid);
            char *st = pid > 0 ? slurp(path, NULL) : NULL;
            char *rp = st ? strrchr(st, ')') : NULL;
            char state = 0;
            int ppid = 0, pgrp = 0;
            /* A child of ours, alive, not of the group just killed. */
            if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
                ppid == getpid() && state != 'Z' && pgrp != pgid &&
                kill(pid, SIGKILL) == 0)
                escaped++;
            free(st);
        }
        if (dp)
            closedir(dp);
        nap_ms(20);
    }
    return escaped;
}

struct run {
    int status; /* waitpid's, when not timed out */
    bool timed_out;
    double seconds;
    int escaped;
};

/* Run ARGV in CWD, in a process group (a session) of its own, output to
 * LOG, with ENV ("NAME=value") added and the parent make's variables
 * removed; stop it after LIMIT seconds; kill everything it left behind. */
static struct run run_bounded(const char *const argv[], const char *cwd,
                              const char *log, const char *const env[],
                              double limit)
{
    struct run res = {0};
    fflush(stdout);
    fflush(stderr);
    double t0 = now_s();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setsid();
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || chdir(cwd) < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        /* A user's shell, not make's: a nested make must not try to join
         * the jobserver of the make that runs the tests. */
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        unsetenv("MAKEOVERRIDES");
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execvp(argv[0], (char *const *)argv);
        dprintf(out, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    running_group = pid;
    for (;;) {
        pid_t w = waitpid(pid, &res.status, WNOHANG);
        if (w == pid)
            break;
        if (now_s() - t0 > limit) {
            res.timed_out = true;
            kill(-pid, SIGTERM);
            for (int i = 0; i < 100 && waitpid(pid, &res.status, WNOHANG) == 0;
                 i++)
                nap_ms(20);
            kill(-pid, SIGKILL);
            waitpid(pid, &res.status, 0);
            break;
        }
        nap_ms(20);
    }
    res.seconds = now_s() - t0;
    res.escaped = end_group(pid);
    running_group = 0;
    return res;
}

static void describe(const struct run *res, double limit, char *out, size_t n)
{
    if (res->timed_out)
        snprintf(out, n, "timed out after %.0f s", limit);
    else if (WIFEXITED(res->status))
        snprintf(out, n, "exit status %d", WEXITSTATUS(res->status));
    else if (WIFSIGNALED(res->status))
        snprintf(out, n, "killed by signal %d (%s)", WTERMSIG(res->status),
                 strsignal(WTERMSIG(res->status)));
    else
        snprintf(out, n, "status %d", res->status);
}

/* The last LINES lines of FILE, each indented. */
static void tail_into(struct report *r, const char *file, int lines)
{
    char *s = slurp(file, NULL);
    if (!s)
        return;
    size_t n = strlen(s);
    while (n && s[n - 1] == '\n')
        s[--n] = 0;
    char *p = s + n;
    int k = 0;
    while (p > s && k < lines)
        if (*--p == '\n')
            k++;
    if (*p == '\n')
        p++;
    char buf[4096];
    for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n")) {
        snprintf(buf, sizeof buf, "  | %s", line);
        report_add(r, buf);
    }
    free(s);
}

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
        bool marker =
            t.kind[i] == PROSE && !strcmp(trim(s), "<!-- runnable -->");
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
        n++;
    }
    text_free(&t);
    return n;
}

static void test_runnable_blocks(void **state)
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

    double total = 0;
    int failed = 0;
    for (int i = 0; i < nb; i++) {
        char log[PATH_MAX * 2], *script = rewrite_build(b[i].script);
        snprintf(log, sizeof log, "%s/%s-%d.log", logs, base_name(b[i].rel),
                 b[i].line);
        const char *const argv[] = {"bash", "-eo",  "pipefail",
                                    "-c",   script, NULL};
        bool traced = strstr(script, "strace") || strstr(script, "valgrind");
        struct run res =
            run_bounded(argv, d->root, log, traced ? env_traced : env, limit);
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
    print_message("%d runnable block(s), %d failed, %.1f s in all (QUICK=1)\n",
                  nb, failed, total);
    report_done(&r, "problem(s) with the runnable blocks");
}

/* ---- the site in headless Chromium ------------------------------------ */

static bool find_program(const char *name, char *out, size_t n)
{
    const char *path = getenv("PATH");
    char *dirs = strdup(path ? path : "/usr/bin:/bin");
    bool found = false;
    for (char *dir = strtok(dirs, ":"); dir && !found;
         dir = strtok(NULL, ":")) {
        snprintf(out, n, "%s/%s", dir, name);
        found = access(out, X_OK) == 0;
    }
    free(dirs);
    return found;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* How much is drawn in the content area (right of the navigation tree,
 * below the title): distinct colours (4 bits a channel) and the share of
 * pixels that are not the background (the most common colour). */
static void ink(const unsigned char *px, int w, int h, int *colours,
                double *share)
{
    int hist[4096] = {0};
    int x0 = w / 4, y0 = h / 8, total = 0, top = 0;
    *colours = 0;
    for (int y = y0; y < h; y++)
        for (int x = x0; x < w; x++) {
            const unsigned char *q =
                px + 4 * ((size_t)y * (size_t)w + (size_t)x);
            int bin = (q[0] >> 4) << 8 | (q[1] >> 4) << 4 | q[2] >> 4;
            if (hist[bin]++ == 0)
                (*colours)++;
            total++;
        }
    for (int i = 0; i < 4096; i++)
        if (hist[i] > hist[top])
            top = i;
    *share = total ? 1.0 - (double)hist[top] / total : 0;
}

static void check_page(const struct docs *d, struct report *r,
                       const char *chromium, const char *page)
{
    char url[PATH_MAX + 32], png[PATH_MAX + 64], log[PATH_MAX + 64];
    char profile[PATH_MAX + 64], a_profile[PATH_MAX + 96], a_png[PATH_MAX + 96];
    snprintf(url, sizeof url, "file://%s/%s", d->html, page);
    snprintf(png, sizeof png, "%s/test-logs/docs-%s.png", d->build, page);
    snprintf(log, sizeof log, "%s/test-logs/docs-%s.chromium.log", d->build,
             page);
    snprintf(profile, sizeof profile, "%s/test-logs", d->build);
    make_dir(profile);
    snprintf(profile, sizeof profile, "%s/test-logs/chromium-XXXXXX", d->build);
    assert_non_null(mkdtemp(profile));
    snprintf(a_profile, sizeof a_profile, "--user-data-dir=%s", profile);
    snprintf(a_png, sizeof a_png, "--screenshot=%s", png);
    remove(png);
    const char *const argv[] = {
        chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", a_profile,
        "--enable-logging=stderr", "--v=0", "--window-size=1280,900",
        /* let the navigation tree's script run */
        "--virtual-time-budget=5000", a_png, url, NULL};
    struct run res = run_bounded(argv, d->root, log, NULL, CHROMIUM_SECONDS);
    nftw(profile, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    char why[128];
    describe(&res, CHROMIUM_SECONDS, why, sizeof why);

    /* The console: Doxygen's pages log nothing. */
    char *out = slurp(log, NULL);
    int console = 0;
    for (char *line = out ? strtok(out, "\n") : NULL; line;
         line = strtok(NULL, "\n"))
        if (strstr(line, ":CONSOLE")) {
            report(r, "%s: console: %s", page, line);
            console++;
        }
    free(out);

    int w, h, n;
    unsigned char *px = stbi_load(png, &w, &h, &n, 4);
    if (!px) {
        report(r, "%s: no screenshot %s (Chromium: %s); its log %s ends:", page,
               png, why, log);
        tail_into(r, log, 10);
        return;
    }
    int colours;
    double share;
    ink(px, w, h, &colours, &share);
    stbi_image_free(px);
    print_message("  %s: %dx%d, %d colours, %.1f%% ink in the content area, "
                  "%d console message(s), %.1f s (%s)\n",
                  page, w, h, colours, share * 100, console, res.seconds, png);
    if (colours < 8 || share < 0.01)
        report(r,
               "%s: the screenshot %s looks blank: %d colour(s), %.2f%% of "
               "the content area drawn (needs 8 colours and 1%%)",
               page, png, colours, share * 100);
}

static void test_site_in_chromium(void **state)
{
    const struct docs *d = *state;
    char chromium[PATH_MAX];
    if (!find_program("chromium", chromium, sizeof chromium) &&
        !find_program("chromium-browser", chromium, sizeof chromium))
        fail_msg("chromium is not installed: run 'make deps'");
    char index[PATH_MAX + 32];
    snprintf(index, sizeof index, "%s/index.html", d->html);
    if (!exists(index))
        fail_msg("%s: missing; run 'make docs'", index);

    /* A chapter page: chapter 4 (the hand-off, the heart of the course),
     * else the first there is. */
    char chapter[32] = "";
    for (int k = -1; k < COURSE_CHAPTERS && !chapter[0]; k++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/ch%02d.html", d->html, k < 0 ? 4 : k);
        if (exists(path))
            snprintf(chapter, sizeof chapter, "ch%02d.html", k < 0 ? 4 : k);
    }
    struct report r = {0};
    check_page(d, &r, chromium, "index.html");
    if (chapter[0])
        check_page(d, &r, chromium, chapter);
    else
        print_message("no chapter page in %s yet: only the index was "
                      "opened\n",
                      d->html);
    report_done(&r, "problem(s) with the site in headless Chromium");
}

/* ---- main ------------------------------------------------------------- */

static void resolve(const char *env, const char *fallback, char *out)
{
    const char *p = getenv(env);
    if (!p || !*p)
        p = fallback;
    if (!realpath(p, out)) {
        fprintf(stderr, "test_docs: %s: %s\n", p, strerror(errno));
        exit(1);
    }
}

/* usage: test_docs [PATTERN] - run only the tests matching PATTERN. */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    static struct docs d;
    resolve("DOCS_TEST_ROOT", DOCS_ROOT, d.root);
    resolve("DOCS_TEST_BUILD", DOCS_BUILD, d.build);
    snprintf(d.html, sizeof d.html, "%s/docs/html", d.build);
    printf("test_docs: repository %s, build %s\n", d.root, d.build);

    /* Orphans of what the tests start come back to this process, which
     * kills them; and if this process is stopped, so is what it runs. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGHUP, on_signal);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_docs_build_clean, &d),
        cmocka_unit_test_prestate(test_chapter_shape, &d),
        cmocka_unit_test_prestate(test_links_resolve, &d),
        cmocka_unit_test_prestate(test_html_links_resolve, &d),
        cmocka_unit_test_prestate(test_runnable_blocks, &d),
        cmocka_unit_test_prestate(test_site_in_chromium, &d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
