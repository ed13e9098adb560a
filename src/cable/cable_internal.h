/* cable/cable_internal.h: what the files of the cable layer share:
 * server.c owns the configuration and each loop's list of connections,
 * conn.c the connections themselves. Included by the files of src/cable/ only. */
#ifndef CABLE_CABLE_INTERNAL_H
#define CABLE_CABLE_INTERNAL_H

#include "cable/conn.h"
#include "hub/hub.h"
#include "ws/endpoint.h"

/* Set by cable_server_init: the WebSocket limits, the hub, and the limits
 * of the cable layer (server.h, cable_config_t). */
extern const ws_endpoint_config_t *cable__ws_config;
extern hub_t *cable__hub;
extern size_t cable__max_identifier;
extern size_t cable__max_subscriptions;
/* cable_config_t.member_check (NULL: tokens are trusted alone). */
extern int (*cable__member_check)(long long community_id, long long member_id);
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
int cable__sub_send(hub_sub_t *sub, payload_t *frame);

#endif
