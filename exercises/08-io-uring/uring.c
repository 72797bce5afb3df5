/* Exercise 08 - see README.md. Replace each TODO with working code. */
#include "uring.h"

#include <liburing.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum op { OP_ACCEPT, OP_RECV, OP_SEND };

/* user_data carries the fd and what the request was. */
static uint64_t tag(int fd, enum op op)
{
    return (uint64_t)fd << 2 | op;
}

static char bufs[1024][512]; /* one receive buffer per fd */

static void submit_accept(struct io_uring *ring, int listen_fd)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_accept(sqe, listen_fd, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, tag(listen_fd, OP_ACCEPT));
}

//! [uring serve]
int uring_serve(int listen_fd, int responses)
{
    struct io_uring ring;
    if (io_uring_queue_init(256, &ring, 0) < 0)
        return -1;
    submit_accept(&ring, listen_fd);
    int sent = 0;
    while (sent < responses) {
        io_uring_submit(&ring);
        struct io_uring_cqe *cqe;
        if (io_uring_wait_cqe(&ring, &cqe) < 0)
            break;
        int fd = (int)(cqe->user_data >> 2), res = cqe->res;
        enum op op = (enum op)(cqe->user_data & 3);
        io_uring_cqe_seen(&ring, cqe);
        switch (op) {
        case OP_ACCEPT:
            /* TODO 1: accept again (submit_accept), and for the new
             * connection (res is its fd, if >= 0 and < 1024) submit a
             * recv into bufs[res] tagged OP_RECV. */
            (void)res;
            break;
        case OP_RECV:
            /* TODO 2: res > 0: a request arrived - submit a send of
             * RESPONSE tagged OP_SEND. res <= 0: the client is gone -
             * close(fd). */
            break;
        case OP_SEND:
            sent++;
            /* TODO 3: keep the connection alive: submit the next recv. */
            break;
        }
    }
    io_uring_queue_exit(&ring);
    return 0;
}
//! [uring serve]
