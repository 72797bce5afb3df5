/**
 * \file
 * \brief Hand-off policies: which request thread gets a new connection.
 *
 * A policy is a name and a function; policy_find() looks it up by the name
 * a scenario's `schedule` key gives. To add one to fastsim, write its
 * function in policy.c and add a row to the table there. Exercise 09 is
 * not graded from this table: you write pick_mine() in
 * exercises/09-simulator-policy/policy_mine.c, and its tests run the model
 * with that function in place of the scenario's policy.
 */
#ifndef FASTSIM_POLICY_H
#define FASTSIM_POLICY_H

struct sim;

/**
 * Choose a request thread. The function sees the whole model (read only
 * in spirit: it may use and advance the model's PRNG and the policy's own
 * cursor, sim::policy_cursor).
 * \param s        the model
 * \param acceptor the accept thread asking
 * \return an index into the request threads, 0 .. sim_workers(s) - 1.
 */
typedef int (*policy_fn)(struct sim *s, int acceptor);

/** A named policy. */
struct policy {
    const char *name;        /**< as written in scenarios ("rr") */
    const char *description; /**< one line for --help and the HUD */
    policy_fn pick;          /**< the choice */
};

/** The policy with this name, or NULL. */
const struct policy *policy_find(const char *name);

/** All policies, ending with a row whose name is NULL. */
extern const struct policy policy_table[];

#endif
