/**
 * \file
 * \brief The system-call fault matrix and call log of graded unit tests:
 *        fail the n-th call of a set-up call (socket, setsockopt, bind,
 *        listen, epoll_create1, epoll_ctl, open or openat, fopen,
 *        pthread_create, pthread_setaffinity_np, setrlimit...) with any
 *        errno its man page lists, and record every such call with its
 *        arguments, so that a test can compare the learner's module with
 *        the reference's.
 *
 * Like inject.h (which covers the I/O calls: read, recv, accept4...),
 * every unit test program is linked with exercises/grader/faults.c and
 * `-Wl,--wrap=NAME` for each call below. With nothing armed a wrapper
 * counts the call, logs it when recording, and calls the real function.
 *
 *     fault_fail_nth(FAULT_EPOLL_CTL, 2, ENOMEM); // 2nd epoll_ctl fails
 *     fault_record(1);
 *     rc = thread_epoll_open(t);                   // the learner's
 *     fault_record(0);
 *     printf("%s", fault_log());  // "epoll_create1 CLOEXEC\nepoll_ctl ADD..."
 *
 * The differential tests run the learner's function and the reference's
 * (linked beside it with its symbols renamed ref_*, exercise.conf's
 * `oracle` key) on the same case and compare the logs, the return values
 * and what was left open.
 */
#ifndef GRADER_FAULTS_H
#define GRADER_FAULTS_H

#include <stddef.h>

/** The calls the fault matrix covers. */
enum fault_call {
    FAULT_SOCKET,         /**< socket() */
    FAULT_SETSOCKOPT,     /**< setsockopt() */
    FAULT_BIND,           /**< bind() */
    FAULT_LISTEN,         /**< listen() */
    FAULT_GETRLIMIT,      /**< getrlimit() */
    FAULT_SETRLIMIT,      /**< setrlimit() */
    FAULT_EPOLL_CREATE1,  /**< epoll_create1(), and epoll_create() */
    FAULT_EPOLL_CTL,      /**< epoll_ctl() */
    FAULT_OPEN,           /**< open() or openat() */
    FAULT_PTHREAD_CREATE, /**< pthread_create() (fails by return value) */
    FAULT_SETAFFINITY,    /**< pthread_setaffinity_np() (return value),
                               and sched_setaffinity() */
    FAULT_FOPEN,          /**< fopen() */
    FAULT_CALLS           /**< how many there are */
};

/** The call's name, as its man page spells it. */
const char *fault_name(enum fault_call call);

/**
 * The errno values the call's man page lists as possible (Linux), for
 * the matrix. \return how many, with the list in *list.
 */
int fault_errnos(enum fault_call call, const int **list);

/**
 * The \p nth call of \p call from now (1: the next one) fails with
 * \p err, without calling the real function; the calls before and after
 * it go through. One rule per call; fault_reset() disarms it.
 */
void fault_fail_nth(enum fault_call call, int nth, int err);

/** Whether the armed rule of \p call has fired since it was armed. */
int fault_fired(enum fault_call call);

/** Calls of \p call since the program started or fault_reset(). */
long fault_calls(enum fault_call call);

/**
 * Start (1) or stop (0) recording calls in the log; starting clears it.
 * A line per call, its arguments by name ("setsockopt SOL_SOCKET
 * SO_LINGER {0,0}"), the new fds' numbers left out (they depend on
 * what else is open; epoll_ctl shows the fd it watches), the injected
 * failure marked ("... -> EMFILE").
 */
void fault_record(int on);

/** The log since fault_record(1) (empty when nothing was recorded). */
const char *fault_log(void);

/**
 * From now on, open \p instead wherever the program opens \p path
 * (fopen, open or openat, e.g. /proc/sys/net/core/somaxconn), so that a test
 * can choose what a file of the system says; the log still names \p
 * path. NULL stops it; fault_reset() too.
 */
void fault_substitute(const char *path, const char *instead);

/**
 * When set, called in the calling thread at each open() or openat() the
 * program makes, with its path, before the file is opened: a test uses it
 * to hold a thread at that moment (exercise 03 holds a shed's reopening
 * of its spare). NULL (the default): nothing.
 */
extern void (*fault_open_hook)(const char *path);

/** Disarm every rule, zero every count, stop recording, stop any
 * substitution. */
void fault_reset(void);

#endif
