/* Running a command, bounded, and cleaning up after it: a session of its
 * own, a time limit, then every process it left killed (its group, then
 * what escaped it and came back to this process, a child subreaper). */
#include "tests/docs/supervisor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- running commands, bounded, and cleaning up after them ------------ */

/* The process group running now, for the signal handler: when the test
 * itself is stopped (the runner's time limit, ^C), what it started goes
 * too. The one global, because a signal handler has no other way in. */
static volatile sig_atomic_t running_group;

static void on_signal(int sig)
{
    if (running_group > 0)
        kill(-running_group, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Reap every child that has exited; true when no child is left. */
static bool reap(void)
{
    for (;;) {
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w > 0)
            continue;
        return w < 0 && errno == ECHILD;
    }
}

/* Kill what is left of process group PGID: SIGTERM, a grace period, then
 * SIGKILL. Then anything that escaped into a session of its own (this
 * process is a child subreaper, so orphans come back here): SIGKILL.
 * Returns how many such escapees there were. */
static int end_group(pid_t pgid)
{
    kill(-pgid, SIGTERM);
    double until = now_s() + 3;
    while (now_s() < until) {
        reap();
        if (kill(-pgid, 0) < 0 && errno == ESRCH)
            break;
        nap_ms(20);
    }
    kill(-pgid, SIGKILL);
    int escaped = 0;
    until = now_s() + 5;
    while (!reap() && now_s() < until) {
        DIR *dp = opendir("/proc");
        struct dirent *e;
        while (dp && (e = readdir(dp))) {
            pid_t pid = atoi(e->d_name);
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/stat", pid);
            char *st = pid > 0 ? slurp(path, NULL) : NULL;
            char *rp = st ? strrchr(st, ')') : NULL;
            char state = 0;
            int ppid = 0, pgrp = 0;
            /* A child of ours, alive, not of the group just killed. */
            if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
                ppid == getpid() && state != 'Z' && pgrp != pgid &&
                kill(pid, SIGKILL) == 0)
                escaped++;
            free(st);
        }
        if (dp)
            closedir(dp);
        nap_ms(20);
    }
    return escaped;
}

/* Run ARGV in CWD, in a process group (a session) of its own, output to
 * LOG, with ENV ("NAME=value") added and the parent make's variables
 * removed; stop it after LIMIT seconds; kill everything it left behind. */
struct run run_bounded(const char *const argv[], const char *cwd,
                       const char *log, const char *const env[], double limit)
{
    struct run res = {0};
    fflush(stdout);
    fflush(stderr);
    double t0 = now_s();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setsid();
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || chdir(cwd) < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        /* A user's shell, not make's: a nested make must not try to join
         * the jobserver of the make that runs the tests. */
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        unsetenv("MAKEOVERRIDES");
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execvp(argv[0], (char *const *)argv);
        dprintf(out, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    running_group = pid;
    for (;;) {
        pid_t w = waitpid(pid, &res.status, WNOHANG);
        if (w == pid)
            break;
        if (now_s() - t0 > limit) {
            res.timed_out = true;
            kill(-pid, SIGTERM);
            for (int i = 0; i < 100 && waitpid(pid, &res.status, WNOHANG) == 0;
                 i++)
                nap_ms(20);
            kill(-pid, SIGKILL);
            waitpid(pid, &res.status, 0);
            break;
        }
        nap_ms(20);
    }
    res.seconds = now_s() - t0;
    res.escaped = end_group(pid);
    running_group = 0;
    return res;
}

void describe(const struct run *res, double limit, char *out, size_t n)
{
    if (res->timed_out)
        snprintf(out, n, "timed out after %.0f s", limit);
    else if (WIFEXITED(res->status))
        snprintf(out, n, "exit status %d", WEXITSTATUS(res->status));
    else if (WIFSIGNALED(res->status))
        snprintf(out, n, "killed by signal %d (%s)", WTERMSIG(res->status),
                 strsignal(WTERMSIG(res->status)));
    else
        snprintf(out, n, "status %d", res->status);
}

/* The last LINES lines of FILE, each indented. */
void tail_into(struct report *r, const char *file, int lines)
{
    char *s = slurp(file, NULL);
    if (!s)
        return;
    size_t n = strlen(s);
    while (n && s[n - 1] == '\n')
        s[--n] = 0;
    char *p = s + n;
    int k = 0;
    while (p > s && k < lines)
        if (*--p == '\n')
            k++;
    if (*p == '\n')
        p++;
    char buf[4096];
    for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n")) {
        snprintf(buf, sizeof buf, "  | %s", line);
        report_add(r, buf);
    }
    free(s);
}

void supervisor_init(void)
{
    /* Orphans of what the tests start come back to this process, which
     * kills them; and if this process is stopped, so is what it runs. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGHUP, on_signal);
}
