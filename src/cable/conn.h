/* cable/conn: one Action Cable connection: the welcome, the client's
 * commands, its subscriptions, and disconnect messages.
 *
 * Commands are executed in the order they arrive. Anything that is not a
 * valid command (bad JSON, no "command", unknown command, a message for an
 * identifier not subscribed, binary data aside) is logged and ignored: the
 * connection stays open, as in Action Cable. A subscribe for an identifier
 * already subscribed on this connection is ignored too (the official client
 * repeats subscribes until it hears back). Subscribing with an unknown
 * channel, bad parameters, or parameters the member may not use is
 * answered with reject_subscription.
 *
 * A subscribe may need time to be answered (a room's participants are in
 * the store, read on a worker thread; a stream new to the node waits for
 * Redis): while it is pending, the connection's later commands wait in the
 * WebSocket reader, unread (ws_endpoint_pause), so their order is kept,
 * nothing is dropped and every subscribe gets its answer.
 *
 * A connection that chose the subprotocol actioncable-v1-ext-json speaks
 * AnyCable's extended protocol (cable/ext_protocol.h): positioned
 * broadcasts and history (ext_history.c), session recovery
 * (ext_session.c), whispers and presence (ext_presence.c). A plain
 * connection never sees any of it. */
#ifndef CABLE_CONN_H
#define CABLE_CONN_H

#include "auth/token.h"
#include "cable/channel.h"
#include "core/list.h"
#include "ws/endpoint.h"

struct cable__ext_conn;

struct cable_conn {
    /* read-only */
    ws_endpoint_t *ep;
    auth_claims_t claims;
    char sid[22];               /* the welcome's session id */
    int open;                   /* welcomed: receives pings and commands */
    int ext;                    /* speaks the extended protocol */
    /* private */
    struct cable__ext_conn *_ext; /* the extended protocol's state; NULL on plain connections */
    int _restoring;             /* subscriptions of a session being restored, before the welcome */
    list_t _subs;               /* cable_sub_t._conn_node */
    size_t _subs_count;
    list_t _thread_node;        /* in the loop's list of open connections */
    cable_sub_t *_pending;      /* a subscribe waiting for an answer: later commands wait */
    struct member_check *_check; /* the store is asked whether the member exists */
    const char *_reason;        /* the server's disconnect reason (static); NULL: none */
    uint64_t _opened_at;        /* clock_mono_us() at the upgrade, for the access log */
};

/* How a connection came: its protocol, and the session it asks back. */
typedef struct cable_conn_opts {
    int ext;                    /* actioncable-v1-ext-json was chosen */
    const char *restore_sid;    /* ext: a session id to restore (borrowed), or NULL */
    const ws_deflate_params_t *deflate; /* permessage-deflate as agreed (borrowed), or NULL */
} cable_conn_opts_t;

/* Create the cable state for an upgraded endpoint. Authenticated
 * connections ('claims' non-NULL) get the welcome (after their session is
 * restored, when 'opts' asks for one that exists); otherwise 'reason'
 * ("unauthorized" or "token_expired") is sent with reconnect:false and the
 * connection is closed. 'opts' may be NULL (plain). Returns owned (freed
 * when the endpoint closes). */
cable_conn_t *cable_conn_new(net_conn_t *nc, const auth_claims_t *claims, const char *reason,
                             const cable_conn_opts_t *opts);
/* Send {"type":"disconnect","reason":...,"reconnect":...} and close 1000. */
void cable_conn_disconnect(cable_conn_t *c, const char *reason, int reconnect);
/* Queue a shared frame (a ping or a broadcast). Over the output cap the
 * client gets too_slow and is closed. Returns 0 or the send error. */
int cable_conn_send_frame(cable_conn_t *c, payload_t *frame);
/* Disconnect ("remote") every open connection of this loop that used the
 * access token 'jti' / belongs to 'member_id'. Loop thread. */
void cable_conn_kick_token(net_loop_t *loop, const char *jti);
void cable_conn_kick_member(net_loop_t *loop, long long member_id);

#endif
