/**
 * \file
 * \brief What a replay (replay.c) and a live view (live_view.c) share:
 *        the figures counted from the events played, the HUD they fill,
 *        and the keys that apply to what already happened.
 */
#ifndef FASTSIM_PLAYER_H
#define FASTSIM_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulator/model/tally.h"
#include "simulator/model/tracefile.h"
#include "simulator/recent.h"
#include "simulator/view/view.h"

/** Events played and what they add up to. */
struct player {
    struct view *view;    /**< where they are drawn (NULL: report only) */
    struct trace tr;      /**< header (and, for a replay, the events) */
    size_t next;          /**< replay: the next event to play */
    struct tally tally;   /**< figures since the first event */
    struct recent recent; /**< figures over the last second */
    int64_t origin;       /**< trace time of the first event */
    int64_t clock_ns;     /**< trace time now */
    double pos;           /**< replay: trace seconds played */
    double speed;         /**< replay: trace s per wall s */
    bool paused;          /**< not advancing */
    bool help;            /**< the keys overlay */
    bool laid_out;        /**< threads known and drawn */
    bool totals;          /**< a `total` record has been played */
    int shots;            /**< screenshots saved */
    char narration[160];  /**< the latest event in words */
    char message[256];    /**< a note after a key */
    double message_age;   /**< wall s it has been shown */
    char note[256];       /**< a note that stays (live: fastd stopped) */
    char stats[320];      /**< the figures line */
    char lost[256];       /**< what lost records do to the figures */
    double *util;         /**< per core, for the HUD */
};

/** Lay out the view (if any) and start the figures for p->tr's threads.
 *  \return 0, or -1 with err. */
int player_lay_out(struct player *p, char *err, size_t errlen);

/** Replay: play event i of p->tr, with the ready events a wake-up
 *  implies. */
void player_replay_event(struct player *p, size_t i);

/**
 * Replay: play every event up to trace time pos (seconds from the
 * first), and set the clock there (no further than the last event).
 */
void player_replay_until(struct player *p, double pos);

/**
 * Replay: play to at_s seconds after the first event, as play_run_to()
 * runs the model (--at): the plot sampled every 10 ms of trace, the
 * flows measured there over their usual span (each 10 ms was drawn as
 * ten wall seconds, so the arrows measured the last 10 ms alone: 17.0k
 * req/s beside the HUD's 57439 req/s), then every move completed.
 * title names the trace in the HUD.
 */
void player_replay_to(struct player *p, double at_s, const char *title);

/** Play one event: count it, draw it, put it in words. */
void player_event(struct player *p, const struct fd_event *ev);

/** Show msg for a few seconds. */
void player_say(struct player *p, const char *msg);

/** Apply a key. \return false on quit. */
bool player_key(struct player *p, enum view_key k, bool live);

/** Fill the HUD from the figures and draw a frame. */
void player_draw(struct player *p, const char *title, enum hud_mode mode,
                 double dt);

/** Save the view as a PNG (path may hold %d: frame). \return 0 or -1. */
int player_save(struct player *p, const char *path, int frame);

/** Free what the player holds (not the view). */
void player_free(struct player *p);

#endif
