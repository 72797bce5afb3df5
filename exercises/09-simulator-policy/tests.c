/* Exercise 09's graded tests: your policy inside the real model, on the
 * skewed-lifetimes scenario, against round-robin. */
#include "exercises/grader/graded.h"

#include "policy_mine.h"
#include "simulator/model/scenario.h"
#include "simulator/model/sim.h"

static const struct policy mine = {"mine", "yours", pick_mine};

/* Run the scenario (from the repository's root, where the grader runs
 * tests) with a policy; the p99 latency in us. */
static double p99_with(const struct policy *p)
{
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    if (scenario_load(&sc, "simulator/scenarios/skewed-lifetimes.ini", err,
                      sizeof err) < 0)
        fail_msg("%s", err);
    sc.duration_ns = 1000000000;
    struct sim s;
    assert_int_equal(sim_init(&s, &sc, err, sizeof err), 0);
    s.policy = p;
    sim_run_until(&s, sc.duration_ns);
    struct sim_report r;
    sim_report(&s, &r);
    sim_free(&s);
    return r.p99_us;
}

static void test_valid_choices(void **state)
{
    (void)state;
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    sc.cores = 5;
    struct sim s;
    assert_int_equal(sim_init(&s, &sc, err, sizeof err), 0);
    for (int i = 0; i < 10000; i++) {
        int got = pick_mine(&s, 0);
        if (got < 0 || got >= sim_workers(&s))
            fail_msg("pick_mine returned %d; valid: 0 to %d", got,
                     sim_workers(&s) - 1);
    }
    sim_free(&s);
}

static void test_uses_every_thread(void **state)
{
    (void)state;
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    sc.cores = 5;
    struct sim s;
    assert_int_equal(sim_init(&s, &sc, err, sizeof err), 0);
    int seen[16] = {0};
    for (int i = 0; i < 1000; i++)
        seen[pick_mine(&s, 0) % 16]++;
    for (int w = 0; w < sim_workers(&s); w++)
        if (seen[w] == 0)
            fail_msg("with equal loads, thread %d was never chosen in 1000 "
                     "picks",
                     w);
    sim_free(&s);
}

static void test_beats_round_robin_p99(void **state)
{
    (void)state;
    double rr = p99_with(policy_find("rr"));
    double yours = p99_with(&mine);
    print_message("p99 under skewed lifetimes: round-robin %.1f us, yours "
                  "%.1f us\n",
                  rr, yours);
    if (!(yours < rr * 0.9))
        fail_msg("p99 %.1f us with your policy, %.1f us with round-robin: "
                 "expected at least 10%% lower",
                 yours, rr);
}

static const struct graded table[] = {
    GRADED(test_valid_choices, 2, 1),
    GRADED(test_uses_every_thread, 3, 2),
    GRADED(test_beats_round_robin_p99, 5, 3),
};
GRADED_MAIN(table)
