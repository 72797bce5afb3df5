/* Numbers in prose against their tables: placeholder, written next. */
#include "tests/docs/checks.h"

void test_numbers_match_tables(void **state)
{
    (void)state;
}
