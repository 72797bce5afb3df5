/* Exercise 09's graded tests: your policy inside the real model, on the
 * skewed-lifetimes scenario, against round-robin. A policy must stay in
 * range, spread real connections over every thread, keep the model
 * reproducible (same seed, same run) and beat round-robin's p99. */
#include "exercises/grader/graded.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>

#include "exercises/grader/oracle.h"
#include "policy_mine.h"
#include "simulator/model/scenario.h"
#include "simulator/model/sim.h"

/* How often each thread was chosen while the model ran. */
static long chosen[64];
static int workers_seen;

static int pick_counted(struct sim *s, int acceptor)
{
    workers_seen = sim_workers(s);
    int w = pick_mine(s, acceptor);
    if (w >= 0 && w < 64)
        chosen[w]++;
    return w;
}

static const struct policy mine = {"mine", "yours", pick_mine};
static const struct policy counted = {"mine", "yours, counted", pick_counted};

/* The skewed-lifetimes scenario (the grader runs tests from the
 * repository's root), for ms of simulated time. */
static void skewed(struct scenario *sc, int64_t ms)
{
    char err[256];
    scenario_defaults(sc);
    if (scenario_load(sc, "simulator/scenarios/skewed-lifetimes.ini", err,
                      sizeof err) < 0)
        fail_msg("%s", err);
    sc->duration_ns = ms * 1000000;
}

/* Run a scenario with a policy; its report. */
static struct sim_report run_with(const struct scenario *sc,
                                  const struct policy *p)
{
    char err[256];
    struct sim s;
    want_true(sim_init(&s, sc, err, sizeof err) == 0, "sim_init: %s", err);
    s.policy = p;
    sim_run_until(&s, sc->duration_ns);
    struct sim_report r;
    sim_report(&s, &r);
    sim_free(&s);
    return r;
}

static void test_valid_choices(void **state)
{
    (void)state;
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    sc.cores = 5;
    struct sim s;
    want_true(sim_init(&s, &sc, err, sizeof err) == 0, "sim_init: %s", err);
    int n = sim_workers(&s);
    for (int i = 0; i < 10000; i++) {
        int got = pick_mine(&s, 0);
        if (got < 0 || got >= n) {
            sim_free(&s);
            want_range("pick_mine's choice", 0, n - 1, got);
        }
    }
    sim_free(&s);
}

/* Under real load (connections open and close while the model runs),
 * every request thread must get connections. Ties may go to any thread:
 * this looks at a whole run, not at equal loads. */
static void test_uses_every_thread(void **state)
{
    (void)state;
    /* The scenario's 4 cores, then 40 (39 request threads: more than a
     * policy's fixed table of 16 or a 32-bit mask can name). */
    static const int cores[] = {0, 40};
    for (size_t k = 0; k < sizeof cores / sizeof *cores; k++) {
        struct scenario sc;
        skewed(&sc, 300);
        if (cores[k])
            sc.cores = cores[k];
        memset(chosen, 0, sizeof chosen);
        struct sim_report r = run_with(&sc, &counted);
        (void)r;
        long total = 0;
        for (int w = 0; w < 64; w++)
            total += chosen[w];
        want_true(total > 100,
                  "the model handed off %ld connections: expected "
                  "more than 100 (did pick_mine run?)",
                  total);
        for (int w = 0; w < workers_seen && w < 64; w++)
            want_true(chosen[w] > 0,
                      "%d request threads: thread %d was given none of %ld "
                      "connections: expected every thread to get some",
                      workers_seen, w, total);
    }
}

/* Same seed, same run: two identical models side by side must get the
 * same choices (rand(), time() or a static counter break this), and the
 * whole run must repeat exactly. */
static void test_deterministic(void **state)
{
    (void)state;
    struct scenario sc;
    char err[256];
    skewed(&sc, 200);
    struct sim a, b;
    want_true(sim_init(&a, &sc, err, sizeof err) == 0, "sim_init: %s", err);
    want_true(sim_init(&b, &sc, err, sizeof err) == 0, "sim_init: %s", err);
    for (int i = 0; i < 1000; i++) {
        int x = pick_mine(&a, 0), y = pick_mine(&b, 0);
        if (x != y) {
            sim_free(&a);
            sim_free(&b);
            fail_msg("two models with the same seed: pick %d chose thread %d "
                     "in one and %d in the other; expected the same (use "
                     "rng_next(&s->rng) and state in struct sim, not rand() "
                     "or a static variable)",
                     i + 1, x, y);
        }
    }
    sim_free(&a);
    sim_free(&b);
    struct sim_report r1 = run_with(&sc, &mine), r2 = run_with(&sc, &mine);
    want_true(r1.completed == r2.completed && r1.p99_us == r2.p99_us,
              "the same scenario and seed, run twice: expected the same "
              "run, saw %llu then %llu requests (p99 %.1f then %.1f us)",
              (unsigned long long)r1.completed,
              (unsigned long long)r2.completed, r1.p99_us, r2.p99_us);
}

static void test_beats_round_robin_p99(void **state)
{
    (void)state;
    struct scenario sc;
    skewed(&sc, 1000);
    double rr = run_with(&sc, policy_find("rr")).p99_us;
    double yours = run_with(&sc, &mine).p99_us;
    print_message("p99 under skewed lifetimes: round-robin %.1f us, yours "
                  "%.1f us\n",
                  rr, yours);
    want_true(yours < rr * 0.9,
              "p99 latency: expected at least 10%% below round-robin's "
              "%.1f us, saw %.1f us",
              rr, yours);
}

/* ---- The reference beside yours: one worker, ties, equal loads ---- */

/* The reference solution's policy, linked with its symbols renamed
 * (exercise.conf `oracle`). */
int ref_pick_mine(struct sim *s, int acceptor);

/* pick_mine(), with a crash (a division by zero, a bad pointer) turned
 * into a message that names the case: *sig is the signal, or 0. */
static sigjmp_buf pick_jmp;
static void pick_crashed(int sig)
{
    siglongjmp(pick_jmp, sig);
}
static int safe_pick(struct sim *s, int acceptor, int *sig)
{
    struct sigaction sa = {.sa_handler = pick_crashed}, old_fpe, old_segv;
    sigaction(SIGFPE, &sa, &old_fpe);
    sigaction(SIGSEGV, &sa, &old_segv);
    volatile int got = -1;
    *sig = sigsetjmp(pick_jmp, 1);
    if (*sig == 0)
        got = pick_mine(s, acceptor);
    sigaction(SIGFPE, &old_fpe, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    return got;
}

/* How check_held() calls pick_mine(): from 1 accept thread, or from
 * several in turn (each passing its own thread as `acceptor`); and
 * whether it also checks that a pick leaves the loads as they were. */
static int held_acceptors = 1;
static bool held_untouched;
/* Where s->policy_cursor starts in the models check_held() builds. */
static unsigned held_cursor;

/* A model with n request threads whose loads are held at load[]. */
static void model_with(struct sim *s, int n, const int *load)
{
    struct scenario sc;
    char err[256];
    scenario_defaults(&sc);
    sc.cores = (n > 16 ? n : 16) + held_acceptors;
    sc.accept_threads = held_acceptors;
    want_true(sim_init(s, &sc, err, sizeof err) == 0, "sim_init: %s", err);
    want_true(sim_workers(s) >= n, "the model has %d request threads",
              sim_workers(s));
    s->nworkers = n;
    s->policy_cursor = held_cursor;
    for (int i = 0; i < n; i++)
        s->threads[s->workers[i]].open = load[i];
}

static void model_free(struct sim *s, int n)
{
    (void)n;
    sim_free(s);
}

static void loads_text(const int *load, int n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++)
        oracle_appendf(out, cap, &o, "%s%d", i ? " " : "", load[i]);
}

/* 1. One request thread: the only choice is 0, and a policy must make
 * it without dividing by n - 1 or drawing from an empty range. */
static void test_oracle_one_worker(void **state)
{
    (void)state;
    for (int load = 0; load < 3; load++) {
        struct sim s;
        int l[1] = {load};
        model_with(&s, 1, l);
        for (int i = 0; i < 100; i++) {
            int ref = ref_pick_mine(&s, 0), sig;
            int got = safe_pick(&s, 0, &sig);
            if (sig) {
                model_free(&s, 1);
                fail_msg("one request thread (holding %d connections): "
                         "pick_mine died of %s (a division by n - 1, or a "
                         "draw from an empty range?); the reference chose %d",
                         load, strsignal(sig), ref);
            }
            if (got != ref) {
                model_free(&s, 1);
                fail_msg("one request thread (holding %d connections): "
                         "the reference chose %d, yours chose %d",
                         load, ref, got);
            }
        }
        model_free(&s, 1);
    }
}

/* Hand off `picks` connections with the loads held at load[]: every
 * choice in range, and the same choices as a second model with the same
 * seed (ties broken with the model's PRNG or cursor, never rand() or a
 * static). The reference must pass the same check: it is the proof that
 * the case is fair. */
static void check_held(const char *what_in, int n, const int *load, int picks)
{
    struct sim a, b;
    model_with(&a, n, load);
    model_with(&b, n, load);
    char lt[256];
    loads_text(load, n, lt, sizeof lt);
    /* The case's other conditions, before its loads in a message. */
    char whatx[256];
    size_t used = (size_t)snprintf(whatx, sizeof whatx, "%s", what_in);
    if (held_cursor)
        used += (size_t)snprintf(whatx + used, sizeof whatx - used,
                                 ", s->policy_cursor from %u", held_cursor);
    if (held_acceptors > 1)
        snprintf(whatx + used, sizeof whatx - used,
                 ", %d accept threads in turn (each passing its own thread "
                 "as acceptor)",
                 held_acceptors);
    const char *what = whatx;
    /* The thread holding more than every other, if there is one: a
     * policy that weighs loads never hands it a connection (the
     * reference does not, nor does least-loaded with any tie rule). */
    int heaviest = -1, ref_heaviest = 0, mine_heaviest = 0;
    for (int i = 0; i < n; i++) {
        bool above = true;
        for (int j = 0; j < n; j++)
            above &= j == i || load[j] < load[i];
        heaviest = above && n > 1 ? i : heaviest;
    }
    for (int i = 0; i < picks; i++) {
        int ref = ref_pick_mine(&b, b.acceptors[i % held_acceptors]);
        ref_heaviest += ref == heaviest;
        if (ref < 0 || ref >= n) {
            model_free(&a, n);
            model_free(&b, n);
            fail_msg("the course's fault, not yours: the reference chose %d "
                     "of %d threads",
                     ref, n);
        }
    }
    model_free(&b, n);
    model_with(&b, n, load);
    for (int i = 0; i < picks; i++) {
        int who = a.acceptors[i % held_acceptors];
        int sig, x = safe_pick(&a, who, &sig), y = sig ? x : pick_mine(&b, who);
        if (sig) {
            model_free(&a, n);
            model_free(&b, n);
            fail_msg("%s: %d request threads holding [%s] connections: "
                     "pick_mine died of %s at pick %d (a division by a sum "
                     "of weights that is 0 here?); the reference chooses in "
                     "range",
                     what, n, lt, strsignal(sig), i + 1);
        }
        mine_heaviest += x == heaviest;
        for (int w = 0; held_untouched && w < n; w++)
            if (sim_worker_open(&a, w) != load[w]) {
                int now = sim_worker_open(&a, w);
                model_free(&a, n);
                model_free(&b, n);
                fail_msg("%s: %d request threads holding [%s] connections: "
                         "after pick %d (thread %d), thread %d holds %d; "
                         "expected %d (a policy only reads the loads: the "
                         "model counts the connection itself when it "
                         "arrives)",
                         what, n, lt, i + 1, x, w, now, load[w]);
            }
        if (x < 0 || x >= n || x != y) {
            model_free(&a, n);
            model_free(&b, n);
            if (x < 0 || x >= n)
                fail_msg("%s: %d request threads holding [%s] connections: "
                         "pick %d chose %d, expected 0 to %d (the reference "
                         "chooses in range here)",
                         what, n, lt, i + 1, x, n - 1);
            fail_msg("%s: %d request threads holding [%s] connections: two "
                     "models with the same seed chose %d and %d at pick %d; "
                     "expected the same (break ties with rng_next(&s->rng) "
                     "or s->policy_cursor)",
                     what, n, lt, x, y, i + 1);
        }
    }
    model_free(&a, n);
    model_free(&b, n);
    if (ref_heaviest == 0 && mine_heaviest > 0)
        fail_msg("%s: %d request threads holding [%s] connections: thread %d "
                 "holds more than any other, and %d of %d new connections "
                 "went to it (the reference gave it none: a tie rule that "
                 "keeps a thread no longer among the lightest, or two "
                 "random draws that can both land on it?)",
                 what, n, lt, heaviest, mine_heaviest, picks);
}

/* 2. Equal loads: every thread as loaded as every other, empty, light
 * and heavy, from 1 to 16 threads (a weight of "spare room" is 0 for
 * all of them: nothing to divide by). */
static void test_oracle_equal_loads(void **state)
{
    (void)state;
    static const int levels[] = {0, 1, 7, 1000, 1 << 20};
    for (int n = 1; n <= 16; n++)
        for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
            int load[64];
            for (int i = 0; i < n; i++)
                load[i] = levels[l];
            check_held("equal loads", n, load, 50);
        }
}

/* 3. Ties: some threads share the lightest or the heaviest load;
 * generated at random. */
static void ties_cases(void)
{
    struct oracle_rng r = {0x71e571e5u};
    for (int k = 0; k < 200; k++) {
        int n = 2 + (int)oracle_below(&r, 15), load[64];
        for (int i = 0; i < n; i++)
            load[i] = 3 + (int)oracle_below(&r, 3);
        int tie = (int)oracle_below(&r, 3) == 0 ? 0 : 1 << oracle_below(&r, 12);
        for (int t = 2 + (int)oracle_below(&r, (unsigned)n - 1); t > 0; t--)
            load[oracle_below(&r, (unsigned)n)] = tie;
        check_held("tied loads", n, load, 20);
    }
    /* The heaviest first, then ties among the lightest. */
    for (int n = 2; n <= 8; n++)
        for (int second = 1; second <= 3; second++) {
            int load[64];
            for (int i = 0; i < n; i++)
                load[i] = 1;
            load[0] = 9;
            if (n > 2)
                load[1] = second;
            check_held("the heaviest first, then ties", n, load, 40);
        }
}

static void test_oracle_ties(void **state)
{
    (void)state;
    ties_cases();
}

/* 4. The same ties, handed off by a model with 3 accept threads taking
 * turns, each passing its own thread as `acceptor`: the promises hold
 * whoever calls (in range, the same choices for the same seed, never the
 * one heaviest thread). */
static void test_oracle_accept_threads(void **state)
{
    (void)state;
    held_acceptors = 3;
    ties_cases();
    held_acceptors = 1;
}

/* 5. A policy reads the model (sim_worker_open()) and may change only
 * s->rng (by drawing) and s->policy_cursor: the model counts each
 * connection on the thread chosen when it arrives. The same ties, and
 * after each pick every thread's load is what it was. */
static void test_oracle_reads_only(void **state)
{
    (void)state;
    held_untouched = true;
    ties_cases();
    held_untouched = false;
}

/* 6. s->policy_cursor is an unsigned that a policy may use as it likes
 * (the model's own rr and least do `s->policy_cursor++ % n`): the same
 * ties with the cursor a few picks before an int and an unsigned wrap;
 * every choice stays in range. */
static void test_oracle_cursor_wraps(void **state)
{
    (void)state;
    static const unsigned starts[] = {0x7ffffff0u, 0xfffffff0u};
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
        held_cursor = starts[k];
        ties_cases();
    }
    held_cursor = 0;
}

/* 7. More request threads than 16 or 32 (a machine of 64 cores is no
 * rarity): equal loads, the lightest or the heaviest at the far end,
 * ties; every choice in range and never the one heaviest thread. */
static void test_oracle_many_threads(void **state)
{
    (void)state;
    static const int sizes[] = {17, 31, 33, 48, 64, 100};
    struct oracle_rng r = {0x6a6a6a6au};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int n = sizes[k], load[128];
        for (int i = 0; i < n; i++)
            load[i] = 4;
        check_held("many request threads, equal loads", n, load, 40);
        load[n - 1] = 1; /* the lightest last */
        load[0] = 9;     /* the heaviest first */
        check_held("many request threads, the lightest last", n, load, 40);
        load[n - 1] = 4;
        load[0] = 4;
        load[n - 1] = 9; /* the heaviest last */
        load[n / 2] = 1;
        check_held("many request threads, the heaviest last", n, load, 40);
        for (int c = 0; c < 4; c++) {
            for (int i = 0; i < n; i++)
                load[i] = 3 + (int)oracle_below(&r, 3);
            for (int t = 2 + (int)oracle_below(&r, 6); t > 0; t--)
                load[16 + oracle_below(&r, (unsigned)n - 16)] = 1;
            load[oracle_below(&r, (unsigned)n)] = 20;
            check_held("many request threads, ties past the 16th", n, load, 40);
        }
    }
}

/* 8. Loads of any size: a load that does not fit 8 or 16 bits (a thread
 * with 70,000 connections is a busy server, not a broken one), up to
 * INT_MAX; the heaviest among them never chosen. */
static void test_oracle_large_loads(void **state)
{
    (void)state;
    static const int big[] = {255,   256,   257,     65535,  65536,
                              65537, 70000, 1 << 20, INT_MAX};
    for (size_t k = 0; k < sizeof big / sizeof *big; k++) {
        int b = big[k];
        int two[2] = {b, 3}, three[3] = {4, b, 3};
        int near[4] = {b - 1, b, b - 2, 1}, tied[5] = {b, 2, 2, b - 1, 9};
        check_held("large loads", 2, two, 20);
        check_held("large loads", 3, three, 20);
        check_held("large loads", 4, near, 20);
        check_held("large loads", 5, tied, 20);
    }
}

/* 9. The loads move between picks, as in the model: each connection
 * handed off arrives on the thread chosen (its load goes up by one) and
 * some close. The promise holds at every pick, on the loads of that
 * moment: a choice worked out once and handed out again after the loads
 * changed may name the thread that has since become the heaviest. The
 * reference is held to the same. */
static void loads_move(int (*pick)(struct sim *, int), int n, char *why,
                       size_t cap)
{
    struct sim s;
    int load[16] = {0};
    model_with(&s, n, load);
    struct oracle_rng r = {0x10ad5u + (unsigned)n};
    why[0] = 0;
    for (int i = 0; i < 300 && !why[0]; i++) {
        int heaviest = -1;
        for (int w = 0; w < n; w++) {
            bool above = n > 1;
            for (int j = 0; j < n; j++)
                above &=
                    j == w || sim_worker_open(&s, j) < sim_worker_open(&s, w);
            heaviest = above ? w : heaviest;
        }
        char lt[256];
        for (int w = 0; w < n; w++)
            load[w] = sim_worker_open(&s, w);
        loads_text(load, n, lt, sizeof lt);
        int x = pick(&s, s.acceptors[0]);
        if (x < 0 || x >= n)
            snprintf(why, cap,
                     "pick %d, loads [%s]: chose %d, expected 0 to %d", i + 1,
                     lt, x, n - 1);
        else if (x == heaviest)
            snprintf(why, cap,
                     "pick %d, loads [%s]: chose thread %d, which holds "
                     "more than every other",
                     i + 1, lt, x);
        else
            s.threads[s.workers[x]].open++; /* it arrives */
        /* Now and then one closes, on a thread drawn by the test. */
        int c = (int)oracle_below(&r, (unsigned)n);
        if (oracle_below(&r, 3) == 0 && s.threads[s.workers[c]].open > 0)
            s.threads[s.workers[c]].open--;
    }
    model_free(&s, n);
}

static void test_oracle_loads_move(void **state)
{
    (void)state;
    for (int n = 2; n <= 8; n++) {
        char why[320];
        loads_move(ref_pick_mine, n, why, sizeof why);
        if (why[0])
            fail_msg("the course's fault, not yours: the reference, %d request "
                     "threads, %s",
                     n, why);
        loads_move(pick_mine, n, why, sizeof why);
        if (why[0])
            fail_msg("%d request threads, each connection arriving on the "
                     "thread chosen (and some closing) between picks: %s "
                     "(a choice must weigh the loads of the moment it is "
                     "made; and two random draws must not both land on the "
                     "heaviest)",
                     n, why);
    }
}

static const struct graded table[] = {
    GRADED(test_valid_choices, 2, 1),
    GRADED(test_uses_every_thread, 3, 2),
    GRADED(test_deterministic, 2, 4),
    GRADED(test_beats_round_robin_p99, 5, 3),
    GRADED(test_oracle_one_worker, 2, 1),
    GRADED(test_oracle_equal_loads, 2, 1),
    GRADED(test_oracle_ties, 2, 1),
    GRADED(test_oracle_accept_threads, 2, 1),
    GRADED(test_oracle_reads_only, 2, 1),
    GRADED(test_oracle_cursor_wraps, 1, 1),
    GRADED(test_oracle_many_threads, 2, 1),
    GRADED(test_oracle_large_loads, 1, 1),
    GRADED(test_oracle_loads_move, 2, 1),
};
GRADED_MAIN(table)
