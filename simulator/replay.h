/**
 * \file
 * \brief Playing what a real fastd did: a recorded trace (--replay) or a
 *        running server (--live), through the same view as the model.
 *
 * The HUD's figures come from the events themselves (tally.h):
 * throughput, latency percentiles from ready to send, and per-thread busy
 * time and ready-list length; the same figures go to --report. The
 * model's keys (architecture, cores, clients, reset) do not apply to what
 * already happened, and the HUD says so when one is pressed.
 */
#ifndef FASTSIM_REPLAY_H
#define FASTSIM_REPLAY_H

#include "simulator/cli.h"

/** Play a trace file as the command line asks. \return exit status. */
int replay_run(const struct cli *cli);

/** Draw a running fastd as the command line asks. \return exit status. */
int live_run(const struct cli *cli);

#endif
