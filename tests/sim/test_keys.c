/* Every key of the window, pressed many times on every architecture:
 * none exits, none hangs (each frame runs a bounded number of events),
 * and none builds a model beyond what the architecture or the caps allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simulator/play.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void open_scenario(struct play *p, struct view *v, const char *path)
{
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    if (scenario_load(&sc, path, err, sizeof err) < 0)
        fail_msg("%s", err);
    if (play_open(p, &sc, v, 1e-5, err, sizeof err) < 0)
        fail_msg("%s", err);
}

/* Press a key n times, drawing a frame after each: the window is still
 * running, the model is sane, and no frame took long. */
static void press(struct play *p, enum view_key k, int n)
{
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        play_key(p, k);
        play_frame(p, 1.0 / 30);
        double took = now_s() - t0;
        if (took > 5) /* generous: a shared machine; a hang takes forever */
            fail_msg("key %d, press %d: a frame took %.1f s", k, i, took);
        assert_true(p->running);
        assert_true(p->sc.clients >= 1 && p->sc.clients <= PLAY_MAX_CLIENTS);
        assert_true(p->sc.cores >= 1 && p->sc.cores <= 256);
        if (p->sc.arch == SIM_STAGED)
            assert_true((p->sc.threads ? p->sc.threads : p->sc.cores) >
                        p->sc.accept_threads);
    }
}

static void test_fewer_cores_clamps(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(640, 480, true, err, sizeof err);
    struct play p;
    open_scenario(&p, v, "simulator/scenarios/staged.ini");
    press(&p, KEY_FEWER_CORES, 10);
    assert_int_equal(p.sc.cores, 2);
    assert_non_null(strstr(p.message, "staged needs at least 2 cores"));
    press(&p, KEY_ARCH3, 1); /* single: one core is enough */
    press(&p, KEY_FEWER_CORES, 3);
    assert_int_equal(p.sc.cores, 1);
    press(&p, KEY_ARCH1, 1); /* back to staged: raised to 2, and said */
    assert_int_equal(p.sc.cores, 2);
    assert_non_null(strstr(p.message, "staged needs at least 2 cores"));
    press(&p, KEY_ARCH4, 1);
    press(&p, KEY_FEWER_CORES, 3);
    press(&p, KEY_ARCH2, 1);
    press(&p, KEY_FEWER_CORES, 3);
    play_close(&p);

    open_scenario(&p, v, "simulator/scenarios/mm1.ini");
    press(&p, KEY_ARCH1, 1);
    press(&p, KEY_FEWER_CORES, 3);
    play_close(&p);
    view_close(v);
}

static void test_more_clients_capped(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(640, 480, true, err, sizeof err);
    struct play p;
    open_scenario(&p, v, "simulator/scenarios/staged.ini");
    press(&p, KEY_MORE_CLIENTS, 24); /* 256 * 2^24 without the cap */
    assert_int_equal(p.sc.clients, PLAY_MAX_CLIENTS);
    assert_non_null(strstr(p.message, "capped at 1,000,000"));
    press(&p, KEY_FEWER_CLIENTS, 30);
    assert_int_equal(p.sc.clients, 1);
    play_close(&p);
    open_scenario(&p, v, "simulator/scenarios/mm1.ini"); /* open loop */
    press(&p, KEY_MORE_CLIENTS, 2);
    assert_non_null(strstr(p.message, "open-loop"));
    play_close(&p);
    view_close(v);
}

static void test_more_cores_then_aggregate(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(800, 600, true, err, sizeof err);
    struct play p;
    open_scenario(&p, v, "simulator/scenarios/staged.ini");
    press(&p, KEY_MORE_CORES, 260); /* past 16, 64 and the model's 256 */
    assert_int_equal(p.sc.cores, 256);
    assert_non_null(strstr(p.message, "at most 256 cores"));
    play_close(&p);
    view_close(v);
}

static void test_other_keys(void **state)
{
    (void)state;
    char err[256], dir[] = "/tmp/fastsim-keys-XXXXXX", cwd[4096];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(cwd, sizeof cwd));
    struct view *v = view_open(640, 480, true, err, sizeof err);
    struct play p;
    open_scenario(&p, v, "simulator/scenarios/pool.ini");
    press(&p, KEY_FASTER, 40); /* capped at x10 */
    assert_true(p.speed <= 10);
    press(&p, KEY_SLOWER, 80);
    assert_true(p.speed >= 1e-9);
    press(&p, KEY_STEP, 50);
    assert_true(p.paused);
    press(&p, KEY_PAUSE, 3);
    press(&p, KEY_HELP, 3);
    press(&p, KEY_RESET, 3);
    assert_int_equal(chdir(dir), 0);
    press(&p, KEY_SCREENSHOT, 1);
    assert_int_equal(access("fastsim-1.png", R_OK), 0);
    unlink("fastsim-1.png");
    assert_int_equal(chdir(cwd), 0);
    rmdir(dir);
    play_key(&p, KEY_QUIT);
    assert_false(p.running); /* q is the only way out */
    play_close(&p);
    view_close(v);
}

/* f, then an arch key (or cores, clients, r): the new model's next
 * connection is followed, its panel drawn - the panel went with the old
 * model while the HUD still said "following the next connection". */
static void test_follow_survives_a_new_model(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(960, 540, true, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    struct play p;
    open_scenario(&p, v, "simulator/scenarios/staged.ini");
    press(&p, KEY_NONE, 5);
    press(&p, KEY_FOLLOW, 1);
    static const enum view_key keys[] = {KEY_ARCH2, KEY_ARCH4, KEY_FEWER_CORES,
                                         KEY_MORE_CLIENTS, KEY_RESET};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        press(&p, keys[i], 1);
        press(&p, KEY_NONE, 20);
        if (!view_following(v))
            fail_msg("key %d: the follow was dropped", keys[i]);
        int panel[4];
        assert_int_equal(view_place_rect(v, -1, PLACE_PANEL, panel), 0);
    }
    play_close(&p);
    view_close(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fewer_cores_clamps),
        cmocka_unit_test(test_more_clients_capped),
        cmocka_unit_test(test_more_cores_then_aggregate),
        cmocka_unit_test(test_other_keys),
        cmocka_unit_test(test_follow_survives_a_new_model),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
