/* The chapters' runnable blocks (check_runnable.c): every ```sh or ```bash
 * block after a line "<!-- runnable -->" runs from the repository root and
 * succeeds (QUICK=1, a time limit, every process it started killed after).
 * A program of its own because the blocks take minutes, and wait for the
 * measurement lock when a benchmark runs: a slow run must not hide the
 * quick checks of test_docs. DOCS_TEST_ROOT and DOCS_TEST_BUILD point it
 * at another copy; DOCS_BLOCK_TIMEOUT (seconds) sets a block's limit;
 * DOCS_RUNNABLE_ONLY=NN runs only the chapters whose file name contains
 * NN. */
#include "tests/docs/checks.h"
#include "tests/docs/supervisor.h"

int main(void)
{
    static struct docs d;
    docs_init(&d, DOCS_ROOT, DOCS_BUILD);
    supervisor_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_runnable_blocks, &d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
