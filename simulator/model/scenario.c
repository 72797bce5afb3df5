#include "simulator/model/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "simulator/model/policy.h"

static const char *const arch_names[SIM_NARCH] = {"staged", "shared-nothing",
                                                  "single", "pool"};

const char *sim_arch_name(enum sim_arch arch)
{
    return arch < SIM_NARCH ? arch_names[arch] : "?";
}

int sim_arch_parse(const char *name, enum sim_arch *out)
{
    for (int i = 0; i < SIM_NARCH; i++)
        if (strcmp(name, arch_names[i]) == 0) {
            *out = (enum sim_arch)i;
            return 0;
        }
    return -1;
}

//! [cost defaults]
/*
 * Default costs, in ns. They are orders of magnitude for a current x86-64
 * server core with the kernel's speculative-execution mitigations on, as
 * measured for fastd on loopback (chapter 08 holds them against `strace -c`
 * and `perf stat` runs): a syscall that does little costs ~0.5-1 us, a
 * loopback send() also runs the receiver's TCP processing (~3 us), and a
 * connection whose socket, TCP control block and buffers must be fetched
 * from another core's cache pays a few microseconds of misses.
 */
void scenario_defaults(struct scenario *sc)
{
    *sc = (struct scenario){
        .name = "default",
        .arch = SIM_STAGED,
        .cores = 2,
        .accept_threads = 1,
        .schedule = "rr",
        .listener = LISTEN_REUSEPORT,
        .duration_ns = 1000000000,
        .warmup_ns = 100000000,
        .seed = 1,
        .clients = 64,
        .requests_per_conn = 0,
        .service_ns = 1000,
        .slow_fraction = 0.01,
        .slow_ns = 1000000,
        .service_sigma = 1,
        .service_alpha = 3,
        .long_requests = 1000,
        .cost_epoll_wait = 1000,
        .cost_accept = 3000,
        .cost_recv = 1500,
        .cost_parse = 300,
        .cost_send = 3000,
        .cost_close = 2000,
        .cost_handoff = 1000,
        .cost_cache = 2000,
        .cost_switch = 2000,
        .cost_lock = 200,
    };
}
//! [cost defaults]

static int bad(char *err, size_t errlen, const char *fmt, const char *a,
               const char *b)
{
    snprintf(err, errlen, fmt, a, b);
    return -1;
}

static int num(const char *v, double lo, double hi, double *out)
{
    char *end;
    /* strtod also reads hexadecimal ("0x10" as 16, "0x1p4" too): a
     * scenario's numbers are decimal, and such a value is a typo. */
    if (strpbrk(v, "xX"))
        return -1;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
        return -1;
    *out = d;
    return 0;
}

#define MS 1000000.0
#define US 1000.0

int scenario_set(struct scenario *sc, const char *section, const char *key,
                 const char *value, char *err, size_t errlen)
{
    double d = 0;
    /* A numeric key: name, section, range, scale, and where it goes. */
    static const struct {
        const char *section, *key;
        double lo, hi, scale;
        int kind; /* 0 int, 1 double, 2 int64 */
        size_t offset;
    } nums[] = {
#define F(sec, k, lo, hi, scale, kind, field)                                  \
    {sec, k, lo, hi, scale, kind, offsetof(struct scenario, field)}
        F("scenario", "cores", 1, 256, 1, 0, cores),
        F("scenario", "threads", 0, 1024, 1, 0, threads),
        F("scenario", "accept_threads", 1, 64, 1, 0, accept_threads),
        F("scenario", "duration_ms", 1, 3.6e6, MS, 2, duration_ns),
        F("scenario", "warmup_ms", 0, 3.6e6, MS, 2, warmup_ns),
        F("scenario", "speed", 1e-9, 10, 1, 1, speed),
        F("scenario", "tour", 0, 1, 1, 0, tour),
        F("load", "clients", 1, 1e6, 1, 0, clients),
        F("load", "think_us", 0, 1e9, US, 1, think_ns),
        F("load", "requests_per_conn", 0, 1e9, 1, 0, requests_per_conn),
        F("load", "rate", 1, 1e9, 1, 1, rate),
        F("load", "service_us", 0, 1e9, US, 1, service_ns),
        F("load", "slow_fraction", 0, 1, 1, 1, slow_fraction),
        F("load", "slow_us", 0, 1e9, US, 1, slow_ns),
        F("load", "service_sigma", 0.01, 5, 1, 1, service_sigma),
        F("load", "service_alpha", 1.05, 100, 1, 1, service_alpha),
        F("load", "long_fraction", 0, 1, 1, 1, long_fraction),
        F("load", "long_requests", 1, 1e9, 1, 0, long_requests),
        F("cost", "epoll_wait", 0, 1e9, 1, 2, cost_epoll_wait),
        F("cost", "accept", 0, 1e9, 1, 2, cost_accept),
        F("cost", "recv", 0, 1e9, 1, 2, cost_recv),
        F("cost", "parse", 0, 1e9, 1, 2, cost_parse),
        F("cost", "send", 0, 1e9, 1, 2, cost_send),
        F("cost", "close", 0, 1e9, 1, 2, cost_close),
        F("cost", "handoff", 0, 1e9, 1, 2, cost_handoff),
        F("cost", "cache_penalty", 0, 1e9, 1, 2, cost_cache),
        F("cost", "context_switch", 0, 1e9, 1, 2, cost_switch),
        F("cost", "pool_lock", 0, 1e9, 1, 2, cost_lock),
#undef F
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(nums[i].section, section) || strcmp(nums[i].key, key))
            continue;
        if (num(value, nums[i].lo, nums[i].hi, &d) < 0) {
            snprintf(err, errlen, "%s: '%s' is not a number from %g to %g", key,
                     value, nums[i].lo, nums[i].hi);
            return -1;
        }
        void *field = (char *)sc + nums[i].offset;
        if (nums[i].kind == 0) {
            if (d != floor(d))
                return bad(err, errlen, "%s: '%s' is not a whole number", key,
                           value);
            *(int *)field = (int)d;
        } else if (nums[i].kind == 1) {
            *(double *)field = d * nums[i].scale;
        } else {
            *(int64_t *)field = (int64_t)llround(d * nums[i].scale);
        }
        return 0;
    }
    if (!strcmp(section, "scenario") && !strcmp(key, "name")) {
        if (!*value)
            return bad(err, errlen,
                       "name: empty (leave the key out for '%s')%s", "default",
                       "");
        /* The name goes into JSON reports and the HUD as it is. */
        for (const char *c = value; *c; c++)
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
                return bad(err, errlen,
                           "name: '%s' may not hold quotes, backslashes or "
                           "control characters%s",
                           value, "");
        snprintf(sc->name, sizeof sc->name, "%s", value);
    } else if (!strcmp(section, "scenario") && !strcmp(key, "arch")) {
        if (sim_arch_parse(value, &sc->arch) < 0)
            return bad(err, errlen,
                       "arch: '%s' is not staged, shared-nothing, single or "
                       "pool%s",
                       value, "");
    } else if (!strcmp(section, "scenario") && !strcmp(key, "schedule")) {
        if (!policy_find(value))
            return bad(err, errlen, "schedule: no policy named '%s'%s", value,
                       " (see policy.c)");
        snprintf(sc->schedule, sizeof sc->schedule, "%s", value);
    } else if (!strcmp(section, "scenario") && !strcmp(key, "listener")) {
        if (!strcmp(value, "reuseport"))
            sc->listener = LISTEN_REUSEPORT;
        else if (!strcmp(value, "exclusive"))
            sc->listener = LISTEN_EXCLUSIVE;
        else if (!strcmp(value, "herd"))
            sc->listener = LISTEN_HERD;
        else
            return bad(err, errlen,
                       "listener: '%s' is not reuseport, exclusive or herd%s",
                       value, "");
    } else if (!strcmp(section, "scenario") && !strcmp(key, "seed")) {
        /* Above 2^53 a double cannot tell two seeds apart: parse it as an
         * integer, and stop where JSON readers stop being exact. */
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end || *value == '-' || v > (1ULL << 53))
            return bad(err, errlen,
                       "seed: '%s' is not a whole number from 0 to 2^53%s",
                       value, "");
        sc->seed = (uint64_t)v;
    } else if (!strcmp(section, "load") && !strcmp(key, "mode")) {
        if (!strcmp(value, "closed"))
            sc->open_loop = false;
        else if (!strcmp(value, "open"))
            sc->open_loop = true;
        else
            return bad(err, errlen, "mode: '%s' is not closed or open%s", value,
                       "");
    } else if (!strcmp(section, "load") && !strcmp(key, "service")) {
        enum dist_kind kind;
        if (dist_kind_parse(value, &kind) < 0)
            return bad(err, errlen,
                       "service: '%s' is not const, exp, bimodal, lognormal "
                       "or pareto%s",
                       value, "");
        sc->service_exp = kind == DIST_EXP;
        sc->service_shape = kind == DIST_EXP ? DIST_CONST : kind;
    } else {
        return bad(err, errlen, "unknown key '%s' in [%s]", key, section);
    }
    return 0;
}

//! [scenario service]
struct dist scenario_service(const struct scenario *sc)
{
    return (struct dist){
        .kind = sc->service_exp ? DIST_EXP : sc->service_shape,
        .mean_ns = sc->service_ns,
        .slow_fraction = sc->slow_fraction,
        .slow_ns = sc->slow_ns,
        .sigma = sc->service_sigma,
        .alpha = sc->service_alpha,
    };
}
//! [scenario service]

int scenario_check(const struct scenario *sc, char *err, size_t errlen)
{
    int threads = sc->threads ? sc->threads : sc->cores;
    if (sc->arch == SIM_STAGED && threads < sc->accept_threads + 1) {
        /* A thread per core unless threads is set: then say it in cores,
         * the word --cores and the window use (a learner who typed
         * --cores 1 had set no threads). */
        if (!sc->threads)
            snprintf(err, errlen,
                     "staged needs at least %d cores, a thread on each: %d "
                     "accept thread%s (accept_threads) and a request thread "
                     "to hand connections to; got %d (--arch single runs "
                     "on one core)",
                     sc->accept_threads + 1, sc->accept_threads,
                     sc->accept_threads > 1 ? "s" : "", sc->cores);
        else
            snprintf(err, errlen,
                     "staged needs threads > accept_threads (%d), got %d",
                     sc->accept_threads, threads);
        return -1;
    }
    if (sc->arch == SIM_POOL && sc->threads == 1) {
        snprintf(err, errlen,
                 "pool needs threads of 2 or more: the loop and at least one "
                 "worker (got 1; threads = 0 puts a worker on each other "
                 "core)");
        return -1;
    }
    if (sc->warmup_ns >= sc->duration_ns) {
        snprintf(err, errlen,
                 "warmup_ms must be shorter than duration_ms (got %g and "
                 "%g: nothing would be measured)",
                 (double)sc->warmup_ns / MS, (double)sc->duration_ns / MS);
        return -1;
    }
    if (sc->open_loop && sc->rate <= 0) {
        snprintf(err, errlen, "mode = open needs a rate (arrivals per second)");
        return -1;
    }
    /* An open loop's arrivals are connections. One that never closes
     * keeps sending (after think_us) for the rest of the run, so the
     * requests offered grow with every arrival and no rate is steady. */
    if (sc->open_loop && sc->requests_per_conn == 0) {
        snprintf(err, errlen,
                 "mode = open needs requests_per_conn of 1 or more (got 0: "
                 "every arrival would keep its connection and send for the "
                 "rest of the run, so the load would grow without bound)");
        return -1;
    }
    return 0;
}

/* Does msg name key as a word (not inside a longer name)? */
static bool names_key(const char *msg, const char *key)
{
    size_t n = strlen(key);
    for (const char *at = strstr(msg, key); at; at = strstr(at + 1, key)) {
        bool start =
            at == msg || !(isalnum((unsigned char)at[-1]) || at[-1] == '_');
        bool end = !(isalnum((unsigned char)at[n]) || at[n] == '_');
        if (start && end)
            return true;
    }
    return false;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

int scenario_parse(struct scenario *sc, const char *text, const char *name,
                   char *err, size_t errlen)
{
    char section[32] = "";
    char msg[200];
    int lineno = 0, keys = 0;
    /* Keys seen, as "section.key", for duplicates (a scenario has ~30). */
    char seen[64][48];
    int seen_line[64];
    const char *p = text;
    /* A byte-order mark (some Windows editors write one) is no text. */
    if (!strncmp(p, "\xef\xbb\xbf", 3))
        p += 3;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        lineno++;
        if (n >= sizeof line) {
            snprintf(err, errlen, "%s:%d: line too long", name, lineno);
            return -1;
        }
        memcpy(line, p, n);
        line[n] = 0;
        p += n + (nl != NULL);
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || close[1]) {
                snprintf(err, errlen, "%s:%d: bad section header", name,
                         lineno);
                return -1;
            }
            *close = 0;
            s = trim(s + 1);
            if (strcmp(s, "scenario") && strcmp(s, "load") &&
                strcmp(s, "cost")) {
                snprintf(err, errlen,
                         "%s:%d: unknown section [%.32s] (scenario, load, "
                         "cost)",
                         name, lineno, s);
                return -1;
            }
            snprintf(section, sizeof section, "%s", s);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", name, lineno);
            return -1;
        }
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        char *comment = strpbrk(value, "#;");
        if (comment) {
            *comment = 0;
            value = trim(value);
        }
        if (!*section) {
            snprintf(err, errlen, "%s:%d: key '%.32s' before any [section]",
                     name, lineno, key);
            return -1;
        }
        char id[48];
        snprintf(id, sizeof id, "%.15s.%.30s", section, key);
        for (int i = 0; i < keys && i < 64; i++)
            if (!strcmp(seen[i], id)) {
                snprintf(err, errlen,
                         "%s:%d: duplicate key '%.32s' in [%s] (first on "
                         "line %d)",
                         name, lineno, key, section, seen_line[i]);
                return -1;
            }
        if (keys < 64) {
            snprintf(seen[keys], sizeof seen[keys], "%s", id);
            seen_line[keys] = lineno;
        }
        keys++;
        if (scenario_set(sc, section, key, value, msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
            return -1;
        }
    }
    if (keys == 0) {
        snprintf(err, errlen,
                 "%s:%d: no keys: a scenario sets at least one of [scenario], "
                 "[load] or [cost]",
                 name, lineno ? lineno : 1);
        return -1;
    }
    if (scenario_check(sc, msg, sizeof msg) < 0) {
        /* Two keys disagree: point at the later of those the message
         * names that this file set (none: the defaults disagree with a
         * command-line flag, and there is no line to name). */
        int at = 0;
        for (int i = 0; i < keys && i < 64; i++)
            if (names_key(msg, strchr(seen[i], '.') + 1) && seen_line[i] > at)
                at = seen_line[i];
        if (at)
            snprintf(err, errlen, "%s:%d: %s", name, at, msg);
        else
            snprintf(err, errlen, "%s: %s", name, msg);
        return -1;
    }
    return 0;
}

int scenario_load(struct scenario *sc, const char *path, char *err,
                  size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode) &&
        !S_ISFIFO(st.st_mode)) {
        fclose(f);
        snprintf(err, errlen, "%s:1: %s", path,
                 S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                     : "not a regular file");
        return -1;
    }
    char *text = NULL;
    size_t cap = 0, len = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            text = grown;
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (memchr(text ? text : "", 0, len)) {
        free(text);
        snprintf(err, errlen, "%s:1: not a text file", path);
        return -1;
    }
    if (text)
        text[len] = 0;
    int rc = scenario_parse(sc, text ? text : "", path, err, errlen);
    free(text);
    return rc;
}
