/**
 * \file
 * \brief The SDL2 view: cores as lanes, threads as rows, fds as tokens.
 *
 * The view knows nothing of the model. It is told the threads (their core
 * and stage) and then fed fd events - from the model live, or from a
 * trace fastd recorded - and it draws where each fd is: in the client
 * pool, in a thread's ready queue, in service, or leaving. Tokens glide to
 * their new place (interpolated over `glide` wall seconds), and a hand-off
 * travels on an arc from one lane to the other.
 */
#ifndef FASTSIM_VIEW_H
#define FASTSIM_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "simulator/model/fdevent.h"

struct view;

/** The numbers the heads-up display shows. */
struct hud {
    const char *title;          /**< scenario or trace name */
    const char *arch;           /**< architecture */
    double sim_s;               /**< simulated (or trace) time, s */
    double speed;               /**< simulated s per wall s */
    bool paused;                /**< shows "paused" */
    double throughput_rps;      /**< so far */
    double p50_us;              /**< so far */
    double p99_us;              /**< so far */
    unsigned long handoffs;     /**< so far */
    unsigned long cache_misses; /**< so far */
    int clients;                /**< closed-loop clients (0: not shown) */
    const double *util;         /**< per core, 0..1 */
    int cores;                  /**< entries in util */
    bool help;                  /**< draw the keys overlay */
};

/**
 * Open a window, or an off-screen renderer when headless (the SDL
 * "offscreen" or "dummy" video driver, software rendering).
 * \return the view, or NULL with a message in err.
 */
struct view *view_open(int width, int height, bool headless, char *err,
                       size_t errlen);

/** Set the threads: thread t runs on core[t] with stage label[t]. */
void view_layout(struct view *v, int threads, int cores, const int *core,
                 const char *const *label);

/** Apply one fd event to the picture. */
void view_event(struct view *v, const struct fd_event *ev);

/** Forget every token (after a reset). */
void view_clear(struct view *v);

/** Draw one frame; dt is wall seconds since the last one (for gliding). */
void view_draw(struct view *v, const struct hud *hud, double dt);

/** Record the HUD's throughput and p99 for the over-time plot. */
void view_sample(struct view *v, double throughput_rps, double p99_us);

/** Save the last frame as a PNG. \return 0, or -1 with err. */
int view_png(struct view *v, const char *path, char *err, size_t errlen);

/** Tokens on screen now. */
int view_tokens(const struct view *v);

/** Keys the program reacts to. */
enum view_key {
    KEY_NONE,
    KEY_QUIT,
    KEY_PAUSE,
    KEY_STEP,
    KEY_SLOWER,
    KEY_FASTER,
    KEY_ARCH1,
    KEY_ARCH2,
    KEY_ARCH3,
    KEY_ARCH4,
    KEY_MORE_CORES,
    KEY_FEWER_CORES,
    KEY_MORE_CLIENTS,
    KEY_FEWER_CLIENTS,
    KEY_RESET,
    KEY_SCREENSHOT,
    KEY_HELP,
};

/** The next key pressed (or window closed), KEY_NONE if none. */
enum view_key view_poll(struct view *v);

/** Close the window and free everything. */
void view_close(struct view *v);

#endif
