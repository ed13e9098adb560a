/* pubsub/control: control messages on the reserved stream. See control.h. */
#include "pubsub/control.h"

#include "core/err.h"
#include "core/payload.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int pubsub_control_revoke(pubsub_t *ps, const char *jti, int64_t exp)
{
    char msg[160];
    /* A jti is 1..63 characters of [0-9a-f] (we mint them), so it needs no
     * escaping; anything else is refused here rather than sent. */
    for (const char *p = jti; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '_'))
            return ERR_INVAL;
    int n = snprintf(msg, sizeof msg, "{\"type\":\"revoke_access_token\",\"jti\":\"%s\",\"exp\":%lld}",
                     jti, (long long)exp);
    if (n < 0 || (size_t)n >= sizeof msg) return ERR_INVAL;
    payload_t *p = payload_copy(msg, (size_t)n);
    int rc = pubsub_publish(ps, PUBSUB_CONTROL_STREAM, sizeof PUBSUB_CONTROL_STREAM - 1, p);
    payload_unref(p);
    return rc;
}

int pubsub_control_room_access(pubsub_t *ps, long long room_id, long long member_id)
{
    char msg[128];
    int n = snprintf(msg, sizeof msg,
                     "{\"type\":\"room_access_revoked\",\"room_id\":%lld,\"member_id\":%lld}",
                     room_id, member_id);
    payload_t *p = payload_copy(msg, (size_t)n);
    int rc = pubsub_publish(ps, PUBSUB_CONTROL_STREAM, sizeof PUBSUB_CONTROL_STREAM - 1, p);
    payload_unref(p);
    return rc;
}

int pubsub_control_is(const char *stream, size_t len)
{
    return len == sizeof PUBSUB_CONTROL_STREAM - 1 &&
           memcmp(stream, PUBSUB_CONTROL_STREAM, len) == 0;
}

int pubsub_control_parse(const char *json, size_t len, pubsub_control_t *out)
{
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(json, len, 0, NULL);
    if (!root) return ERR_INVAL;
    const char *type = json_string_value(json_object_get(root, "type"));
    const char *jti = json_string_value(json_object_get(root, "jti"));
    json_t *exp = json_object_get(root, "exp");
    int rc = ERR_INVAL;
    if (type && strcmp(type, "revoke_access_token") == 0 && jti && strlen(jti) > 0 &&
        strlen(jti) < sizeof out->jti && json_is_integer(exp)) {
        out->type = PUBSUB_CONTROL_REVOKE_TOKEN;
        snprintf(out->jti, sizeof out->jti, "%s", jti);
        out->exp = json_integer_value(exp);
        rc = 0;
    }
    if (type && strcmp(type, "room_access_revoked") == 0 &&
        json_is_integer(json_object_get(root, "room_id")) &&
        json_is_integer(json_object_get(root, "member_id"))) {
        out->type = PUBSUB_CONTROL_ROOM_ACCESS;
        out->room_id = json_integer_value(json_object_get(root, "room_id"));
        out->member_id = json_integer_value(json_object_get(root, "member_id"));
        rc = 0;
    }
    json_decref(root);
    return rc;
}
