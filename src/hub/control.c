/* hub/control: control messages between nodes. See control.h. */
#include "hub/control.h"

#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* A jti is what we mint (hex) or at most a URL-safe token: it needs no
 * JSON escaping, and anything else is refused on both ends. */
static int jti_valid(const char *jti)
{
    size_t n = strlen(jti);
    if (n == 0 || n >= HUB_CONTROL_JTI_MAX) return 0;
    for (const char *p = jti; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int hub_control_encode(const hub_control_t *c, buf_t *out)
{
    switch (c->type) {
    case HUB_CONTROL_REVOKE_TOKEN:
        if (!jti_valid(c->jti)) return ERR_INVAL;
        buf_printf(out, "{\"type\":\"revoke_access_token\",\"jti\":\"%s\",\"exp\":%lld}", c->jti,
                   (long long)c->exp);
        return 0;
    case HUB_CONTROL_ROOM_ACCESS:
        if (c->room_id <= 0 || c->member_id < 0) return ERR_INVAL;
        buf_printf(out, "{\"type\":\"room_access_revoked\",\"room_id\":%lld,\"member_id\":%lld}",
                   c->room_id, c->member_id);
        return 0;
    case HUB_CONTROL_MEMBER_DISABLED:
        if (c->member_id <= 0) return ERR_INVAL;
        buf_printf(out, "{\"type\":\"member_disabled\",\"member_id\":%lld}", c->member_id);
        return 0;
    }
    return ERR_INVAL;
}

/* An integer member >= min, or -1. */
static long long int_member(const json_t *root, const char *key, long long min)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_integer(v) || json_integer_value(v) < min) return -1;
    return json_integer_value(v);
}

int hub_control_parse(const char *json, size_t len, hub_control_t *out)
{
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return ERR_INVAL;
    }
    const char *type = json_string_value(json_object_get(root, "type"));
    int rc = ERR_INVAL;
    if (!type) {
        /* not a control message */
    } else if (strcmp(type, "revoke_access_token") == 0) {
        const char *jti = json_string_value(json_object_get(root, "jti"));
        json_t *exp = json_object_get(root, "exp");
        if (jti && jti_valid(jti) && json_is_integer(exp)) {
            out->type = HUB_CONTROL_REVOKE_TOKEN;
            snprintf(out->jti, sizeof out->jti, "%s", jti);
            out->exp = json_integer_value(exp);
            rc = 0;
        }
    } else if (strcmp(type, "room_access_revoked") == 0) {
        out->room_id = int_member(root, "room_id", 1);
        out->member_id = int_member(root, "member_id", 0);
        if (out->room_id > 0 && out->member_id >= 0) {
            out->type = HUB_CONTROL_ROOM_ACCESS;
            rc = 0;
        }
    } else if (strcmp(type, "member_disabled") == 0) {
        out->member_id = int_member(root, "member_id", 1);
        if (out->member_id > 0) {
            out->type = HUB_CONTROL_MEMBER_DISABLED;
            rc = 0;
        }
    }
    json_decref(root);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}
