#include "reference-server/options.h"

#include "reference-server/routes.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "  --quiet             print only the first line\n"
    "  --help, --version\n"
    "signals: INT/TERM drain and exit (a second one exits at once), HUP is\n"
    "  logged and ignored, USR1 prints the summary\n";

static bool parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

enum options_result options_parse(int argc, char **argv, struct options *opt,
                                  char *err, size_t errlen)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 't'},
        {"accept-threads", required_argument, NULL, 'a'},
        {"arch", required_argument, NULL, 'A'},
        {"schedule", required_argument, NULL, 's'},
        {"io", required_argument, NULL, 'I'},
        {"listen-wake", required_argument, NULL, 'W'},
        {"body-kib", required_argument, NULL, 'B'},
        {"trace", required_argument, NULL, 'T'},
        {"no-pin", no_argument, NULL, 'n'},
        {"idle-timeout", required_argument, NULL, 'i'},
        {"idle-clock", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"incoming-cpu", no_argument, NULL, 'C'},
        {"work-max-us", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    *opt = (struct options){.bind = "127.0.0.1",
                            .port = 8080,
                            .accept_threads = 1,
                            .arch = ARCH_STAGED,
                            .schedule = SCHEDULE_RR,
                            .pin = true,
                            .idle_timeout = 60};
    optind = 1;
    opterr = 0;
    int c, idx = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
        bool ok = true;
        switch (c) {
        case 'p':
            ok = parse_int(optarg, 0, 65535, &opt->port);
            break;
        case 'b':
            opt->bind = optarg;
            break;
        case 't':
            ok = parse_int(optarg, 1, MAX_THREADS, &opt->threads);
            break;
        case 'a':
            ok = parse_int(optarg, 1, MAX_THREADS - 1, &opt->accept_threads);
            break;
        case 'A':
            if (!strcmp(optarg, "staged"))
                opt->arch = ARCH_STAGED;
            else if (!strcmp(optarg, "shared-nothing"))
                opt->arch = ARCH_SHARED_NOTHING;
            else if (!strcmp(optarg, "single"))
                opt->arch = ARCH_SINGLE;
            else
                ok = false;
            break;
        case 's':
            if (!strcmp(optarg, "rr"))
                opt->schedule = SCHEDULE_RR;
            else if (!strcmp(optarg, "least"))
                opt->schedule = SCHEDULE_LEAST;
            else if (!strcmp(optarg, "p2c"))
                opt->schedule = SCHEDULE_P2C;
            else
                ok = false;
            break;
        case 'I':
            if (!strcmp(optarg, "epoll"))
                opt->io = IO_EPOLL;
            else if (!strcmp(optarg, "uring"))
                opt->io = IO_URING;
            else
                ok = false;
            break;
        case 'B':
            ok = parse_int(optarg, 1, ROUTE_BODY_MAX_KIB, &opt->body_kib);
            break;
        case 'W':
            if (!strcmp(optarg, "exclusive"))
                opt->listen_wake = WAKE_EXCLUSIVE;
            else if (!strcmp(optarg, "level"))
                opt->listen_wake = WAKE_LEVEL;
            else if (!strcmp(optarg, "edge"))
                opt->listen_wake = WAKE_EDGE;
            else
                ok = false;
            break;
        case 'T':
            opt->trace = optarg;
            break;
        case 'n':
            opt->pin = false;
            break;
        case 'i':
            ok = parse_int(optarg, 0, 86400, &opt->idle_timeout);
            break;
        case 'c':
            if (!strcmp(optarg, "wait"))
                opt->idle_clock = IDLE_CLOCK_WAIT;
            else if (!strcmp(optarg, "timerfd"))
                opt->idle_clock = IDLE_CLOCK_TIMERFD;
            else
                ok = false;
            break;
        case 'q':
            opt->quiet = true;
            break;
        case 'C':
            opt->incoming_cpu = true;
            break;
        case 'M':
            ok = parse_int(optarg, 0, WORK_MAX_US, &opt->work_max_us);
            break;
        case 'h':
            fputs(options_usage, stdout);
            return OPTIONS_EXIT;
        case 'V':
            puts("fastd 1.0");
            return OPTIONS_EXIT;
        case ':':
            snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
            return OPTIONS_ERROR;
        default:
            snprintf(err, errlen, "unknown option '%s' (see --help)",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
        if (!ok) {
            snprintf(err, errlen, "bad value '%s' for --%s (see --help)",
                     optarg, longopts[idx].name);
            return OPTIONS_ERROR;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)",
                 argv[optind]);
        return OPTIONS_ERROR;
    }
    if (opt->io == IO_URING && opt->listen_wake != WAKE_EXCLUSIVE) {
        snprintf(err, errlen,
                 "--listen-wake is an epoll setting: io_uring's "
                 "accept wakes one waiter already (use --io "
                 "epoll)");
        return OPTIONS_ERROR;
    }
    if (opt->io == IO_URING && opt->idle_clock == IDLE_CLOCK_TIMERFD) {
        snprintf(err, errlen,
                 "--idle-clock timerfd is an epoll setting: an io_uring "
                 "thread's wait has its own timeout (use --io epoll)");
        return OPTIONS_ERROR;
    }
    if (opt->arch == ARCH_SINGLE && opt->threads > 1) {
        snprintf(err, errlen, "--arch single runs one thread, not %d",
                 opt->threads);
        return OPTIONS_ERROR;
    }
    return OPTIONS_RUN;
}
