/* mutant: returns the acceptor's index (always 0) instead of choosing a request thread */
#include "policy_mine.h"

int pick_mine(struct sim *s, int acceptor)
{
    (void)s;
    return acceptor;
}
