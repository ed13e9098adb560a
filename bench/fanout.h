/* bench/fanout: what the parts of bench_fanout share.
 *
 * bench_fanout is one libuv loop playing up to two roles around the server
 * under test:
 *
 *   subscribers.c  N WebSocket subscribers: connect, subscribe, then check
 *                  and time every delivery
 *   publisher.c    M broadcasts over one keep-alive POST /api/v1/broadcast
 *                  connection, paced or pipelined
 *   report.c       the summary lines, the report file a generator leaves,
 *                  and the merge of several report files
 *   fanout.c       options, and the driver: which roles run, the phase
 *                  deadlines, and the end of the run
 *
 * The parts tell the driver about their progress through the fanout_on_*
 * hooks below; the driver decides what happens next (start publishing, end
 * the run). Everything runs on the one loop, so nothing here is locked. */
#ifndef BENCH_FANOUT_H
#define BENCH_FANOUT_H

#include "core/clock.h"

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

typedef enum {
    FANOUT_ROLE_BOTH,      /* subscribe, then publish: the single-process benchmark */
    FANOUT_ROLE_SUBSCRIBE, /* a generator: subscribe, report ready, count deliveries */
    FANOUT_ROLE_PUBLISH    /* publish only, to subscribers held by other processes */
} fanout_role_t;

#define FANOUT_ROUNDS_MAX 8

typedef struct fanout_options {
    fanout_role_t role;
    char host[256];
    char port[16];
    const char *token;     /* member access token of the subscribers */
    const char *origin;    /* Origin header of the upgrade */
    const char *app_token; /* bearer token of POST /api/v1/broadcast */
    long room;             /* Chats::RoomChannel chat_room_id */
    uint32_t subscribers;
    uint32_t broadcasts;                    /* in all rounds */
    uint32_t rounds;                        /* subscribe role: rounds reported separately (1) */
    uint32_t round_size[FANOUT_ROUNDS_MAX]; /* broadcasts per round, summing to 'broadcasts' */
    uint32_t first_seq; /* publish role: sequence number of the first broadcast (0) */
    double rate;        /* broadcasts per second; 0 = as fast as acknowledged */
    uint32_t payload_bytes;
    uint32_t pipeline;
    uint32_t connect_concurrency;
    long server_pid;         /* 0: do not read the server's CPU and memory */
    double timeout_s;        /* per phase */
    const char *report_path; /* subscribe role: where the report file goes, or NULL */
} fanout_options_t;

/* CPU seconds spent over one round's publish window. */
typedef struct fanout_cpu {
    int started, ended;              /* the window was opened, closed */
    double client_start, client_end; /* this process */
    double server_start, server_end; /* the server's; -1 if it could not be read */
} fanout_cpu_t;

/* What the driver measures around the phases, for the report. */
typedef struct fanout_run {
    mono_us_t connect_start, connect_end; /* first connect, last confirmation */
    fanout_cpu_t connect_cpu;             /* over the same window */
    long rss_before_kb;                   /* server VmRSS before the first connect; -1 unread */
    long rss_after_kb;                    /* ... once every subscriber is confirmed */
    long rss_end_kb;                      /* ... at the end of the run */
    fanout_cpu_t cpu[FANOUT_ROUNDS_MAX];  /* per round; round 0 only when publishing */
    int timed_out;                        /* a phase ran past --timeout */
    int interrupted;                      /* SIGINT or SIGTERM ended the run */
    int failed;                           /* fanout_fail was called */
} fanout_run_t;

extern fanout_options_t fanout_opt;
extern fanout_run_t fanout_run;
extern uv_loop_t *fanout_loop;
extern struct sockaddr_storage fanout_server_addr;
extern int fanout_finished; /* set once the run is over: callbacks only clean up */

/* Report a fatal problem (a refused handshake, a lost publisher) on stderr
 * and end the run as failed; the summary is still printed. */
void fanout_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The round sequence number 'seq' belongs to (rounds run one after the
 * other through the sequence numbers), or fanout_opt.rounds if none. */
uint32_t fanout_round_of(uint64_t seq);

/* Every subscriber has its confirm_subscription. */
void fanout_on_ready(void);

/* The first data frame of round 'round' arrived. */
void fanout_on_first_delivery(uint32_t round);

/* Every subscriber has every sequence number of round 'round'. */
void fanout_on_round_delivered(uint32_t round);

/* The publisher is connected and about to send its first broadcast. */
void fanout_on_publish_start(void);

/* Every broadcast has been answered (202 or not). */
void fanout_on_published(void);

#endif
