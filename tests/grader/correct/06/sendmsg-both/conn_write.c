/*
 * correct: the rest of out[] and the tail go out together in one
 * sendmsg() (two iovecs), so a short reply with a body behind it costs one
 * system call; a short write stops, as the reference's out[] loop does.
 */
#include "reference-server/conn.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "reference-server/server.h"

int conn_flush(struct thread *self, struct conn *c)
{
    for (;;) {
        struct iovec iov[2];
        int k = 0;
        uint32_t head = c->out_len - c->out_sent;
        if (head > 0)
            iov[k++] = (struct iovec){c->out + c->out_sent, head};
        if (c->tail_len > 0)
            iov[k++] = (struct iovec){(void *)c->tail, c->tail_len};
        if (k == 0)
            break;
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)k};
        size_t want = (size_t)head + c->tail_len;
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (head == 0 && c->out_len > 0)
                c->out_len = c->out_sent = 0;
            return errno == EAGAIN ? 0 : -1;
        }
        size_t moved = (size_t)n;
        size_t from_head = moved < head ? moved : head;
        c->out_sent += (uint32_t)from_head;
        if (moved > from_head) {
            c->tail += moved - from_head;
            c->tail_len -= (uint32_t)(moved - from_head);
        }
        if (c->out_sent == c->out_len)
            c->out_len = c->out_sent = 0;
        conn_touch(self, c);
        counter_add(&self->stats.bytes_out, (uint64_t)n);
        TRACE(self->trace, TRACE_SEND, c->fd, n);
        if (moved < want)
            return 0; /* a short write: the socket is full */
    }
    c->out_len = c->out_sent = 0;
    return 1;
}
