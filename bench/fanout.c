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
 * This file holds the options and the driver: which parts run, the deadline
 * of each phase, signals, the ramp, and the end of the run. */
#include "fanout.h"

#include "ev.h"
#include "proc.h"
#include "publisher.h"
#include "report.h"
#include "subscribers.h"

#include <errno.h>
#include <getopt.h>
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

fanout_options_t fanout_opt = {
    .role = FANOUT_ROLE_BOTH,
    .proto = FANOUT_PROTO_CABLE,
    .pub = FANOUT_PUB_HTTP,
    .host = "127.0.0.1",
    .port = "8080",
    .origin = "http://localhost",
    .room = 1,
    .subscribers = 1000,
    .sources = 1,
    .broadcasts = 200,
    .rate = 100,
    .pipeline = 0, /* chosen from the mode in parse_args */
    .batch = 0,    /* idem */
    .step_s = 3,
    .connect_concurrency = 256,
    .timeout_s = 30,
};
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
static char default_identifier[128], default_stream[64];

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

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs(
        "usage: bench_fanout [options]                      subscribe, then publish\n"
        "       bench_fanout --role subscribe --broadcasts M [--report FILE] ...\n"
        "       bench_fanout --role publish --broadcasts M ...\n"
        "       bench_fanout --merge REPORT...\n"
        "server and protocol:\n"
        "  --url HOST:PORT          the server (127.0.0.1:8080); ws:// or http:// prefix allowed\n"
        "  --protocol cable|plain   Action Cable (welcome, then subscribe), or plain: subscribe\n"
        "                           right after the upgrade (bench/peers/) (cable)\n"
        "  --ws-path PATH           the subscribers' upgrade path (/cable)\n"
        "  --token TOKEN            bearer token of the subscribers' upgrade (and of chat)\n"
        "  --origin ORIGIN          Origin header; \"\" for none (http://localhost)\n"
        "  --room ID                Chats::RoomChannel chat_room_id: the default identifier\n"
        "                           and stream (1)\n"
        "  --identifier JSON        the subscription identifier, unescaped\n"
        "                           ({\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":ROOM})\n"
        "  --stream NAME            the stream HTTP broadcasts name (chat-room-ROOM-channel)\n"
        "publisher:\n"
        "  --publish http|ws|chat   batched POSTs of [{stream,data}], a WebSocket whose every\n"
        "                           text frame the server publishes, or chat messages (http)\n"
        "  --publish-path PATH      (http: /api/v1/broadcast, ws: /publish; chat: required,\n"
        "                           /api/headless/v1/messages/UUID/chat_room_messages)\n"
        "  --app-token TOKEN        bearer token of the POSTs (and of the ws upgrade)\n"
        "  --broadcasts M           broadcasts to publish, or to expect; 0 with --hold (200)\n"
        "  --rate R                 broadcasts per second; 0 = as fast as answered (100)\n"
        "  --ramp R1,R2,...         steps at these rates, --step-s each, each once the last\n"
        "                           is delivered; one keeps up at 99 %% of the offered\n"
        "                           deliveries/s and a p99 under 1 s; the ramp stops under\n"
        "                           90 %% or past 1 s (at most 16 steps)\n"
        "  --step-s S               seconds of broadcasts per ramp step (3)\n"
        "  --batch B                broadcasts per POST at most (100 with a rate, else 1)\n"
        "  --pipeline P             requests in flight at most (64 with a rate, else 1)\n"
        "  --payload-bytes B        pad each broadcast's data with a string of B bytes (0)\n"
        "subscribers:\n"
        "  --subscribers N          WebSocket connections (1000); one process holds at most\n"
        "                           19,860: run several with --role subscribe for more\n"
        "  --sources K              spread them over 127.0.0.1 .. 127.0.0.K (1)\n"
        "  --stalled K              the last K stop reading once subscribed (0)\n"
        "  --hold S                 stay idle S seconds once subscribed: server CPU, pings and\n"
        "                           socket memory over that window (0)\n"
        "  --connect-concurrency C  handshakes in flight while connecting (256)\n"
        "measurement and roles:\n"
        "  --server-pid PID         report the server's CPU, RSS and socket memory\n"
        "  --perf                   count the server's system calls (perf stat) per round\n"
        "  --timeout S              give up S seconds into a phase (30)\n"
        "  --role ROLE              both (default); subscribe: connect, print \"ready\", count\n"
        "                           M broadcasts published by another process; publish\n"
        "  --rounds M1,M2,...       subscribe role: expect M1 broadcasts, then M2 more, ...;\n"
        "                           print \"done round=R\" after each but the last\n"
        "  --first-seq S            publish role: number the broadcasts from S (0)\n"
        "  --report FILE            subscribe role: write counters and histogram to FILE\n"
        "  --merge                  read the report files given as arguments, print one line\n",
        f);
}

static int parse_u32(const char *name, const char *v, uint32_t min, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || end == v || n < min || n > UINT32_MAX / 2) {
        fprintf(stderr, "fanout: --%s: expected an integer >= %u, got \"%s\"\n", name, min, v);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

static int parse_url(const char *v)
{
    if (strncmp(v, "ws://", 5) == 0)
        v += 5;
    else if (strncmp(v, "http://", 7) == 0)
        v += 7;
    const char *colon = strrchr(v, ':');
    size_t hlen = colon ? (size_t)(colon - v) : strlen(v);
    if (!colon || hlen == 0 || hlen >= sizeof fanout_opt.host) return -1;
    memcpy(fanout_opt.host, v, hlen);
    fanout_opt.host[hlen] = '\0';
    size_t plen = strcspn(colon + 1, "/");
    if (plen == 0 || plen >= sizeof fanout_opt.port) return -1;
    memcpy(fanout_opt.port, colon + 1, plen);
    fanout_opt.port[plen] = '\0';
    return 0;
}

/* Match 'v' against 'names' (NULL-terminated); returns the index or -1. */
static int parse_enum(const char *opt, const char *v, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) return i;
    fprintf(stderr, "fanout: --%s: unknown value \"%s\"\n", opt, v);
    return -1;
}

/* A comma-separated list of positive numbers into 'out' (at most
 * FANOUT_ROUNDS_MAX). Returns the count, or -1. */
static int parse_list(const char *opt, const char *v, double *out)
{
    int n = 0;
    for (const char *p = v;;) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || d <= 0 || n == FANOUT_ROUNDS_MAX || (*end && *end != ',')) {
            fprintf(stderr,
                    "fanout: --%s: expected up to %d positive numbers separated by commas, "
                    "got \"%s\"\n",
                    opt, FANOUT_ROUNDS_MAX, v);
            return -1;
        }
        out[n++] = d;
        if (!*end) break;
        p = end + 1;
    }
    return n;
}

/* Returns 0, 1 for --merge (the arguments from optind on are report
 * files), or -1 on a bad option. */
static int parse_args(int argc, char **argv)
{
    enum {
        O_URL = 256,
        O_ROLE,
        O_TOKEN,
        O_ORIGIN,
        O_APP,
        O_ROOM,
        O_SUBS,
        O_BCAST,
        O_RATE,
        O_PIPE,
        O_PAD,
        O_PID,
        O_CONC,
        O_TIMEOUT,
        O_ROUNDS,
        O_FIRST_SEQ,
        O_REPORT,
        O_MERGE,
        O_PROTO,
        O_WS_PATH,
        O_IDENT,
        O_STREAM,
        O_PUBLISH,
        O_PUB_PATH,
        O_BATCH,
        O_SOURCES,
        O_STALLED,
        O_HOLD,
        O_RAMP,
        O_STEP,
        O_PERF,
        O_HELP
    };
    static const struct option longopts[] = {
        {"url", required_argument, NULL, O_URL},
        {"role", required_argument, NULL, O_ROLE},
        {"token", required_argument, NULL, O_TOKEN},
        {"origin", required_argument, NULL, O_ORIGIN},
        {"app-token", required_argument, NULL, O_APP},
        {"room", required_argument, NULL, O_ROOM},
        {"subscribers", required_argument, NULL, O_SUBS},
        {"broadcasts", required_argument, NULL, O_BCAST},
        {"rate", required_argument, NULL, O_RATE},
        {"pipeline", required_argument, NULL, O_PIPE},
        {"payload-bytes", required_argument, NULL, O_PAD},
        {"server-pid", required_argument, NULL, O_PID},
        {"connect-concurrency", required_argument, NULL, O_CONC},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"rounds", required_argument, NULL, O_ROUNDS},
        {"first-seq", required_argument, NULL, O_FIRST_SEQ},
        {"report", required_argument, NULL, O_REPORT},
        {"merge", no_argument, NULL, O_MERGE},
        {"protocol", required_argument, NULL, O_PROTO},
        {"ws-path", required_argument, NULL, O_WS_PATH},
        {"identifier", required_argument, NULL, O_IDENT},
        {"stream", required_argument, NULL, O_STREAM},
        {"publish", required_argument, NULL, O_PUBLISH},
        {"publish-path", required_argument, NULL, O_PUB_PATH},
        {"batch", required_argument, NULL, O_BATCH},
        {"sources", required_argument, NULL, O_SOURCES},
        {"stalled", required_argument, NULL, O_STALLED},
        {"hold", required_argument, NULL, O_HOLD},
        {"ramp", required_argument, NULL, O_RAMP},
        {"step-s", required_argument, NULL, O_STEP},
        {"perf", no_argument, NULL, O_PERF},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    static const char *const roles[] = {"both", "subscribe", "publish", NULL};
    static const char *const protos[] = {"cable", "plain", NULL};
    static const char *const pubs[] = {"http", "ws", "chat", NULL};
    fanout_options_t *o = &fanout_opt;
    double rounds[FANOUT_ROUNDS_MAX], ramp[FANOUT_ROUNDS_MAX];
    int c, idx, merge = 0, nrounds = 0, nramp = 0, v, broadcasts_set = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        const char *name = c >= 256 ? longopts[idx].name : "";
        char *end;
        switch (c) {
        case O_URL:
            if (parse_url(optarg) != 0) {
                fprintf(stderr, "fanout: --url: expected HOST:PORT, got \"%s\"\n", optarg);
                return -1;
            }
            break;
        case O_ROLE:
            if ((v = parse_enum(name, optarg, roles)) < 0) return -1;
            o->role = (fanout_role_t)v;
            break;
        case O_PROTO:
            if ((v = parse_enum(name, optarg, protos)) < 0) return -1;
            o->proto = (fanout_proto_t)v;
            break;
        case O_PUBLISH:
            if ((v = parse_enum(name, optarg, pubs)) < 0) return -1;
            o->pub = (fanout_pub_t)v;
            break;
        case O_TOKEN:
            o->token = optarg;
            break;
        case O_ORIGIN:
            o->origin = *optarg ? optarg : NULL;
            break;
        case O_APP:
            o->app_token = optarg;
            break;
        case O_WS_PATH:
            o->ws_path = optarg;
            break;
        case O_PUB_PATH:
            o->pub_path = optarg;
            break;
        case O_IDENT:
            o->identifier = optarg;
            break;
        case O_STREAM:
            o->stream = optarg;
            break;
        case O_ROOM:
            o->room = strtol(optarg, &end, 10);
            if (*end || o->room < 1) {
                fprintf(stderr, "fanout: --room: expected a positive id\n");
                return -1;
            }
            break;
        case O_SUBS:
            if (parse_u32(name, optarg, 1, &o->subscribers)) return -1;
            break;
        case O_BCAST:
            if (parse_u32(name, optarg, 0, &o->broadcasts)) return -1;
            broadcasts_set = 1;
            break;
        case O_PIPE:
            if (parse_u32(name, optarg, 1, &o->pipeline)) return -1;
            break;
        case O_BATCH:
            if (parse_u32(name, optarg, 1, &o->batch)) return -1;
            break;
        case O_PAD:
            if (parse_u32(name, optarg, 0, &o->payload_bytes)) return -1;
            break;
        case O_CONC:
            if (parse_u32(name, optarg, 1, &o->connect_concurrency)) return -1;
            break;
        case O_SOURCES:
            if (parse_u32(name, optarg, 1, &o->sources)) return -1;
            break;
        case O_STALLED:
            if (parse_u32(name, optarg, 0, &o->stalled)) return -1;
            break;
        case O_RATE:
        case O_TIMEOUT:
        case O_HOLD:
        case O_STEP: {
            double d = strtod(optarg, &end);
            if (*end || end == optarg || d < 0 || ((c == O_TIMEOUT || c == O_STEP) && d <= 0)) {
                fprintf(stderr, "fanout: --%s: expected a number, got \"%s\"\n", name, optarg);
                return -1;
            }
            if (c == O_RATE) o->rate = d;
            if (c == O_TIMEOUT) o->timeout_s = d;
            if (c == O_HOLD) o->hold_s = d;
            if (c == O_STEP) o->step_s = d;
            break;
        }
        case O_PID:
            o->server_pid = strtol(optarg, &end, 10);
            if (*end || o->server_pid <= 0) {
                fprintf(stderr, "fanout: --server-pid: expected a pid\n");
                return -1;
            }
            break;
        case O_PERF:
            o->perf = 1;
            break;
        case O_ROUNDS:
            if ((nrounds = parse_list(name, optarg, rounds)) < 0) return -1;
            break;
        case O_RAMP:
            if ((nramp = parse_list(name, optarg, ramp)) < 0) return -1;
            break;
        case O_FIRST_SEQ:
            if (parse_u32(name, optarg, 0, &o->first_seq)) return -1;
            break;
        case O_REPORT:
            o->report_path = optarg;
            break;
        case O_MERGE:
            merge = 1;
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (merge) return 1;
    if (optind < argc) {
        usage(stderr);
        return -1;
    }
    if ((o->report_path || nrounds) && o->role != FANOUT_ROLE_SUBSCRIBE) {
        fprintf(stderr, "fanout: --report and --rounds go with --role subscribe\n");
        return -1;
    }
    if (o->first_seq && o->role != FANOUT_ROLE_PUBLISH) {
        fprintf(stderr, "fanout: --first-seq goes with --role publish\n");
        return -1;
    }
    if ((nramp || o->hold_s > 0 || o->stalled) && o->role != FANOUT_ROLE_BOTH) {
        fprintf(stderr, "fanout: --ramp, --hold and --stalled go with the default role\n");
        return -1;
    }
    if (o->stalled >= o->subscribers) {
        fprintf(stderr, "fanout: --stalled must leave at least one reading subscriber\n");
        return -1;
    }
    if (o->pub == FANOUT_PUB_CHAT && (!o->pub_path || !o->token)) {
        fprintf(stderr, "fanout: --publish chat needs --publish-path and --token\n");
        return -1;
    }
    if (nramp && nrounds) {
        fprintf(stderr, "fanout: --ramp and --rounds exclude each other\n");
        return -1;
    }
    if (nramp && broadcasts_set) {
        fprintf(stderr, "fanout: --ramp sets the broadcasts itself (rate x --step-s per step)\n");
        return -1;
    }
    if (!o->ws_path) o->ws_path = "/cable";
    if (!o->pub_path) o->pub_path = o->pub == FANOUT_PUB_WS ? "/publish" : "/api/v1/broadcast";
    if (!o->identifier) {
        snprintf(default_identifier, sizeof default_identifier,
                 "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":%ld}", o->room);
        o->identifier = default_identifier;
    }
    if (!o->stream) {
        snprintf(default_stream, sizeof default_stream, "chat-room-%ld-channel", o->room);
        o->stream = default_stream;
    }
    if (nramp) {
        o->ramp = 1;
        o->rounds = (uint32_t)nramp;
        for (int i = 0; i < nramp; i++) {
            double n = ramp[i] * o->step_s + 0.5;
            o->round_rate[i] = ramp[i];
            o->round_size[i] = n < 4 ? 4 : (uint32_t)n;
        }
    } else if (nrounds) {
        o->rounds = (uint32_t)nrounds;
        for (int i = 0; i < nrounds; i++) o->round_size[i] = (uint32_t)rounds[i];
    } else {
        o->rounds = 1;
        o->round_size[0] = o->broadcasts;
    }
    uint64_t total = 0;
    for (uint32_t r = 0; r < o->rounds; r++) total += o->round_size[r];
    if (total > UINT32_MAX / 2) {
        fprintf(stderr, "fanout: too many broadcasts\n");
        return -1;
    }
    o->broadcasts = (uint32_t)total;
    if (o->broadcasts == 0 && !(o->hold_s > 0 && o->role == FANOUT_ROLE_BOTH)) {
        fprintf(stderr, "fanout: --broadcasts 0 needs --hold\n");
        return -1;
    }
    double rate = o->ramp ? 1 : o->rate;
    if (!o->pipeline) o->pipeline = rate > 0 ? 64 : 1;
    if (!o->batch) o->batch = rate > 0 ? 100 : 1;
    return 0;
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
    int args = parse_args(argc, argv);
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
    ev_deinit();
    return exit_failed ? 1 : 0;
}
