/* state: what the extended protocol keeps beyond one connection, behind
 * one interface with two back-ends:
 *
 *   stream history   the last broadcasts of each stream with their
 *                    positions (epoch, offset), bounded by count and age,
 *                    read to catch a client up (cable/ext_history.c)
 *   sessions         a connection's subscriptions under its session id,
 *                    kept after it drops so a reconnect can restore them
 *   presence         who is present on a stream: records by member, each
 *                    with the connections (session ids) that joined
 *
 *   state/memory.h   in this process (with the local pub/sub adapter); the
 *                    local adapter asks it for positions (pubsub.h)
 *   pubsub/redis.h   in Redis (with the redis adapter), shared by every
 *                    node: a client reconnecting to another node recovers
 *
 * Calls come from loop threads. Every call that takes a callback runs it
 * exactly once on the calling loop's thread, unless it returns an error;
 * the in-memory back-end runs it before returning, Redis once it answered.
 * Presence joins and leaves are announced by the back-end itself, as
 * presence events on the stream (pubsub.h, PUBSUB_PRESENCE), so every
 * node hears them once.
 *
 * Back-ends embed 'state_t' first and are created only by main.c. */
#ifndef STATE_STATE_H
#define STATE_STATE_H

#include "core/payload.h"
#include "pubsub/pubsub.h"

#include <stddef.h>
#include <stdint.h>

typedef struct state state_t;

/* Limits shared by both back-ends (flags, main.c). */
typedef struct state_config {
    unsigned history_limit;  /* messages kept per stream; 0: no history */
    unsigned history_ttl_s;  /* how long a message is kept */
    unsigned sessions_ttl_s; /* how long a session outlives its connection; 0: no sessions */
    unsigned presence_ttl_s; /* how long a dropped connection stays present */
} state_config_t;

/* ---- history --------------------------------------------------------------------------------- */

/* One kept message. */
typedef struct state_entry {
    uint64_t offset;
    int64_t time;       /* unix seconds when it was kept */
    payload_t *message; /* JSON text */
} state_entry_t;

/* One stream's history as read, within the age limit. Borrowed during the
 * callback that hands it over. */
typedef struct state_history {
    int status;                   /* 0, or an error: the history could not be read */
    char epoch[PUBSUB_EPOCH_MAX]; /* "" when the stream is not known (never kept, or forgotten) */
    uint64_t last;                /* the newest offset given out */
    int64_t lost_time;            /* the newest time of a message no longer kept; 0: none lost */
    size_t count;                 /* entries, oldest first, offsets consecutive up to 'last' */
    state_entry_t *entries;
} state_history_t;

typedef void (*state_history_cb)(void *ud, const state_history_t *h);

/* ---- sessions -------------------------------------------------------------------------------- */

/* status 0 with the saved 'blob' (borrowed), or ERR_NOT_FOUND. */
typedef void (*state_session_cb)(void *ud, int status, const char *blob, size_t len);

/* ---- presence -------------------------------------------------------------------------------- */

/* status 0 with 'records', the JSON array [{"id":"42","info":{…}},…]
 * (borrowed) of 'total' records; or an error. */
typedef void (*state_presence_cb)(void *ud, int status, const char *records, size_t len,
                                  size_t total);

struct state_ops {
    /* Read the history of 'stream'. */
    int (*history)(state_t *st, const char *stream, state_history_cb cb, void *ud);
    /* Keep session 'sid' of 'member' ('blob', JSON, copied) for ttl_s
     * seconds from now, replacing what it held, unless it was taken. */
    void (*session_save)(state_t *st, const char *sid, long long member, const char *blob,
                         size_t len, unsigned ttl_s);
    /* Take session 'sid' if it belongs to 'member': it cannot be taken
     * again, nor saved over. Another member's session is not found (and
     * stays). */
    int (*session_take)(state_t *st, const char *sid, long long member, state_session_cb cb,
                        void *ud);
    /* Connection 'sid' of 'member' joins 'stream' with record 'info' (JSON,
     * copied; the last join's info wins). The first connection of a member
     * announces {"type":"join","id":"<member>","info":…}. */
    void (*presence_join)(state_t *st, const char *stream, long long member, const char *sid,
                          const char *info, size_t len);
    /* Connection 'sid' leaves now; the last one of a member announces
     * {"type":"leave","id":"<member>"}. */
    void (*presence_leave)(state_t *st, const char *stream, long long member, const char *sid);
    /* Connection 'sid' went away: it leaves once presence_ttl_s has passed
     * without a join of the same sid. */
    void (*presence_drop)(state_t *st, const char *stream, long long member, const char *sid);
    /* Connection 'sid' is still there (Redis forgets connections that stop
     * saying so, when their node is gone). */
    void (*presence_touch)(state_t *st, const char *stream, long long member, const char *sid);
    /* The records of 'stream'. */
    int (*presence_info)(state_t *st, const char *stream, state_presence_cb cb, void *ud);
    /* Once a second from one thread: expire what is due. */
    void (*tick)(state_t *st);
    /* Free. No callback runs after it returns. */
    void (*destroy)(state_t *st);
};

struct state {
    const struct state_ops *ops;
    state_config_t config;
};

static inline void state_destroy(state_t *st)
{
    if (st) st->ops->destroy(st);
}

#endif
