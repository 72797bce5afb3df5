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
#include "reference-server/idle_timer.h"
#include "reference-server/stats.h"
#include "reference-server/trace.h"

/** Seconds the drain waits for requests in flight before giving up. */
#define DRAIN_SECONDS 5
/**
 * Milliseconds an idle connection stays open once the drain begins: a
 * keep-alive client answered just before the signal may already be
 * sending its next request, which is answered (with `Connection: close`)
 * rather than met with a closed socket.
 */
#define DRAIN_GRACE_MS 250

/** After an EMFILE, accept4() calls take the shedding lock this long. */
#define SHED_CAREFUL_MS 1000

/** Most threads fastd runs (bounds the /stats body). */
#define MAX_THREADS 64

/** How the threads divide the work. */
enum arch {
    ARCH_STAGED,         /**< accept thread(s) hand fds to request threads */
    ARCH_SHARED_NOTHING, /**< every thread accepts (SO_REUSEPORT) and serves */
    ARCH_SINGLE,         /**< one thread does everything */
};

/** Which kernel interface the threads wait and do I/O with. */
enum io_kind {
    IO_EPOLL, /**< readiness: epoll_wait, then recv/send (the default) */
    IO_URING, /**< completions: one io_uring per thread (uring.h) */
};

/** How the accept threads of staged wait on their one shared listener. */
enum listen_wake {
    WAKE_EXCLUSIVE, /**< EPOLLEXCLUSIVE: a connection wakes one waiter */
    WAKE_LEVEL,     /**< plain level-triggered: it wakes every waiter */
    WAKE_EDGE,      /**< EPOLLET, not exclusive: every waiter, once */
};

/** How the accept stage picks the request thread for a new connection. */
enum schedule {
    SCHEDULE_RR,    /**< round-robin */
    SCHEDULE_LEAST, /**< fewest open connections */
    SCHEDULE_P2C,   /**< the less loaded of two picked at random */
};

/** What wakes a request thread when idle connections are due to close. */
enum idle_clock {
    IDLE_CLOCK_WAIT,    /**< epoll_wait()'s timeout, once a second */
    IDLE_CLOCK_TIMERFD, /**< a timerfd armed for the next deadline */
};

/** What a thread does. */
enum stage {
    STAGE_ACCEPT,  /**< accepts and hands off */
    STAGE_REQUEST, /**< serves connections handed to it */
    STAGE_BOTH,    /**< accepts and serves its own (shared-nothing, single) */
};

/** Command-line options (options.h parses them). */
struct options {
    const char *bind;             /**< address to listen on */
    int port;                     /**< port; 0 picks a free one */
    int threads;                  /**< total threads; 0 = one per usable core */
    int accept_threads;           /**< accept-stage threads (staged only) */
    enum arch arch;               /**< architecture */
    enum schedule schedule;       /**< hand-off target choice */
    enum io_kind io;              /**< epoll or io_uring */
    enum listen_wake listen_wake; /**< accept threads' listener wake-ups */
    int body_kib;      /**< GET /body's size in KiB; 0 = no such route */
    const char *trace; /**< fdtrace file, or NULL */
    bool pin;          /**< pin each thread to its core */
    int idle_timeout;  /**< seconds; 0 = never */
    enum idle_clock idle_clock; /**< how expiry passes are timed */
    bool quiet;                 /**< print only the first line */
    int work_max_us;            /**< /work?us=N allowed up to this; 0 = off */
    bool incoming_cpu; /**< pick threads by SO_INCOMING_CPU (steer.h) */
    int uring_bufs;    /**< --io uring: receive buffers per thread */
};

/** One thread: its stage, its core, its epoll fd and what it owns. */
struct thread {
    int id;             /**< index in server::threads */
    enum stage stage;   /**< its job */
    int core;           /**< the CPU it is pinned to, or -1 */
    int epfd;           /**< its own epoll fd */
    int ring_fd;        /**< its own io_uring fd (--io uring), or -1 */
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
    long drain_grace_end;    /**< clock_ms() until which idle ones stay */
    bool done;               /**< leave the loop */
    struct idle_timer timer; /**< --idle-clock timerfd (idle_timer.h) */

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
    _Atomic int threads_done;    /**< threads that have finished */
    pthread_mutex_t shed_lock;   /**< EMFILE shedding (accept_burst.c) */
    _Atomic long shed_until_ms;  /**< accept under shed_lock until then */
    bool stopping;               /**< pool_drain() has run (main only) */
    pthread_barrier_t ready;     /**< threads and main meet after set-up */
    _Atomic bool setup_failed;   /**< a thread could not set itself up */
    int trace_fd;                /**< trace file, or -1 */
    uint64_t origin_ns;          /**< CLOCK_MONOTONIC at start */
    int ncores;                  /**< usable cores */
    long nofile;                 /**< RLIMIT_NOFILE after raising it */
};

/** The architecture's name as the CLI and /stats spell it. */
const char *arch_name(enum arch arch);

/** The schedule's name as --schedule spells it ("rr", "least", "p2c"). */
const char *schedule_name(enum schedule schedule);

/** The idle clock's name as --idle-clock spells it ("wait", "timerfd"). */
const char *idle_clock_name(enum idle_clock clock);

/** The stage's name ("accept", "request", "both"). */
const char *stage_name(enum stage stage);

/** CLOCK_MONOTONIC in whole seconds. */
long clock_second(void);

/** CLOCK_MONOTONIC in milliseconds (coarse: a few ms of resolution). */
long clock_ms(void);

/** CLOCK_REALTIME in whole seconds (for the Date header). */
long clock_wall_second(void);

/**
 * Print a warning to stderr at most once a second per thread: errors a
 * client can cause (EMFILE under a flood) must not flood the log.
 */
void thread_warn(struct thread *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
