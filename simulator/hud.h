/**
 * \file
 * \brief What the heads-up display says: the model's figures, an event in
 *        words, and the roles the view draws for the model's threads.
 */
#ifndef FASTSIM_HUD_H
#define FASTSIM_HUD_H

#include <stddef.h>

#include "simulator/model/sim.h"
#include "simulator/model/tally.h"
#include "simulator/view/view.h"

/**
 * Put one event in words: "t0 accepts fd 12", "t0 hands fd 12 to t2",
 * "fd 12 is ready: it waits in t2's ready list"... wakes and drops give
 * an empty string (they are not worth a line).
 */
void hud_narrate(const struct fd_event *ev, char *out, size_t len);

/**
 * hud_narrate() for the worker pool, where a readable fd does not wait in
 * its loop's ready list: the loop puts it in the shared queue, and the
 * first free worker takes it.
 */
void hud_narrate_pool(const struct fd_event *ev, char *out, size_t len);

/**
 * Fill the HUD from the model. Before the warm-up ends (and the model has
 * no figures yet) the figures come from tally, the events seen so far.
 * util needs room for sc.cores entries, backlog for nthreads.
 */
void hud_from_sim(const struct sim *s, const struct tally *so_far,
                  struct hud *h, double *util, int *backlog);

/** Tell the view the model's threads: their cores and roles. */
void hud_layout_sim(struct view *v, const struct sim *s);

#endif
