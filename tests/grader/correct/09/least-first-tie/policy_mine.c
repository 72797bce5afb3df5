/* correct: least-loaded, ties to the lowest index (right, but different from
 * the solution; it must score full marks) */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    int best = 0;
    for (int i = 1; i < sim_workers(s); i++)
        if (sim_worker_open(s, i) < sim_worker_open(s, best))
            best = i;
    return best;
}
