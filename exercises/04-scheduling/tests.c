/* Exercise 04's graded tests: each policy's definition, then how evenly
 * each spreads connections whose lifetimes are skewed. */
#include "exercises/grader/graded.h"

#include <stdlib.h>

#include "schedule.h"

static void test_rr_rotates(void **state)
{
    (void)state;
    int open[3] = {9, 0, 0};
    struct sched s = {.n = 3, .open = open};
    int want[] = {0, 1, 2, 0, 1, 2, 0};
    for (int i = 0; i < 7; i++) {
        int got = pick_rr(&s);
        if (got != want[i])
            fail_msg("pick %d: expected thread %d, observed %d", i, want[i],
                     got);
    }
}

static void test_least_picks_minimum(void **state)
{
    (void)state;
    int open[5] = {4, 2, 7, 1, 1};
    struct sched s = {.n = 5, .open = open};
    if (pick_least(&s) != 3)
        fail_msg("loads {4,2,7,1,1}: expected thread 3, observed %d",
                 pick_least(&s));
    open[3] = 5;
    assert_int_equal(pick_least(&s), 4);
}

static void test_p2c_two_choices(void **state)
{
    (void)state;
    /* One idle thread among 4 busy ones: p2c picks it whenever it is one
     * of the two drawn - 2 of 5 draws - and never a busier one of a pair. */
    int open[5] = {50, 50, 0, 50, 50};
    struct sched s = {.n = 5, .open = open, .rng = 12345};
    int idle = 0, n = 20000;
    for (int i = 0; i < n; i++) {
        int got = pick_p2c(&s);
        assert_true(got >= 0 && got < 5);
        idle += got == 2;
    }
    double share = (double)idle / n;
    if (share < 0.36 || share > 0.44)
        fail_msg("the idle thread was picked %.2f of the time; with two "
                 "different random choices out of 5 it should be 0.40",
                 share);
    /* Loads all different: never the most loaded, often the least. */
    int open2[4] = {3, 1, 4, 2};
    s.open = open2;
    s.n = 4;
    for (int i = 0; i < 1000; i++)
        assert_int_not_equal(pick_p2c(&s), 2);
}

/* A synthetic run: a connection arrives each tick and lives 1 tick, or
 * 400 ticks for one in 20. Returns the mean spread (most - least open). */
static double spread(int (*pick)(struct sched *), int n)
{
    enum { TICKS = 20000 };
    int open[16] = {0};
    static int ends[TICKS + 500][2]; /* (tick, thread) per connection */
    int count = 0;
    struct sched s = {.n = n, .open = open, .rng = 99};
    srand(5);
    double total = 0;
    for (int t = 0; t < TICKS; t++) {
        for (int i = 0; i < count; i++)
            if (ends[i][0] == t) {
                open[ends[i][1]]--;
                ends[i][0] = -1;
            }
        int w = pick(&s);
        open[w]++;
        int life = rand() % 20 == 0 ? 400 : 1;
        int slot = count;
        for (int i = 0; i < count; i++)
            if (ends[i][0] < 0) {
                slot = i;
                break;
            }
        if (slot == count)
            count++;
        ends[slot][0] = t + life;
        ends[slot][1] = w;
        int lo = open[0], hi = open[0];
        for (int i = 1; i < n; i++) {
            lo = open[i] < lo ? open[i] : lo;
            hi = open[i] > hi ? open[i] : hi;
        }
        total += hi - lo;
    }
    return total / TICKS;
}

static void test_spread_under_skew(void **state)
{
    (void)state;
    double rr = spread(pick_rr, 8), least = spread(pick_least, 8),
           p2c = spread(pick_p2c, 8);
    print_message("mean spread, 8 threads: rr %.2f, least %.2f, p2c %.2f\n", rr,
                  least, p2c);
    if (rr < 1)
        fail_msg("round-robin spread %.2f: is pick_rr rotating?", rr);
    if (!(least < rr * 0.5))
        fail_msg("least-loaded should at least halve round-robin's spread: "
                 "rr %.2f, least %.2f",
                 rr, least);
    if (!(p2c < rr * 0.8))
        fail_msg("power of two choices should beat round-robin clearly: rr "
                 "%.2f, p2c %.2f",
                 rr, p2c);
}

static const struct graded table[] = {
    GRADED(test_rr_rotates, 2, 1),
    GRADED(test_least_picks_minimum, 3, 2),
    GRADED(test_p2c_two_choices, 4, 3),
    GRADED(test_spread_under_skew, 5, 3),
};
GRADED_MAIN(table)
