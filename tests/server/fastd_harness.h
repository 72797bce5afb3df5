/*
 * Start a real fastd for a test, talk to it, stop it.
 *
 * fastd_start() runs $FASTD_BIN if the environment sets it (the grader
 * points it at the learner's fastd), else the FASTD_BIN this build was
 * compiled with (build/bin/fastd), with --port 0, waits for
 * its first stdout line and reads the port from it. Every process started
 * here is stopped by fastd_stop() (SIGTERM, then SIGKILL after a deadline),
 * so a failing test leaves nothing behind.
 */
#ifndef FASTD_HARNESS_H
#define FASTD_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/** A running fastd. */
struct fastd {
    pid_t pid;         /* its process id, or 0 */
    int port;          /* the port it listens on */
    int out_fd;        /* read end of its stdout */
    char banner[1024]; /* its first stdout line */
};

/* The --io the harness passes to fastd ("epoll", "uring"), or "" for
 * fastd's default: $FASTD_IO, else the harness's build-time default. */
const char *fastd_io(void);

/* True (with the reason in why) when this kernel or sandbox does not
 * allow io_uring. The probe ring is made in a child process, never in the
 * caller: see fastd_harness.c for why. */
bool fastd_uring_unavailable(char *why, size_t cap);

/* True (with the reason in why) when the harness runs fastd with --io
 * uring and io_uring is unavailable (fastd_uring_unavailable()): the
 * tests then skip, saying why. */
bool fastd_io_unavailable(char *why, size_t cap);

/* A suite's first step in main(): when the --io it runs against is
 * unavailable, print one "[  SKIPPED ] every test: <why>" line and return
 * true (main then returns 0); otherwise print which --io fastd runs with
 * and return false. */
bool fastd_suite_skips(void);

/* The fastd the harness runs: $FASTD_BIN when set (the grader points it
 * at the learner's), else the one this build made. */
const char *fastd_path(void);

/* Start fastd with these extra arguments (NULL-terminated, may be NULL).
 * nofile > 0 sets the child's RLIMIT_NOFILE (soft and hard) first.
 * Returns 0, or -1 with a message on stderr. */
int fastd_start(struct fastd *f, const char *const *args, long nofile);

/* SIGTERM, wait up to 10 s (then SIGKILL). Returns the exit status, or -1
 * if it had to be killed or died of a signal. Whatever fastd printed after
 * its first line is stored in out (if not NULL). */
int fastd_stop(struct fastd *f, char *out, size_t cap);

/* Like fastd_stop() without the SIGTERM: for a fastd already told to stop
 * (a second SIGTERM would cut its drain short). */
int fastd_wait(struct fastd *f, char *out, size_t cap);

/* The send/receive timeout of fastd_connect()'s sockets, in ms (default
 * 5000). The exercises' server tests lower it, so that a naive learner's
 * fastd fails them fast instead of at the grader's time limit. */
extern int fastd_io_timeout_ms;

/* A blocking TCP connection to fastd with fastd_io_timeout_ms send and
 * receive timeouts. */
int fastd_connect(const struct fastd *f);

/* Send all of buf. Returns 0 or -1. */
int send_all(int fd, const void *buf, size_t len);

/* Read until the peer closes, cap is full or the timeout hits.
 * Returns bytes read. */
size_t recv_until_close(int fd, char *buf, size_t cap);

/* One request on a new connection; the whole raw response goes to resp.
 * Returns the status code, or -1. */
int fastd_request(const struct fastd *f, const char *raw, char *resp,
                  size_t cap);

/* GET path (with Connection: close); body into body. Returns the status. */
int fastd_get(const struct fastd *f, const char *path, char *body, size_t cap);

/* A counter from the "total" object of /stats, or -1. */
long fastd_total(const struct fastd *f, const char *name);

/* A counter from a /stats body: of thread id, or of "total" if id < 0. */
long stats_counter(const char *json, int id, const char *name);

/* The number /proc knows a child of ours by: its pid, unless we run in a
 * PID namespace of our own under the outer /proc (as the grader runs
 * tests); then the child is found through /proc/self's children. */
pid_t proc_pid(pid_t pid);

/* Open fds of a child process, from /proc/PID/fd. */
int proc_fd_count(pid_t pid);

/* Wait (up to ms) until cond(f) is true; returns its last value. */
bool wait_for(bool (*cond)(const struct fastd *f), const struct fastd *f,
              int ms);

/* Count occurrences of needle in haystack. */
int count_substr(const char *haystack, const char *needle);

#endif
