/* mutant: least-loaded, ties by a static counter */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    static unsigned cursor;
    (void)acceptor;
    int n = sim_workers(s), start = (int)(cursor++ % (unsigned)n);
    int best = start;
    for (int i = 1; i < n; i++) {
        int w = (start + i) % n;
        if (sim_worker_open(s, w) < sim_worker_open(s, best))
            best = w;
    }
    return best;
}
