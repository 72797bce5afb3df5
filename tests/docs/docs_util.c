/* The toolkit every check of tests/docs shares: files, failure reports,
 * Markdown read line by line, its links, and regular expressions. */
#include "tests/docs/docs_util.h"

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

char *slurp(const char *path, size_t *len)
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

bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* "chapters/04-accept-and-handoff.md" style names: two digits, a dash, a
 * slug of lower-case letters, digits and dashes, ".md". */
bool is_chapter_name(const char *name)
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
void make_dir(const char *path)
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

const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- failure reports: every problem, then one failure ---------------- */

void report_add(struct report *r, const char *line)
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
void report(struct report *r, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    report_add(r, line);
    r->failures++;
}

void report_done(struct report *r, const char *what)
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

bool text_load(struct text *t, const char *path)
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

void text_free(struct text *t)
{
    free(t->buf);
    free(t->line);
    free(t->kind);
    memset(t, 0, sizeof *t);
}

/* A copy of a prose line with its `code spans` blanked out, so that a
 * command quoted in backticks is never taken for one. */
char *prose(const char *line)
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

char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* A heading's text without its {#label} and surrounding blanks. */
void heading_text(const char *line, char *out, size_t n)
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
void slug(const char *text, char *out, size_t n)
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

/* Every inline link, image and reference definition on the prose lines. */
int md_links(const struct text *t, struct md_link **out)
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

bool find_program(const char *name, char *out, size_t n)
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

bool has_scheme(const char *target)
{
    const char *p = target;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return p > target && *p == ':';
}

/* Does FILE (Markdown) define ANCHOR: a {#label}, an \anchor, or a heading
 * whose GitHub anchor it is? */
bool md_has_anchor(const char *file, const char *anchor)
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

bool regex_match(const char *re, const char *s, regmatch_t *m, size_t nm)
{
    regex_t rx;
    int rc = regcomp(&rx, re, REG_EXTENDED);
    assert_int_equal(rc, 0);
    bool ok = regexec(&rx, s, nm, m, 0) == 0;
    regfree(&rx);
    return ok;
}

void group(const char *s, const regmatch_t *m, char *out, size_t n)
{
    if (m->rm_so < 0) {
        out[0] = 0;
        return;
    }
    snprintf(out, n, "%.*s", (int)(m->rm_eo - m->rm_so), s + m->rm_so);
}

/* ENV's value, else FALLBACK, made absolute into OUT; exits when it does
 * not exist. */
static void resolve(const char *env, const char *fallback, char *out)
{
    const char *p = getenv(env);
    if (!p || !*p)
        p = fallback;
    if (!realpath(p, out)) {
        fprintf(stderr, "%s: %s\n", p, strerror(errno));
        exit(1);
    }
}

void docs_init(struct docs *d, const char *root, const char *build)
{
    resolve("DOCS_TEST_ROOT", root, d->root);
    resolve("DOCS_TEST_BUILD", build, d->build);
    snprintf(d->html, sizeof d->html, "%s/docs/html", d->build);
    printf("repository %s, build %s\n", d->root, d->build);
}
