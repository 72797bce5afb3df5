/* Service-time shapes (simulator/model/dist.c): each sampler against its
 * own mean and second moment, the scenario keys with file:line errors,
 * and the model under each shape against M/G/1 (Pollaczek-Khinchine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "simulator/model/dist.h"
#include "simulator/model/scenario.h"
#include "simulator/model/sim.h"

static void expect_within(double got, double want, double tolerance,
                          const char *what)
{
    double err = fabs(got - want) / want;
    if (err > tolerance)
        fail_msg("%s: got %.4g, theory %.4g (%.1f%% off, allowed %.0f%%)", what,
                 got, want, 100 * err, 100 * tolerance);
}

static const struct dist shapes[] = {
    {.kind = DIST_EXP, .mean_ns = 10000},
    {.kind = DIST_BIMODAL,
     .mean_ns = 5000,
     .slow_fraction = 0.05,
     .slow_ns = 100000},
    {.kind = DIST_LOGNORMAL, .mean_ns = 10000, .sigma = 1},
    {.kind = DIST_PARETO, .mean_ns = 10000, .alpha = 4.5},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

/* A million draws: their first two moments against the formulas. */
static void test_samples_match_moments(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSHAPES; i++) {
        struct rng r;
        rng_seed(&r, 42);
        double sum = 0, sum2 = 0;
        const int n = 1000000;
        for (int k = 0; k < n; k++) {
            double v = (double)dist_sample_ns(&shapes[i], &r);
            assert_true(v >= 0);
            sum += v;
            sum2 += v * v;
        }
        char what[64];
        snprintf(what, sizeof what, "%s mean", dist_kind_name(shapes[i].kind));
        expect_within(sum / n, dist_mean_ns(&shapes[i]), 0.01, what);
        snprintf(what, sizeof what, "%s E[S^2]",
                 dist_kind_name(shapes[i].kind));
        expect_within(sum2 / n, dist_moment2_ns2(&shapes[i]), 0.05, what);
    }
}

/* The shape that made the model's old runs must still make them: the
 * exponential draws are the same numbers as rng_exp_ns() gave. */
static void test_exp_draws_unchanged(void **state)
{
    (void)state;
    struct rng a, b;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    for (int k = 0; k < 10000; k++)
        assert_int_equal(dist_sample_ns(&shapes[0], &a),
                         rng_exp_ns(&b, shapes[0].mean_ns));
    struct dist constant = {.kind = DIST_CONST, .mean_ns = 1500};
    assert_int_equal(dist_sample_ns(&constant, &a), 1500);
    struct dist pareto2 = {.kind = DIST_PARETO, .mean_ns = 1000, .alpha = 2};
    assert_true(isinf(dist_moment2_ns2(&pareto2)));
}

static void expect_ini_error(const char *text, const char *want)
{
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    assert_int_equal(scenario_parse(&sc, text, "t.ini", err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("for '%s': expected '%s' in '%s'", text, want, err);
}

static void test_scenario_keys(void **state)
{
    (void)state;
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    const char *text = "[load]\nservice = bimodal\nservice_us = 20\n"
                       "slow_fraction = 0.01\nslow_us = 5000\n";
    assert_int_equal(scenario_parse(&sc, text, "t.ini", err, sizeof err), 0);
    struct dist d = scenario_service(&sc);
    assert_int_equal(d.kind, DIST_BIMODAL);
    assert_true(fabs(dist_mean_ns(&d) - (0.99 * 20000 + 0.01 * 5e6)) < 1);
    assert_false(sc.service_exp);

    assert_int_equal(scenario_parse(&sc, "[load]\nservice = exp\n", "t.ini",
                                    err, sizeof err),
                     0);
    assert_int_equal(scenario_service(&sc).kind, DIST_EXP);
    assert_int_equal(scenario_parse(&sc, "[load]\nservice = pareto\n", "t.ini",
                                    err, sizeof err),
                     0);
    assert_int_equal(scenario_service(&sc).kind, DIST_PARETO);
    assert_false(sc.service_exp);

    expect_ini_error("[load]\nservice = weibull\n",
                     "t.ini:2: service: 'weibull' is not const, exp, bimodal");
    expect_ini_error("[load]\n\nslow_fraction = 1.5\n",
                     "t.ini:3: slow_fraction");
    expect_ini_error("[load]\nslow_us = -1\n", "t.ini:2: slow_us");
    expect_ini_error("[load]\nservice_sigma = 0\n", "t.ini:2: service_sigma");
    expect_ini_error("[load]\nservice_alpha = 1\n", "t.ini:2: service_alpha");
    expect_ini_error("[load]\nservice_alpha = many\n",
                     "t.ini:2: service_alpha");
    expect_ini_error("[cost]\nslow_us = 5\n", "t.ini:2: unknown key 'slow_us'");
}

/* One server, Poisson arrivals at load rho, the given shape: the mean
 * response time the model measures (us). */
static double open_single(const char *shape_keys, double rho, uint64_t seed,
                          struct dist *used)
{
    struct scenario sc;
    char err[256], text[512];
    scenario_defaults(&sc);
    assert_int_equal(
        scenario_load(&sc, "simulator/scenarios/mm1.ini", err, sizeof err), 0);
    snprintf(text, sizeof text, "[load]\n%s\n", shape_keys);
    if (scenario_parse(&sc, text, "shape", err, sizeof err) < 0)
        fail_msg("%s", err);
    *used = scenario_service(&sc);
    sc.rate = rho / (dist_mean_ns(used) / 1e9);
    sc.seed = seed;
    struct sim s;
    struct sim_report r;
    assert_int_equal(sim_init(&s, &sc, err, sizeof err), 0);
    while (sim_run_until(&s, s.now + 50000000))
        ;
    sim_report(&s, &r);
    sim_free(&s);
    return r.mean_us;
}

//! [pk check]
/* Pollaczek-Khinchine: the mean response time of M/G/1 is
 * E[S] + lambda E[S^2] / (2 (1 - rho)), whatever the shape. */
static double pk_mean_us(const struct dist *d, double rho)
{
    double es = dist_mean_ns(d), lambda = rho / es;
    return (es + lambda * dist_moment2_ns2(d) / (2 * (1 - rho))) / 1e3;
}
//! [pk check]

static void test_mg1_every_shape(void **state)
{
    (void)state;
    static const struct {
        const char *keys;
        double rho, tolerance;
    } cases[] = {
        {"service = bimodal\nservice_us = 5\nslow_fraction = 0.05\n"
         "slow_us = 100",
         0.5, 0.04},
        {"service = bimodal\nservice_us = 5\nslow_fraction = 0.01\n"
         "slow_us = 500",
         0.7, 0.08},
        {"service = lognormal\nservice_us = 10\nservice_sigma = 1", 0.5, 0.04},
        {"service = lognormal\nservice_us = 10\nservice_sigma = 1", 0.8, 0.08},
        {"service = pareto\nservice_us = 10\nservice_alpha = 4.5", 0.5, 0.05},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dist d;
        double got = open_single(cases[i].keys, cases[i].rho, 20 + i, &d);
        double want = pk_mean_us(&d, cases[i].rho);
        char what[96];
        snprintf(what, sizeof what, "M/G/1 %s rho %.1f", dist_kind_name(d.kind),
                 cases[i].rho);
        expect_within(got, want, cases[i].tolerance, what);
        fprintf(stderr, "# %s: model %.2f us, P-K %.2f us\n", what, got, want);
        /* Bimodal and lognormal are more variable than M/M/1 at the same
         * mean (E[S^2] = 2 E[S]^2 there). A Pareto tail with alpha > 2.41
         * is not: its danger is in the higher moments, which is why the
         * chapter's heavy-tail runs use the lognormal. */
        struct dist m = {.kind = DIST_EXP, .mean_ns = dist_mean_ns(&d)};
        if (d.kind != DIST_PARETO)
            assert_true(dist_moment2_ns2(&d) > dist_moment2_ns2(&m));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_match_moments),
        cmocka_unit_test(test_exp_draws_unchanged),
        cmocka_unit_test(test_scenario_keys),
        cmocka_unit_test(test_mg1_every_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
