/**
 * \file
 * \brief `--incoming-cpu`: follow the core the kernel processed a
 *        connection's packets on (SO_INCOMING_CPU, socket(7)).
 *
 * With RSS (a multi-queue NIC) or RPS (the same in software) each flow's
 * packets are processed in softirq on one core, chosen by a hash of its
 * addresses. That core has the socket's TCP state warm in its cache. The
 * critics' claim (chapter 9, claim 2) is that the thread serving the
 * connection should run there too, and that the kernel can arrange it
 * better than a user-space hand-off can. Two ways to follow it:
 *
 * - shared-nothing: each thread's listener sets SO_INCOMING_CPU to the
 *   thread's core; the kernel's SO_REUSEPORT selection then gives a new
 *   connection to the listener whose CPU processed its SYN (reliable
 *   since Linux 6.2), falling back to the hash when none matches.
 * - staged: after accept4() the acceptor reads the new socket's
 *   SO_INCOMING_CPU and hands it to the request thread pinned on that
 *   core, if there is one; otherwise schedule_pick()'s choice stands.
 */
#ifndef FASTD_STEER_H
#define FASTD_STEER_H

#include <stddef.h>

struct thread;

/**
 * Ask the kernel to prefer this listener for connections whose packets
 * core processes (setsockopt SO_INCOMING_CPU). Does nothing for core -1
 * (an unpinned thread has no core to ask for).
 * \return 0, or -1 with "setsockopt(SO_INCOMING_CPU ...): ..." in err.
 */
int steer_listener(int listen_fd, int core, char *err, size_t errlen);

/**
 * The request thread pinned on the core that processed fd's packets, or
 * fallback when that core has none (or the kernel does not say).
 */
struct thread *steer_pick(struct thread *self, int fd, struct thread *fallback);

#endif
