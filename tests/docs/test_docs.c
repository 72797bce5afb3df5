/* The chapters and the docs site, as CONTRIBUTING.md's "Chapters" section
 * describes them. One cmocka test per check, each in its own file:
 *   test_docs_build_clean      check_site.c      zero Doxygen warnings
 *   test_chapter_shape         check_chapters.c  the chapter linter
 *   test_snippets_fresh        check_snippets.c  quoted code and pictures
 *                                                are today's
 *   test_links_resolve         check_links.c     Markdown links, pictures,
 *                                                \ref, the README's list
 *   test_pages_on_a_forge      check_forge.c     rendered by cmark-gfm:
 *                                                no Doxygen syntax shows,
 *                                                no dead relative link
 *   test_numbers_match_tables  check_numbers.c   marked prose numbers
 *                                                against their tables
 *   test_html_links_resolve    check_site.c      the built site's links,
 *                                                <details> kept whole
 *   test_site_in_chromium      check_chromium.c  headless Chromium
 *   test_deps_says_what_to_run check_deps.c      make deps without root
 * The runnable blocks, which take minutes, are test_docs_runnable's. Each
 * failure names file:line. The repository and the build directory come
 * from DOCS_ROOT and DOCS_BUILD (tests/docs/module.mk); the environment
 * variables DOCS_TEST_ROOT and DOCS_TEST_BUILD override them, so that the
 * tests can be pointed at a broken copy and seen to fail.
 *
 *   usage: test_docs [PATTERN]   run only the tests matching PATTERN */
#include "tests/docs/checks.h"
#include "tests/docs/supervisor.h"

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    static struct docs d;
    docs_init(&d, DOCS_ROOT, DOCS_BUILD);
    supervisor_init();

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_docs_build_clean, &d),
        cmocka_unit_test_prestate(test_chapter_shape, &d),
        cmocka_unit_test_prestate(test_snippets_fresh, &d),
        cmocka_unit_test_prestate(test_links_resolve, &d),
        cmocka_unit_test_prestate(test_pages_on_a_forge, &d),
        cmocka_unit_test_prestate(test_numbers_match_tables, &d),
        cmocka_unit_test_prestate(test_html_links_resolve, &d),
        cmocka_unit_test_prestate(test_site_in_chromium, &d),
        cmocka_unit_test_prestate(test_deps_says_what_to_run, &d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
