/**
 * \file
 * \brief The discrete-event model of a server: cores, threads, their epoll
 *        ready queues, connections, a load generator and a cost model.
 *
 * Each core runs one job at a time. A job is a piece of a connection's
 * life done by one thread: accept it (and hand it off), serve one request,
 * close it. A thread keeps its jobs in a FIFO (its epoll ready list); a
 * thread with nothing to do sleeps in epoll_wait, and pays cost_epoll_wait
 * when work wakes it. Threads sharing a core take turns and pay
 * cost_switch on each change. A connection whose job runs on another core
 * than its last pays cost_cache. The architectures differ only in which
 * thread gets which job (sim.c, "Where jobs go").
 *
 * The same scenario and seed give the same run, bit for bit.
 */
#ifndef FASTSIM_SIM_H
#define FASTSIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "simulator/model/fdevent.h"
#include "simulator/model/heap.h"
#include "simulator/model/hist.h"
#include "simulator/model/policy.h"
#include "simulator/model/rng.h"
#include "simulator/model/scenario.h"

/** What a model thread does. */
enum sim_role {
    ROLE_ACCEPT,  /**< staged accept stage */
    ROLE_REQUEST, /**< staged request stage */
    ROLE_BOTH,    /**< shared-nothing or single: accepts and serves */
    ROLE_LOOP,    /**< pool: the event loop that accepts and dispatches */
    ROLE_WORKER,  /**< pool: takes jobs from the shared queue */
};

/** A FIFO of jobs (a job is conn * 4 + type). */
struct jobq {
    int *items; /**< ring buffer */
    int cap;    /**< its size (a power of two) */
    int head;   /**< next to take */
    int len;    /**< jobs queued */
};

/** A model thread. */
struct sim_thread {
    enum sim_role role; /**< its job */
    int core;           /**< where it runs */
    struct jobq queue;  /**< its epoll ready list */
    bool waiting;       /**< asleep in epoll_wait */
    int backlog;        /**< connections waiting to be accepted by it */
    int open;           /**< connections it owns */
    uint64_t accepted;  /**< connections it accepted */
    uint64_t handoffs;  /**< connections it handed to another thread */
    uint64_t requests;  /**< requests it served */
};

/** A model core. */
struct sim_core {
    bool busy;           /**< running a job */
    int thread;          /**< the thread that ran last, or -1 */
    int job;             /**< the job running */
    int rotate;          /**< where the next search for work starts */
    int64_t busy_since;  /**< start of the current job */
    int64_t busy_ns;     /**< busy time after the warm-up */
    int queued;          /**< jobs waiting on this core's threads */
    int64_t queue_since; /**< when queued last changed */
    double queue_area;   /**< integral of queued over time, after warm-up */
};

/** A model connection. */
struct sim_conn {
    int fd;            /**< its fd once accepted, else -1 */
    int client;        /**< the closed-loop client, or -1 */
    int owner;         /**< the thread that serves it */
    int last_core;     /**< where its last job ran, or -1 */
    int requests_left; /**< before the client closes; -1 = never */
    int64_t sent_at;   /**< when its current request was sent */
    int next_free;     /**< free-list link */
};

/**
 * The most connections the model holds at once. An open loop far above
 * capacity (rate = 1e9 for an hour) would otherwise grow its queues until
 * the machine runs out of memory; past this many, an arrival is dropped
 * and counted (sim.dropped), as a full listen backlog drops a SYN. 4 Mi
 * connections take about 300 MB.
 */
#define SIM_MAX_CONNS (1 << 22)

/** Receives every fd event as it happens (the view, a trace writer). */
typedef void (*sim_emit_fn)(void *ctx, const struct fd_event *ev);

/** The model. */
struct sim {
    struct scenario sc;          /**< what is simulated */
    const struct policy *policy; /**< staged hand-off policy */
    unsigned policy_cursor;      /**< for policies that rotate */
    struct rng rng;              /**< the one source of randomness */
    struct heap events;          /**< what happens next */
    int64_t now;                 /**< simulated ns */

    struct sim_thread *threads; /**< all threads */
    int nthreads;               /**< how many */
    int *workers;               /**< threads that serve requests */
    int nworkers;               /**< how many */
    int *acceptors;             /**< threads that accept */
    int nacceptors;             /**< how many */
    struct sim_core *cores;     /**< all cores */

    struct sim_conn *conns; /**< connection table */
    int nconns;             /**< its size */
    int free_conn;          /**< free list head, -1 if none */
    int *free_fds;          /**< closed fds, reused last-in first-out */
    int nfree_fds;          /**< how many */
    int free_fds_cap;       /**< room in free_fds */
    int next_fd;            /**< first never-used fd */

    double next_arrival;  /**< open loop: the next arrival's time, ns, in
                               fractions: each gap rounded to whole ns
                               made gaps of ~1 ns 4% short on average */
    struct jobq shared;   /**< pool: the shared queue */
    int64_t lock_free_at; /**< pool: when its lock is next free */
    double shared_area;   /**< pool: integral of the queue's length */
    int64_t shared_since; /**< pool: when it last changed */

    sim_emit_fn emit; /**< event sink, or NULL */
    void *emit_ctx;   /**< its context */

    /* Statistics after the warm-up. */
    struct hist latency;     /**< request latency, ns */
    uint64_t completed;      /**< requests answered */
    uint64_t handoffs;       /**< cross-thread hand-offs */
    uint64_t cache_misses;   /**< jobs that paid cost_cache */
    uint64_t accepted;       /**< connections accepted */
    uint64_t wasted;         /**< wake-ups that found nothing to accept */
    uint64_t closed;         /**< connections closed */
    uint64_t processed;      /**< events processed (all of the run) */
    int64_t in_system;       /**< requests sent, not yet answered */
    int64_t in_system_since; /**< when in_system last changed */
    double in_system_area;   /**< its integral, for Little's law */
    double serving_area;     /**< time request jobs spent on a core */
    uint64_t sent;           /**< requests sent (all of the run) */
    uint64_t offered;        /**< requests sent after the warm-up */
    uint64_t dropped;        /**< arrivals past max_conns (all run) */
    int max_conns;           /**< SIM_MAX_CONNS (a test may lower it) */
    uint64_t answered;       /**< requests answered (all of the run) */
};

/**
 * Build the model for a scenario (which must have passed
 * scenario_check()).
 * \return 0, or -1 with a message in err.
 */
int sim_init(struct sim *s, const struct scenario *sc, char *err,
             size_t errlen);

/** Send every fd event to fn (NULL to stop). */
void sim_set_emitter(struct sim *s, sim_emit_fn fn, void *ctx);

/**
 * Run until simulated time reaches `until` (ns) or the scenario's end,
 * whichever is first. Call repeatedly to run in steps (the view does).
 * \return false once the scenario's end is reached.
 */
bool sim_run_until(struct sim *s, int64_t until);

/** Process exactly one event. \return false at the end. */
bool sim_step(struct sim *s);

/** Free everything sim_init allocated. */
void sim_free(struct sim *s);

/** Request threads (for policies): index i is thread sim->workers[i]. */
int sim_workers(const struct sim *s);

/** Connections request thread i owns now. */
int sim_worker_open(const struct sim *s, int i);

/** The summary numbers a report prints. */
struct sim_report {
    double throughput_rps; /**< answered per second after the warm-up */
    double mean_us;        /**< mean latency */
    double p50_us;         /**< median latency */
    double p99_us;         /**< 99th percentile latency */
    double mean_in_system; /**< time-average requests outstanding */
    double mean_serving;   /**< of those, time-average on a core now */
    double mean_waiting;   /**< of those, time-average not on a core
                                (queueing theory's L_q) */
    uint64_t completed;    /**< requests answered after the warm-up */
    double offered_rps;    /**< requests sent per second after the warm-up */
    uint64_t offered;      /**< requests sent after the warm-up */
    int64_t in_system_end; /**< requests outstanding at the end */
    uint64_t dropped;      /**< arrivals dropped: SIM_MAX_CONNS open */
    double busiest_util;   /**< the busiest core's utilisation, 0..1 */
    uint64_t handoffs;     /**< hand-offs after the warm-up */
    uint64_t cache_misses; /**< cache penalties after the warm-up */
    uint64_t accepted;     /**< connections accepted after the warm-up */
    uint64_t wasted_wakes; /**< listener=herd: wake-ups for nothing */
    uint64_t events;       /**< events processed */
    double sim_time_s;     /**< simulated seconds */
};

/**
 * True when the offered load was above what the server answered (more
 * than 1% more sent than answered in the measured window, and by more
 * than chance explains: three standard deviations of the arrivals'
 * count) and the server could not keep up: a core busy all the time
 * (99% or more), a backlog at the end well above the window's mean, or
 * arrivals dropped at SIM_MAX_CONNS. An open loop above capacity has no
 * steady state, and its latency figures grow with the run's length.
 */
bool sim_overloaded(const struct sim_report *r);

/** Compute the report (after sim_run_until returned false). */
void sim_report(const struct sim *s, struct sim_report *r);

/**
 * The report on the span run so far (a run stopped at s->now, as the
 * window and --report --at measure it), for sim_overloaded() mid-run.
 * \return false in the warm-up (nothing measured yet).
 */
bool sim_report_so_far(const struct sim *s, struct sim_report *r);

/** A core's utilisation, 0..1, after the warm-up. */
double sim_core_util(const struct sim *s, int core);

/** The pool's shared queue: its mean length after the warm-up. */
double sim_shared_queue(const struct sim *s);

/** A core's mean number of queued jobs, after the warm-up. */
double sim_core_queue(const struct sim *s, int core);

#endif
