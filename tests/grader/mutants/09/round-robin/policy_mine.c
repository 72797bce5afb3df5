/* mutant: plain round-robin: ignores how many connections each thread holds, so long-lived connections pile up */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    return (int)(s->policy_cursor++ % (unsigned)sim_workers(s));
}
