/* Scenario INI and fdtrace parsing: good input, every kind of bad input
 * with file:line messages, and random or truncated input that must not
 * crash (ASan watches in `make sanitize`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simulator/model/scenario.h"
#include "simulator/model/tracefile.h"

static void expect_ini_error(const char *text, const char *want)
{
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    assert_int_equal(scenario_parse(&sc, text, "t.ini", err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("for '%s': expected '%s' in '%s'", text, want, err);
}

/* A byte-order mark before the first section (Notepad writes one) read
 * as 't.ini:1: expected key = value'. */
static void test_ini_byte_order_mark(void **state)
{
    (void)state;
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    assert_int_equal(scenario_parse(&sc, "\xef\xbb\xbf[scenario]\ncores = 3\n",
                                    "t.ini", err, sizeof err),
                     0);
    assert_int_equal(sc.cores, 3);
}

static void test_ini_good(void **state)
{
    (void)state;
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    const char *text = "# comment\n[scenario]\narch = pool ; trailing\n"
                       "cores=8\n\n[load]\nmode = open\nrate = 1000\n"
                       "requests_per_conn = 1\n"
                       "service = exp\n[cost]\ncache_penalty = 123\n";
    assert_int_equal(scenario_parse(&sc, text, "t.ini", err, sizeof err), 0);
    assert_int_equal(sc.arch, SIM_POOL);
    assert_int_equal(sc.cores, 8);
    assert_true(sc.open_loop);
    assert_true(sc.service_exp);
    assert_int_equal(sc.cost_cache, 123);
}

static void test_ini_errors(void **state)
{
    (void)state;
    expect_ini_error("[scenario]\narch = fast\n", "t.ini:2: arch: 'fast'");
    expect_ini_error("[scenario]\ncores = 0\n", "t.ini:2: cores");
    expect_ini_error("[scenario]\ncores = 2.5\n", "t.ini:2:");
    expect_ini_error("[scenario]\ncores = 4x\n", "t.ini:2:");
    expect_ini_error("\n\n[scenario]\nbogus = 1\n",
                     "t.ini:4: unknown key 'bogus' in [scenario]");
    expect_ini_error("[nope]\n", "t.ini:1: unknown section [nope]");
    expect_ini_error("[scenario\n", "t.ini:1: bad section header");
    expect_ini_error("cores = 2\n", "t.ini:1: key 'cores' before any");
    expect_ini_error("[load]\njust words\n", "t.ini:2: expected key = value");
    expect_ini_error("[scenario]\nschedule = magic\n", "no policy named");
    expect_ini_error("[load]\nmode = open\n", "needs a rate");
    /* Open-loop arrivals that never close: the load grows for ever (rate
     * 1000 connections/s saturated a core, as a closed loop of ever more
     * clients, and the report said nothing). */
    expect_ini_error("[load]\nmode = open\nrate = 1000\n",
                     "mode = open needs requests_per_conn of 1 or more (got "
                     "0");
    expect_ini_error("[load]\nmode = open\nrate = 1000\nrequests_per_conn = "
                     "0\n",
                     "needs requests_per_conn of 1 or more");
    /* strtod reads hexadecimal; a scenario's numbers are decimal. */
    expect_ini_error("[scenario]\ncores = 0x10\n",
                     "t.ini:2: cores: '0x10' is not a number");
    expect_ini_error("[load]\nrate = 0x1p4\n", "t.ini:2: rate: '0x1p4'");
    expect_ini_error("[scenario]\nname =\n", "t.ini:2: name: empty");
    expect_ini_error("[scenario]\narch = staged\nthreads = 1\n",
                     "staged needs threads > accept_threads");
    /* --cores 1 sets no threads: the message speaks of cores (it spoke
     * of threads and accept_threads, words the command line lacks). */
    expect_ini_error("[scenario]\narch = staged\ncores = 1\n",
                     "staged needs at least 2 cores, a thread on each");
    expect_ini_error("[scenario]\nduration_ms = 10\nwarmup_ms = 10\n",
                     "t.ini:3: warmup_ms must be shorter");
    /* Keys that disagree name the later line that set one of them (they
     * named the file alone), and the values: a duration under the
     * default warm-up (100 ms) said only that the warm-up was longer. */
    expect_ini_error("[scenario]\nduration_ms = 5\n[load]\nclients = 3\n",
                     "t.ini:2: warmup_ms must be shorter than duration_ms "
                     "(got 100 and 5");
    expect_ini_error("[load]\nmode = open\n\nclients = 3\n",
                     "t.ini:2: mode = open needs a rate");
    expect_ini_error("[scenario]\ncores = 3\narch = staged\naccept_threads = "
                     "3\nseed = 4\n",
                     "t.ini:4: staged needs at least 4 cores");
    expect_ini_error("[scenario]\narch = pool\nthreads = 1\n",
                     "t.ini:3: pool needs threads of 2 or more");
    /* Issue 11's bad inputs. */
    expect_ini_error("", "t.ini:1: no keys");
    expect_ini_error("# only a comment\n\n", "t.ini:2: no keys");
    expect_ini_error("[scenario]\ncores = 2\n[load]\nclients = 3\n"
                     "[scenario]\ncores = 4\n",
                     "t.ini:6: duplicate key 'cores' in [scenario] (first on "
                     "line 2)");
    expect_ini_error("[scenario]\nname = say \"hi\"\n",
                     "t.ini:2: name: 'say \"hi\"' may not hold quotes");
    expect_ini_error("[scenario]\nname = a\\b\n", "t.ini:2: name:");
    expect_ini_error("[scenario]\nseed = 9007199254740993\n",
                     "t.ini:2: seed: '9007199254740993' is not a whole number "
                     "from 0 to 2^53");
    expect_ini_error("[scenario]\nseed = -1\n", "t.ini:2: seed:");
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    assert_int_equal(scenario_parse(&sc,
                                    "[scenario]\nseed = 9007199254740992\n",
                                    "t.ini", err, sizeof err),
                     0);
    assert_true(sc.seed == 9007199254740992ULL);
    /* The same key in two sections is two keys. */
    assert_int_equal(scenario_parse(&sc,
                                    "[load]\nservice = exp\n[cost]\n"
                                    "accept = 1\n",
                                    "t.ini", err, sizeof err),
                     0);
}

static void test_bad_files(void **state)
{
    (void)state;
    struct scenario sc;
    struct trace tr;
    char err[256], dir[] = "/tmp/fastsim-dir-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    scenario_defaults(&sc);
    assert_int_equal(scenario_load(&sc, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1: is a directory"));
    assert_int_equal(trace_load(&tr, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1: is a directory"));
    snprintf(path, sizeof path, "%s/empty.ini", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    assert_int_equal(scenario_load(&sc, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty.ini:1: no keys"));
    assert_int_equal(trace_load(&tr, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty.ini:1: empty"));
    unlink(path);
    rmdir(dir);
}

static void test_every_shipped_scenario_loads(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("simulator/scenarios/*.ini", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 9);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct scenario sc;
        char err[256];
        scenario_defaults(&sc);
        if (scenario_load(&sc, g.gl_pathv[i], err, sizeof err) < 0)
            fail_msg("%s", err);
    }
    globfree(&g);
    struct scenario sc;
    char err[256];
    assert_int_equal(scenario_load(&sc, "no/such/file.ini", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "no/such/file.ini"));
}

static void expect_trace_error(const char *text, const char *want)
{
    struct trace tr;
    char err[256];
    assert_int_equal(
        trace_parse(&tr, text, strlen(text), "x.fdt", err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("expected '%s' in '%s'", want, err);
}

#define HEAD "# fdtrace 1 arch=staged threads=2 cores=2\n"

static void test_trace_good(void **state)
{
    (void)state;
    const char *text = HEAD "10 0 0 accept 9 3\n20 0 0 handoff 9 1\n"
                            "5 1 1 wake -1 1\n30 1 1 recv 9 78\n"
                            "31 1 1 request 9 2\n32 1 1 send 9 260\n"
                            "40 1 1 close 9 0\n";
    struct trace tr;
    char err[256];
    assert_int_equal(trace_parse(&tr, text, strlen(text), "x", err, sizeof err),
                     0);
    assert_string_equal(tr.arch, "staged");
    assert_int_equal(tr.len, 7);
    assert_int_equal(tr.events[0].t_ns, 5); /* sorted by time */
    struct trace_counts n;
    trace_count(&tr, &n);
    assert_int_equal(n.connections, 1);
    assert_int_equal(n.requests, 2);
    assert_int_equal(n.handoffs, 1);
    assert_int_equal(n.closes, 1);
    trace_free(&tr);
}

static void test_trace_errors(void **state)
{
    (void)state;
    expect_trace_error("", "x.fdt:1: empty");
    expect_trace_error("hello\n", "x.fdt:1: not an fdtrace v1 file");
    expect_trace_error("# fdtrace 1 arch=staged\n", "x.fdt:1: header needs");
    expect_trace_error("# fdtrace 1 arch=staged threads=200000 cores=2\n",
                       "x.fdt:1: header needs arch=NAME, threads=N and "
                       "cores=N (each N from 1 to 4096)");
    expect_trace_error(HEAD "1 0 0 accept 9\n", "x.fdt:2: expected");
    expect_trace_error(HEAD "1 0 0 accept 9 3\n2 0 0 jump 9 3\n",
                       "x.fdt:3: unknown event");
    expect_trace_error(HEAD "1 7 0 accept 9 3\n", "x.fdt:2: time, thread");
    expect_trace_error(HEAD "-1 0 0 accept 9 3\n", "x.fdt:2: time, thread");
    expect_trace_error(HEAD "1 0 0 handoff 9 5\n", "x.fdt:2: handoff to a");
    expect_trace_error(HEAD "1 0 0 accept 9 3 extra\n", "x.fdt:2: expected");
    /* Issue 11's bad inputs: counts below zero, fds past the limit (a
     * 4-line trace with fd 4194304 once took 447 MB), unknown reasons. */
    expect_trace_error(HEAD "1 1 1 request 9 -3\n",
                       "x.fdt:2: negative request count");
    expect_trace_error(HEAD "1 1 1 recv 9 -1\n", "x.fdt:2: negative recv");
    expect_trace_error(HEAD "1 0 0 accept 9 3\n2 0 0 handoff 9 1\n"
                            "3 1 1 recv 4194304 78\n4 1 1 close 9 0\n",
                       "x.fdt:4: time, thread, core or fd out of range (fds "
                       "up to 1048576)");
    expect_trace_error(HEAD "1 1 1 close 9 7\n", "x.fdt:2: close reason");
}

/* Random bytes, mutations of good input, and every truncation. */
static void test_parsers_survive_garbage(void **state)
{
    (void)state;
    const char *good_trace = HEAD "10 0 0 accept 9 3\n20 0 0 handoff 9 1\n"
                                  "30 1 1 recv 9 78\n40 1 1 close 9 0\n";
    const char *good_ini = "[scenario]\narch = staged\ncores = 4\n[load]\n"
                           "clients = 10\n[cost]\naccept = 5\n";
    char buf[512], err[256];
    srand(3);
    for (int round = 0; round < 20000; round++) {
        const char *base = round % 2 ? good_trace : good_ini;
        size_t len = strlen(base);
        memcpy(buf, base, len);
        if (round % 3 == 0) {
            len = (size_t)rand() % len; /* truncated */
        } else {
            for (int k = 0; k < 1 + rand() % 4; k++)
                buf[rand() % (int)len] = (char)(rand() % 256);
        }
        buf[len] = 0;
        struct trace tr;
        if (trace_parse(&tr, buf, len, "fuzz", err, sizeof err) == 0)
            trace_free(&tr);
        struct scenario sc;
        scenario_defaults(&sc);
        scenario_parse(&sc, buf, "fuzz", err, sizeof err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini_good),
        cmocka_unit_test(test_ini_byte_order_mark),
        cmocka_unit_test(test_ini_errors),
        cmocka_unit_test(test_every_shipped_scenario_loads),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_trace_good),
        cmocka_unit_test(test_trace_errors),
        cmocka_unit_test(test_parsers_survive_garbage),
    };
    return cmocka_run_group_tests_name("sim parsers", tests, NULL, NULL);
}
