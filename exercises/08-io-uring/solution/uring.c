/* Exercise 08, reference solution. */
#include "uring.h"

#include <liburing.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum op { OP_ACCEPT, OP_RECV, OP_SEND };

static uint64_t tag(int fd, enum op op)
{
    return (uint64_t)fd << 2 | op;
}

static char bufs[1024][512];

static void submit_accept(struct io_uring *ring, int listen_fd)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_accept(sqe, listen_fd, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, tag(listen_fd, OP_ACCEPT));
}

static void submit_recv(struct io_uring *ring, int fd)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_recv(sqe, fd, bufs[fd], sizeof bufs[fd], 0);
    io_uring_sqe_set_data64(sqe, tag(fd, OP_RECV));
}

static void submit_send(struct io_uring *ring, int fd)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_send(sqe, fd, RESPONSE, strlen(RESPONSE), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(fd, OP_SEND));
}

int uring_serve(int listen_fd, int responses)
{
    struct io_uring ring;
    if (io_uring_queue_init(256, &ring, 0) < 0)
        return -1;
    submit_accept(&ring, listen_fd);
    int sent = 0;
    while (sent < responses) {
        /* One io_uring_enter submits everything queued since the last. */
        io_uring_submit(&ring);
        struct io_uring_cqe *cqe;
        if (io_uring_wait_cqe(&ring, &cqe) < 0)
            break;
        int fd = (int)(cqe->user_data >> 2), res = cqe->res;
        enum op op = (enum op)(cqe->user_data & 3);
        io_uring_cqe_seen(&ring, cqe);
        switch (op) {
        case OP_ACCEPT:
            submit_accept(&ring, listen_fd);
            if (res >= 0 && res < 1024)
                submit_recv(&ring, res);
            else if (res >= 0)
                close(res);
            break;
        case OP_RECV:
            if (res > 0)
                submit_send(&ring, fd);
            else
                close(fd);
            break;
        case OP_SEND:
            /* Count only responses that went out. A short send (a
             * client that sends without reading, until its window is
             * full) is not handled here: fastd keeps the rest and waits
             * for room (chapter 6); with io_uring, resubmit the rest. */
            if (res < 0) {
                close(fd);
            } else {
                sent++;
                submit_recv(&ring, fd);
            }
            break;
        }
    }
    io_uring_queue_exit(&ring);
    return 0;
}
