/*
 * The hand-off policy: which request thread gets the next connection.
 * Exercise 04 replaces this file; handoff.c keeps the hand-off itself.
 */
#include "reference-server/handoff.h"

//! [schedule pick]
struct thread *schedule_pick(struct thread *self)
{
    struct server *srv = self->srv;
    unsigned n = (unsigned)srv->nworkers, start = self->next_rr++ % n;
    if (srv->opt.schedule == SCHEDULE_RR)
        return srv->workers[start];
    struct thread *best = srv->workers[start];
    uint64_t best_open = stats_open_conns(&best->stats);
    for (unsigned i = 1; i < n && best_open > 0; i++) {
        struct thread *t = srv->workers[(start + i) % n];
        uint64_t open = stats_open_conns(&t->stats);
        if (open < best_open) {
            best = t;
            best_open = open;
        }
    }
    return best;
}
//! [schedule pick]
