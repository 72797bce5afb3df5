/**
 * \file
 * \brief What an exercise's test program includes: a table of graded
 *        tests, and a main() that lists them or runs exactly one.
 *
 * The grader runs `tests --list` to learn the tests, their points and
 * hints, then `tests NAME` once per test, each in its own process with a
 * time limit (cmocka does not isolate tests from each other: one crash
 * would end them all).
 */
#ifndef GRADED_H
#define GRADED_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

/** One graded test. */
struct graded {
    const char *name;      /**< the cmocka test's name */
    int points;            /**< what it is worth */
    int hint;              /**< which hints/N.md helps when it fails */
    CMUnitTestFunction fn; /**< the test */
};

/** Declare the table, then GRADED_MAIN(table). */
#define GRADED(fn, points, hint)                                               \
    {                                                                          \
#fn, points, hint, fn                                                  \
    }

/** main(): `--list` prints "name points hint" lines; NAME runs one test. */
#define GRADED_MAIN(table)                                                     \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        size_t n = sizeof(table) / sizeof(table[0]);                           \
        if (argc > 1 && strcmp(argv[1], "--list") == 0) {                      \
            for (size_t i = 0; i < n; i++)                                     \
                printf("%s %d %d\n", table[i].name, table[i].points,           \
                       table[i].hint);                                         \
            return 0;                                                          \
        }                                                                      \
        struct CMUnitTest tests[64];                                           \
        size_t k = 0;                                                          \
        for (size_t i = 0; i < n && k < 64; i++)                               \
            if (argc < 2 || strcmp(argv[1], table[i].name) == 0)               \
                tests[k++] = (struct CMUnitTest){table[i].name, table[i].fn,   \
                                                 NULL, NULL, NULL};            \
        if (k == 0) {                                                          \
            fprintf(stderr, "no test named '%s'\n", argv[1]);                  \
            return 2;                                                          \
        }                                                                      \
        return _cmocka_run_group_tests("exercise", tests, k, NULL, NULL);      \
    }

#endif
