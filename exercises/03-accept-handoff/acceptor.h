/* Exercise 03: the accept stage. You edit acceptor.c. */
#ifndef EX03_ACCEPTOR_H
#define EX03_ACCEPTOR_H

struct acceptor {
    int listen_fd;    /* non-blocking listener */
    const int *epfds; /* the request threads' epoll fds */
    int n;            /* how many */
    unsigned next;    /* round-robin cursor */
    int reserve_fd;   /* a spare fd, given up to shed a connection (EMFILE) */
};

/* Set up (opens the spare fd). Returns 0 or -1. */
int acceptor_init(struct acceptor *a, int listen_fd, const int *epfds, int n);

/* Accept every pending connection and hand each to the next request
 * thread, round-robin, by adding it to that thread's epoll fd
 * (EPOLLIN | EPOLLET, data.fd = the fd). New sockets are non-blocking and
 * close-on-exec. Out of fds (EMFILE/ENFILE): shed connections - accept and
 * close them - instead of spinning or giving up. Returns how many were
 * handed off. */
int accept_burst(struct acceptor *a);

#endif
