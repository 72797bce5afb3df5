/* mutant: draws 0..n, naming a thread that does not exist */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    int n = sim_workers(s);
    int a = (int)(rng_next(&s->rng) % (uint64_t)(n + 1));
    int b = (int)(rng_next(&s->rng) % (uint64_t)(n + 1));
    return sim_worker_open(s, b) < sim_worker_open(s, a) ? b : a;
}
