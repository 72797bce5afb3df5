/* The toolkit every check of tests/docs shares (docs_util.c): where the
 * repository and the build are, files, failure reports that list every
 * problem before failing once, Markdown read line by line, its links. */
#ifndef TESTS_DOCS_DOCS_UTIL_H
#define TESTS_DOCS_DOCS_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <regex.h>
#include <stdbool.h>

/* The repository and the build, as tests/docs/module.mk passes them. */
#ifndef DOCS_ROOT
#define DOCS_ROOT "."
#endif
#ifndef DOCS_BUILD
#define DOCS_BUILD "build"
#endif

/* The course: chapters 00 ... 11. */
#define COURSE_CHAPTERS 12
/* Lines of a failed command's output that are shown. */
#define TAIL_LINES 30

/* Where the repository and the build are (absolute paths). */
struct docs {
    char root[PATH_MAX];
    char build[PATH_MAX];
    char html[PATH_MAX + 16];
};

/* Fill D: the repository ROOT and the build directory BUILD, or the
 * environment's DOCS_TEST_ROOT and DOCS_TEST_BUILD when set (to point the
 * tests at a broken copy), made absolute. */
void docs_init(struct docs *d, const char *root, const char *build);

/* ---- files ---- */

/* FILE's bytes, NUL-terminated (LEN: their count); NULL when unreadable. */
char *slurp(const char *path, size_t *len);
bool exists(const char *path);
double now_s(void);
void nap_ms(long ms);
/* mkdir -p; a failure fails the test. */
void make_dir(const char *path);
const char *base_name(const char *path);
/* "04-accept-and-handoff.md": two digits, a dash, a slug, ".md". */
bool is_chapter_name(const char *name);

/* ---- failure reports: every problem, then one failure ---- */

struct report {
    char *text;
    size_t len;
    int failures;
};

/* A line of context (not a problem) for the report. */
void report_add(struct report *r, const char *line);
/* One problem, "file:line: what". */
void report(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print every problem and fail with "N WHAT", or return when there is none. */
void report_done(struct report *r, const char *what);

/* ---- Markdown files, line by line ---- */

enum line_kind { PROSE, FENCE_OPEN, IN_FENCE, FENCE_CLOSE };

struct text {
    char *buf;
    char **line; /* line[i] is line i + 1, without its newline */
    enum line_kind *kind;
    int n;
};

bool text_load(struct text *t, const char *path);
void text_free(struct text *t);
/* A copy of a prose line with its `code spans` blanked out (free it). */
char *prose(const char *line);
char *trim(char *s);
/* A heading's text without its {#label} and surrounding blanks. */
void heading_text(const char *line, char *out, size_t n);
/* GitHub's anchor for a heading. */
void slug(const char *text, char *out, size_t n);

struct md_link {
    char target[1024];
    char text[512]; /* "" when it starts on an earlier line */
    bool image;
    int line; /* 1-based */
};

/* Every inline link, image and reference definition on the prose lines
 * (free *OUT). */
int md_links(const struct text *t, struct md_link **out);
/* The path of program NAME on $PATH into OUT; false when there is none. */
bool find_program(const char *name, char *out, size_t n);
/* "https:", "mailto:", ...: not a local file. */
bool has_scheme(const char *target);
/* Does FILE (Markdown) define ANCHOR: a {#label}, an \anchor, or a heading
 * whose GitHub anchor it is? */
bool md_has_anchor(const char *file, const char *anchor);

/* ---- regular expressions (POSIX extended) ---- */

bool regex_match(const char *re, const char *s, regmatch_t *m, size_t nm);
/* Group M of S into OUT ("" when it did not match). */
void group(const char *s, const regmatch_t *m, char *out, size_t n);

#endif
