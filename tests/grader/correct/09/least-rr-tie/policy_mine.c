/* correct: least-loaded, ties broken round-robin with the model's cursor (as
 * fastd does; it must score full marks) */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    int n = sim_workers(s), start = (int)(s->policy_cursor++ % (unsigned)n);
    int best = start;
    for (int i = 1; i < n; i++) {
        int w = (start + i) % n;
        if (sim_worker_open(s, w) < sim_worker_open(s, best))
            best = w;
    }
    return best;
}
