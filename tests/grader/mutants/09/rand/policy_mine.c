/* mutant: rand() instead of the model's seeded RNG */
#include "policy_mine.h"

#include <stdlib.h>

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    int n = sim_workers(s);
    if (n == 1)
        return 0;
    int a = rand() % n;
    int b = rand() % (n - 1);
    if (b >= a)
        b++;
    return sim_worker_open(s, b) < sim_worker_open(s, a) ? b : a;
}
