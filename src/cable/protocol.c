/* cable/protocol: Action Cable commands and server messages, see protocol.h.
 *
 * A command is read in place with core/json's spans (no tree is built for
 * it; the last duplicate member wins, as in Ruby's JSON.parse, and numbers
 * of any size are just text, as Ruby reads them): its "command", its
 * "identifier" string with the JSON escaping of the outer message undone,
 * and a message's "data" string. The identifier keeps the client's exact
 * characters; its own JSON is parsed (with jansson, through json_decode so
 * that numbers beyond 64 bits do not make it invalid) only when a channel
 * needs its parameters. Server messages are written directly with
 * core/json's escaping in Action Cable's key order. */
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

static int command_type(const char *s, size_t len)
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
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, s, len) == 0)
            return names[i].type;
    return 0;
}

/* Member 'key' of the command object: 1 found, 0 absent. */
static int member(const char *msg, size_t len, const char *key, json_span_t *out)
{
    return json_span_member(msg, len, key, out) == 1;
}

/* Member 'key' of the command object, present and not null. */
static int present(const char *msg, size_t len, const char *key, json_span_t *out)
{
    return member(msg, len, key, out) && json_span_kind(*out) != 'z';
}

int cable_command_parse(const char *msg, size_t len, cable_command_t *cmd, const char **why)
{
    memset(cmd, 0, sizeof *cmd);
    json_span_t command, identifier, data, span;
    int found = json_span_member(msg, len, "command", &command);
    if (found == ERR_JSON) {
        *why = "invalid JSON";
        return ERR_JSON;
    }
    /* The document is valid JSON from here on. */
    json_span_t whole = {msg, len};
    while (whole.len && strchr(" \t\r\n", whole.p[0])) whole.p++, whole.len--;
    if (json_span_kind(whole) != 'o') {
        *why = "not an object";
        return ERR_PROTO;
    }
    if (!found || json_span_kind(command) == 'z') {
        *why = "missing command";
        return ERR_PROTO;
    }
    buf_t text = BUF_INIT;
    int type = json_span_string(command, &text) == 0 ? command_type(buf_head(&text), text.len) : 0;
    buf_reset(&text);
    int rc = ERR_PROTO;
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
        if (!member(msg, len, "token", &span) || json_span_string(span, &text) != 0 ||
            text.len == 0 || memchr(buf_head(&text), '\0', text.len)) {
            *why = "token must be a string";
            goto done;
        }
        cmd->type = type;
        cmd->token = dup_bytes(buf_head(&text), text.len);
        rc = 0;
        goto done;
    }
    if (!member(msg, len, "identifier", &identifier) || json_span_string(identifier, &text) != 0) {
        *why = "identifier must be a string";
        goto done;
    }
    if (memchr(buf_head(&text), '\0', text.len)) {
        *why = "identifier contains NUL";
        goto done;
    }
    int has_data = type == CABLE_CMD_MESSAGE && present(msg, len, "data", &data);
    if (has_data && json_span_kind(data) != 's') {
        *why = "data must be a string";
        goto done;
    }
    /* A whisper's data is any JSON value, passed on as the client wrote it
     * (numbers included), compacted. */
    buf_t whisper = BUF_INIT;
    if (type == CABLE_CMD_WHISPER &&
        (!present(msg, len, "data", &span) ||
         json_append_compact(&whisper, span.p, span.len) != 0)) {
        buf_deinit(&whisper);
        *why = "whisper without data";
        goto done;
    }
    cmd->type = type;
    cmd->identifier = dup_bytes(buf_head(&text), text.len);
    cmd->identifier_len = text.len;
    if (has_data) {
        buf_reset(&text);
        json_span_string(data, &text);
        cmd->data_len = text.len;
        cmd->data = dup_bytes(buf_head(&text), text.len);
    } else if (type == CABLE_CMD_WHISPER) {
        cmd->data_len = whisper.len;
        cmd->data = dup_bytes(buf_head(&whisper), whisper.len);
        buf_deinit(&whisper);
    }
    /* The extended protocol's members: a tree only for "history", which
     * cable_history_parse reads. */
    if ((type == CABLE_CMD_SUBSCRIBE || type == CABLE_CMD_HISTORY) &&
        present(msg, len, "history", &span))
        cmd->history = json_decode(span.p, span.len, JSON_DECODE_ANY | JSON_ALLOW_NUL);
    if (type == CABLE_CMD_SUBSCRIBE || type == CABLE_CMD_JOIN)
        cmd->presence = present(msg, len, "presence", &span);
    if (type == CABLE_CMD_PRESENCE) {
        json_span_t records;
        cmd->presence = !(member(msg, len, "data", &span) && json_span_kind(span) == 'o' &&
                          json_span_member(span.p, span.len, "return_records", &records) == 1 &&
                          json_span_kind(records) == 'f');
    }
    rc = 0;
done:
    buf_deinit(&text);
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
