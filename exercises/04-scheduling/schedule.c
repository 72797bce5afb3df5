/* Exercise 04 - see README.md. Replace each TODO with working code. */
#include "schedule.h"

unsigned sched_random(struct sched *s, unsigned bound)
{
    /* xorshift64: small, fast, good enough to pick threads. */
    uint64_t x = s->rng ? s->rng : 88172645463325252ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    return (unsigned)(x % bound);
}

int pick_rr(struct sched *s)
{
    /* TODO 1: rotate through the threads with s->cursor. */
    (void)s;
    return 0;
}

int pick_least(struct sched *s)
{
    /* TODO 2: the index of the smallest s->open[i]. */
    (void)s;
    return 0;
}

int pick_p2c(struct sched *s)
{
    /* TODO 3: two different random threads; keep the less loaded. */
    (void)s;
    return 0;
}
