/* The course as the checks see it (course.c): the chapters in chapters/,
 * their titles, and the README's list of them. */
#ifndef TESTS_DOCS_COURSE_H
#define TESTS_DOCS_COURSE_H

#include "tests/docs/docs_util.h"

struct chapter {
    int num; /* from the file name; -1 when it is not NN-slug.md */
    char rel[PATH_MAX];
    char title[512]; /* from the title line, "" when malformed */
};

/* Every chapters/ *.md (top level), sorted by name (free *OUT). */
int list_chapters(const struct docs *d, struct chapter **out);
/* The chapters, then their companion pages chapters/more/NN-slug.md
 * (num -1): every page whose links, numbers and runnable blocks the
 * checks read (free *OUT). */
int list_pages(const struct docs *d, struct chapter **out);
const struct chapter *chapter_num(const struct chapter *c, int n, int num);
/* Read each chapter's title line; report a malformed one. */
void read_titles(const struct docs *d, struct report *r, struct chapter *c,
                 int n);

/* An entry of the README's chapter list. */
struct listed {
    int num;
    char name[256];
    char text[512];
    int line;
};

/* The list items of the README's "## Chapters" section that link a
 * chapters/NN-slug.md, in order; *SECTION_LINE is 0 with no section. */
int readme_chapters(const struct docs *d, struct listed *out, int max,
                    int *section_line);

#endif
