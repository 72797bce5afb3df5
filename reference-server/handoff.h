/**
 * \file
 * \brief Moving a connection from the accept stage to a request thread.
 *
 * The hand-off is one epoll_ctl(EPOLL_CTL_ADD) of the new fd on the
 * target thread's own epoll fd. That is the whole protocol: no queue, no
 * lock, no wake-up call of our own - the kernel wakes the target when the
 * fd has data, and the target creates its connection state then.
 *
 * Why this is safe across threads: the only thing that crosses is the fd
 * number, and it crosses inside the kernel. epoll_ctl() has returned, with
 * the fd in the target's interest list, before epoll_wait() in the target
 * can report it, so the target never sees an fd it cannot use. No user
 * memory is shared with the connection, so there is nothing for a memory
 * fence to order. The one shared datum is the target's stats::conns_in
 * counter, which is atomic. Had we passed a struct (peer address, accept
 * time), it would need publishing with a release store and an acquire load
 * on the other side; chapter 04 discusses that variant and measures it
 * (chapters/experiments/04-struct-handoff.c).
 */
#ifndef FASTD_HANDOFF_H
#define FASTD_HANDOFF_H

#include "reference-server/server.h"

/* [schedule seam] */
/**
 * Choose the request thread for a new connection, by server::opt.schedule:
 * round-robin; the thread with the fewest open connections (ties go
 * round-robin, so equal threads share the load); or power of two choices
 * (two distinct threads at random, every pair as likely as any other,
 * the one with fewer open connections).
 * Called only by the accept thread self, which owns thread::next_rr.
 */
struct thread *schedule_pick(struct thread *self);
/* [schedule seam] */

/**
 * Hand fd to target by adding it to target's epoll fd (edge-triggered,
 * input and output, registered once for the connection's whole life).
 * When target is self (shared-nothing, single) it is the same call without
 * the cross-thread part.
 * With --incoming-cpu a staged acceptor's target is replaced by the
 * request thread on the core that processed fd's packets, if any
 * (steer_pick()).
 * \return 0, or -1 after closing fd (the error is logged, rate-limited).
 */
int handoff_to(struct thread *self, struct thread *target, int fd);

#endif
