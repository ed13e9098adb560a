/* cable/server: the /cable endpoint: handshake policy, the connections of
 * each loop, pings and the shutdown drain.
 *
 * At the upgrade, the thread that accepted the socket checks the Origin
 * (403 before the upgrade), the WebSocket handshake (400 / 426) and the
 * member's token, all in memory. A bad token still gets the 101, then the
 * JSON disconnect and close 1000, as Action Cable does; a good one gets the
 * 101 and the welcome in one write, and joins its loop's connection list.
 *
 * Pings: one timer per loop, not per connection. Each tick frames one ping
 * and queues the same bytes on every open connection of the loop; the
 * connections flush together at the end of the loop pass.
 *
 * Drain (SIGTERM): every connection gets server_restart, spread over the
 * drain window so thousands of clients do not reconnect in one instant.
 *
 * Subprotocols: actioncable-v1-ext-json (AnyCable's extended protocol) is
 * chosen whenever the client offers it, otherwise actioncable-v1-json as
 * before. The member's token may come as Authorization: Bearer, X-JID,
 * a Sec-WebSocket-Protocol entry anycable-token.<token> (never echoed),
 * ?token= or ?jid=. An extended connection may ask its session back with
 * X-AnyCable-Restore-SID or ?sid= (cable/ext_session.c); a plain one's sid
 * is ignored.
 *
 * Compression: with cable_config_t.deflate, permessage-deflate (RFC 7692,
 * ws/deflate.h) is agreed with a client that offers it, always with
 * server_no_context_takeover, so a broadcast frame is compressed once per
 * identifier and window size on each loop (the hub's 'deflate' output) and
 * its bytes are shared like the plain frame's. Frames shorter than
 * deflate_min_bytes go uncompressed.
 *
 * Token lifetime: each ping tick also disconnects, with token_expired and
 * reconnect:false, every connection whose token has expired (a client's
 * token refresher then reconnects it), unless the client sent a fresh one
 * in band first (refresh_token). */
#ifndef CABLE_SERVER_H
#define CABLE_SERVER_H

#include "auth/community.h"
#include "http/server.h"
#include "hub/hub.h"
#include "net/loop.h"
#include "state/state.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cable_config {
    const auth_community_t *community; /* token key and Origin whitelist */
    hub_t *hub;                   /* where subscriptions live */
    unsigned ping_interval_ms;
    size_t max_message;           /* bytes */
    size_t max_identifier;        /* bytes of one subscription's identifier; longer: rejected */
    size_t max_subscriptions;     /* per connection; more are rejected */
    /* Whether a token's member exists and is active, asked once per member
     * this node does not know yet (auth/members.h): 1 yes, 0 no (refused
     * as unauthorized), < 0 the store failed (the token is trusted).
     * Blocking: runs on a worker thread. NULL: tokens alone decide. */
    int (*member_check)(long long community_id, long long member_id);
    unsigned linger_ms;           /* wait for the peer after our close frame */
    unsigned drain_ms;            /* spread server_restart over this window */
    state_t *state;               /* history, sessions and presence (the extended protocol) */
    unsigned whisper_rate;        /* whispers a connection may send each second */
    int deflate;                  /* agree on permessage-deflate when a client offers it */
    size_t deflate_min_bytes;     /* shorter messages go uncompressed even then */
} cable_config_t;

/* Keep 'cfg' (borrowed for the process lifetime). Call before the loops. */
void cable_server_init(const cable_config_t *cfg);
/* Per-loop setup and teardown, on the loop's thread. */
void cable_thread_init(net_loop_t *loop);
void cable_thread_deinit(net_loop_t *loop);
/* Free the per-loop state once the loop has run out of handles (every
 * connection's close callback has run). */
void cable_thread_free(net_loop_t *loop);
/* Start the shutdown drain on this loop's thread; 'done' runs on the same
 * thread once every cable connection of the loop is closed. */
void cable_thread_drain(net_loop_t *loop, void (*done)(net_loop_t *loop));
/* Open cable connections of the calling loop. */
size_t cable_thread_conn_count(void);

/* How the hub frames broadcasts for, and reaches, cable connections. */
extern const hub_output_t cable_hub_output;

/* Route handler for GET /cable. */
void cable_handle_upgrade(http_exchange_t *x, void *data);

#endif
