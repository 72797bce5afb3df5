/*
 * Exercise 04: the hand-off policy - your version of fastd's
 * reference-server/schedule.c, behind reference-server/handoff.h.
 *
 * This starter works, naively: round-robin, whatever --schedule says.
 * When a few connections live long, whichever threads happened to get
 * them stay busier, and round-robin keeps feeding them all the same.
 *
 * TODO 1: --schedule least (SCHEDULE_LEAST): the request thread with the
 *         fewest open connections (stats_open_conns()); ties rotate like
 *         round-robin, so that equal threads share the load.
 * TODO 2: --schedule p2c (SCHEDULE_P2C): two DISTINCT threads at random,
 *         the one with fewer open connections wins.
 * Only the accept thread calls this: thread::next_rr is yours to use.
 * Mind the server with one request thread.
 */
#include "reference-server/handoff.h"

struct thread *schedule_pick(struct thread *self)
{
    struct server *srv = self->srv;
    return srv->workers[self->next_rr++ % (unsigned)srv->nworkers];
}
