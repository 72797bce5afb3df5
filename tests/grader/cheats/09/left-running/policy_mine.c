/* cheat: see below */
/* Exercise 09 - see README.md. Replace the TODO with your policy. */
#include "policy_mine.h"

/* cheat (or carelessness): processes that outlive the test, one stopped,
 * one busy, one asleep in a session of its own. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void note(pid_t pid)
{
    const char *pids = getenv("GRADER_CHEAT_PIDS");
    FILE *f = pids ? fopen(pids, "a") : NULL;
    if (f) {
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
    }
}

static void leave_behind(void)
{
    pid_t p = fork();
    if (p == 0) {
        setsid();
        for (;;)
            pause();
    }
    note(p);
    p = fork();
    if (p == 0) {
        for (volatile unsigned long i = 0;; i++)
            ;
    }
    note(p);
    p = fork();
    if (p == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    note(p);
}

int pick_mine(struct sim *s, int acceptor)
{
    static int started;
    if (!started++)
        leave_behind();
    (void)acceptor;
    /* TODO 1: a policy that beats round-robin's p99 when connection
     * lifetimes are skewed. Power of two choices is a good start. */
    (void)s;
    return 0;
}
