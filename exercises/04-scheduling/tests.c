/*
 * Exercise 04, layer (a): schedule_pick() alone, on request threads whose
 * open-connection counters this program sets.
 */
#include "exercises/grader/graded.h"

#include "exercises/common/fake_server.h"
#include "reference-server/handoff.h"

static struct server *srv;

/* nworkers request threads with these open connections. */
static struct thread *setup(enum schedule schedule, int n, const int *open)
{
    srv = fake_server(1, n, schedule, false);
    for (int i = 0; i < n; i++) {
        struct stats *s = &srv->workers[i]->stats;
        atomic_store(&s->conns_in.value, (uint64_t)open[i] + 10);
        atomic_store(&s->closed_normal.value, 10);
    }
    return &srv->threads[0];
}

static int pick(struct thread *self)
{
    return schedule_pick(self)->id - 1; /* worker index */
}

static void test_rr_rotates(void **state)
{
    (void)state;
    int open[3] = {9, 0, 0};
    struct thread *self = setup(SCHEDULE_RR, 3, open);
    int want[] = {0, 1, 2, 0, 1, 2, 0};
    for (int i = 0; i < 7; i++) {
        int got = pick(self);
        if (got != want[i])
            fail_msg("rr pick %d: expected thread %d, observed %d", i, want[i],
                     got);
    }
    fake_server_free(srv);
}

static void test_least_picks_fewest(void **state)
{
    (void)state;
    int open[5] = {4, 2, 7, 1, 3};
    struct thread *self = setup(SCHEDULE_LEAST, 5, open);
    for (int i = 0; i < 5; i++) {
        int got = pick(self);
        if (got != 3)
            fail_msg("least, loads {4,2,7,1,3}: expected worker 3, observed "
                     "%d",
                     got);
    }
    fake_server_free(srv);
}

static void test_least_ties_rotate(void **state)
{
    (void)state;
    /* Counts lag behind hand-offs (the target has not read its fd yet):
     * ties must not all go to the same thread. */
    int open[4] = {3, 1, 1, 3}, seen[4] = {0};
    struct thread *self = setup(SCHEDULE_LEAST, 4, open);
    for (int i = 0; i < 8; i++)
        seen[pick(self)]++;
    if (seen[0] || seen[3] || !seen[1] || !seen[2])
        fail_msg("least, loads {3,1,1,3}, 8 picks: %d %d %d %d (ties should "
                 "share)",
                 seen[0], seen[1], seen[2], seen[3]);
    fake_server_free(srv);
}

static void test_p2c_never_the_busiest(void **state)
{
    (void)state;
    /* Two DISTINCT samples: the busiest thread loses every comparison. */
    int open[4] = {1, 2, 3, 9}, seen[4] = {0};
    struct thread *self = setup(SCHEDULE_P2C, 4, open);
    for (int i = 0; i < 600; i++)
        seen[pick(self)]++;
    if (seen[3])
        fail_msg("p2c picked the busiest of 4 threads %d times in 600 (two "
                 "samples that may be the same thread, or the busier of the "
                 "two?)",
                 seen[3]);
    /* The idlest wins whenever it is drawn: 3 pairs in 6. */
    if (seen[0] < 200 || seen[0] > 400)
        fail_msg("p2c picked the idlest of 4 threads %d times in 600 (about "
                 "300 expected)",
                 seen[0]);
    fake_server_free(srv);
}

static void test_p2c_spreads_equals(void **state)
{
    (void)state;
    int open[4] = {5, 5, 5, 5}, seen[4] = {0};
    struct thread *self = setup(SCHEDULE_P2C, 4, open);
    for (int i = 0; i < 800; i++)
        seen[pick(self)]++;
    for (int i = 0; i < 4; i++)
        if (seen[i] < 80)
            fail_msg("p2c, equal loads, 800 picks: %d %d %d %d (not random?)",
                     seen[0], seen[1], seen[2], seen[3]);
    fake_server_free(srv);
}

static void test_one_worker(void **state)
{
    (void)state;
    int open[1] = {7};
    enum schedule all[] = {SCHEDULE_RR, SCHEDULE_LEAST, SCHEDULE_P2C};
    for (int k = 0; k < 3; k++) {
        struct thread *self = setup(all[k], 1, open);
        for (int i = 0; i < 3; i++)
            assert_int_equal(pick(self), 0);
        fake_server_free(srv);
    }
}

static const struct graded table[] = {
    GRADED(test_rr_rotates, 1, 1),
    GRADED(test_least_picks_fewest, 3, 1),
    GRADED(test_least_ties_rotate, 2, 2),
    GRADED(test_p2c_never_the_busiest, 3, 3),
    GRADED(test_p2c_spreads_equals, 2, 3),
    GRADED(test_one_worker, 1, 3),
};
GRADED_MAIN(table)
