#include "reference-server/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

const char *arch_name(enum arch arch)
{
    static const char *const names[] = {"staged", "shared-nothing", "single"};
    return names[arch];
}

const char *schedule_name(enum schedule schedule)
{
    static const char *const names[] = {"rr", "least", "p2c"};
    return names[schedule];
}

const char *idle_clock_name(enum idle_clock clock)
{
    static const char *const names[] = {"wait", "timerfd"};
    return names[clock];
}

const char *stage_name(enum stage stage)
{
    static const char *const names[] = {"accept", "request", "both"};
    return names[stage];
}

/* The _COARSE clocks read the vDSO's last tick (no syscall, ~5 ns): whole
 * seconds are all the timeouts and the Date header need. */
long clock_second(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long)ts.tv_sec;
}

long clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long clock_wall_second(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (long)ts.tv_sec;
}

void thread_warn(struct thread *self, const char *fmt, ...)
{
    long now = clock_second();
    if (self->last_warning == now)
        return;
    self->last_warning = now;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "fastd: thread %d: %s\n", self->id, msg);
}
