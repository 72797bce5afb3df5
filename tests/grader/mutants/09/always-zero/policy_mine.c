/* mutant: returns the acceptor (0), never a chosen thread */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)s;
    return acceptor;
}
