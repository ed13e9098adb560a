/* bench/fanout: what the parts of bench_fanout share.
 *
 * bench_fanout is one epoll loop (ev.c) playing up to two roles around the
 * server under test:
 *
 *   subscribers.c  N WebSocket subscribers: connect, subscribe, then check
 *                  and time every delivery
 *   publisher.c    M broadcasts on a schedule: batched POSTs (cabled's
 *                  broadcast API, or the same shape to another server), a
 *                  WebSocket publisher connection, or chat messages through
 *                  cabled's REST API
 *   report.c       the summary lines, the report file a generator leaves,
 *                  and the merge of several report files
 *   fanout.c       the driver: which roles run, the phase deadlines, the
 *                  ramp of rates, and the end of the run
 *   options.c      the command line
 *   wsc.c, ev.c    client sockets and frames; the event loop
 *   proc.c         CPU, memory and system calls of the server, from /proc,
 *                  ss and perf
 *
 * The parts tell the driver about their progress through the fanout_on_*
 * hooks below; the driver decides what happens next (start publishing, the
 * next step of a ramp, the end of the run). Everything runs on the one
 * loop, so nothing here is locked. */
#ifndef BENCH_FANOUT_H
#define BENCH_FANOUT_H

#include "core/clock.h"

#include <stdint.h>
#include <sys/socket.h>

typedef enum {
    FANOUT_ROLE_BOTH,      /* subscribe, then publish: the single-process benchmark */
    FANOUT_ROLE_SUBSCRIBE, /* a generator: subscribe, report ready, count deliveries */
    FANOUT_ROLE_PUBLISH    /* publish only, to subscribers held by other processes */
} fanout_role_t;

/* What the subscribers speak after the upgrade. */
typedef enum {
    FANOUT_PROTO_CABLE, /* Action Cable: welcome, subscribe, confirm_subscription */
    FANOUT_PROTO_PLAIN  /* no welcome: subscribe right after the upgrade, then the confirmation */
} fanout_proto_t;

/* How broadcasts reach the server. */
typedef enum {
    FANOUT_PUB_HTTP, /* POST [{"stream":…,"data":…},…] on a keep-alive connection */
    FANOUT_PUB_WS,   /* one text frame per broadcast on a WebSocket, no acknowledgement */
    FANOUT_PUB_CHAT  /* a chat message per broadcast through cabled's REST API */
} fanout_pub_t;

#define FANOUT_ROUNDS_MAX 16
/* Descriptors one generator process may hold: the machine's hard limit is
 * 20,000, and the server on the same machine needs its own. More
 * subscribers take several processes (--role subscribe, --report, --merge). */
#define FANOUT_FDS_MAX 19900

typedef struct fanout_options {
    fanout_role_t role;
    fanout_proto_t proto;
    fanout_pub_t pub;
    char host[256];
    char port[16];
    const char *token;      /* member access token of the subscribers, or NULL */
    const char *origin;     /* Origin header of the upgrade, or NULL */
    const char *app_token;  /* bearer token of the publisher's requests, or NULL */
    const char *ws_path;    /* the subscribers' upgrade path */
    const char *pub_path;   /* the publisher's request or upgrade path */
    const char *identifier; /* the subscription identifier (a JSON object, unescaped) */
    const char *stream;     /* the stream HTTP broadcasts name */
    long room;              /* Chats::RoomChannel chat_room_id (the default identifier) */
    uint32_t subscribers;
    uint32_t stalled;    /* of the subscribers, how many stop reading once subscribed */
    uint32_t sources;    /* loopback source addresses to spread connections over */
    uint32_t broadcasts; /* in all rounds */
    uint32_t rounds;     /* rounds reported separately (1) */
    uint32_t round_size[FANOUT_ROUNDS_MAX]; /* broadcasts per round, summing to 'broadcasts' */
    double round_rate[FANOUT_ROUNDS_MAX];   /* --ramp: the rate of each round */
    int ramp;                               /* rounds are the steps of a ramp */
    double step_s;                          /* --ramp: seconds per step */
    uint32_t first_seq; /* publish role: sequence number of the first broadcast (0) */
    double rate;        /* broadcasts per second; 0 = as fast as acknowledged */
    uint32_t payload_bytes;
    uint32_t pipeline; /* HTTP requests in flight at most */
    uint32_t batch;    /* broadcasts per HTTP request at most */
    uint32_t connect_concurrency;
    double hold_s;           /* seconds to stay idle once subscribed, before publishing */
    long server_pid;         /* 0: do not read the server's CPU and memory */
    int perf;                /* count the server's system calls over each publish window */
    int deflate;             /* subscribers offer permessage-deflate (bench/wsz.c) */
    double timeout_s;        /* per phase */
    const char *report_path; /* subscribe role: where the report file goes, or NULL */
    int tls;                 /* speak TLS (wss:// and https://) to the server */
    const char *tls_ca;      /* verify the server against this CA file, or NULL: no check */
} fanout_options_t;

/* CPU seconds (and the server's system calls) over one window. */
typedef struct fanout_cpu {
    int started, ended;              /* the window was opened, closed */
    double client_start, client_end; /* this process */
    double server_start, server_end; /* the server's; -1 if it could not be read */
    mono_us_t start, end;            /* when */
    long long syscalls;              /* the server's, with --perf; -1 unknown */
    long long sends;                 /* ... of them write, writev, sendto, sendmsg */
    long long waits;                 /* ... of them epoll_wait and its kin */
} fanout_cpu_t;

/* What the driver measures around the phases, for the report. */
typedef struct fanout_run {
    mono_us_t connect_start, connect_end; /* first connect, last confirmation */
    fanout_cpu_t connect_cpu;             /* over the same window */
    fanout_cpu_t hold_cpu;                /* over the idle hold */
    uint64_t hold_pings;                  /* pings received during the hold */
    long sock_mem_bytes;                  /* kernel memory of the server's sockets, end of hold */
    long sock_count;                      /* ... and how many sockets ss listed */
    long rss_before_kb;                   /* server VmRSS before the first connect; -1 unread */
    long rss_after_kb;                    /* ... once every subscriber is confirmed */
    long rss_end_kb;                      /* ... at the end of the run */
    long rss_max_kb;                      /* ... the largest seen, sampled every 100 ms */
    long slab_before_kb, slab_after_kb;   /* the machine's Slab around the connect phase */
    fanout_cpu_t cpu[FANOUT_ROUNDS_MAX];  /* per round */
    uint32_t rounds_run;                  /* rounds published (a ramp may stop early) */
    int timed_out;                        /* a phase ran past --timeout */
    int interrupted;                      /* SIGINT or SIGTERM ended the run */
    int failed;                           /* fanout_fail was called */
} fanout_run_t;

extern fanout_options_t fanout_opt;
extern fanout_run_t fanout_run;
extern struct sockaddr_storage fanout_server_addr;
extern int fanout_finished; /* set once the run is over: callbacks only clean up */

/* Parse the command line into fanout_opt. Returns 0, 1 for --merge (the
 * arguments from optind on are report files), or -1 on a bad option (with a
 * message on stderr). --help prints the usage and exits. */
int fanout_parse_args(int argc, char **argv);

/* Report a fatal problem (a refused handshake, a lost publisher) on stderr
 * and end the run as failed; the summary is still printed. */
void fanout_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The round sequence number 'seq' belongs to (rounds run one after the
 * other through the sequence numbers), or fanout_opt.rounds if none. */
uint32_t fanout_round_of(uint64_t seq);

/* The first sequence number of round 'r'. */
uint32_t fanout_round_first(uint32_t r);

/* Did step 'r' of a ramp keep up: every delivery, once, at 99 % of the
 * offered deliveries per second or more, with a p99 of 1 s at most. */
int fanout_step_passed(uint32_t r);

/* Was step 'r' clearly overloaded: a loss or duplicate, under 90 % of the
 * offered deliveries per second, or a p99 over 1 s? The ramp stops there. */
int fanout_step_overloaded(uint32_t r);

/* Every subscriber has its confirm_subscription. */
void fanout_on_ready(void);

/* The first data frame of round 'round' arrived. */
void fanout_on_first_delivery(uint32_t round);

/* Every reading subscriber has every sequence number of round 'round'. */
void fanout_on_round_delivered(uint32_t round);

/* Every stalled subscriber, reading again, reached the end of its
 * connection. */
void fanout_on_stalled_drained(void);

/* The publisher is connected and about to send the first broadcast of
 * round 'round'. */
void fanout_on_publish_start(uint32_t round);

/* Every broadcast of the current round has been sent (and, over HTTP,
 * answered). */
void fanout_on_published(void);

#endif
