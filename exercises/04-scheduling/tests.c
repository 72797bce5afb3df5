/*
 * Exercise 04, layer (a): schedule_pick() alone, on request threads whose
 * open-connection counters this program sets.
 */
#include "exercises/grader/graded.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "exercises/common/fake_server.h"
#include "exercises/grader/oracle.h"
#include "reference-server/handoff.h"

static struct server *srv;

/* nworkers request threads with these open connections. */
static struct thread *setup(enum schedule schedule, int n, const int *open)
{
    srv = fake_server(1, n, schedule, false);
    for (int i = 0; i < n; i++) {
        struct stats *s = &srv->workers[i]->stats;
        atomic_store(&s->conns_in.value, (uint64_t)open[i] + 10);
        atomic_store(&s->closed_normal.value, 10);
    }
    return &srv->threads[0];
}

static int pick(struct thread *self)
{
    return schedule_pick(self)->id - 1; /* worker index */
}

static void test_rr_rotates(void **state)
{
    (void)state;
    int open[3] = {9, 0, 0};
    struct thread *self = setup(SCHEDULE_RR, 3, open);
    /* Each in turn, whatever the load; which thread goes first is free
     * (the cursor read before or after it moves). */
    int first = pick(self);
    if (first < 0 || first > 2)
        fail_msg("rr pick 0: thread %d is not a request thread", first);
    for (int i = 1; i < 7; i++) {
        int got = pick(self), want = (first + i) % 3;
        if (got != want)
            fail_msg("rr pick %d: expected thread %d (the one after the "
                     "previous pick), observed %d",
                     i, want, got);
    }
    fake_server_free(srv);
}

/* The load vectors of these tests are tried in every rotation, so that
 * no answer can be known from the test's text alone. */
static void rotated(const int *from, int n, int by, int *to)
{
    for (int i = 0; i < n; i++)
        to[(i + by) % n] = from[i];
}

static void test_least_picks_fewest(void **state)
{
    (void)state;
    static const int loads[5] = {4, 2, 7, 1, 3};
    for (int by = 0; by < 5; by++) {
        int open[5];
        rotated(loads, 5, by, open);
        struct thread *self = setup(SCHEDULE_LEAST, 5, open);
        for (int i = 0; i < 5; i++) {
            int got = pick(self);
            if (got != (3 + by) % 5) {
                fake_server_free(srv);
                fail_msg("least, loads {%d,%d,%d,%d,%d}: expected worker %d, "
                         "observed %d",
                         open[0], open[1], open[2], open[3], open[4],
                         (3 + by) % 5, got);
            }
        }
        fake_server_free(srv);
    }
}

static void test_least_ties_rotate(void **state)
{
    (void)state;
    /* Counts lag behind hand-offs (the target has not read its fd yet):
     * ties must not all go to the same thread. */
    static const int loads[4] = {3, 1, 1, 3};
    for (int by = 0; by < 4; by++) {
        int open[4], seen[4] = {0};
        rotated(loads, 4, by, open);
        struct thread *self = setup(SCHEDULE_LEAST, 4, open);
        for (int i = 0; i < 8; i++)
            seen[pick(self)]++;
        fake_server_free(srv);
        int a = (1 + by) % 4, b = (2 + by) % 4; /* the two idle ones */
        if (seen[a] + seen[b] != 8 || !seen[a] || !seen[b])
            fail_msg("least, loads {%d,%d,%d,%d}, 8 picks: %d %d %d %d (ties "
                     "should share)",
                     open[0], open[1], open[2], open[3], seen[0], seen[1],
                     seen[2], seen[3]);
    }
}

static void test_p2c_never_the_busiest(void **state)
{
    (void)state;
    /* Two DISTINCT samples: the busiest thread loses every comparison. */
    static const int loads[4] = {1, 2, 3, 9};
    for (int by = 0; by < 4; by++) {
        int open[4], seen[4] = {0};
        rotated(loads, 4, by, open);
        struct thread *self = setup(SCHEDULE_P2C, 4, open);
        for (int i = 0; i < 600; i++)
            seen[pick(self)]++;
        fake_server_free(srv);
        int idlest = by, busiest = (3 + by) % 4;
        if (seen[busiest])
            fail_msg("p2c, loads {%d,%d,%d,%d}: picked the busiest thread %d "
                     "times in 600 (two samples that may be the same "
                     "thread, or the busier of the two?)",
                     open[0], open[1], open[2], open[3], seen[busiest]);
        /* The idlest wins whenever it is drawn: 3 pairs in 6. */
        if (seen[idlest] < 200 || seen[idlest] > 400)
            fail_msg("p2c, loads {%d,%d,%d,%d}: picked the idlest thread %d "
                     "times in 600 (about 300 expected)",
                     open[0], open[1], open[2], open[3], seen[idlest]);
    }
}

static void test_p2c_spreads_equals(void **state)
{
    (void)state;
    int open[4] = {5, 5, 5, 5}, seen[4] = {0};
    struct thread *self = setup(SCHEDULE_P2C, 4, open);
    for (int i = 0; i < 800; i++)
        seen[pick(self)]++;
    for (int i = 0; i < 4; i++)
        if (seen[i] < 80)
            fail_msg("p2c, equal loads, 800 picks: %d %d %d %d (not random?)",
                     seen[0], seen[1], seen[2], seen[3]);
    fake_server_free(srv);
}

/* "Two distinct threads at random": every pair of threads as likely as
 * any other. With loads all different, the thread of rank k (0 the
 * idlest) wins exactly the pairs it makes with the n - 1 - k busier ones,
 * so it should get (n - 1 - k) / (n (n - 1) / 2) of the picks. 60000
 * picks on 4, 5 and 6 threads, the loads in two layouts; each thread's
 * count must be within six standard deviations of a fair draw of that.
 * A second thread that is always the first one's neighbour, or the one
 * opposite it, is distinct but draws only a few of the pairs; one drawn
 * alone and moved to the next thread when it equals the first draws
 * every pair, but the neighbouring ones 1.5 times as often as the others -
 * 3000 picks (the tolerance about 150) could not tell that from a fair
 * draw, 60000 (about 700 either way, the bias well over 1000) can. */
static void test_p2c_draws_every_pair(void **state)
{
    (void)state;
    static const int layouts[2][6] = {{0, 10, 20, 30, 40, 50},
                                      {20, 0, 40, 10, 50, 30}};
    enum { PICKS = 60000 };
    for (int n = 4; n <= 6; n++)
        for (int l = 0; l < 2; l++) {
            int seen[6] = {0}, want[6], slack[6];
            struct thread *self = setup(SCHEDULE_P2C, n, layouts[l]);
            for (int i = 0; i < PICKS; i++)
                seen[pick(self)]++;
            fake_server_free(srv);
            bool off = false;
            for (int i = 0; i < n; i++) {
                int rank = 0;
                for (int j = 0; j < n; j++)
                    rank += layouts[l][j] < layouts[l][i];
                double share = 2.0 * (n - 1 - rank) / (n * (n - 1));
                want[i] = (int)(PICKS * share + 0.5);
                /* Six standard deviations of a fair draw, and one pick
                 * for rounding. */
                slack[i] = 1 + (int)(6 * sqrt(PICKS * share * (1 - share)));
                off |= seen[i] < want[i] - slack[i] ||
                       seen[i] > want[i] + slack[i];
            }
            if (off) {
                char text[512];
                size_t o = 0;
                for (int i = 0; i < n; i++)
                    oracle_appendf(text, sizeof text, &o,
                                   "%sthread %d (%d open): %d, %d +- %d",
                                   i ? "; " : "", i, layouts[l][i], seen[i],
                                   want[i], slack[i]);
                fail_msg("p2c, %d picks on %d threads: %s (is every pair "
                         "drawn, each as often as any other? A second "
                         "thread tied to the first, or moved to the next "
                         "one when it equals the first, is not)",
                         PICKS, n, text);
            }
        }
}

static void test_one_worker(void **state)
{
    (void)state;
    int open[1] = {7};
    enum schedule all[] = {SCHEDULE_RR, SCHEDULE_LEAST, SCHEDULE_P2C};
    for (int k = 0; k < 3; k++) {
        struct thread *self = setup(all[k], 1, open);
        for (int i = 0; i < 3; i++)
            assert_int_equal(pick(self), 0);
        fake_server_free(srv);
    }
}

/*
 * The differential test: your schedule_pick() and the reference's
 * (reference-server/schedule.c, linked beside yours with its symbols
 * renamed ref_*: exercise.conf's `oracle`), each on a server of its own
 * with the same request threads, loads and cursor, on generated cases:
 * 1 to 6 request threads, load vectors full of ties, all equal, all
 * zero, or spread, cursors near where an int or an unsigned wraps. Each
 * pick then adds a connection to the thread picked, as the hand-off does.
 * A differing case is shrunk (fewer threads first, then each load
 * lowered while the two still differ) before it is shown.
 */
struct thread *ref_schedule_pick(struct thread *self);

#define MAXW 6
/* Room for every request thread fastd can have (MAX_THREADS, less the
 * accept thread): test_many_workers goes that far. */
#define MAXN (MAX_THREADS - 1)

struct pol_case {
    enum schedule policy;
    int n;
    unsigned cursor;
    uint64_t load[MAXN];
    uint64_t closed[MAXN]; /* closed connections behind each load */
    /* Beyond the first cases: how many accept threads take turns (0 is
     * one), and the closes behind each load by kind: those above are
     * closed_normal; these are closed_error and closed_timeout. */
    int naccept;
    uint64_t closed_error[MAXN], closed_timeout[MAXN];
    /* A stale view: conns_in seen this much behind the closes (the
     * accept thread has not seen another's hand-offs yet), so the thread
     * serves 0 connections whatever load[] says. */
    uint64_t behind[MAXN];
};

static const char *const policy_names[] = {"rr", "least", "p2c"};

static int accept_threads(const struct pol_case *c)
{
    return c->naccept > 0 ? c->naccept : 1;
}

static struct server *case_server(const struct pol_case *c)
{
    struct server *s = fake_server(accept_threads(c), c->n, c->policy, false);
    for (int a = 0; a < accept_threads(c); a++)
        s->threads[a].next_rr = c->cursor + 7u * (unsigned)a;
    for (int i = 0; i < c->n; i++) {
        struct stats *st = &s->workers[i]->stats;
        uint64_t closed =
            c->closed[i] + c->closed_error[i] + c->closed_timeout[i];
        uint64_t in = c->behind[i]
                          ? (closed > c->behind[i] ? closed - c->behind[i] : 0)
                          : c->load[i] + closed;
        atomic_store(&st->conns_in.value, in);
        atomic_store(&st->closed_normal.value, c->closed[i]);
        atomic_store(&st->closed_error.value, c->closed_error[i]);
        atomic_store(&st->closed_timeout.value, c->closed_timeout[i]);
    }
    return s;
}

/* The accept thread that makes pick k: they take turns. */
static struct thread *picker(struct server *s, const struct pol_case *c, int k)
{
    return &s->threads[k % accept_threads(c)];
}

/* The worker index of a pick, or -1 when it is not a request thread. */
static int index_of(struct server *s, struct thread *t)
{
    for (int i = 0; i < s->nworkers; i++)
        if (s->workers[i] == t)
            return i;
    return -1;
}

static void loads_text(const struct pol_case *c, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "{");
    for (int i = 0; i < c->n; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%llu", i ? "," : "",
                                 (unsigned long long)c->load[i]);
    snprintf(out + used, cap - used, "}");
}

/* Run both on the case; NULL when they agree, else what differed. */
static const char *policy_differs(const struct pol_case *c, char *why,
                                  size_t cap)
{
    struct server *mine = case_server(c), *ref = case_server(c);
    const char *result = NULL;
    int steps = 3 * c->n + 2;
    /* Round-robin: each accept thread's previous pick. */
    int prev[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    for (int k = 0; k < steps && !result; k++) {
        int m = index_of(mine, schedule_pick(picker(mine, c, k)));
        int r = index_of(ref, ref_schedule_pick(picker(ref, c, k)));
        if (m < 0) {
            snprintf(why, cap,
                     "pick %d returned a thread that is not a "
                     "request thread (the reference picked thread %d)",
                     k + 1, r);
            result = why;
            break;
        }
        uint64_t lm = stats_open_conns(&mine->workers[m]->stats);
        uint64_t lr = stats_open_conns(&ref->workers[r]->stats);
        /* Round-robin: the reference's pick, or the thread after this
         * accept thread's previous one (its first pick is free: a cursor
         * moved before it is read starts one thread further on). They differ
         * only where the cursor wraps: 2^32 is not a multiple of every n, and
         * the reference's next_rr % n then jumps back to thread 0, where a
         * cursor kept below n goes on to the next thread. Both rotate. */
        int *last = &prev[k % accept_threads(c)];
        /* This accept thread's cursor before the pick, as the reference
         * keeps it: a cursor moved before it is read wraps (and goes back
         * to thread 0) one pick before the reference's. */
        unsigned before = c->cursor + 7u * (unsigned)(k % accept_threads(c)) +
                          (unsigned)(k / accept_threads(c));
        bool wrap_to_0 = m == 0 && before == UINT_MAX;
        if (c->policy == SCHEDULE_RR && m != r && *last >= 0 &&
            m != (*last + 1) % c->n && !wrap_to_0) {
            snprintf(why, cap,
                     "pick %d: yours thread %d, the reference "
                     "thread %d",
                     k + 1, m, r);
            result = why;
        } else if ((c->policy == SCHEDULE_LEAST ||
                    (c->policy == SCHEDULE_P2C && c->n <= 2)) &&
                   lm != lr) {
            snprintf(why, cap,
                     "pick %d: yours thread %d with %llu open, the "
                     "reference thread %d with %llu open",
                     k + 1, m, (unsigned long long)lm, r,
                     (unsigned long long)lr);
            result = why;
        } else if (c->policy == SCHEDULE_P2C) {
            /* Two distinct samples: the busiest (when it is the only one
             * that busy) loses every comparison. */
            uint64_t top = 0;
            int ntop = 0;
            for (int i = 0; i < c->n; i++) {
                uint64_t l = stats_open_conns(&mine->workers[i]->stats);
                if (l > top)
                    top = l, ntop = 0;
                ntop += l == top;
            }
            if (c->n >= 2 && ntop == 1 && lm == top) {
                snprintf(why, cap,
                         "pick %d: yours the busiest thread, %d "
                         "with %llu open (two distinct samples never pick "
                         "it)",
                         k + 1, m, (unsigned long long)lm);
                result = why;
            }
        }
        *last = m;
        /* The hand-off: one more open connection on the thread picked. */
        counter_add(&mine->workers[m]->stats.conns_in, 1);
        counter_add(&ref->workers[r]->stats.conns_in, 1);
    }
    fake_server_free(mine);
    fake_server_free(ref);
    return result;
}

/* Least and ties: n picks with the loads frozen (the counts lag behind
 * the hand-offs) reach at least as many distinct threads as the reference's. */
static const char *ties_differ(const struct pol_case *c, char *why, size_t cap)
{
    if (c->policy != SCHEDULE_LEAST)
        return NULL;
    struct server *mine = case_server(c), *ref = case_server(c);
    int seen_m[MAXN] = {0}, seen_r[MAXN] = {0}, dm = 0, dr = 0;
    for (int k = 0; k < 2 * c->n; k++) {
        int m = index_of(mine, schedule_pick(picker(mine, c, k)));
        int r = index_of(ref, ref_schedule_pick(picker(ref, c, k)));
        if (m >= 0 && !seen_m[m]++)
            dm++;
        if (!seen_r[r]++)
            dr++;
    }
    fake_server_free(mine);
    fake_server_free(ref);
    /* More is fine: which of the tied threads each pick takes is free,
     * so long as they share (the reference's, with several accept
     * threads near the wrap, can share less). */
    if (dm >= dr)
        return NULL;
    snprintf(why, cap,
             "%d picks with the loads unchanged reach %d distinct "
             "thread(s); the reference's reach %d (ties must rotate)",
             2 * c->n, dm, dr);
    return why;
}

static const char *case_differs(const struct pol_case *c, char *why, size_t cap)
{
    const char *d = policy_differs(c, why, cap);
    return d ? d : ties_differ(c, why, cap);
}

/* A small deterministic generator: the same cases every run. */
static uint64_t gen_state = 0x243f6a8885a308d3ULL;
static uint64_t gen_next(void)
{
    gen_state ^= gen_state << 13;
    gen_state ^= gen_state >> 7;
    gen_state ^= gen_state << 17;
    return gen_state;
}

/* Shared with the child that runs the cases: the case under way, and
 * the message when one differed. */
struct oracle_run {
    struct pol_case now;
    char msg[900];
};

static void case_text(const struct pol_case *c, char *out, size_t cap)
{
    char loads[512];
    loads_text(c, loads, sizeof loads);
    size_t used = (size_t)snprintf(
        out, cap,
        "--schedule %s, %d request thread(s), open connections %s, "
        "thread::next_rr %u",
        policy_names[c->policy], c->n, loads, c->cursor);
    if (c->naccept > 1)
        used += (size_t)snprintf(out + used, cap - used,
                                 ", %d accept threads taking turns (each "
                                 "its own next_rr, from %u by 7)",
                                 c->naccept, c->cursor);
    for (int i = 0; i < c->n && used < cap; i++) {
        if (c->behind[i])
            used += (size_t)snprintf(
                out + used, cap - used,
                "; thread %d: stats read out of order, conns_in %llu "
                "behind its closes (0 open)",
                i, (unsigned long long)c->behind[i]);
        else if (c->closed_error[i] || c->closed_timeout[i])
            used += (size_t)snprintf(
                out + used, cap - used,
                "; thread %d: closed_normal %llu, closed_error %llu, "
                "closed_timeout %llu",
                i, (unsigned long long)c->closed[i],
                (unsigned long long)c->closed_error[i],
                (unsigned long long)c->closed_timeout[i]);
    }
}

/* Which cases: the first test's (one accept thread, normal closes), or
 * several accept threads, or closes of every kind and stale views. */
enum family { FAMILY_FIRST, FAMILY_ACCEPTORS, FAMILY_CLOSES, FAMILY_MANY };

static void run_policy_cases(struct oracle_run *run, enum family family)
{
    const unsigned cursors[] = {0, 1, 5, 0x7ffffffeu, 0xfffffffeu};
    /* FAMILY_MANY: more request threads than the others try, up to
     * fastd's most (--threads 64: 63 request threads). */
    static const int many[] = {7, 8, 9, 16, 17, 33, MAXN};
    char why[512], what[640];
    int nsizes =
        family == FAMILY_MANY ? (int)(sizeof many / sizeof many[0]) : MAXW;
    for (int ni = 0; ni < nsizes; ni++)
        for (int policy = 0; policy < 3; policy++)
            for (size_t cu = 0; cu < sizeof cursors / sizeof cursors[0]; cu++)
                for (int v = 0; v < (family == FAMILY_MANY ? 6 : 24); v++) {
                    int n = family == FAMILY_MANY ? many[ni] : ni + 1;
                    struct pol_case c = {.policy = (enum schedule)policy,
                                         .n = n,
                                         .cursor = cursors[cu]};
                    for (int i = 0; i < n; i++) {
                        uint64_t r = gen_next();
                        /* all zero, all equal, ties (0..2), spread */
                        c.load[i] = v == 0   ? 0
                                    : v == 1 ? 7
                                    : v < (family == FAMILY_MANY ? 4 : 12)
                                        ? r % 3
                                        : r % 50;
                        c.closed[i] = (r >> 20) % 40;
                        if (family == FAMILY_CLOSES) {
                            /* Closes of every kind; about one thread in
                             * four seen out of order. */
                            c.closed_error[i] = (r >> 30) % 9;
                            c.closed_timeout[i] = (r >> 40) % 9;
                            if ((r >> 50) % 4 == 0)
                                c.behind[i] = 1 + (r >> 52) % 3;
                        }
                    }
                    if (family == FAMILY_ACCEPTORS)
                        c.naccept = 2 + v % 2;
                    run->now = c;
                    if (!case_differs(&c, why, sizeof why))
                        continue;
                    /* Shrink: each load down while the two still differ. */
                    for (int i = 0; i < n; i++)
                        while (c.load[i] > 0) {
                            c.load[i]--;
                            run->now = c;
                            if (!case_differs(&c, why, sizeof why)) {
                                c.load[i]++;
                                break;
                            }
                        }
                    run->now = c;
                    case_differs(&c, why, sizeof why);
                    case_text(&c, what, sizeof what);
                    snprintf(run->msg, sizeof run->msg,
                             "smallest differing case: %s: %s", what, why);
                    return;
                }
}

/* The cases run in a child process, so that a pick that crashes (an
 * index out of the array) is reported with the case that made it. */
static void oracle_family(enum family family)
{
    struct oracle_run *run = mmap(NULL, sizeof *run, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(run != MAP_FAILED);
    memset(run, 0, sizeof *run);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A crash ends the child (cmocka's handlers would carry on). */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGFPE, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        run_policy_cases(run, family);
        _exit(run->msg[0] ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    char msg[1024], what[640];
    if (WIFSIGNALED(status)) {
        case_text(&run->now, what, sizeof what);
        snprintf(msg, sizeof msg,
                 "schedule_pick() crashed (%s) on the case %s (the reference "
                 "does not): an index out of srv->workers?",
                 strsignal(WTERMSIG(status)), what);
    } else {
        snprintf(msg, sizeof msg, "%s", run->msg);
    }
    munmap(run, sizeof *run);
    if (msg[0])
        fail_msg("%s", msg);
    want_int("the test's own child process's exit status", 0,
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void test_oracle_policies(void **state)
{
    (void)state;
    oracle_family(FAMILY_FIRST);
}

/*
 * "A request thread": with --accept-threads 2 or 3 the accept threads
 * come first in srv->threads, and each has its own next_rr. The same
 * cases as test_oracle_policies, picked by 2 or 3 accept threads in turn:
 * every pick must be one of srv->workers (never an accept thread), and
 * match the reference's as above.
 */
static void test_oracle_accept_threads(void **state)
{
    (void)state;
    oracle_family(FAMILY_ACCEPTORS);
}

/*
 * "Open connections" are stats_open_conns()'s: handed over minus closed,
 * whatever closed them (closed_normal, closed_error, closed_timeout), and
 * 0 when the counters are read out of order and the closes are ahead of
 * conns_in (stats.c). The same cases with closes of every kind and some
 * threads seen so.
 */
static void test_oracle_close_kinds(void **state)
{
    (void)state;
    oracle_family(FAMILY_CLOSES);
}

/*
 * "A request thread", whatever their number: the same comparison with
 * more request threads than the other tests try, 7 to 63 (fastd's most:
 * --threads 64, one of them the accept thread). A pick kept in a fixed
 * array of a few threads overflows it here.
 */
static void test_many_workers(void **state)
{
    (void)state;
    oracle_family(FAMILY_MANY);
}

/*
 * Several accept threads call schedule_pick() at the same time, each
 * with its own self: the header gives each its own thread::next_rr, so
 * the function may not share anything else that it writes. Two threads
 * pick 3000 times each, under every policy; each pick must be a request
 * thread. The tsan line runs this under ThreadSanitizer, which reports
 * a variable both write (a static counter, a shared seed).
 */
struct picker_arg {
    struct server *srv;
    int self;
    int bad;
};

static void *pick_many(void *p)
{
    struct picker_arg *a = p;
    for (int i = 0; i < 3000; i++)
        if (index_of(a->srv, schedule_pick(&a->srv->threads[a->self])) < 0)
            a->bad++;
    return NULL;
}

static void test_accept_threads_at_once(void **state)
{
    (void)state;
    enum schedule all[] = {SCHEDULE_RR, SCHEDULE_LEAST, SCHEDULE_P2C};
    for (int k = 0; k < 3; k++) {
        struct server *s = fake_server(2, 4, all[k], false);
        for (int i = 0; i < 4; i++) {
            struct stats *st = &s->workers[i]->stats;
            atomic_store(&st->conns_in.value, (uint64_t)(i % 3) + 5);
            atomic_store(&st->closed_normal.value, 5);
        }
        struct picker_arg args[2] = {{s, 0, 0}, {s, 1, 0}};
        pthread_t th[2];
        for (int t = 0; t < 2; t++)
            assert_int_equal(pthread_create(&th[t], NULL, pick_many, &args[t]),
                             0);
        for (int t = 0; t < 2; t++)
            pthread_join(th[t], NULL);
        fake_server_free(s);
        if (args[0].bad || args[1].bad)
            fail_msg("--schedule %s, 2 accept threads picking at once: %d "
                     "and %d of 3000 picks were not request threads",
                     policy_names[k], args[0].bad, args[1].bad);
    }
}

static const struct graded table[] = {
    GRADED(test_rr_rotates, 1, 1),
    GRADED(test_least_picks_fewest, 3, 1),
    GRADED(test_least_ties_rotate, 2, 2),
    GRADED(test_p2c_never_the_busiest, 3, 3),
    GRADED(test_p2c_spreads_equals, 2, 3),
    GRADED(test_one_worker, 1, 3),
    GRADED(test_oracle_policies, 4, 4),
    GRADED(test_oracle_accept_threads, 2, 4),
    GRADED(test_oracle_close_kinds, 2, 4),
    GRADED(test_accept_threads_at_once, 1, 4),
    GRADED(test_p2c_draws_every_pair, 1, 3),
    GRADED(test_many_workers, 1, 4),
};
GRADED_MAIN(table)
