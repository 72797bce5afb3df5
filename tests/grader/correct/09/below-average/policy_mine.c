/* Exercise 09: a thread drawn at random among those at or below the
 * average load (sums in 64 bits). */
#include "exercises/09-simulator-policy/policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    int n = sim_workers(s);
    long long sum = 0;
    for (int i = 0; i < n; i++)
        sum += sim_worker_open(s, i);
    int below = 0;
    for (int i = 0; i < n; i++)
        below += (long long)sim_worker_open(s, i) * n <= sum;
    int k = (int)(rng_next(&s->rng) % (uint64_t)below);
    for (int i = 0; i < n; i++)
        if ((long long)sim_worker_open(s, i) * n <= sum && k-- == 0)
            return i;
    return 0;
}
