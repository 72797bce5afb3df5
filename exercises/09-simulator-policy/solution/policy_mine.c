/* Exercise 09, reference solution: power of two choices. */
#include "exercises/09-simulator-policy/policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    int n = sim_workers(s);
    if (n == 1)
        return 0;
    int a = (int)(rng_next(&s->rng) % (uint64_t)n);
    int b = (int)(rng_next(&s->rng) % (uint64_t)(n - 1));
    if (b >= a)
        b++;
    return sim_worker_open(s, b) < sim_worker_open(s, a) ? b : a;
}
