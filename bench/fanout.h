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

typedef struct fanout_options {
    fanout_role_t role;
    char host[256];
    char port[16];
    const char *token;     /* member access token of the subscribers */
    const char *origin;    /* Origin header of the upgrade */
    const char *app_token; /* bearer token of POST /api/v1/broadcast */
    long room;             /* Chats::RoomChannel chat_room_id */
    uint32_t subscribers;
    uint32_t broadcasts;
    double rate; /* broadcasts per second; 0 = as fast as acknowledged */
    uint32_t payload_bytes;
    uint32_t pipeline;
    uint32_t connect_concurrency;
    long server_pid;         /* 0: do not read the server's CPU and memory */
    double timeout_s;        /* per phase */
    const char *report_path; /* subscribe role: where the report file goes, or NULL */
} fanout_options_t;

/* What the driver measures around the phases, for the report. */
typedef struct fanout_run {
    mono_us_t connect_start, connect_end;    /* first connect, last confirmation */
    long rss_before_kb;                      /* server VmRSS before the first connect; -1 unread */
    long rss_after_kb;                       /* ... once every subscriber is confirmed */
    long rss_end_kb;                         /* ... at the end of the run */
    double client_cpu_start, client_cpu_end; /* this process, over the publish window */
    double server_cpu_start, server_cpu_end; /* the server's; -1 unread */
    int timed_out;                           /* a phase ran past --timeout */
    int interrupted;                         /* SIGINT or SIGTERM ended the run */
    int failed;                              /* fanout_fail was called */
} fanout_run_t;

extern fanout_options_t fanout_opt;
extern fanout_run_t fanout_run;
extern uv_loop_t *fanout_loop;
extern struct sockaddr_storage fanout_server_addr;
extern int fanout_finished; /* set once the run is over: callbacks only clean up */

/* Report a fatal problem (a refused handshake, a lost publisher) on stderr
 * and end the run as failed; the summary is still printed. */
void fanout_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Every subscriber has its confirm_subscription. */
void fanout_on_ready(void);

/* The first data frame of the run arrived. */
void fanout_on_first_delivery(void);

/* Every subscriber has every sequence number. */
void fanout_on_all_delivered(void);

/* The publisher is connected and about to send its first broadcast. */
void fanout_on_publish_start(void);

/* Every broadcast has been answered (202 or not). */
void fanout_on_published(void);

#endif
