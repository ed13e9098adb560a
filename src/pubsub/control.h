/* pubsub/control: control messages between nodes, carried on a reserved
 * stream next to the broadcasts, so every node hears them the same way
 * (in-process with the local adapter, over Redis with several nodes).
 *
 *   _cabled:control  {"type":"revoke_access_token","jti":"…","exp":1700000000}
 *   _cabled:control  {"type":"room_access_revoked","room_id":42,"member_id":7}
 *
 * No channel streams from a name starting with "_cabled:", so clients can
 * never subscribe to it. */
#ifndef PUBSUB_CONTROL_H
#define PUBSUB_CONTROL_H

#include "pubsub/pubsub.h"

#include <stdint.h>

#define PUBSUB_CONTROL_STREAM "_cabled:control"

enum pubsub_control_type { PUBSUB_CONTROL_REVOKE_TOKEN = 1, PUBSUB_CONTROL_ROOM_ACCESS };

typedef struct pubsub_control {
    enum pubsub_control_type type;
    char jti[64];
    int64_t exp;
    long long room_id;          /* ROOM_ACCESS: the room ... */
    long long member_id;        /* ... and the member who lost it (0: everyone) */
} pubsub_control_t;

/* Tell every node that the access token 'jti' (expiring at 'exp') is
 * revoked. Thread-safe. Returns 0 or the adapter's error. */
int pubsub_control_revoke(pubsub_t *ps, const char *jti, int64_t exp);
/* Tell every node that 'member_id' (0: every member) may no longer
 * receive room 'room_id': removed from it, or the room is gone. */
int pubsub_control_room_access(pubsub_t *ps, long long room_id, long long member_id);
/* 1 when 'stream' is the control stream. */
int pubsub_control_is(const char *stream, size_t len);
/* Parse a control message. Returns 0, or ERR_INVAL for one we do not know
 * (from a newer node, say), which the caller ignores. */
int pubsub_control_parse(const char *json, size_t len, pubsub_control_t *out);

#endif
