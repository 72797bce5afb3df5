/**
 * \file
 * \brief The shapes every part of fastd shares: options, threads, server.
 *
 * fastd runs one thread per core. In the staged architecture a thread has
 * one job (a stage): the accept stage takes new connections and hands each
 * fd to a request thread by adding it to that thread's own epoll fd; the
 * request stage reads, parses and answers. Each thread owns its epoll fd,
 * its connections and its counters; threads share nothing they write,
 * except the counters other threads read (stats.h).
 */
#ifndef FASTD_SERVER_H
#define FASTD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "reference-server/conn.h"
#include "reference-server/http.h"
#include "reference-server/stats.h"
#include "reference-server/trace.h"

/** Most threads fastd runs; /stats must fit one response buffer. */
#define MAX_THREADS 64

/** How the threads divide the work. */
enum arch {
    ARCH_STAGED,         /**< accept thread(s) hand fds to request threads */
    ARCH_SHARED_NOTHING, /**< every thread accepts (SO_REUSEPORT) and serves */
    ARCH_SINGLE,         /**< one thread does everything */
};

/** How the accept stage picks the request thread for a new connection. */
enum schedule {
    SCHEDULE_RR,    /**< round-robin */
    SCHEDULE_LEAST, /**< fewest open connections */
};

/** What a thread does. */
enum stage {
    STAGE_ACCEPT,  /**< accepts and hands off */
    STAGE_REQUEST, /**< serves connections handed to it */
    STAGE_BOTH,    /**< accepts and serves its own (shared-nothing, single) */
};

/** Command-line options (options.h parses them). */
struct options {
    const char *bind;       /**< address to listen on */
    int port;               /**< port; 0 picks a free one */
    int threads;            /**< total threads; 0 = one per usable core */
    int accept_threads;     /**< accept-stage threads (staged only) */
    enum arch arch;         /**< architecture */
    enum schedule schedule; /**< hand-off target choice */
    const char *trace;      /**< fdtrace file, or NULL */
    bool pin;               /**< pin each thread to its core */
    int idle_timeout;       /**< seconds; 0 = never */
    bool quiet;             /**< print only the first line */
};

/** One thread: its stage, its core, its epoll fd and what it owns. */
struct thread {
    int id;             /**< index in server::threads */
    enum stage stage;   /**< its job */
    int core;           /**< the CPU it is pinned to, or -1 */
    int epfd;           /**< its own epoll fd */
    int listen_fd;      /**< its listener, or -1 (staged request threads) */
    pthread_t handle;   /**< for pthread_join at shutdown */
    _Atomic int os_tid; /**< kernel thread id, for tests and logs */
    struct server *srv; /**< the server it belongs to */
    struct trace_buf *trace; /**< NULL when tracing is off */

    /* Accept side. */
    unsigned next_rr;  /**< round-robin cursor */
    int reserve_fd;    /**< spare fd given up to shed a connection on EMFILE */
    long last_warning; /**< second of the last rate-limited warning */

    /* Request side; only this thread touches these. */
    struct conn_table conns; /**< its connections (conn.h) */
    long now;                /**< CLOCK_MONOTONIC second, read once per wake */
    struct http_date date;   /**< cached Date header */
    bool draining;           /**< shutting down: finish in-flight, then exit */
    long drain_deadline;     /**< second at which draining gives up */
    bool done;               /**< leave the loop */

    /** Counters, on their own cache lines so the owner's writes do not
     *  invalidate the lines holding the fields above (false sharing). */
    _Alignas(64) struct stats stats;
};

/** The whole server. */
struct server {
    struct options opt;          /**< what the user asked for */
    struct thread *threads;      /**< all threads */
    int nthreads;                /**< entries in threads */
    struct thread **workers;     /**< threads that serve requests */
    int nworkers;                /**< entries in workers */
    int listen_fd;               /**< the shared listener (staged, single) */
    int stop_fd;                 /**< eventfd: becomes readable at shutdown */
    _Atomic bool acceptors_done; /**< no more hand-offs will come */
    pthread_barrier_t ready;     /**< threads and main meet after set-up */
    _Atomic bool setup_failed;   /**< a thread could not set itself up */
    int trace_fd;                /**< trace file, or -1 */
    uint64_t origin_ns;          /**< CLOCK_MONOTONIC at start */
    int ncores;                  /**< usable cores */
    long nofile;                 /**< RLIMIT_NOFILE after raising it */
};

/** The architecture's name as the CLI and /stats spell it. */
const char *arch_name(enum arch arch);

/** The stage's name ("accept", "request", "both"). */
const char *stage_name(enum stage stage);

/** CLOCK_MONOTONIC in whole seconds. */
long clock_second(void);

/** CLOCK_REALTIME in whole seconds (for the Date header). */
long clock_wall_second(void);

/**
 * Print a warning to stderr at most once a second per thread: errors a
 * client can cause (EMFILE under a flood) must not flood the log.
 */
void thread_warn(struct thread *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
