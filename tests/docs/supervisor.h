/* Running a command, bounded, and cleaning up after it (supervisor.c). */
#ifndef TESTS_DOCS_SUPERVISOR_H
#define TESTS_DOCS_SUPERVISOR_H

#include "tests/docs/docs_util.h"

struct run {
    int status; /* waitpid's, when not timed out */
    bool timed_out;
    double seconds;
    int escaped;
};

/* Make this process a child subreaper and stop what it runs when it is
 * stopped itself (SIGTERM, SIGINT, SIGHUP). Call once, first. */
void supervisor_init(void);
/* Run ARGV in CWD, in a process group (a session) of its own, output to
 * LOG, with ENV ("NAME=value") added and the parent make's variables
 * removed; stop it after LIMIT seconds; kill everything it left behind. */
struct run run_bounded(const char *const argv[], const char *cwd,
                       const char *log, const char *const env[], double limit);
/* "exit status 1", "timed out after 120 s", ... */
void describe(const struct run *res, double limit, char *out, size_t n);
/* The last LINES lines of FILE, each indented, into the report. */
void tail_into(struct report *r, const char *file, int lines);

#endif
