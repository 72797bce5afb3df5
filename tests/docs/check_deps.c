/* The README's first promise: without root, `make deps` (and so `make demo`
 * and `make test`, which run it first) prints the exact `sudo apt-get
 * install` line for what is missing, names the make goal to run again,
 * and stops. Run against stand-ins for `id` and `dpkg-query` that say
 * "not root" and "nothing installed", so it tests the script, not this
 * machine; nothing is installed. */
#include "tests/docs/checks.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Write an executable shell script. */
static void write_script(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    chmod(path, 0755);
}

void test_deps_says_what_to_run(void **state)
{
    const struct docs *d = *state;
    char dir[PATH_MAX + 16], path[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/deps-shim", d->build);
    make_dir(dir);
    snprintf(path, sizeof path, "%s/id", dir);
    write_script(path, "#!/bin/sh\n[ \"$1\" = -u ] && { echo 1000; exit 0; }\n"
                       "exec /usr/bin/id \"$@\"\n");
    snprintf(path, sizeof path, "%s/dpkg-query", dir);
    write_script(path, "#!/bin/sh\nexit 1\n");

    char cmd[3 * PATH_MAX], out[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && PATH='%s':\"$PATH\" timeout 30 scripts/deps.sh demo "
             "2>&1",
             d->root, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = 0;
    int status = pclose(p);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fail_msg("scripts/deps.sh as a user with nothing installed: status "
                 "%d, expected exit 1:\n%s",
                 status, out);
    const char *want[] = {"sudo apt-get install -y build-essential",
                          "then 'make demo' again"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(out, want[i]))
            fail_msg("scripts/deps.sh demo: expected '%s' in:\n%s", want[i],
                     out);
}
