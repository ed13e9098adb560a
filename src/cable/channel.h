/* cable/channel.h: what a channel is, and the registry of channels.
 *
 * A channel decides whether a subscription is allowed and names the stream
 * it listens to; the channels themselves live in src/channels/. The cable
 * layer owns subscriptions (one per identifier string per connection) and
 * subscribes them to their stream through the hub, so a channel never
 * touches the stream index. */
#ifndef CABLE_CHANNEL_H
#define CABLE_CHANNEL_H

#include "core/list.h"
#include "core/payload.h"
#include "hub/hub.h"

#include <jansson.h>
#include <stddef.h>

typedef struct cable_conn cable_conn_t;
typedef struct cable_sub cable_sub_t;
typedef struct cable_channel cable_channel_t;

struct cable__ext_sub;

struct cable_sub {
    /* read-only for channels */
    cable_conn_t *conn;        /* NULL once the connection went away while pending */
    const cable_channel_t *channel;
    char *identifier;          /* the client's exact identifier string, owned */
    size_t identifier_len;
    /* private */
    hub_sub_t _hub;            /* its place in the stream index */
    list_t _conn_node;
    struct cable__ext_sub *_ext; /* the extended protocol's state; NULL on plain connections */
};

struct cable_channel {
    const char *name;          /* the "channel" value of identifiers, e.g. "NotificationChannel" */
    /* Decide a subscribe. 'params' is the identifier object (borrowed).
     * Return 0 to allow it, with its stream's name written to 'stream';
     * ERR_FORBIDDEN (or any error) to reject; or ERR_AGAIN to answer later,
     * exactly once, with cable_sub_resolve on the same loop thread. */
    int (*subscribe)(cable_sub_t *sub, const json_t *params, char stream[HUB_STREAM_MAX]);
    /* A "message" command with data.action. NULL when the channel has no
     * actions. Return 0 when handled, ERR_NOT_FOUND for an unknown action. */
    int (*perform)(cable_sub_t *sub, const char *action, const json_t *data);
    /* The extended protocol: 1 when subscribers may whisper to each other
     * on the channel's stream (typing indicators). */
    int whisper;
    /* The extended protocol: NULL when the channel has no presence.
     * Otherwise the presence record of 'member', the member's public
     * fields as compact JSON (returns owned, NULL when the member is not
     * found). Blocking: runs on a worker thread. */
    char *(*presence_record)(long long community_id, long long member_id);
};

/* Register a channel (borrowed for the process lifetime). Not thread-safe:
 * call at start, before the loops run. */
void cable_channel_register(const cable_channel_t *ch);
/* Find a channel by name; NULL when unknown. */
const cable_channel_t *cable_channel_find(const char *name);

/* Answer a subscribe that returned ERR_AGAIN: 'stream' (when 'allowed') is
 * what it listens to; otherwise it is rejected. If the connection closed
 * meanwhile, the subscription is just freed. Loop thread only. */
void cable_sub_resolve(cable_sub_t *sub, int allowed, const char *stream);
/* 0 once the subscription's connection has gone (while it was pending). */
static inline int cable_sub_alive(const cable_sub_t *sub) { return sub->conn != NULL; }

/* The member and community the connection authenticated as. */
long long cable_conn_member_id(const cable_conn_t *c);
long long cable_conn_community_id(const cable_conn_t *c);

#endif
