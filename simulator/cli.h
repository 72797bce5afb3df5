/**
 * \file
 * \brief fastsim's command line: what to run (the model, a replay, a live
 *        fastd), how to show it, and what to print.
 */
#ifndef FASTSIM_CLI_H
#define FASTSIM_CLI_H

#include <stdbool.h>

#include "simulator/model/scenario.h"

/** What to print at the end. */
enum report_kind { REPORT_NONE, REPORT_TEXT, REPORT_JSON };

/** The parsed command line. */
struct cli {
    const char *scenario;    /**< the .ini, or NULL */
    const char *replay;      /**< --replay TRACE, or NULL */
    const char *live;        /**< --live PATH, or NULL */
    const char *png;         /**< --png FILE (may hold %d: every frame) */
    enum report_kind report; /**< --report */
    bool headless;           /**< --headless */
    double speed;            /**< --speed, 0 = the default */
    int width;               /**< --size */
    int height;              /**< --size */
    int replications;        /**< --replications */
    int frames;              /**< --frames: headless animation, 0 = none */
    double seconds;          /**< --seconds: live mode's run time, 0 = on */
    double at_ms;            /**< --at: headless, run the model this far
                                  before the frames (0 = from the start) */
    bool model_options;      /**< a scenario or a model flag was given */
};

/** The --help text. */
extern const char cli_usage[];

/**
 * Parse argv into cli, and the scenario file and model flags into sc
 * (which holds the defaults on entry).
 * \return 0 to run, 1 when --help was printed, 2 after a usage error
 *         (printed on stderr).
 */
int cli_parse(int argc, char **argv, struct cli *cli, struct scenario *sc);

#endif
