/* The exercise READMEs' runnable blocks (check_runnable.c): "before"
 * blocks run against the starters in exercises/, "after" blocks against a
 * copy whose starters are replaced by their solutions (MINE_SRC). A
 * program of its own, apart from the chapters' blocks in
 * test_docs_runnable: each set takes minutes, and each stays well inside
 * the runner's time limit for one program. */
#include "tests/docs/checks.h"
#include "tests/docs/supervisor.h"

int main(void)
{
    static struct docs d;
    docs_init(&d, DOCS_ROOT, DOCS_BUILD);
    supervisor_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_readme_blocks, &d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
