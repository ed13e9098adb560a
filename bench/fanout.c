/* bench/fanout: one broadcast fanned out to N WebSocket subscribers.
 *
 * A load generator on one libuv loop. By default it plays both sides a host
 * application sees, in one process:
 *
 *   N subscribers ──ws──▶ cabled ◀──HTTP keep-alive── publisher
 *        ▲                  │     POST /api/v1/broadcast
 *        └──── N frames ────┘     {"stream":…,"data":{"t":µs,"seq":k}}
 *
 * 1. Connect phase (subscribers.c): N connections subscribe to one room.
 *    The server's VmRSS is read before the first connect and after the last
 *    confirmation.
 * 2. Publish phase (publisher.c): M broadcasts, paced or pipelined, each
 *    carrying its CLOCK_MONOTONIC send time and a sequence number.
 * 3. Every delivery is timed and checked exactly once (subscribers.c). The
 *    run ends when every subscriber has every sequence number (plus a short
 *    linger to catch late duplicates) or at --timeout, and prints one
 *    key=value line (report.c). The exit status is 0 only if nothing was
 *    lost, duplicated or refused.
 *
 * Past one process's descriptor limit the sides are split across processes
 * (bench/cluster.sh): each generator runs --role subscribe (connect, print
 * "ready", count deliveries, write --report FILE), one process runs --role
 * publish once every generator is ready, and --merge adds the generators'
 * report files into one line. CLOCK_MONOTONIC is machine-wide, so the
 * latency a generator computes from a publish time another process wrote is
 * exact.
 *
 * This file holds the options and the driver: which parts run, the deadline
 * of each phase, signals, and the end of the run. */
#include "fanout.h"

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

#define LINGER_MS 200 /* wait for late duplicates after the last delivery */

fanout_options_t fanout_opt = {
    .role = FANOUT_ROLE_BOTH,
    .host = "127.0.0.1",
    .port = "8080",
    .origin = "http://localhost",
    .room = 1,
    .subscribers = 1000,
    .broadcasts = 200,
    .rate = 100,
    .pipeline = 0, /* chosen from the mode in parse_args */
    .connect_concurrency = 256,
    .timeout_s = 30,
};
fanout_run_t fanout_run = {
    .rss_before_kb = -1,
    .rss_after_kb = -1,
    .rss_end_kb = -1,
};
uv_loop_t *fanout_loop;
struct sockaddr_storage fanout_server_addr;
int fanout_finished;

static uv_timer_t deadline_timer, linger_timer;
static uv_signal_t sigint_handle, sigterm_handle;
static int exit_failed;
static uint32_t rounds_delivered; /* rounds whose every delivery arrived */
static uint32_t rounds_reported;  /* ... and whose linger is over */
static uint32_t current_round;    /* the round whose CPU window is open */

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

/* Open a CPU window: read this process's CPU time and the server's. */
static void cpu_open(fanout_cpu_t *c)
{
    c->started = 1;
    c->client_start = proc_self_cpu_s();
    c->server_start = fanout_opt.server_pid > 0 ? proc_cpu_s(fanout_opt.server_pid) : -1;
}

/* Close a CPU window, if it was opened and is not closed yet. */
static void cpu_close(fanout_cpu_t *c)
{
    if (!c->started || c->ended) return;
    c->ended = 1;
    c->client_end = proc_self_cpu_s();
    c->server_end = c->server_start >= 0 ? proc_cpu_s(fanout_opt.server_pid) : -1;
}

/* Open the CPU window of round 'r'. */
static void cpu_window_start(uint32_t r)
{
    cpu_open(&fanout_run.cpu[r]);
    current_round = r;
}

static void cpu_window_end(uint32_t r)
{
    cpu_close(&fanout_run.cpu[r]);
}

/* ---- the end of the run -------------------------------------------------- */

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h)) return;
    /* A reset instead of FIN: thousands of sockets in TIME_WAIT on our side
     * would eat the ephemeral ports of the next run. */
    if (h->type == UV_TCP && uv_tcp_close_reset((uv_tcp_t *)h, NULL) == 0) return;
    uv_close(h, NULL);
}

/* Print the summary (and write the report file) once, then close every
 * handle; uv_run then returns. */
static void finish(void)
{
    if (fanout_finished) return;
    fanout_finished = 1;
    cpu_close(&fanout_run.connect_cpu);
    cpu_window_end(current_round);
    if (fanout_opt.server_pid > 0) fanout_run.rss_end_kb = proc_rss_kb(fanout_opt.server_pid);
    exit_failed = report_print();
    if (fanout_opt.report_path && report_write(fanout_opt.report_path) != 0) exit_failed = 1;
    uv_walk(fanout_loop, close_walk, NULL);
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

static void on_deadline(uv_timer_t *t)
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
                subs_stats.rounds[r].delivered, (uint64_t)n * fanout_opt.round_size[r], r + 1);
    }
    finish();
}

/* (Re)start the deadline of the phase that begins now. */
static void arm_deadline(void)
{
    uv_timer_start(&deadline_timer, on_deadline, (uint64_t)(fanout_opt.timeout_s * 1000), 0);
}

/* The linger after a round's last delivery is over: report the round to
 * the coordinator, then end the run or wait for the next round. */
static void on_linger(uv_timer_t *t)
{
    (void)t;
    while (rounds_reported < rounds_delivered) {
        uint32_t r = rounds_reported++;
        if (fanout_opt.role != FANOUT_ROLE_SUBSCRIBE) continue;
        cpu_window_end(r);
        if (r + 1 < fanout_opt.rounds) {
            printf("done round=%u\n", r + 1);
            fflush(stdout);
        }
    }
    if (rounds_reported == fanout_opt.rounds)
        finish();
    else
        arm_deadline();
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
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
    if (fanout_opt.role == FANOUT_ROLE_BOTH) {
        /* The publish phase gets its own deadline once connected. */
        uv_timer_stop(&deadline_timer);
        pub_start();
        return;
    }
    /* A generator: tell the coordinator, then wait for the first broadcast
     * (other generators may still be connecting). */
    printf("ready subscribers=%u connect_s=%.3f\n", subs_stats.ready,
           (double)(fanout_run.connect_end - fanout_run.connect_start) / 1e6);
    fflush(stdout);
    arm_deadline();
}

void fanout_on_first_delivery(uint32_t round)
{
    if (fanout_opt.role != FANOUT_ROLE_SUBSCRIBE) return;
    /* The publish window of a generator's round starts here: charge CPU
     * from now, and give the deliveries a whole phase. */
    cpu_window_end(current_round);
    cpu_window_start(round);
    arm_deadline();
}

void fanout_on_round_delivered(uint32_t round)
{
    (void)round;
    rounds_delivered++;
    if (!fanout_finished) uv_timer_start(&linger_timer, on_linger, LINGER_MS, 0);
}

void fanout_on_publish_start(void)
{
    cpu_window_start(0);
    arm_deadline();
}

void fanout_on_published(void)
{
    /* Publishing alone, the run is over. With subscribers, wait for the
     * deliveries, unless some broadcast was refused: it will never come. */
    if (fanout_opt.role == FANOUT_ROLE_PUBLISH || pub_stats.refused) finish();
}

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs(
        "usage: bench_fanout --token TOKEN --app-token TOKEN [options]\n"
        "       bench_fanout --role subscribe --token TOKEN --broadcasts M [--report FILE] ...\n"
        "       bench_fanout --role publish --app-token TOKEN --broadcasts M ...\n"
        "       bench_fanout --merge REPORT...\n"
        "  --url HOST:PORT          the server (127.0.0.1:8080); ws:// or http:// prefix allowed\n"
        "  --role ROLE              both: subscribe, then publish (default); subscribe: connect,\n"
        "                           print \"ready\", count M broadcasts published by another\n"
        "                           process; publish: publish only\n"
        "  --token TOKEN            member access token the subscribers connect with\n"
        "  --origin ORIGIN          Origin header (http://localhost)\n"
        "  --app-token TOKEN        app token for POST /api/v1/broadcast\n"
        "  --room ID                Chats::RoomChannel chat_room_id to subscribe to; the token's\n"
        "                           member must participate in it (1)\n"
        "  --subscribers N          WebSocket connections (1000)\n"
        "  --broadcasts M           broadcasts to publish, or to expect (200)\n"
        "  --rounds M1,M2,...       subscribe role: expect M1 broadcasts (seq 0..M1-1), then M2\n"
        "                           more, and so on; print \"done round=R\" after each round but\n"
        "                           the last, and report each round apart (at most 8)\n"
        "  --first-seq S            publish role: number the broadcasts from S (0)\n"
        "  --rate R                 broadcasts per second; 0 = as fast as 202s return (100)\n"
        "  --pipeline P             most requests in flight (64 with a rate, 1 with --rate 0)\n"
        "  --payload-bytes B        pad each broadcast's data with a string of B bytes (0)\n"
        "  --server-pid PID         report the server's CPU and RSS growth per connection\n"
        "  --connect-concurrency C  handshakes in flight while connecting (256)\n"
        "  --timeout S              give up S seconds into a phase (30)\n"
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

static int parse_role(const char *v)
{
    if (strcmp(v, "both") == 0)
        fanout_opt.role = FANOUT_ROLE_BOTH;
    else if (strcmp(v, "subscribe") == 0)
        fanout_opt.role = FANOUT_ROLE_SUBSCRIBE;
    else if (strcmp(v, "publish") == 0)
        fanout_opt.role = FANOUT_ROLE_PUBLISH;
    else {
        fprintf(stderr, "fanout: --role: expected both, subscribe or publish, got \"%s\"\n", v);
        return -1;
    }
    return 0;
}

/* --rounds M1,M2,...: sets the rounds and their sizes. */
static int parse_rounds(const char *v)
{
    fanout_options_t *o = &fanout_opt;
    uint64_t total = 0;
    o->rounds = 0;
    for (const char *p = v;;) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(p, &end, 10);
        if (errno || end == p || n == 0 || o->rounds == FANOUT_ROUNDS_MAX ||
            (*end && *end != ',')) {
            fprintf(stderr,
                    "fanout: --rounds: expected up to %d positive counts separated by "
                    "commas, got \"%s\"\n",
                    FANOUT_ROUNDS_MAX, v);
            return -1;
        }
        o->round_size[o->rounds++] = (uint32_t)n;
        total += n;
        if (!*end) break;
        p = end + 1;
    }
    if (total > UINT32_MAX / 2) {
        fprintf(stderr, "fanout: --rounds: too many broadcasts\n");
        return -1;
    }
    return 0;
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
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    fanout_options_t *o = &fanout_opt;
    int c, idx, merge = 0;
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
            if (parse_role(optarg) != 0) return -1;
            break;
        case O_TOKEN:
            o->token = optarg;
            break;
        case O_ORIGIN:
            o->origin = optarg;
            break;
        case O_APP:
            o->app_token = optarg;
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
            if (parse_u32(name, optarg, 1, &o->broadcasts)) return -1;
            break;
        case O_PIPE:
            if (parse_u32(name, optarg, 1, &o->pipeline)) return -1;
            break;
        case O_PAD:
            if (parse_u32(name, optarg, 0, &o->payload_bytes)) return -1;
            break;
        case O_CONC:
            if (parse_u32(name, optarg, 1, &o->connect_concurrency)) return -1;
            break;
        case O_RATE:
        case O_TIMEOUT: {
            double d = strtod(optarg, &end);
            if (*end || end == optarg || d < 0 || (c == O_TIMEOUT && d <= 0)) {
                fprintf(stderr, "fanout: --%s: expected a number, got \"%s\"\n", name, optarg);
                return -1;
            }
            if (c == O_RATE)
                o->rate = d;
            else
                o->timeout_s = d;
            break;
        }
        case O_PID:
            o->server_pid = strtol(optarg, &end, 10);
            if (*end || o->server_pid <= 0) {
                fprintf(stderr, "fanout: --server-pid: expected a pid\n");
                return -1;
            }
            break;
        case O_ROUNDS:
            if (parse_rounds(optarg) != 0) return -1;
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
    int need_token = o->role != FANOUT_ROLE_PUBLISH, need_app = o->role != FANOUT_ROLE_SUBSCRIBE;
    if (optind < argc || (need_token && !o->token) || (need_app && !o->app_token)) {
        if (optind >= argc)
            fprintf(stderr, "fanout: %s required\n",
                    need_token && need_app ? "--token and --app-token are"
                    : need_token           ? "--token is"
                                           : "--app-token is");
        usage(stderr);
        return -1;
    }
    if ((o->report_path || o->rounds) && o->role != FANOUT_ROLE_SUBSCRIBE) {
        fprintf(stderr, "fanout: --report and --rounds go with --role subscribe\n");
        return -1;
    }
    if (o->first_seq && o->role != FANOUT_ROLE_PUBLISH) {
        fprintf(stderr, "fanout: --first-seq goes with --role publish\n");
        return -1;
    }
    if (!o->rounds) {
        o->rounds = 1;
        o->round_size[0] = o->broadcasts;
    }
    o->broadcasts = 0; /* --rounds wins over --broadcasts, whatever their order */
    for (uint32_t r = 0; r < o->rounds; r++) o->broadcasts += o->round_size[r];
    if (!o->pipeline) o->pipeline = o->rate > 0 ? 64 : 1;
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

/* Each subscriber holds one descriptor; the loop and the publisher need a
 * few more. Raise the soft limit as far as the hard limit allows. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t want = (rlim_t)fanout_opt.subscribers + 64;
    if (rl.rlim_cur >= want) return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want)
        fprintf(stderr, "fanout: RLIMIT_NOFILE hard limit %llu is below the %llu needed\n",
                (unsigned long long)rl.rlim_max, (unsigned long long)want);
}

int main(int argc, char **argv)
{
    int args = parse_args(argc, argv);
    if (args < 0) return 2;
    if (args == 1) return report_merge(argc - optind, argv + optind);
    if (resolve() != 0) return 2;

    const fanout_options_t *o = &fanout_opt;
    int subscribing = o->role != FANOUT_ROLE_PUBLISH, publishing = o->role != FANOUT_ROLE_SUBSCRIBE;
    if (subscribing) raise_nofile();
    fanout_loop = uv_default_loop();
    if ((subscribing && subs_init() != 0) || (publishing && pub_init() != 0)) {
        fprintf(stderr, "fanout: out of memory\n");
        return 2;
    }
    uv_timer_init(fanout_loop, &deadline_timer);
    uv_timer_init(fanout_loop, &linger_timer);
    uv_signal_init(fanout_loop, &sigint_handle);
    uv_signal_init(fanout_loop, &sigterm_handle);
    uv_signal_start(&sigint_handle, on_signal, SIGINT);
    uv_signal_start(&sigterm_handle, on_signal, SIGTERM);

    if (o->server_pid > 0) {
        fanout_run.rss_before_kb = proc_rss_kb(o->server_pid);
        if (fanout_run.rss_before_kb < 0)
            fprintf(stderr, "fanout: cannot read /proc/%ld/status\n", o->server_pid);
    }
    /* One deadline per phase: connecting now, then from each hook. */
    arm_deadline();
    if (subscribing) {
        fanout_run.connect_start = clock_mono_us();
        cpu_open(&fanout_run.connect_cpu);
        subs_start();
    } else {
        pub_start();
    }
    uv_run(fanout_loop, UV_RUN_DEFAULT);

    if (subscribing) subs_deinit();
    if (publishing) pub_deinit();
    int rc = uv_loop_close(fanout_loop);
    if (rc != 0) fprintf(stderr, "fanout: loop still has handles: %s\n", uv_strerror(rc));
    return exit_failed ? 1 : 0;
}
