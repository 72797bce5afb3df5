/**
 * \file
 * \brief A scenario: the machine, the architecture, the load and the costs,
 *        read from an INI file with [scenario], [load] and [cost] sections.
 *
 * Unknown sections or keys and bad values are errors that name the file and
 * the line. Every key has a default (scenario_defaults()), so a scenario
 * file only says what differs.
 */
#ifndef FASTSIM_SCENARIO_H
#define FASTSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulator/model/dist.h"

/** The architectures the model knows. */
enum sim_arch {
    SIM_STAGED,         /**< accept thread(s) hand fds to request threads */
    SIM_SHARED_NOTHING, /**< every thread accepts and serves its own */
    SIM_SINGLE,         /**< one thread does everything */
    SIM_POOL,           /**< one event loop feeds a shared queue of workers */
    SIM_NARCH
};

/** Where the kernel puts a new connection when several threads listen. */
enum sim_listener {
    LISTEN_REUSEPORT, /**< SO_REUSEPORT: a hash of the 4-tuple picks one */
    LISTEN_EXCLUSIVE, /**< one listener, EPOLLEXCLUSIVE: the first idle
                           thread in registration order is woken */
    LISTEN_HERD,      /**< one listener, not exclusive (fastd
                           --listen-wake level): every idle thread is
                           woken, the first takes the connection and the
                           others find nothing (wasted wake-ups) */
};

/** Everything a run depends on. Times are in nanoseconds. */
struct scenario {
    char name[64];              /**< shown in reports and the HUD */
    enum sim_arch arch;         /**< architecture */
    int cores;                  /**< CPUs */
    int threads;                /**< threads in all; 0 = one per core
                                     (pool: the loop and a worker per
                                     other core; single: always one) */
    int accept_threads;         /**< staged: accept-stage threads */
    char schedule[16];          /**< staged hand-off policy (policy.h) */
    enum sim_listener listener; /**< shared-nothing: how accepts spread */
    int64_t duration_ns;        /**< simulated time */
    int64_t warmup_ns;          /**< excluded from the statistics */
    uint64_t seed;              /**< PRNG seed */
    double speed;               /**< the window's speed (simulated s per
                                     wall s); 0: chosen from the warm-up */
    int tour;                   /**< 1: the window follows the first
                                     connection and narrates its hops */

    bool open_loop;        /**< Poisson arrivals instead of N clients */
    int clients;           /**< closed loop: clients */
    double think_ns;       /**< closed loop: mean think time (exp) */
    int requests_per_conn; /**< then the client closes; 0 = never */
    double rate;           /**< open loop: arrivals per second */
    bool service_exp;      /**< exponential service time, else constant */
    double service_ns;     /**< mean service (application) time */
    enum dist_kind service_shape; /**< bimodal, lognormal or pareto; for
                                       DIST_CONST service_exp decides */
    double slow_fraction;         /**< bimodal: share of slow requests */
    double slow_ns;               /**< bimodal: a slow request's service time */
    double service_sigma;         /**< lognormal: shape (sd of the log) */
    double service_alpha;         /**< Pareto: tail index */
    double long_fraction;         /**< share of connections that live long */
    int long_requests;            /**< requests on a long-lived connection */

    int64_t cost_epoll_wait; /**< one epoll_wait that returns events */
    int64_t cost_accept;     /**< accept4 */
    int64_t cost_recv;       /**< one recv of a request */
    int64_t cost_parse;      /**< parsing one request */
    int64_t cost_send;       /**< one send of a response */
    int64_t cost_close;      /**< close */
    int64_t cost_handoff;    /**< epoll_ctl(ADD) on another thread's epoll */
    int64_t cost_cache;      /**< a connection's work moved to another core */
    int64_t cost_switch;     /**< context switch between threads on a core */
    int64_t cost_lock;       /**< pool: taking a job from the shared queue */
};

/** Fill in the defaults (see the comments in scenario.c for sources). */
void scenario_defaults(struct scenario *sc);

/**
 * Read an INI file over the current values (call scenario_defaults first).
 * \return 0, or -1 with "file:line: message" in err.
 */
int scenario_load(struct scenario *sc, const char *path, char *err,
                  size_t errlen);

/**
 * Parse INI text; name is used in error messages.
 * \return 0, or -1 with "name:line: message" in err.
 */
int scenario_parse(struct scenario *sc, const char *text, const char *name,
                   char *err, size_t errlen);

/** Set one key of a section from a string, as a file line would. */
int scenario_set(struct scenario *sc, const char *section, const char *key,
                 const char *value, char *err, size_t errlen);

/**
 * The service-time distribution the scenario asks for ([load] service,
 * service_us and the shape's own keys); sim.c draws from it per request.
 */
struct dist scenario_service(const struct scenario *sc);

/** Check cross-key rules (threads vs accept threads...). */
int scenario_check(const struct scenario *sc, char *err, size_t errlen);

/** The architecture's name ("staged", "shared-nothing", "single", "pool"). */
const char *sim_arch_name(enum sim_arch arch);

/** Parse an architecture name. \return 0, or -1 if unknown. */
int sim_arch_parse(const char *name, enum sim_arch *out);

#endif
