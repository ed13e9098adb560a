/* bench/fanout: one broadcast fanned out to N WebSocket subscribers.
 *
 * A load generator on one epoll loop (ev.c). By default it plays both sides
 * a host application sees, in one process:
 *
 *   N subscribers ──ws──▶ server ◀──── publisher
 *        ▲                  │     batched POSTs, a WebSocket, or chat
 *        └──── N frames ────┘     messages: {"t":scheduled µs,"seq":k}
 *
 * 1. Connect phase (subscribers.c): N connections subscribe to one stream.
 *    The server's VmRSS is read before the first connect and after the last
 *    confirmation.
 * 2. Hold (--hold S): the subscribers stay idle for S seconds while the
 *    server's CPU and the pings it sends are counted, then the kernel memory
 *    of its sockets is read.
 * 3. Publish phase (publisher.c): M broadcasts on a schedule, each carrying
 *    the time it was scheduled for and a sequence number. With --ramp the
 *    broadcasts form steps of rising rates, each run once the previous one
 *    is fully delivered, until a step falls short (see on_linger).
 * 4. Every delivery is timed and checked exactly once (subscribers.c). The
 *    run ends when every subscriber has every sequence number (plus a short
 *    linger to catch late duplicates) or at --timeout, and prints key=value
 *    lines (report.c). The exit status is 0 only if nothing was lost,
 *    duplicated or refused.
 *
 * Past one process's descriptor budget (FANOUT_FDS_MAX) the sides are split
 * across processes (bench/cluster.sh): each generator runs --role subscribe
 * (connect, print "ready", count deliveries, write --report FILE), one
 * process runs --role publish once every generator is ready, and --merge
 * adds the generators' report files into one line. CLOCK_MONOTONIC is
 * machine-wide, so the latency a generator computes from a time another
 * process wrote is exact.
 *
 * This file holds the driver: which parts run, the deadline of each phase,
 * signals, the ramp, and the end of the run. The command line is options.c. */
#include "fanout.h"

#include "ev.h"
#include "proc.h"
#include "publisher.h"
#include "report.h"
#include "subscribers.h"
#include "tlsc.h"

#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define LINGER_MS       200 /* wait for late duplicates after the last delivery */
#define PERF_WARMUP_MS  200 /* perf stat needs this long to attach to every thread */
#define RSS_SAMPLE_MS   100
#define DRAIN_MS        3000    /* how long stalled subscribers read again at the end */
#define STEP_MIN_RATIO  0.99    /* a ramp step passes at 99 % of the offered deliveries/s */
#define STEP_MAX_P99_US 1000000 /* ... and a p99 of at most 1 s */
#define STEP_STOP_RATIO 0.9     /* the ramp stops under 90 % (or past that p99) */

fanout_run_t fanout_run = {
    .rss_before_kb = -1,
    .rss_after_kb = -1,
    .rss_end_kb = -1,
    .rss_max_kb = -1,
    .sock_mem_bytes = -1,
};
struct sockaddr_storage fanout_server_addr;
int fanout_finished;

static ev_timer_t deadline_timer, linger_timer, hold_timer, rss_timer, perf_timer, drain_timer;
static int exit_failed;
static uint32_t rounds_delivered; /* rounds whose every delivery arrived */
static uint32_t rounds_reported;  /* ... and whose linger is over */
static uint32_t current_round;    /* the round whose CPU window is open */
static uint64_t pings_before_hold;
static pid_t perf_pid = -1;
static char perf_path[64];

uint32_t fanout_round_of(uint64_t seq)
{
    uint64_t lo = 0;
    uint32_t r = 0;
    for (; r < fanout_opt.rounds; r++) {
        if (seq < lo + fanout_opt.round_size[r]) break;
        lo += fanout_opt.round_size[r];
    }
    return r;
}

uint32_t fanout_round_first(uint32_t r)
{
    uint32_t lo = 0;
    for (uint32_t k = 0; k < r && k < fanout_opt.rounds; k++) lo += fanout_opt.round_size[k];
    return lo;
}

/* ---- measurement windows ------------------------------------------------- */

/* Open a CPU window: read this process's CPU time and the server's. */
static void cpu_open(fanout_cpu_t *c)
{
    *c = (fanout_cpu_t){.started = 1, .syscalls = -1, .sends = -1, .waits = -1};
    c->start = clock_mono_us();
    c->client_start = proc_self_cpu_s();
    c->server_start = fanout_opt.server_pid > 0 ? proc_cpu_s(fanout_opt.server_pid) : -1;
}

/* Close a CPU window, if it was opened and is not closed yet. */
static void cpu_close(fanout_cpu_t *c)
{
    if (!c->started || c->ended) return;
    c->ended = 1;
    c->end = clock_mono_us();
    c->client_end = proc_self_cpu_s();
    c->server_end = c->server_start >= 0 ? proc_cpu_s(fanout_opt.server_pid) : -1;
}

/* Stop the perf counting the current round, if any, and keep its counts. */
static void perf_stop(uint32_t r)
{
    if (perf_pid <= 0) return;
    proc_syscalls_t s = proc_perf_stop(perf_pid, perf_path);
    perf_pid = -1;
    fanout_run.cpu[r].syscalls = s.total;
    fanout_run.cpu[r].sends = s.sends;
    fanout_run.cpu[r].waits = s.waits;
}

static void on_rss_sample(ev_timer_t *t)
{
    long kb = proc_rss_kb(fanout_opt.server_pid);
    if (kb > fanout_run.rss_max_kb) fanout_run.rss_max_kb = kb;
    ev_timer_start(t, on_rss_sample, RSS_SAMPLE_MS * 1000);
}

/* ---- the end of the run -------------------------------------------------- */

/* Print the summary (and write the report file) once, then close every
 * connection; ev_run then returns. */
static void finish(void)
{
    if (fanout_finished) return;
    fanout_finished = 1;
    cpu_close(&fanout_run.connect_cpu);
    cpu_close(&fanout_run.hold_cpu);
    cpu_close(&fanout_run.cpu[current_round]);
    perf_stop(current_round);
    if (fanout_opt.server_pid > 0) {
        fanout_run.rss_end_kb = proc_rss_kb(fanout_opt.server_pid);
        if (fanout_run.rss_end_kb > fanout_run.rss_max_kb)
            fanout_run.rss_max_kb = fanout_run.rss_end_kb;
    }
    /* Stalled subscribers are looked at as they are closed. */
    if (fanout_opt.role != FANOUT_ROLE_PUBLISH) subs_close_all();
    exit_failed = report_print();
    if (fanout_opt.report_path && report_write(fanout_opt.report_path) != 0) exit_failed = 1;
    if (fanout_opt.role != FANOUT_ROLE_SUBSCRIBE) pub_close();
    ev_timer_stop(&deadline_timer);
    ev_timer_stop(&linger_timer);
    ev_timer_stop(&hold_timer);
    ev_timer_stop(&rss_timer);
    ev_timer_stop(&perf_timer);
    ev_timer_stop(&drain_timer);
    ev_stop();
}

void fanout_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fanout: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fanout_run.failed = 1;
    finish();
}

static void on_deadline(ev_timer_t *t)
{
    (void)t;
    fanout_run.timed_out = 1;
    uint32_t n = fanout_opt.subscribers;
    if (fanout_opt.role == FANOUT_ROLE_PUBLISH)
        fprintf(stderr, "fanout: timeout: %u of %u broadcasts answered\n", pub_stats.acked,
                fanout_opt.broadcasts);
    else if (subs_stats.ready < n)
        fprintf(stderr, "fanout: timeout: %u of %u subscribers ready\n", subs_stats.ready, n);
    else {
        uint32_t r = rounds_delivered < fanout_opt.rounds ? rounds_delivered : 0;
        fprintf(stderr, "fanout: timeout: %" PRIu64 " of %" PRIu64 " deliveries of round %u\n",
                subs_stats.rounds[r].delivered, (uint64_t)subs_reading() * fanout_opt.round_size[r],
                r + 1);
    }
    finish();
}

/* (Re)start the deadline of the phase that begins now, 'extra_s' later. */
static void arm_deadline(double extra_s)
{
    ev_timer_start(&deadline_timer, on_deadline,
                   (uint64_t)((fanout_opt.timeout_s + extra_s) * 1e6));
}

/* ---- publishing ---------------------------------------------------------- */

static void on_perf_warm(ev_timer_t *t)
{
    (void)t;
    if (fanout_finished) return;
    if (current_round == 0 && fanout_run.rounds_run == 0)
        pub_start();
    else
        pub_start_round(current_round);
}

/* Publish round 'r': with --perf, attach perf to the server first and give
 * it time to reach every thread. */
static void publish_round(uint32_t r)
{
    current_round = r;
    if (fanout_opt.perf && fanout_opt.server_pid > 0) {
        snprintf(perf_path, sizeof perf_path, "/tmp/bench-perf.%ld.%u", (long)getpid(), r);
        perf_pid = proc_perf_start(fanout_opt.server_pid, perf_path);
        if (perf_pid > 0) {
            ev_timer_start(&perf_timer, on_perf_warm, PERF_WARMUP_MS * 1000);
            return;
        }
    }
    on_perf_warm(&perf_timer);
}

/* Did ramp step 'r' keep up? Its deliveries per second, from the first
 * delivery to the last, against the offered rate, and its p99. */
int fanout_step_passed(uint32_t r)
{
    const subs_round_t *s = &subs_stats.rounds[r];
    double rate = fanout_opt.ramp ? fanout_opt.round_rate[r] : fanout_opt.rate;
    if (rate <= 0 || subs_lost(r) || s->dups) return 0;
    double offered = (double)subs_reading() * rate;
    return report_step_rate(r) >= STEP_MIN_RATIO * offered &&
           hist_quantile(&s->latency, 0.99) <= STEP_MAX_P99_US;
}

int fanout_step_overloaded(uint32_t r)
{
    const subs_round_t *s = &subs_stats.rounds[r];
    double rate = fanout_opt.ramp ? fanout_opt.round_rate[r] : fanout_opt.rate;
    if (subs_lost(r) || s->dups) return 1;
    return report_step_rate(r) < STEP_STOP_RATIO * (double)subs_reading() * rate ||
           hist_quantile(&s->latency, 0.99) > STEP_MAX_P99_US;
}

/* ---- phases -------------------------------------------------------------- */

static void on_drain_end(ev_timer_t *t)
{
    (void)t;
    finish();
}

void fanout_on_stalled_drained(void)
{
    finish();
}

/* Every round is done: with stalled subscribers, see whether the server
 * closed them (subscribers.h) before the summary. */
static void end_run(void)
{
    if (fanout_opt.stalled && subs_drain_stalled() > 0) {
        ev_timer_stop(&deadline_timer);
        ev_timer_start(&drain_timer, on_drain_end, DRAIN_MS * 1000);
        return;
    }
    finish();
}

static void on_hold_end(ev_timer_t *t)
{
    (void)t;
    cpu_close(&fanout_run.hold_cpu);
    fanout_run.hold_pings = subs_stats.pings - pings_before_hold;
    fanout_run.sock_mem_bytes = proc_sock_mem(fanout_opt.port, &fanout_run.sock_count);
    if (fanout_opt.broadcasts == 0) {
        finish();
        return;
    }
    arm_deadline(0);
    publish_round(0);
}

/* The linger after a round's last delivery is over: report the round to
 * the coordinator, then end the run, wait for the next round, or run the
 * next step of the ramp. */
static void on_linger(ev_timer_t *t)
{
    (void)t;
    while (rounds_reported < rounds_delivered) {
        uint32_t r = rounds_reported++;
        if (fanout_opt.role == FANOUT_ROLE_BOTH) {
            /* A ramp goes on past a step that fell just short, which on a
             * shared machine can be a hiccup of the machine, and stops at
             * the first one clearly overloaded. */
            if (r + 1 < fanout_opt.rounds && fanout_opt.ramp && !fanout_step_overloaded(r)) {
                arm_deadline(0);
                publish_round(r + 1);
                return;
            }
            end_run();
            return;
        }
        if (fanout_opt.role == FANOUT_ROLE_SUBSCRIBE && r + 1 < fanout_opt.rounds) {
            printf("done round=%u\n", r + 1);
            fflush(stdout);
        }
    }
    if (rounds_reported == fanout_opt.rounds)
        finish();
    else
        arm_deadline(0);
}

static void on_signal(int signum)
{
    fprintf(stderr, "fanout: interrupted by signal %d\n", signum);
    fanout_run.interrupted = 1;
    finish();
}

/* ---- progress hooks ------------------------------------------------------ */

void fanout_on_ready(void)
{
    fanout_run.connect_end = clock_mono_us();
    cpu_close(&fanout_run.connect_cpu);
    if (fanout_opt.server_pid > 0) fanout_run.rss_after_kb = proc_rss_kb(fanout_opt.server_pid);
    fanout_run.slab_after_kb = proc_slab_kb();
    subs_stall();
    if (fanout_opt.role == FANOUT_ROLE_BOTH) {
        ev_timer_stop(&deadline_timer);
        if (fanout_opt.hold_s > 0) {
            cpu_open(&fanout_run.hold_cpu);
            pings_before_hold = subs_stats.pings;
            arm_deadline(fanout_opt.hold_s);
            ev_timer_start(&hold_timer, on_hold_end, (uint64_t)(fanout_opt.hold_s * 1e6));
            return;
        }
        arm_deadline(0);
        publish_round(0);
        return;
    }
    /* A generator: tell the coordinator, then wait for the first broadcast
     * (other generators may still be connecting). */
    printf("ready subscribers=%u connect_s=%.3f\n", subs_stats.ready,
           (double)(fanout_run.connect_end - fanout_run.connect_start) / 1e6);
    fflush(stdout);
    arm_deadline(0);
}

void fanout_on_first_delivery(uint32_t round)
{
    if (fanout_opt.role != FANOUT_ROLE_SUBSCRIBE) return;
    /* The publish window of a generator's round starts here: charge CPU
     * from now, and give the deliveries a whole phase. */
    cpu_close(&fanout_run.cpu[current_round]);
    current_round = round;
    cpu_open(&fanout_run.cpu[round]);
    arm_deadline(0);
}

void fanout_on_round_delivered(uint32_t round)
{
    rounds_delivered++;
    if (fanout_opt.role == FANOUT_ROLE_BOTH) {
        /* The round's window ends at its last delivery, not after the linger. */
        cpu_close(&fanout_run.cpu[round]);
        perf_stop(round);
    } else if (fanout_opt.role == FANOUT_ROLE_SUBSCRIBE) {
        cpu_close(&fanout_run.cpu[round]);
    }
    if (!fanout_finished) ev_timer_start(&linger_timer, on_linger, LINGER_MS * 1000);
}

void fanout_on_publish_start(uint32_t round)
{
    current_round = round;
    cpu_open(&fanout_run.cpu[round]);
    fanout_run.rounds_run = round + 1;
    arm_deadline(0);
}

void fanout_on_published(void)
{
    /* Publishing alone, the run is over. With subscribers, wait for the
     * deliveries, unless some broadcast was refused: it will never come. */
    if (fanout_opt.role == FANOUT_ROLE_PUBLISH) {
        cpu_close(&fanout_run.cpu[0]);
        finish();
    } else if (pub_stats.refused) {
        finish();
    }
}

/* ---- setup --------------------------------------------------------------- */

static int resolve(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(fanout_opt.host, fanout_opt.port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "fanout: %s:%s: %s\n", fanout_opt.host, fanout_opt.port, gai_strerror(rc));
        return -1;
    }
    memcpy(&fanout_server_addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* Each subscriber holds one descriptor; the loop, the publisher, perf and
 * ss need a few more. Refuse more than one process should hold, and raise
 * the soft limit to what is needed. */
static int reserve_fds(void)
{
    rlim_t want = (rlim_t)fanout_opt.subscribers + 40;
    if (want > FANOUT_FDS_MAX) {
        fprintf(stderr,
                "fanout: %u subscribers need more than the %d descriptors one generator "
                "process may hold: split them over several processes (--role subscribe)\n",
                fanout_opt.subscribers, FANOUT_FDS_MAX);
        return -1;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) return 0;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want) {
        fprintf(stderr, "fanout: RLIMIT_NOFILE hard limit %llu is below the %llu needed\n",
                (unsigned long long)rl.rlim_max, (unsigned long long)want);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int args = fanout_parse_args(argc, argv);
    if (args < 0) return 2;
    if (args == 1) return report_merge(argc - optind, argv + optind);
    if (resolve() != 0) return 2;

    const fanout_options_t *o = &fanout_opt;
    int subscribing = o->role != FANOUT_ROLE_PUBLISH, publishing = o->role != FANOUT_ROLE_SUBSCRIBE;
    if (subscribing && reserve_fds() != 0) return 2;
    int rc = ev_init(on_signal);
    if (rc < 0) {
        fprintf(stderr, "fanout: epoll: %s\n", strerror(-rc));
        return 2;
    }
    if (o->tls && tlsc_init(o->tls_ca) != 0) {
        fprintf(stderr, "fanout: cannot set up TLS\n");
        return 2;
    }
    if ((subscribing && subs_init() != 0) || (publishing && pub_init() != 0)) {
        fprintf(stderr, "fanout: out of memory\n");
        return 2;
    }
    if (o->server_pid > 0) {
        fanout_run.rss_before_kb = proc_rss_kb(o->server_pid);
        if (fanout_run.rss_before_kb < 0)
            fprintf(stderr, "fanout: cannot read /proc/%ld/status\n", o->server_pid);
        fanout_run.rss_max_kb = fanout_run.rss_before_kb;
        ev_timer_start(&rss_timer, on_rss_sample, RSS_SAMPLE_MS * 1000);
    }
    fanout_run.slab_before_kb = proc_slab_kb();
    /* One deadline per phase: connecting now, then from each hook. */
    arm_deadline(0);
    if (subscribing) {
        fanout_run.connect_start = clock_mono_us();
        cpu_open(&fanout_run.connect_cpu);
        subs_start();
    } else {
        publish_round(0);
    }
    rc = ev_run();
    if (rc < 0) {
        fprintf(stderr, "fanout: epoll_wait: %s\n", strerror(-rc));
        exit_failed = 1;
    }
    if (subscribing) subs_deinit();
    if (publishing) pub_deinit();
    if (o->tls) tlsc_deinit();
    ev_deinit();
    return exit_failed ? 1 : 0;
}
