/* pubsub/redis_internal.h: what the redis adapter's files share: commands
 * sent on the adapter's publishing connection on behalf of other threads
 * (redis_state.c's history reads, sessions and presence). Included by
 * src/pubsub/redis*.c only. */
#ifndef PUBSUB_REDIS_INTERNAL_H
#define PUBSUB_REDIS_INTERNAL_H

#include "core/buf.h"
#include "pubsub/redis.h"
#include "pubsub/redis_scripts.h"

#include <hiredis/hiredis.h>

#define REDIS_CALL_MAX_ARGS 12

/* One command for the publishing connection. Built by any thread, then
 * handed over with redis__call_send; the adapter owns and frees it. */
typedef struct redis__call {
    /* Runs exactly once on the adapter's thread: with Redis's reply
     * (borrowed), or with NULL when the command could not be sent or was
     * not answered (the link is down, or went). */
    void (*on_reply)(struct redis__call *call, const redisReply *reply);
    void *ud;
    const redis__script_t *script; /* EVALSHA this (EVAL when Redis lost it); NULL: a command */
    int nkeys;                     /* script: how many of the arguments are keys */
    size_t argc;
    size_t lens[REDIS_CALL_MAX_ARGS];
    buf_t args; /* the arguments back to back */
    int resent; /* sent again as EVAL after NOSCRIPT */
} redis__call_t;

/* Return owned a call that answers 'on_reply' with 'ud'. */
redis__call_t *redis__call_new(void (*on_reply)(redis__call_t *, const redisReply *), void *ud);
/* Append an argument (copied). At most REDIS_CALL_MAX_ARGS. */
void redis__call_arg(redis__call_t *c, const void *p, size_t len);
void redis__call_argf(redis__call_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append "<prefix><a><b>" (b may be NULL): a key or channel name. */
void redis__call_name(redis__call_t *c, pubsub_t *ps, const char *a, const char *b);
/* The adapter's channel prefix (borrowed, for its lifetime). */
const char *redis__prefix(pubsub_t *ps);
/* Hand 'c' to the adapter (takes it). Returns 0, or ERR_CLOSED once the
 * adapter stops: then 'c' is freed and on_reply never runs. */
int redis__call_send(pubsub_t *ps, redis__call_t *c);

#endif
