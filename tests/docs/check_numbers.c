/* Numbers in prose against their tables. A measured table is named by an
 * HTML comment on the line just above it, invisible on a forge and on the
 * site:
 *
 *     <!-- table: syscalls -->
 *     | syscall | ... |
 *
 * and a sentence that repeats one of its figures says so with a comment on
 * the same line, naming the table, the row (1 = the first row under the
 * header) and the column (1 = the first):
 *
 *     ... about 0.264 calls <!-- cites syscalls row 3 col 3: 0.264 -->
 *     ... About 1,700 <!-- cites instructions row 1 col 4: 1,700 ~ 1,697 -->
 *
 * Each listed number must appear in the paragraph around the comment and
 * in the cited cell; "A ~ B" says the prose rounds the cell's B to A, and
 * they may differ by 2%. Tables and citations are per chapter. When a
 * table is re-measured, the sentences that quote it fail here until they
 * are updated with it. */
#include "tests/docs/checks.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far a rounded figure may be from the cell it rounds. */
#define ROUNDING 0.02

/* A named table: the line of its header row (0-based) in the text. */
struct named_table {
    char name[64];
    int header;
};

/* Copy S without its HTML comments into OUT. */
static void strip_comments(const char *s, char *out, size_t n)
{
    size_t j = 0;
    while (*s && j + 1 < n) {
        if (!strncmp(s, "<!--", 4)) {
            const char *e = strstr(s + 4, "-->");
            if (!e)
                break;
            s = e + 3;
            continue;
        }
        out[j++] = *s++;
    }
    out[j] = 0;
}

/* The next number in *P ("1,700", "0.264", "49.9"), commas dropped, into
 * OUT; false when there is none. A number is not part of a word. */
static bool next_number(const char **p, char *out, size_t n)
{
    const char *s = *p;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            continue;
        if (s > *p && (isalnum((unsigned char)s[-1]) || s[-1] == '_'))
            continue;
        size_t j = 0;
        while (*s && j + 1 < n) {
            if (isdigit((unsigned char)*s))
                out[j++] = *s++;
            else if (*s == ',' && isdigit((unsigned char)s[1]) &&
                     isdigit((unsigned char)s[2]) &&
                     isdigit((unsigned char)s[3]) &&
                     !isdigit((unsigned char)s[4]))
                s++;
            else if (*s == '.' && isdigit((unsigned char)s[1]))
                out[j++] = *s++;
            else
                break;
        }
        out[j] = 0;
        *p = s;
        return true;
    }
    *p = s;
    return false;
}

/* Does TEXT hold the number WANT (both normalised by next_number)? */
static bool holds(const char *text, const char *want)
{
    char got[64];
    for (const char *p = text; next_number(&p, got, sizeof got);)
        if (!strcmp(got, want) || atof(got) == atof(want))
            return true;
    return false;
}

/* Cell COL (1-based) of the table row LINE into OUT; false when the row
 * has fewer cells. A '|' inside a `code span` does not split. */
static bool cell(const char *line, int col, char *out, size_t n)
{
    const char *p = line + strspn(line, " ");
    if (*p == '|')
        p++;
    int k = 1;
    bool code = false;
    const char *start = p;
    for (; *p; p++) {
        if (*p == '`')
            code = !code;
        if (*p == '|' && !code && p[-1] != '\\') {
            if (k == col) {
                snprintf(out, n, "%.*s", (int)(p - start), start);
                return true;
            }
            k++;
            start = p + 1;
        }
    }
    /* A row that does not end with '|': the rest is the last cell. */
    if (k == col && p > start) {
        snprintf(out, n, "%s", start);
        return *trim(out) != 0;
    }
    return false;
}

static bool is_row(const struct text *t, int i)
{
    return i < t->n && t->kind[i] == PROSE &&
           t->line[i][strspn(t->line[i], " ")] == '|';
}

/* The paragraph around line I (prose lines up to blank lines, fences and
 * tables), without its HTML comments. */
static char *paragraph(const struct text *t, int i)
{
    int from = i, to = i;
    while (from > 0 && t->kind[from - 1] == PROSE && *t->line[from - 1] &&
           !is_row(t, from - 1))
        from--;
    while (to + 1 < t->n && t->kind[to + 1] == PROSE && *t->line[to + 1] &&
           !is_row(t, to + 1))
        to++;
    size_t len = 0;
    for (int k = from; k <= to; k++)
        len += strlen(t->line[k]) + 1;
    char *joined = calloc(1, len + 1), *out = calloc(1, len + 1);
    for (int k = from; k <= to; k++)
        strcat(strcat(joined, t->line[k]), "\n");
    strip_comments(joined, out, len + 1);
    free(joined);
    return out;
}

/* Check one "<!-- cites NAME row R col C: SPEC -->" at line I. */
static void check_cite(struct report *r, const char *rel, const struct text *t,
                       int i, const char *cite, const struct named_table *tb,
                       int ntb)
{
    char name[64];
    int row, col, used = 0;
    if (sscanf(cite, "<!-- cites %63s row %d col %d:%n", name, &row, &col,
               &used) != 3 ||
        !used) {
        report(r,
               "%s:%d: a citation reads '<!-- cites TABLE row R col C: N, "
               "N ~ M -->'",
               rel, i + 1);
        return;
    }
    const struct named_table *table = NULL;
    for (int k = 0; k < ntb; k++)
        if (!strcmp(tb[k].name, name))
            table = &tb[k];
    if (!table) {
        report(r,
               "%s:%d: cites table '%s', which no '<!-- table: %s -->' "
               "line of this chapter names",
               rel, i + 1, name, name);
        return;
    }
    int line = table->header + 1 + row; /* header, separator, rows */
    char value[512];
    if (row < 1 || !is_row(t, line) ||
        !cell(t->line[line], col, value, sizeof value)) {
        report(r, "%s:%d: table '%s' (line %d) has no row %d col %d", rel,
               i + 1, name, table->header + 1, row, col);
        return;
    }
    char *para = paragraph(t, i);
    char spec[512];
    const char *end = strstr(cite, "-->");
    snprintf(spec, sizeof spec, "%.*s", (int)(end ? end - (cite + used) : 0),
             cite + used);
    /* Items are separated by ", " (a comma and a blank): a comma inside a
     * number ("1,700") has a digit after it. */
    for (char *item = spec; item && *item;) {
        char *next = strstr(item, ", ");
        if (next)
            *next = 0;
        char *tilde = strchr(item, '~');
        if (tilde)
            *tilde = 0;
        char said[64] = "", of[64] = "";
        const char *p = item;
        next_number(&p, said, sizeof said);
        p = tilde ? tilde + 1 : item;
        next_number(&p, of, sizeof of);
        if (!said[0] || !of[0])
            report(r, "%s:%d: citation of '%s': '%s' is not a number", rel,
                   i + 1, name, trim(item));
        else if (!holds(para, said))
            report(r,
                   "%s:%d: cites %s in table '%s', but the sentence does "
                   "not say %s",
                   rel, i + 1, said, name, said);
        else if (!holds(value, of))
            report(r,
                   "%s:%d: says %s, but table '%s' (line %d) row %d col %d "
                   "holds '%s'",
                   rel, i + 1, of, name, line + 1, row, col, trim(value));
        else if (tilde &&
                 fabs(atof(said) - atof(of)) > ROUNDING * fabs(atof(of)))
            report(r, "%s:%d: %s is not %s rounded (more than %.0f%% off)", rel,
                   i + 1, said, of, ROUNDING * 100);
        item = next ? next + 2 : NULL;
    }
    free(para);
}

/* One chapter: its named tables, then its citations. Returns how many. */
static int check_file(const struct docs *d, struct report *r, const char *rel)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", d->root, rel);
    struct text t;
    if (!text_load(&t, path))
        return 0;
    struct named_table tb[64];
    int ntb = 0, cites = 0;
    for (int i = 0; i < t.n; i++) {
        char name[64];
        if (t.kind[i] != PROSE ||
            sscanf(t.line[i], "<!-- table: %63s -->", name) != 1)
            continue;
        if (!is_row(&t, i + 1) || !is_row(&t, i + 2))
            report(r, "%s:%d: '<!-- table: %s -->' is not right above a table",
                   rel, i + 1, name);
        for (int k = 0; k < ntb; k++)
            if (!strcmp(tb[k].name, name))
                report(r, "%s:%d: a second table named '%s'", rel, i + 1, name);
        if (ntb < 64) {
            snprintf(tb[ntb].name, sizeof tb[ntb].name, "%s", name);
            tb[ntb++].header = i + 1;
        }
    }
    for (int i = 0; i < t.n; i++) {
        if (t.kind[i] != PROSE)
            continue;
        for (const char *c = t.line[i]; (c = strstr(c, "<!-- cites ")); c++) {
            check_cite(r, rel, &t, i, c, tb, ntb);
            cites++;
        }
    }
    text_free(&t);
    return cites;
}

void test_numbers_match_tables(void **state)
{
    const struct docs *d = *state;
    struct chapter *c;
    int n = list_pages(d, &c);
    struct report r = {0};
    int cites = 0;
    for (int i = 0; i < n; i++)
        cites += check_file(d, &r, c[i].rel);
    free(c);
    print_message("%d citation(s) of a table checked\n", cites);
    report_done(&r, "number(s) in prose that differ from their tables");
}
