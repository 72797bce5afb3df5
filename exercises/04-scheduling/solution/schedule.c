/* Exercise 04, reference solution. */
#include "schedule.h"

unsigned sched_random(struct sched *s, unsigned bound)
{
    uint64_t x = s->rng ? s->rng : 88172645463325252ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    return (unsigned)(x % bound);
}

int pick_rr(struct sched *s)
{
    return (int)(s->cursor++ % (unsigned)s->n);
}

int pick_least(struct sched *s)
{
    int best = 0;
    for (int i = 1; i < s->n; i++)
        if (s->open[i] < s->open[best])
            best = i;
    return best;
}

int pick_p2c(struct sched *s)
{
    if (s->n == 1)
        return 0;
    int a = (int)sched_random(s, (unsigned)s->n);
    int b = (int)sched_random(s, (unsigned)s->n - 1);
    if (b >= a) /* b is any thread but a */
        b++;
    return s->open[b] < s->open[a] ? b : a;
}
