/* Exercise 07: a tiny line server with an idle timeout and a clean stop.
 * You edit mini.c. */
#ifndef EX07_MINI_H
#define EX07_MINI_H

/* Serve connections accepted from listen_fd (non-blocking) on one thread
 * with one epoll fd: answer "pong\n" to every "ping\n" line.
 *  - A connection that completes no line for idle_ms is closed (a
 *    slowloris client trickling bytes must not hold it forever). Use a
 *    timerfd that ticks a few times per idle_ms.
 *  - When stop_fd (an eventfd) becomes readable, close every connection
 *    and return 0. */
int mini_serve(int listen_fd, int idle_ms, int stop_fd);

#endif
