/* cable/cable_internal.h: what the files of the cable layer share:
 * server.c owns the configuration and each loop's list of connections,
 * conn.c the connections themselves, ext*.c the extended protocol.
 * Included by the files of src/cable/ only (and unit tests). */
#ifndef CABLE_CABLE_INTERNAL_H
#define CABLE_CABLE_INTERNAL_H

#include "cable/conn.h"
#include "cable/ext_protocol.h"
#include "cable/protocol.h"
#include "hub/hub.h"
#include "state/state.h"
#include "ws/endpoint.h"

/* Set by cable_server_init: the WebSocket limits, the hub, and the limits
 * of the cable layer (server.h, cable_config_t). */
extern const ws_endpoint_config_t *cable__ws_config;
extern hub_t *cable__hub;
extern size_t cable__max_identifier;
extern size_t cable__max_subscriptions;
/* cable_config_t.member_check (NULL: tokens are trusted alone). */
extern int (*cable__member_check)(long long community_id, long long member_id);
/* cable_config_t.state and whisper_rate (the extended protocol). */
extern state_t *cable__state;
extern unsigned cable__whisper_rate;
/* The community whose tokens are accepted (refresh_token checks them). */
extern const struct auth_community *cable__community;
/* 1 while this loop is draining (shutting down). */
int cable__draining(void);

/* Link / unlink an open connection to its loop, and count every cable
 * connection (open or closing) until its socket is gone, so the drain
 * knows when it is done. Loop thread. */
void cable__thread_add(cable_conn_t *c);
void cable__thread_remove(cable_conn_t *c);
void cable__thread_opened(void);
void cable__thread_closed(void);
/* The open connections of the calling loop (cable_conn_t._thread_node). */
list_t *cable__thread_conns(void);

/* The hub's send: queue a broadcast frame on the subscription's
 * connection. */
int cable__sub_send(hub_sub_t *sub, payload_t *frame, const pubsub_pos_t *pos);

/* ---- conn.c, for the extended protocol's files ---- */

unsigned long long cable__conn_id(const cable_conn_t *c);
/* A small protocol message, sent even past the output cap. */
void cable__send_control(cable_conn_t *c, buf_t *msg);
/* A reply, counted against the output cap (too_slow past it). */
void cable__send_reply(cable_conn_t *c, buf_t *msg);
cable_sub_t *cable__find_sub(cable_conn_t *c, const char *identifier, size_t len);
/* Run a subscribe command (a restore runs its subscriptions this way). */
void cable__subscribe(cable_conn_t *c, const cable_command_t *cmd);
/* Welcome the connection: open it, queue the welcome (restored: with the
 * ids of 'restored', in order) and run the commands that waited. */
void cable__welcome(cable_conn_t *c, int restored);
/* Log a command that is ignored, with the client's bytes escaped. */
void cable__log_ignored(cable_conn_t *c, const char *why, const char *data, size_t len);

/* ---- the extended protocol (ext*.c) ---- */

/* A frame waiting while its subscription catches up. */
struct cable__held {
    payload_t *frame;
    pubsub_pos_t pos;
};

struct cable__ext_sub {
    uint64_t serial;           /* tells it from an earlier subscription with its identifier */
    char *stream;              /* what it listens to (owned); NULL until started */
    json_t *subscribe_history; /* the subscribe command's history request, until confirmed */
    int subscribe_presence;    /* the subscribe command asked to join presence */
    unsigned holding;          /* history answers awaited, plus a restore's hold: positioned
                                  frames wait in 'held' meanwhile */
    int restore_hold;          /* restored, no history request yet: 'holding' counts it */
    struct cable__held *held;
    size_t nheld, cap;
    size_t held_bytes;           /* bytes of the held frames */
    char epoch[CABLE_EPOCH_MAX + 1]; /* the position of the last frame sent, */
    uint64_t offset;                 /*   so nothing goes out twice */
    int presence;                    /* joined the stream's presence */
    int presence_wanted;             /* to join once the member's record is known */
    int restored;                    /* restored from a session */
    int restore_presence;            /* restored, and had joined presence */
};

/* A subscription of a session being restored. */
struct cable__restore_item {
    char *identifier; /* owned */
    int presence;     /* it had joined presence */
};

struct cable__ext_conn {
    char restore_sid[22];                /* the session to restore, "" when none */
    char *presence_record;               /* the member's presence record (JSON), once known */
    int record_pending;                  /* it is being looked up */
    list_t pending;                      /* struct cable__pending.node: answers still to come */
    double whisper_tokens;               /* the whisper rate limit's bucket */
    uint64_t whisper_at_ms;              /* when it was last filled */
    uint64_t touched_ms;                 /* presence last said to be still there (uv_now) */
    uint64_t saved_ms;                   /* the session last saved by the tick (uv_now) */
    char old_sid[22];                    /* restoring: the session id the client came back with */
    struct cable__restore_item *restore; /* restoring: the subscriptions still to restore */
    size_t restore_next, restore_count;
};

/* Per connection and subscription: set up, torn down. */
void cable__ext_conn_init(cable_conn_t *c, const cable_conn_opts_t *opts);
void cable__ext_conn_close(cable_conn_t *c);
void cable__ext_conn_free(cable_conn_t *c);
void cable__ext_sub_init(cable_sub_t *s, const cable_command_t *cmd);
void cable__ext_sub_started(cable_sub_t *s, const char *stream);
/* A subscription was confirmed (or restored): its history and presence. */
void cable__ext_confirmed(cable_conn_t *c, cable_sub_t *s);
/* A subscribe for an identifier already subscribed: confirmed again and
 * its history served (the client only repeats while it waits). */
void cable__ext_resubscribe(cable_conn_t *c, cable_sub_t *s, const cable_command_t *cmd);
/* A subscription ends: by unsubscribe ('closing' 0) or with its
 * connection (1). Then its memory goes. */
void cable__ext_sub_end(cable_sub_t *s, int closing);
void cable__ext_sub_free(cable_sub_t *s);
/* An extended command (history, whisper, join, leave, presence, pong,
 * refresh_token) on an extended connection. */
void cable__ext_execute(cable_conn_t *c, const cable_command_t *cmd);
/* The hub's send for a subscription of an extended connection. */
int cable__ext_send(cable_sub_t *s, payload_t *frame, const pubsub_pos_t *pos);
/* The hub dropped the subscription's stream (access revoked). */
void cable__ext_dropped(cable_sub_t *s);
/* Every ping tick, on each open extended connection. */
void cable__ext_tick(cable_conn_t *c, uint64_t now_ms);

/* ext_history.c */
/* Serve history request 'h' (borrowed) for subscription 's'; 'delayed':
 * asked inside a subscribe, so the answer (confirm/reject_history) comes a
 * moment after the confirmation (see ext_history.c). */
void cable__history_request(cable_conn_t *c, cable_sub_t *s, const json_t *h, int delayed);
/* Stop holding 's' for a restore (its history was asked, or never will be). */
void cable__history_release(cable_sub_t *s);
/* Hold a restored subscription's positioned frames until its history is
 * asked, or for a while. */
void cable__history_hold(cable_conn_t *c, cable_sub_t *s);
/* What of 'h' answers 'req': returns 1 with *from the index of the first
 * entry to send, or 0 when the history cannot answer it (reject). Pure. */
int cable__history_select(const state_history_t *h, const cable_history_req_t *req, size_t *from);

/* ext_session.c */
/* A session as saved, read back (owned parts). */
typedef struct cable__session_data {
    char *record;                     /* the presence record, compact JSON; NULL when none */
    struct cable__restore_item *subs; /* in the order they were subscribed */
    size_t count;
} cable__session_data_t;

/* Append the saved form of a session: {"record":"<record>"|null,
 * "subs":[{"id":"<identifier>","presence":true|false},…]}. Pure. */
void cable__session_encode(buf_t *out, const char *record, const struct cable__restore_item *subs,
                           size_t count);
/* Read a saved session (borrowed, 'len' bytes; it may come from a shared
 * store, so it is checked like any input): at most 'max_subs'
 * subscriptions; identifiers of 1..max_identifier bytes without a NUL
 * (others are left out); a record that is not valid JSON is dropped.
 * Returns 0 and fills *out (free with cable__session_data_free), or
 * ERR_INVAL (*out zeroed). Pure. */
int cable__session_parse(const char *blob, size_t len, size_t max_subs, size_t max_identifier,
                         cable__session_data_t *out);
void cable__session_data_free(cable__session_data_t *d);
/* Save the connection's session (ttl: sessions_ttl_s from now). */
void cable__session_save(cable_conn_t *c);
/* Begin restoring the session the connection asked for. Returns 1 when it
 * has begun (the welcome comes once it is done), 0 when there is none to
 * restore (welcome now). */
int cable__session_restore(cable_conn_t *c);
/* A restored subscription was confirmed / refused: go on with the next. */
void cable__session_restored(cable_conn_t *c, cable_sub_t *s);
void cable__session_next(cable_conn_t *c);
/* The ids restored, for the welcome. */
size_t cable__session_restored_ids(cable_conn_t *c, const char ***ids, size_t **lens);

/* ext_presence.c */
void cable__presence_join(cable_conn_t *c, cable_sub_t *s);
void cable__presence_leave(cable_conn_t *c, cable_sub_t *s, int closing);
void cable__presence_info(cable_conn_t *c, const cable_command_t *cmd);
void cable__whisper(cable_conn_t *c, const cable_command_t *cmd);
/* The presence error frame for 'identifier'. */
void cable__presence_error(cable_conn_t *c, const char *identifier, size_t len, const char *why);

/* An answer still to come for a connection (a state read, a timer, a
 * worker): it finds the connection through here, or learns it is gone. */
enum cable__pending_kind {
    CABLE_PENDING_HISTORY = 1, /* a history read */
    CABLE_PENDING_ANSWER,      /* confirm/reject_history, a moment after a subscribe */
    CABLE_PENDING_RELEASE,     /* a restore's hold runs out */
    CABLE_PENDING_SESSION,     /* the session to restore */
    CABLE_PENDING_PRESENCE,    /* presence records for the info command */
    CABLE_PENDING_RECORD,      /* the member's presence record, from the store */
};

struct cable__pending {
    list_t node;        /* in cable__ext_conn.pending */
    cable_conn_t *conn; /* NULL once the connection went away */
    int kind;           /* enum cable__pending_kind */
    char *identifier;   /* whose subscription (owned); NULL: the connection's */
    size_t identifier_len;
    uint64_t serial;                       /* and which one of that identifier */
    cable_history_req_t req;               /* HISTORY */
    int delayed;                           /* HISTORY: answer with a pause (a subscribe's) */
    int rejected;                          /* ANSWER: reject rather than confirm */
    char *stream;                          /* ANSWER: the stream to refetch (owned) */
    int records;                 /* PRESENCE: with the records (not only the total) */
    uv_timer_t timer;                      /* ANSWER, RELEASE */
    uv_work_t work;                        /* RECORD */
    long long member, community;           /* RECORD */
    char *(*record)(long long, long long); /* RECORD */
    char *result;                          /* RECORD */
};

/* Return a new pending answer of 'kind' for 'c', linked to it. */
struct cable__pending *cable__pending_new(cable_conn_t *c, int kind, const char *identifier,
                                          size_t len);
/* Unlink and free (a pending with a timer: closes it first). */
void cable__pending_free(struct cable__pending *p);
/* Start p->timer for 'ms' on the connection's loop, calling 'cb'. */
void cable__pending_timer(struct cable__pending *p, unsigned ms, uv_timer_cb cb);

#endif
