/* The checks of tests/docs, one cmocka test each; test_docs.c runs them.
 * Each takes the struct docs as its state, reports every problem as
 * file:line, then fails once. */
#ifndef TESTS_DOCS_CHECKS_H
#define TESTS_DOCS_CHECKS_H

#include "tests/docs/course.h"

/* check_site.c: Doxygen gave no warning. */
void test_docs_build_clean(void **state);
/* check_chapters.c: each chapter's shape (CONTRIBUTING.md, "Chapters"). */
void test_chapter_shape(void **state);
/* check_snippets.c: the code quoted in the chapters is the sources' today,
 * and every diagram source has its picture. */
void test_snippets_fresh(void **state);
/* check_links.c: Markdown links and pictures resolve outside Doxygen. */
void test_links_resolve(void **state);
/* check_forge.c: the pages rendered as GitHub-flavoured Markdown show no
 * Doxygen syntax and have no dead relative link. */
void test_pages_on_a_forge(void **state);
/* check_numbers.c: a number marked in prose matches the table cell it
 * cites. */
void test_numbers_match_tables(void **state);
/* check_site.c: every local href/src/data of the built site exists. */
void test_html_links_resolve(void **state);
/* check_runnable.c: the chapters' runnable blocks succeed. */
void test_runnable_blocks(void **state);
/* check_runnable.c: the exercise READMEs' runnable blocks succeed,
 * "before" blocks against the starters, "after" blocks against the
 * solutions (MINE_SRC). */
void test_readme_blocks(void **state);
/* check_deps.c: without root, make deps prints the sudo line and the
 * goal to run again. */
void test_deps_says_what_to_run(void **state);
/* check_chromium.c: the site opens in headless Chromium, not blank. */
void test_site_in_chromium(void **state);

#endif
