/*
 * correct: a helper sends each part (out[], then the tail); the
 * connection is touched and stats.bytes_out counted once per call, after
 * the sends, when any byte went out.
 */
#include "reference-server/conn.h"

#include <errno.h>
#include <sys/socket.h>

#include "reference-server/server.h"

/* Send buf[0..*len) until done, full or failed; moves *buf and *len. */
static int send_all(struct thread *self, int fd, const char **buf,
                    uint32_t *len, uint64_t *sent, bool stop_short)
{
    while (*len > 0) {
        ssize_t n = send(fd, *buf, *len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? 0 : -1;
        }
        TRACE(self->trace, TRACE_SEND, fd, n);
        bool was_short = (uint32_t)n < *len;
        *buf += n;
        *len -= (uint32_t)n;
        *sent += (uint64_t)n;
        if (was_short && stop_short)
            return 0;
    }
    return 1;
}

int conn_flush(struct thread *self, struct conn *c)
{
    uint64_t sent = 0;
    const char *p = c->out + c->out_sent;
    uint32_t left = c->out_len - c->out_sent;
    int r = send_all(self, c->fd, &p, &left, &sent, true);
    c->out_sent = c->out_len - left;
    if (r == 1) {
        c->out_len = c->out_sent = 0;
        r = send_all(self, c->fd, &c->tail, &c->tail_len, &sent, false);
    }
    if (sent) {
        conn_touch(self, c);
        counter_add(&self->stats.bytes_out, sent);
    }
    return r;
}
