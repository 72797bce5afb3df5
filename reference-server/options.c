#include "reference-server/options.h"

#include "reference-server/routes.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference-server/uring_recv.h"
#include "reference-server/work.h"

const char options_usage[] =
    "usage: fastd [options]\n"
    "  --port N            TCP port (default 8080; 0 picks a free one)\n"
    "  --bind ADDR         numeric address to listen on (default 127.0.0.1)\n"
    "  --threads N         threads in all (default: one per usable core)\n"
    "  --accept-threads N  accept-stage threads, staged only (default 1)\n"
    "  --arch A            staged | shared-nothing | single (default staged)\n"
    "  --io K              epoll | uring: how threads wait and do I/O\n"
    "                      (default epoll; uring needs Linux >= 6.0)\n"
    "  --listen-wake W     exclusive | level | edge: how a new connection\n"
    "                      wakes staged's accept threads on their shared\n"
    "                      listener (default exclusive, EPOLLEXCLUSIVE; the\n"
    "                      others wake every one: the thundering herd)\n"
    "  --schedule S        staged hand-off target: rr | least | p2c (default "
    "rr)\n"
    "  --body-kib N        answer GET /body with N KiB (1..1024) of zero\n"
    "                      bytes, sent from one shared buffer, to measure\n"
    "                      large responses (default 0: no /body route)\n"
    "  --trace FILE        write an fdtrace v1 file (replay with fastsim)\n"
    "                      (--trace unix:PATH: stream to fastsim --live PATH)\n"
    "  --no-pin            do not pin threads to cores\n"
    "  --idle-timeout SEC  close connections that make no progress (no\n"
    "                      request answered, no byte sent) for SEC seconds;\n"
    "                      0 = never (default 60)\n"
    "  --idle-clock C      wait | timerfd: what wakes a request thread to\n"
    "                      close idle connections: epoll_wait's timeout,\n"
    "                      once a second (default), or a timerfd in its\n"
    "                      epoll set armed for the next deadline (epoll\n"
    "                      only)\n"
    "  --incoming-cpu      follow the kernel's steering: each thread's\n"
    "                      listener asks for connections whose packets its\n"
    "                      core processed (shared-nothing), and the accept\n"
    "                      stage hands a connection to the request thread on\n"
    "                      the core its packets arrived on (staged)\n"
    "  --work-max-us N     enable the teaching endpoint GET /work?us=K, which\n"
    "                      spins the CPU K <= N microseconds (N up to "
    "1000000)\n"
    "                      before it answers; off by default (404)\n"
    "  --uring-bufs N      receive buffers (4 KiB each) per request thread\n"
    "                      with --io uring, a power of two 1..32768\n"
    "                      (default 128: 512 KiB a thread, fixed_bytes in\n"
    "                      /stats)\n"
    "  --quiet             print only the first line\n"
    "  --help, --version\n"
    "signals: INT/TERM drain and exit (a second one exits at once), HUP is\n"
    "  logged and ignored, USR1 prints the summary\n";

/* How a flag's value is read. */
enum flag_kind {
    FLAG_INT,   /* a decimal integer in [lo, hi] */
    FLAG_POW2,  /* the same, and a power of two */
    FLAG_WORD,  /* one of words[] */
    FLAG_TEXT,  /* any string, kept as given */
    FLAG_TRUE,  /* no value: sets a bool */
    FLAG_FALSE, /* no value: clears a bool */
    FLAG_HELP,  /* --help */
    FLAG_VERSION,
};

/* A value a FLAG_WORD flag may take, and what it stores. */
struct word {
    const char *name;
    int value;
};

//! [options table]
/* One row per flag: its name, how its value is read, where it goes. */
struct flag {
    const char *name;
    enum flag_kind kind;
    size_t at; /* offsetof(struct options, field) */
    long lo, hi;
    const struct word *words; /* FLAG_WORD: ends with a NULL name */
};

#define AT(field) offsetof(struct options, field)
#define WORDS(...)                                                             \
    (const struct word[])                                                      \
    {                                                                          \
        __VA_ARGS__,                                                           \
        {                                                                      \
            NULL, 0                                                            \
        }                                                                      \
    }

static const struct flag flags[] = {
    {"port", FLAG_INT, AT(port), 0, 65535, NULL},
    {"bind", FLAG_TEXT, AT(bind), 0, 0, NULL},
    {"threads", FLAG_INT, AT(threads), 1, MAX_THREADS, NULL},
    {"accept-threads", FLAG_INT, AT(accept_threads), 1, MAX_THREADS - 1, NULL},
    {"arch", FLAG_WORD, AT(arch), 0, 0,
     WORDS({"staged", ARCH_STAGED}, {"shared-nothing", ARCH_SHARED_NOTHING},
           {"single", ARCH_SINGLE})},
    {"io", FLAG_WORD, AT(io), 0, 0,
     WORDS({"epoll", IO_EPOLL}, {"uring", IO_URING})},
    {"listen-wake", FLAG_WORD, AT(listen_wake), 0, 0,
     WORDS({"exclusive", WAKE_EXCLUSIVE}, {"level", WAKE_LEVEL},
           {"edge", WAKE_EDGE})},
    {"schedule", FLAG_WORD, AT(schedule), 0, 0,
     WORDS({"rr", SCHEDULE_RR}, {"least", SCHEDULE_LEAST},
           {"p2c", SCHEDULE_P2C})},
    {"body-kib", FLAG_INT, AT(body_kib), 1, ROUTE_BODY_MAX_KIB, NULL},
    {"trace", FLAG_TEXT, AT(trace), 0, 0, NULL},
    {"no-pin", FLAG_FALSE, AT(pin), 0, 0, NULL},
    {"idle-timeout", FLAG_INT, AT(idle_timeout), 0, 86400, NULL},
    {"idle-clock", FLAG_WORD, AT(idle_clock), 0, 0,
     WORDS({"wait", IDLE_CLOCK_WAIT}, {"timerfd", IDLE_CLOCK_TIMERFD})},
    {"incoming-cpu", FLAG_TRUE, AT(incoming_cpu), 0, 0, NULL},
    {"work-max-us", FLAG_INT, AT(work_max_us), 0, WORK_MAX_US, NULL},
    {"uring-bufs", FLAG_POW2, AT(uring_bufs), 1, 32768, NULL},
    {"quiet", FLAG_TRUE, AT(quiet), 0, 0, NULL},
    {"help", FLAG_HELP, 0, 0, 0, NULL},
    {"version", FLAG_VERSION, 0, 0, 0, NULL},
};
//! [options table]

#define NFLAGS (sizeof flags / sizeof flags[0])

/* Every enum field a FLAG_WORD writes is an int's size. */
_Static_assert(sizeof(enum arch) == sizeof(int) &&
                   sizeof(enum io_kind) == sizeof(int) &&
                   sizeof(enum listen_wake) == sizeof(int) &&
                   sizeof(enum schedule) == sizeof(int) &&
                   sizeof(enum idle_clock) == sizeof(int),
               "FLAG_WORD stores an int");

/* Store what arg means for flag f into opt; false if it is a bad value. */
static bool flag_set(const struct flag *f, const char *arg, struct options *opt)
{
    char *field = (char *)opt + f->at;
    switch (f->kind) {
    case FLAG_INT:
    case FLAG_POW2: {
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < f->lo || v > f->hi ||
            (f->kind == FLAG_POW2 && (v & (v - 1))))
            return false;
        *(int *)field = (int)v;
        return true;
    }
    case FLAG_WORD:
        for (const struct word *w = f->words; w->name; w++)
            if (!strcmp(arg, w->name)) {
                *(int *)field = w->value;
                return true;
            }
        return false;
    case FLAG_TEXT:
        *(const char **)field = arg;
        return true;
    case FLAG_TRUE:
    case FLAG_FALSE:
        *(bool *)field = f->kind == FLAG_TRUE;
        return true;
    case FLAG_HELP:
    case FLAG_VERSION:
        break;
    }
    return true;
}

/* Settings that are fine alone but not together; 0 or -1 with err. */
static int options_check(const struct options *opt, char *err, size_t errlen)
{
    if (opt->io == IO_URING && opt->listen_wake != WAKE_EXCLUSIVE) {
        snprintf(err, errlen,
                 "--listen-wake is an epoll setting: io_uring's "
                 "accept wakes one waiter already (use --io "
                 "epoll)");
        return -1;
    }
    if (opt->io == IO_URING && opt->idle_clock == IDLE_CLOCK_TIMERFD) {
        snprintf(err, errlen,
                 "--idle-clock timerfd is an epoll setting: an io_uring "
                 "thread's wait has its own timeout (use --io epoll)");
        return -1;
    }
    if (opt->arch == ARCH_SINGLE && opt->threads > 1) {
        snprintf(err, errlen, "--arch single runs one thread, not %d",
                 opt->threads);
        return -1;
    }
    return 0;
}

enum options_result options_parse(int argc, char **argv, struct options *opt,
                                  char *err, size_t errlen)
{
    struct option longopts[NFLAGS + 1];
    for (size_t i = 0; i < NFLAGS; i++) {
        bool valued = flags[i].kind < FLAG_TRUE;
        longopts[i] = (struct option){flags[i].name,
                                      valued ? required_argument : no_argument,
                                      NULL, 256 + (int)i};
    }
    longopts[NFLAGS] = (struct option){0};
    *opt = (struct options){.bind = "127.0.0.1",
                            .port = 8080,
                            .accept_threads = 1,
                            .arch = ARCH_STAGED,
                            .schedule = SCHEDULE_RR,
                            .pin = true,
                            .idle_timeout = 60,
                            .uring_bufs = URING_BUF_COUNT};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == ':') {
            snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
            return OPTIONS_ERROR;
        }
        if (c < 256 || c >= 256 + (int)NFLAGS) {
            snprintf(err, errlen, "unknown option '%s' (see --help)",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
        const struct flag *f = &flags[c - 256];
        if (f->kind == FLAG_HELP || f->kind == FLAG_VERSION) {
            fputs(f->kind == FLAG_HELP ? options_usage : "fastd 1.0\n", stdout);
            return OPTIONS_EXIT;
        }
        if (!flag_set(f, optarg, opt)) {
            snprintf(err, errlen, "bad value '%s' for --%s (see --help)",
                     optarg, f->name);
            return OPTIONS_ERROR;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)",
                 argv[optind]);
        return OPTIONS_ERROR;
    }
    return options_check(opt, err, errlen) < 0 ? OPTIONS_ERROR : OPTIONS_RUN;
}
