#include "simulator/hud.h"

#include <stdio.h>
#include <stdlib.h>

void hud_narrate(const struct fd_event *ev, char *out, size_t len)
{
    int t = ev->thread, fd = ev->fd;
    static const char *const why[] = {"", " (error)", " (idle timeout)"};
    switch (ev->kind) {
    case FD_ACCEPT:
        snprintf(out, len, "t%d accepts a connection: fd %d", t, fd);
        break;
    case FD_HANDOFF:
        snprintf(out, len,
                 "t%d hands fd %d to t%ld: epoll_ctl(ADD) on t%ld's epoll fd",
                 t, fd, ev->arg, ev->arg);
        break;
    case FD_READY:
        snprintf(out, len,
                 "fd %d is readable: it waits in t%d's ready list for the CPU",
                 fd, t);
        break;
    case FD_RECV:
        snprintf(out, len, "t%d (core %d) reads fd %d's request (%ld bytes)", t,
                 ev->core, fd, ev->arg);
        break;
    case FD_REQUEST:
        snprintf(out, len, "t%d parses %ld request%s on fd %d", t, ev->arg,
                 ev->arg == 1 ? "" : "s", fd);
        break;
    case FD_SEND:
        snprintf(out, len,
                 "t%d answers fd %d (%ld bytes); fd %d goes back to idle in "
                 "its interest set",
                 t, fd, ev->arg, fd);
        break;
    case FD_CLOSE:
        snprintf(out, len, "t%d closes fd %d%s", t, fd,
                 ev->arg >= 0 && ev->arg <= 2 ? why[ev->arg] : "");
        break;
    case FD_ARRIVE:
        snprintf(out, len,
                 "a client connects: the connection waits in t%d's accept "
                 "queue (no fd until accept4)",
                 t);
        break;
    case FD_WASTED:
        snprintf(out, len,
                 "t%d woke for nothing: another thread took the connection "
                 "(the thundering herd)",
                 t);
        break;
    default:
        if (len)
            out[0] = 0;
        break;
    }
}

void hud_narrate_pool(const struct fd_event *ev, char *out, size_t len)
{
    if (ev->kind == FD_READY)
        snprintf(out, len,
                 "fd %d is readable: t%d's loop puts it in the shared queue "
                 "for the next free worker",
                 ev->fd, ev->thread);
    else
        hud_narrate(ev, out, len);
}

void hud_from_sim(const struct sim *s, const struct tally *so_far,
                  struct hud *h, double *util, int *backlog)
{
    struct sim_report r;
    sim_report(s, &r);
    double measured_s = (double)(s->now - s->sc.warmup_ns) / 1e9;
    h->title = s->sc.name;
    h->arch = sim_arch_name(s->sc.arch);
    h->mode = HUD_MODEL;
    h->sim_s = (double)s->now / 1e9;
    h->warmup_s = (double)s->sc.warmup_ns / 1e9;
    if (s->completed > 0 && measured_s > 0) {
        h->throughput_rps = (double)s->completed / measured_s;
        h->p50_us = r.p50_us;
        h->p99_us = r.p99_us;
    } else if (so_far) { /* the warm-up: what has been seen so far */
        h->throughput_rps = tally_rps(so_far);
        h->p50_us = hist_quantile(&so_far->latency, 0.5) / 1e3;
        h->p99_us = hist_quantile(&so_far->latency, 0.99) / 1e3;
    }
    /* Counts since the start, warm-up included: they never go back. */
    h->completed = (unsigned long)(so_far ? so_far->answered : s->answered);
    h->handoffs = (unsigned long)(so_far ? so_far->handoffs : s->handoffs);
    h->cache_misses = (unsigned long)s->cache_misses;
    /* The report counts from the warm-up's end: the same figures, so that
     * the window and --report never disagree on one run. */
    h->measured = s->now >= s->sc.warmup_ns;
    h->measured_completed = (unsigned long)r.completed;
    h->measured_handoffs = (unsigned long)r.handoffs;
    h->clients = s->sc.open_loop ? 0 : s->sc.clients;
    /* The model knows who waits: a client whose fd has just landed in
     * an interest set, its request on its way, is not thinking. */
    h->clients_counted = !s->sc.open_loop;
    h->clients_waiting = (int)s->in_system;
    h->cores = s->sc.cores;
    /* Utilisation so far: the model divides by the whole measured span. */
    double span = (double)(s->sc.duration_ns - s->sc.warmup_ns);
    double elapsed = (double)(s->now - s->sc.warmup_ns);
    for (int c = 0; c < h->cores; c++) {
        if (elapsed > 0) {
            util[c] = sim_core_util(s, c) * span / elapsed;
        } else { /* the warm-up: busy or not, now */
            util[c] = s->cores[c].busy ? 1 : 0;
        }
    }
    h->util = util;
    for (int t = 0; t < s->nthreads; t++)
        backlog[t] = s->threads[t].backlog;
    h->backlog = backlog;
    /* An open loop above capacity: say so, figures alone look calm. The
     * report's own rule, on the span run so far (as --report --at
     * measures it): the window's old one (5% more sent than answered,
     * plus 100) never spoke at rho 1.02 where the report's OVERLOAD did. */
    if (s->sc.open_loop && s->now > s->sc.warmup_ns) {
        struct sim_report so;
        if (sim_report_so_far(s, &so) && sim_overloaded(&so))
            h->stats = "OVERLOAD: more requests arrive than are answered - "
                       "the backlog grows and latency has no steady state";
    }
    h->shared_len = s->shared.len;
    h->lock_held = s->lock_free_at > s->now;
}

void hud_layout_sim(struct view *v, const struct sim *s)
{
    int n = s->nthreads;
    int *core = malloc((size_t)n * sizeof *core);
    enum view_role *role = malloc((size_t)n * sizeof *role);
    if (!core || !role) {
        free(core);
        free(role);
        return;
    }
    static const enum view_role roles[] = {
        [ROLE_ACCEPT] = VIEW_ACCEPT, [ROLE_REQUEST] = VIEW_REQUEST,
        [ROLE_BOTH] = VIEW_BOTH,     [ROLE_LOOP] = VIEW_LOOP,
        [ROLE_WORKER] = VIEW_WORKER,
    };
    for (int t = 0; t < n; t++) {
        core[t] = s->threads[t].core;
        role[t] = roles[s->threads[t].role];
    }
    view_layout(v, n, s->sc.cores, core, role);
    free(core);
    free(role);
}
