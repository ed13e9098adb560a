/* bench/ev: the load generator's event loop, a thin layer over epoll.
 *
 * A generator must cost much less per delivery than the server it drives,
 * and its own system calls must be known, so the loop is epoll itself: one
 * epoll_pwait2 per iteration returning up to EV_BATCH ready descriptors,
 * level-triggered, no allocation per event and none per connection (the
 * caller embeds an ev_io_t in its own struct). Timers are a handful (phase
 * deadline, linger, pacing, memory sampling), so they are a small array
 * scanned once per iteration; the wait sleeps until the earliest one with
 * microsecond precision, which pacing at thousands of broadcasts per second
 * needs. SIGINT and SIGTERM arrive through a signalfd as ordinary events.
 *
 * One loop per process, never shared between threads. */
#ifndef BENCH_EV_H
#define BENCH_EV_H

#include "core/clock.h"

#include <stdint.h>
#include <sys/epoll.h>

#define EV_BATCH      1024 /* events one epoll_pwait2 returns at most */
#define EV_TIMERS_MAX 16   /* timers that can be armed at once */

typedef struct ev_io ev_io_t;
typedef void (*ev_io_cb)(ev_io_t *io, uint32_t events);

/* A descriptor watched by the loop. Embedded in its owner. */
struct ev_io {
    int fd;        /* -1 when closed */
    uint32_t mask; /* EPOLL* events currently watched */
    ev_io_cb cb;   /* runs with the EPOLL* events that fired */
};

typedef struct ev_timer ev_timer_t;
typedef void (*ev_timer_cb)(ev_timer_t *t);

/* A one-shot timer. Embedded in its owner; re-arm it from its callback for
 * a periodic one. */
struct ev_timer {
    mono_us_t due; /* when it fires */
    ev_timer_cb cb;
    int active;
};

/* Create the loop and its signalfd (SIGINT, SIGTERM are blocked and read
 * from it). 'on_signal' runs with the signal number. Returns 0 or -errno. */
int ev_init(void (*on_signal)(int signum));

/* Watch io->fd for 'events' (EPOLLIN, EPOLLOUT, EPOLLRDHUP). Returns 0 or
 * -errno. */
int ev_add(ev_io_t *io, uint32_t events);

/* Change the watched events. Returns 0 or -errno. */
int ev_mod(ev_io_t *io, uint32_t events);

/* Stop watching and close io->fd; sets it to -1. An event of this
 * descriptor already returned by the current wait is not delivered. */
void ev_close(ev_io_t *io);

/* Arm 't' to run 'cb' 'delay_us' from now (re-arming moves it). */
void ev_timer_start(ev_timer_t *t, ev_timer_cb cb, uint64_t delay_us);

/* Arm 't' to run 'cb' at monotonic time 'due'. */
void ev_timer_at(ev_timer_t *t, ev_timer_cb cb, mono_us_t due);

/* Disarm 't'; a no-op if it is not armed. */
void ev_timer_stop(ev_timer_t *t);

/* Run until ev_stop. Returns 0, or -errno if epoll failed. */
int ev_run(void);

/* Make ev_run return after the current iteration. */
void ev_stop(void);

/* Close the epoll and signal descriptors. */
void ev_deinit(void);

/* epoll_pwait2 calls made so far: the generator's own wakeups. */
uint64_t ev_wakeups(void);

#endif
