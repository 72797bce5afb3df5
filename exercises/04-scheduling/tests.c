/*
 * Exercise 04, layer (a): schedule_pick() alone, on request threads whose
 * open-connection counters this program sets.
 */
#include "exercises/grader/graded.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "exercises/common/fake_server.h"
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
    int want[] = {0, 1, 2, 0, 1, 2, 0};
    for (int i = 0; i < 7; i++) {
        int got = pick(self);
        if (got != want[i])
            fail_msg("rr pick %d: expected thread %d, observed %d", i, want[i],
                     got);
    }
    fake_server_free(srv);
}

static void test_least_picks_fewest(void **state)
{
    (void)state;
    int open[5] = {4, 2, 7, 1, 3};
    struct thread *self = setup(SCHEDULE_LEAST, 5, open);
    for (int i = 0; i < 5; i++) {
        int got = pick(self);
        if (got != 3)
            fail_msg("least, loads {4,2,7,1,3}: expected worker 3, observed "
                     "%d",
                     got);
    }
    fake_server_free(srv);
}

static void test_least_ties_rotate(void **state)
{
    (void)state;
    /* Counts lag behind hand-offs (the target has not read its fd yet):
     * ties must not all go to the same thread. */
    int open[4] = {3, 1, 1, 3}, seen[4] = {0};
    struct thread *self = setup(SCHEDULE_LEAST, 4, open);
    for (int i = 0; i < 8; i++)
        seen[pick(self)]++;
    if (seen[0] || seen[3] || !seen[1] || !seen[2])
        fail_msg("least, loads {3,1,1,3}, 8 picks: %d %d %d %d (ties should "
                 "share)",
                 seen[0], seen[1], seen[2], seen[3]);
    fake_server_free(srv);
}

static void test_p2c_never_the_busiest(void **state)
{
    (void)state;
    /* Two DISTINCT samples: the busiest thread loses every comparison. */
    int open[4] = {1, 2, 3, 9}, seen[4] = {0};
    struct thread *self = setup(SCHEDULE_P2C, 4, open);
    for (int i = 0; i < 600; i++)
        seen[pick(self)]++;
    if (seen[3])
        fail_msg("p2c picked the busiest of 4 threads %d times in 600 (two "
                 "samples that may be the same thread, or the busier of the "
                 "two?)",
                 seen[3]);
    /* The idlest wins whenever it is drawn: 3 pairs in 6. */
    if (seen[0] < 200 || seen[0] > 400)
        fail_msg("p2c picked the idlest of 4 threads %d times in 600 (about "
                 "300 expected)",
                 seen[0]);
    fake_server_free(srv);
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

struct pol_case {
    enum schedule policy;
    int n;
    unsigned cursor;
    uint64_t load[MAXW];
    uint64_t closed[MAXW]; /* closed connections behind each load */
};

static const char *const policy_names[] = {"rr", "least", "p2c"};

static struct server *case_server(const struct pol_case *c)
{
    struct server *s = fake_server(1, c->n, c->policy, false);
    s->threads[0].next_rr = c->cursor;
    for (int i = 0; i < c->n; i++) {
        struct stats *st = &s->workers[i]->stats;
        atomic_store(&st->conns_in.value, c->load[i] + c->closed[i]);
        atomic_store(&st->closed_normal.value, c->closed[i]);
    }
    return s;
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
    for (int k = 0; k < steps && !result; k++) {
        int m = index_of(mine, schedule_pick(&mine->threads[0]));
        int r = index_of(ref, ref_schedule_pick(&ref->threads[0]));
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
        if (c->policy == SCHEDULE_RR && m != r) {
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
        /* The hand-off: one more open connection on the thread picked. */
        counter_add(&mine->workers[m]->stats.conns_in, 1);
        counter_add(&ref->workers[r]->stats.conns_in, 1);
    }
    fake_server_free(mine);
    fake_server_free(ref);
    return result;
}

/* Least and ties: n picks with the loads frozen (the counts lag behind
 * the hand-offs) reach as many distinct threads as the reference's. */
static const char *ties_differ(const struct pol_case *c, char *why, size_t cap)
{
    if (c->policy != SCHEDULE_LEAST)
        return NULL;
    struct server *mine = case_server(c), *ref = case_server(c);
    int seen_m[MAXW] = {0}, seen_r[MAXW] = {0}, dm = 0, dr = 0;
    for (int k = 0; k < 2 * c->n; k++) {
        int m = index_of(mine, schedule_pick(&mine->threads[0]));
        int r = index_of(ref, ref_schedule_pick(&ref->threads[0]));
        if (m >= 0 && !seen_m[m]++)
            dm++;
        if (!seen_r[r]++)
            dr++;
    }
    fake_server_free(mine);
    fake_server_free(ref);
    if (dm == dr)
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
    char loads[128];
    loads_text(c, loads, sizeof loads);
    snprintf(out, cap,
             "--schedule %s, %d request thread(s), open connections %s, "
             "thread::next_rr %u",
             policy_names[c->policy], c->n, loads, c->cursor);
}

static void run_policy_cases(struct oracle_run *run)
{
    const unsigned cursors[] = {0, 1, 5, 0x7ffffffeu, 0xfffffffeu};
    char why[512], what[256];
    for (int n = 1; n <= MAXW; n++)
        for (int policy = 0; policy < 3; policy++)
            for (size_t cu = 0; cu < sizeof cursors / sizeof cursors[0]; cu++)
                for (int v = 0; v < 24; v++) {
                    struct pol_case c = {.policy = (enum schedule)policy,
                                         .n = n,
                                         .cursor = cursors[cu]};
                    for (int i = 0; i < n; i++) {
                        uint64_t r = gen_next();
                        /* all zero, all equal, ties (0..2), spread */
                        c.load[i] = v == 0   ? 0
                                    : v == 1 ? 7
                                    : v < 12 ? r % 3
                                             : r % 50;
                        c.closed[i] = (r >> 20) % 40;
                    }
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
static void test_oracle_policies(void **state)
{
    (void)state;
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
        run_policy_cases(run);
        _exit(run->msg[0] ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    char msg[1024], what[256];
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

static const struct graded table[] = {
    GRADED(test_rr_rotates, 1, 1),
    GRADED(test_least_picks_fewest, 3, 1),
    GRADED(test_least_ties_rotate, 2, 2),
    GRADED(test_p2c_never_the_busiest, 3, 3),
    GRADED(test_p2c_spreads_equals, 2, 3),
    GRADED(test_one_worker, 1, 3),
    GRADED(test_oracle_policies, 4, 4),
};
GRADED_MAIN(table)
