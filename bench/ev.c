/* bench/ev: epoll loop with a few timers and a signalfd. See ev.h. */
#include "ev.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static int epfd = -1;
static ev_io_t sig_io = {.fd = -1};
static void (*signal_cb)(int);
static ev_timer_t *timers[EV_TIMERS_MAX];
static int stopping;
static uint64_t wakeups;
/* Descriptors closed during the current iteration: their pending events
 * must not be delivered to an owner that may have reused the struct. */
static ev_io_t *closed_now[EV_BATCH];
static int nclosed_now;

static void on_signalfd(ev_io_t *io, uint32_t events)
{
    (void)events;
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof si) == (ssize_t)sizeof si)
        if (signal_cb) signal_cb((int)si.ssi_signo);
}

int ev_init(void (*on_signal)(int signum))
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return -errno;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    /* A peer that resets a socket we write to must not kill the run. */
    signal(SIGPIPE, SIG_IGN);
    signal_cb = on_signal;
    sig_io.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    sig_io.cb = on_signalfd;
    if (sig_io.fd < 0) return -errno;
    return ev_add(&sig_io, EPOLLIN);
}

int ev_add(ev_io_t *io, uint32_t events)
{
    struct epoll_event e = {.events = events, .data.ptr = io};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, io->fd, &e) != 0) return -errno;
    io->mask = events;
    return 0;
}

int ev_mod(ev_io_t *io, uint32_t events)
{
    if (io->mask == events) return 0;
    struct epoll_event e = {.events = events, .data.ptr = io};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, io->fd, &e) != 0) return -errno;
    io->mask = events;
    return 0;
}

void ev_close(ev_io_t *io)
{
    if (io->fd < 0) return;
    /* close() removes it from the epoll set (no dup exists). */
    close(io->fd);
    io->fd = -1;
    io->mask = 0;
    if (nclosed_now < EV_BATCH) closed_now[nclosed_now++] = io;
}

void ev_timer_at(ev_timer_t *t, ev_timer_cb cb, mono_us_t due)
{
    t->due = due;
    t->cb = cb;
    if (t->active) return;
    for (int i = 0; i < EV_TIMERS_MAX; i++)
        if (!timers[i]) {
            timers[i] = t;
            t->active = 1;
            return;
        }
    /* More timers than the generator ever arms: a bug of ours. */
    abort();
}

void ev_timer_start(ev_timer_t *t, ev_timer_cb cb, uint64_t delay_us)
{
    ev_timer_at(t, cb, clock_mono_us() + delay_us);
}

void ev_timer_stop(ev_timer_t *t)
{
    if (!t->active) return;
    for (int i = 0; i < EV_TIMERS_MAX; i++)
        if (timers[i] == t) timers[i] = NULL;
    t->active = 0;
}

/* Run the timers that are due; return the earliest one still armed, or 0. */
static mono_us_t run_timers(void)
{
    mono_us_t now = clock_mono_us(), next = 0;
    for (int i = 0; i < EV_TIMERS_MAX && !stopping; i++) {
        ev_timer_t *t = timers[i];
        if (!t) continue;
        if (t->due <= now) {
            timers[i] = NULL;
            t->active = 0;
            t->cb(t);
            now = clock_mono_us();
        }
    }
    for (int i = 0; i < EV_TIMERS_MAX; i++)
        if (timers[i] && (!next || timers[i]->due < next)) next = timers[i]->due;
    return next;
}

static int was_closed(const ev_io_t *io)
{
    for (int i = 0; i < nclosed_now; i++)
        if (closed_now[i] == io) return 1;
    return 0;
}

int ev_run(void)
{
    static struct epoll_event events[EV_BATCH];
    stopping = 0;
    while (!stopping) {
        mono_us_t next = run_timers();
        if (stopping) break;
        struct timespec ts, *tsp = NULL;
        if (next) {
            mono_us_t now = clock_mono_us();
            uint64_t wait_us = next > now ? next - now : 0;
            ts.tv_sec = (time_t)(wait_us / 1000000u);
            ts.tv_nsec = (long)(wait_us % 1000000u) * 1000;
            tsp = &ts;
        }
        int n = epoll_pwait2(epfd, events, EV_BATCH, tsp, NULL);
        wakeups++;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        nclosed_now = 0;
        for (int i = 0; i < n && !stopping; i++) {
            ev_io_t *io = events[i].data.ptr;
            if (io->fd < 0 || (nclosed_now && was_closed(io))) continue;
            io->cb(io, events[i].events);
        }
    }
    return 0;
}

void ev_stop(void)
{
    stopping = 1;
}

void ev_deinit(void)
{
    ev_close(&sig_io);
    if (epfd >= 0) close(epfd);
    epfd = -1;
    for (int i = 0; i < EV_TIMERS_MAX; i++) timers[i] = NULL;
}

uint64_t ev_wakeups(void)
{
    return wakeups;
}
