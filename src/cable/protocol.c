/* cable/protocol: Action Cable commands and server messages, see protocol.h.
 *
 * Client commands are small, so they are decoded with jansson (last duplicate
 * member wins, as in Ruby's JSON.parse), through json_decode so that numbers
 * beyond 64 bits, which Ruby reads without complaint, do not make a command
 * or an identifier invalid. The identifier keeps the client's
 * exact characters: jansson only undoes the JSON string escaping of the outer
 * message, and the inner JSON is parsed separately when a channel needs its
 * parameters. Server messages are written directly with core/json's escaping
 * in Action Cable's key order. */
#include "cable/protocol.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/json.h"

/* ---- client commands ------------------------------------------------------ */

static char *dup_bytes(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static int command_type(const json_t *v)
{
    static const struct {
        const char *name;
        int type;
    } names[] = {
        {"subscribe", CABLE_CMD_SUBSCRIBE},
        {"unsubscribe", CABLE_CMD_UNSUBSCRIBE},
        {"message", CABLE_CMD_MESSAGE},
        {"history", CABLE_CMD_HISTORY},
        {"whisper", CABLE_CMD_WHISPER},
        {"join", CABLE_CMD_JOIN},
        {"leave", CABLE_CMD_LEAVE},
        {"presence", CABLE_CMD_PRESENCE},
        {"pong", CABLE_CMD_PONG},
        {"refresh_token", CABLE_CMD_REFRESH_TOKEN},
    };
    if (!json_is_string(v)) return 0;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, s, len) == 0)
            return names[i].type;
    return 0;
}

int cable_command_parse(const char *msg, size_t len, cable_command_t *cmd, const char **why)
{
    memset(cmd, 0, sizeof *cmd);
    /* JSON_ALLOW_NUL so that a \u0000 inside the identifier is reported as
     * such instead of as malformed JSON; the lengths below carry it. */
    json_t *root = json_decode(msg, len, JSON_DECODE_ANY | JSON_ALLOW_NUL);
    if (!root) {
        *why = "invalid JSON";
        return ERR_JSON;
    }
    int rc = ERR_PROTO;
    if (!json_is_object(root)) {
        *why = "not an object";
        goto done;
    }
    json_t *command = json_object_get(root, "command");
    if (!command || json_is_null(command)) {
        *why = "missing command";
        goto done;
    }
    int type = command_type(command);
    if (type == 0) {
        *why = "unknown command";
        goto done;
    }
    if (type == CABLE_CMD_PONG) {
        cmd->type = type;
        rc = 0;
        goto done;
    }
    if (type == CABLE_CMD_REFRESH_TOKEN) {
        json_t *token = json_object_get(root, "token");
        if (!json_is_string(token) || json_string_length(token) == 0 ||
            memchr(json_string_value(token), '\0', json_string_length(token))) {
            *why = "token must be a string";
            goto done;
        }
        cmd->type = type;
        cmd->token = dup_bytes(json_string_value(token), json_string_length(token));
        rc = 0;
        goto done;
    }
    json_t *identifier = json_object_get(root, "identifier");
    if (!json_is_string(identifier)) {
        *why = "identifier must be a string";
        goto done;
    }
    const char *id = json_string_value(identifier);
    size_t id_len = json_string_length(identifier);
    if (memchr(id, '\0', id_len)) {
        *why = "identifier contains NUL";
        goto done;
    }
    json_t *data = type == CABLE_CMD_MESSAGE ? json_object_get(root, "data") : NULL;
    if (data && !json_is_null(data) && !json_is_string(data)) {
        *why = "data must be a string";
        goto done;
    }
    /* A whisper's data is any JSON value, passed on as the client wrote it
     * (numbers included), so it is taken from the text, not from jansson. */
    buf_t whisper = BUF_INIT;
    if (type == CABLE_CMD_WHISPER) {
        json_span_t span;
        json_t *w = json_object_get(root, "data");
        if (!w || json_is_null(w) || json_span_member(msg, len, "data", &span) != 1 ||
            json_append_compact(&whisper, span.p, span.len) != 0) {
            buf_deinit(&whisper);
            *why = "whisper without data";
            goto done;
        }
    }
    cmd->type = type;
    cmd->identifier = dup_bytes(id, id_len);
    cmd->identifier_len = id_len;
    if (json_is_string(data)) {
        cmd->data_len = json_string_length(data);
        cmd->data = dup_bytes(json_string_value(data), cmd->data_len);
    } else if (type == CABLE_CMD_WHISPER) {
        cmd->data_len = whisper.len;
        cmd->data = dup_bytes(buf_head(&whisper), whisper.len);
        buf_deinit(&whisper);
    }
    if (type == CABLE_CMD_SUBSCRIBE || type == CABLE_CMD_HISTORY) {
        json_t *h = json_object_get(root, "history");
        if (h && !json_is_null(h)) cmd->history = json_incref(h);
    }
    if (type == CABLE_CMD_SUBSCRIBE || type == CABLE_CMD_JOIN) {
        json_t *p = json_object_get(root, "presence");
        cmd->presence = p && !json_is_null(p);
    }
    if (type == CABLE_CMD_PRESENCE) {
        json_t *d = json_object_get(root, "data");
        cmd->presence = !json_is_false(json_object_get(d, "return_records"));
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

void cable_command_deinit(cable_command_t *cmd)
{
    free(cmd->identifier);
    free(cmd->data);
    free(cmd->token);
    json_decref(cmd->history);
    memset(cmd, 0, sizeof *cmd);
}

json_t *cable_identifier_parse(const char *identifier, size_t len, const char **why)
{
    json_t *root = json_decode(identifier, len, JSON_DECODE_ANY);
    if (!root) {
        *why = "identifier is not valid JSON";
        return NULL;
    }
    if (!json_is_object(root)) {
        *why = "identifier is not an object";
        json_decref(root);
        return NULL;
    }
    if (!json_is_string(json_object_get(root, "channel"))) {
        *why = "channel must be a string";
        json_decref(root);
        return NULL;
    }
    return root;
}

int cable_param_id(const json_t *params, const char *key, long long *out)
{
    json_t *v = json_object_get(params, key);
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n <= 0) return -1;
        *out = (long long)n;
        return 1;
    }
    if (!json_is_string(v)) return -1;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0) return -1;
    long long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        int d = s[i] - '0';
        if (n > (LLONG_MAX - d) / 10) return -1;
        n = n * 10 + d;
    }
    if (n == 0) return -1;
    *out = n;
    return 1;
}

json_t *cable_data_parse(const char *data, size_t len, const char **action, const char **why)
{
    *action = NULL;
    json_t *root = json_decode(data, len, JSON_DECODE_ANY);
    if (!root) {
        *why = "data is not valid JSON";
        return NULL;
    }
    if (!json_is_object(root)) {
        *why = "data is not an object";
        json_decref(root);
        return NULL;
    }
    json_t *a = json_object_get(root, "action");
    if (a && !json_is_null(a) && !json_is_string(a)) {
        *why = "action must be a string";
        json_decref(root);
        return NULL;
    }
    /* Action Cable uses data["action"].presence || :receive. */
    if (json_is_string(a) && json_string_length(a) > 0) *action = json_string_value(a);
    return root;
}

/* ---- server messages ------------------------------------------------------ */

void cable_append_welcome(buf_t *out, const char *sid)
{
    buf_puts(out, "{\"type\":\"welcome\",\"sid\":");
    json_append_string(out, sid, strlen(sid));
    buf_append(out, "}", 1);
}

void cable_append_ping(buf_t *out, int64_t unix_s)
{
    buf_printf(out, "{\"type\":\"ping\",\"message\":%lld}", (long long)unix_s);
}

static void append_subscription(buf_t *out, const char *identifier, size_t len, const char *type)
{
    buf_puts(out, "{\"identifier\":");
    json_append_string(out, identifier, len);
    buf_puts(out, ",\"type\":\"");
    buf_puts(out, type);
    buf_puts(out, "\"}");
}

void cable_append_confirm(buf_t *out, const char *identifier, size_t len)
{
    append_subscription(out, identifier, len, "confirm_subscription");
}

void cable_append_reject(buf_t *out, const char *identifier, size_t len)
{
    append_subscription(out, identifier, len, "reject_subscription");
}

void cable_append_disconnect(buf_t *out, const char *reason, int reconnect)
{
    buf_puts(out, "{\"type\":\"disconnect\",\"reason\":");
    json_append_string(out, reason, strlen(reason));
    buf_puts(out, reconnect ? ",\"reconnect\":true}" : ",\"reconnect\":false}");
}

void cable_append_message(buf_t *out, const char *identifier, size_t id_len,
                          const char *message_json, size_t message_len)
{
    buf_puts(out, "{\"identifier\":");
    json_append_string(out, identifier, id_len);
    buf_puts(out, ",\"message\":");
    buf_append(out, message_json, message_len);
    buf_append(out, "}", 1);
}
