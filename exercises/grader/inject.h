/**
 * \file
 * \brief Fault injection for graded unit tests: make the learner's
 *        system calls fail with EINTR or EAGAIN, or move fewer bytes than
 *        asked, on demand.
 *
 * Every unit test program is linked with exercises/grader/inject.c and
 * `-Wl,--wrap=` for each call below, so the learner's calls to recv(),
 * send(), read(), write(), writev(), accept(), accept4(), epoll_wait(),
 * mmap() and munmap() go through a wrapper. With no rule armed the wrapper
 * calls the real function and only counts. A test arms a rule, calls the
 * learner's code, and checks what it did:
 *
 *     inject_fail(INJECT_ACCEPT4, EINTR, 1);   // the next accept4 fails
 *     got = accept_burst(...);                 // the learner's loop
 *     want_true(inject_calls(INJECT_ACCEPT4) >= 2,
 *               "accept4 after EINTR: expected a retry, saw none");
 *
 * Rules apply to calls from any thread; a rule can be narrowed to one fd.
 * Only the program's own objects are wrapped (not libraries such as
 * cmocka), and only in the `unit` suite: the learner's fastd in the
 * `server` suite runs unwrapped.
 */
#ifndef GRADER_INJECT_H
#define GRADER_INJECT_H

#include <stddef.h>

/** The system calls a test can act on. */
enum inject_call {
    INJECT_READ,       /**< read() */
    INJECT_WRITE,      /**< write() */
    INJECT_RECV,       /**< recv() */
    INJECT_SEND,       /**< send() */
    INJECT_WRITEV,     /**< writev() */
    INJECT_ACCEPT,     /**< accept() */
    INJECT_ACCEPT4,    /**< accept4() */
    INJECT_EPOLL_WAIT, /**< epoll_wait() */
    INJECT_MMAP,       /**< mmap() (fails with MAP_FAILED and errno) */
    INJECT_MUNMAP,     /**< munmap() */
    INJECT_CALLS       /**< how many there are */
};

/**
 * The next \p times calls (after any inject_skip_first()) fail: they
 * return -1 with errno \p err without calling the real function.
 * \p times < 0: every call until inject_reset().
 */
void inject_fail(enum inject_call call, int err, int times);

/**
 * The next \p times calls move at most \p most bytes (read/write/recv/
 * send/writev), or return at most \p most events (epoll_wait): a short
 * count, as a full socket buffer or a signal gives. \p times < 0: every
 * call.
 */
void inject_short(enum inject_call call, size_t most, int times);

/** Let the first \p n calls through untouched before a rule applies. */
void inject_skip_first(enum inject_call call, int n);

/** Apply \p call's rules only to calls on \p fd (-1: any fd, the default). */
void inject_only_fd(enum inject_call call, int fd);

/** How many times this call was made since the program started or
 *  inject_reset() (the harness makes a few calls of its own before the
 *  test: call inject_reset() first when you count). */
long inject_calls(enum inject_call call);

/** Disarm every rule and zero every count. */
void inject_reset(void);

#endif
