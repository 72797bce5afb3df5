/* Exercise 09: your hand-off policy for the simulator's staged model. */
#ifndef EX09_POLICY_MINE_H
#define EX09_POLICY_MINE_H

#include "simulator/model/sim.h"

/* Choose the request thread for a new connection: return an index from 0
 * to sim_workers(s) - 1, whatever the loads (one request thread, equal
 * loads, ties: always in range, never a division by zero). You may read
 * sim_worker_open(s, i), use s->policy_cursor as you like, and draw
 * random numbers with rng_next(&s->rng) (so that runs stay reproducible:
 * the same seed, the same choices). Never choose the thread that holds
 * more connections than every other. */
int pick_mine(struct sim *s, int acceptor);

#endif
