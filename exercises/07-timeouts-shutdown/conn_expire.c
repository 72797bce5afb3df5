/*
 * Exercise 07: idle timeouts and the graceful drain - your version of
 * fastd's reference-server/conn_expire.c, behind reference-server/conn.h
 * (conns_expire).
 *
 * This starter works, naively: there is no idle timeout at all (a client
 * that opens connections and says nothing - or trickles a request one
 * byte at a time, slowloris - holds them forever), and on SIGTERM every
 * connection is cut at once, answers in flight included.
 *
 * TODO 1: --idle-timeout (self->srv->opt.idle_timeout seconds, 0 = never):
 *         close, as CLOSE_TIMEOUT, every connection whose last_active is
 *         more than that before self->now. self->conns.oldest is the least
 *         recently active and the list runs to .newest by ->newer: stop at
 *         the first one still fresh. Before closing one, ask
 *         conn_moving(c) (conn.h): if its socket shows it is not idle
 *         after all (a request waits unread, a download goes on), count
 *         that as activity instead (conn_touch()). A second list,
 *         self->conns.linger_oldest, holds the lingering connections
 *         (conn_linger(), their start in last_active): close each as
 *         CLOSE_ERROR once CONN_LINGER_SECONDS have passed (>=), whatever
 *         the idle timeout, without asking conn_moving().
 * TODO 2: draining (self->draining): once the grace period is over
 *         (clock_ms() >= self->drain_grace_end), close the idle ones as
 *         CLOSE_NORMAL (nothing buffered in or out, nothing left to send:
 *         in_len, out_len and tail_len all 0, and no request waiting
 *         unread on the socket: a recv() with MSG_PEEK), and let the
 *         others finish; at self->drain_deadline close them all: busy
 *         ones as CLOSE_TIMEOUT, lingering ones as CLOSE_ERROR.
 * TODO 3: while draining, set self->done only when no connection is left
 *         AND the accept stage is done (srv->acceptors_done, an atomic:
 *         load it with acquire), or a hand-off still on its way is lost.
 * Closing frees the connection: read ->newer before conn_close().
 */
#include "reference-server/conn.h"

#include <stdatomic.h>

#include "reference-server/server.h"

void conns_expire(struct thread *self)
{
    if (!self->draining)
        return;                /* TODO 1 */
    while (self->conns.oldest) /* TODO 2 */
        conn_close(self, self->conns.oldest, CLOSE_NORMAL);
    self->done = true; /* TODO 3 */
}
