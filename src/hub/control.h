/* hub/control: the control messages nodes send each other, on the reserved
 * stream HUB_STREAM_CONTROL next to the broadcasts, so every node hears
 * them the same way (in-process with the local adapter, over Redis in a
 * cluster):
 *
 *   {"type":"revoke_access_token","jti":"…","exp":1700000000}
 *   {"type":"room_access_revoked","room_id":42,"member_id":7}    member 0: everyone
 *   {"type":"member_disabled","member_id":7}
 *
 * This file only encodes and parses them (pure; the parser reads bytes from
 * the network and has a fuzz target); the hub acts on them. */
#ifndef HUB_CONTROL_H
#define HUB_CONTROL_H

#include "core/buf.h"

#include <stdint.h>

enum hub_control_type {
    HUB_CONTROL_REVOKE_TOKEN = 1, /* an access token is revoked: refuse it, cut its sockets */
    HUB_CONTROL_ROOM_ACCESS,      /* a member (or everyone) may no longer receive a room */
    HUB_CONTROL_MEMBER_DISABLED,  /* a member is gone: cut every socket of theirs */
};

#define HUB_CONTROL_JTI_MAX 64

typedef struct hub_control {
    enum hub_control_type type;
    char jti[HUB_CONTROL_JTI_MAX]; /* REVOKE_TOKEN: [0-9A-Za-z_-]{1,63} */
    int64_t exp;                   /* REVOKE_TOKEN: when the token expires anyway (unix s) */
    long long room_id;             /* ROOM_ACCESS: the room, > 0 */
    long long member_id;           /* ROOM_ACCESS (0: everyone), MEMBER_DISABLED (> 0) */
} hub_control_t;

/* Append the JSON of 'c' to 'out'. Returns 0, or ERR_INVAL when a field is
 * out of its range (nothing appended). */
int hub_control_encode(const hub_control_t *c, buf_t *out);
/* Parse a control message. Returns 0, or ERR_INVAL for one that is
 * malformed or of a type this node does not know (a newer node's, say),
 * which the caller logs and ignores. */
int hub_control_parse(const char *json, size_t len, hub_control_t *out);

#endif
