/* mutant: round-robin, blind to open connections */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)acceptor;
    return (int)(s->policy_cursor++ % (unsigned)sim_workers(s));
}
