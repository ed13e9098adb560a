/* cable/ext_protocol: history requests and the extended protocol's server
 * messages. See ext_protocol.h. */
#include "cable/ext_protocol.h"

#include "core/err.h"
#include "core/json.h"

#include <math.h>
#include <string.h>

int cable_epoch_valid(const char *epoch, size_t len)
{
    if (len == 0 || len > CABLE_EPOCH_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = epoch[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* {"epoch": "...", "offset": n} */
static int read_position(const json_t *v, char epoch[CABLE_EPOCH_MAX + 1], uint64_t *offset)
{
    if (!json_is_object(v)) return -1;
    const json_t *e = json_object_get(v, "epoch");
    const json_t *o = json_object_get(v, "offset");
    if (!json_is_string(e) || !cable_epoch_valid(json_string_value(e), json_string_length(e)))
        return -1;
    if (!json_is_integer(o) || json_integer_value(o) < 0) return -1;
    memcpy(epoch, json_string_value(e), json_string_length(e) + 1);
    *offset = (uint64_t)json_integer_value(o);
    return 0;
}

int cable_history_parse(const json_t *h, const char *stream, cable_history_req_t *out,
                        const char **why)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(h)) {
        *why = "history must be an object";
        return ERR_PROTO;
    }
    const json_t *since = json_object_get(h, "since");
    int64_t since_s = 0;
    if (since && !json_is_null(since)) {
        double v = json_is_number(since) ? json_number_value(since) : -1;
        /* Beyond year 9999 is no clock's reading. */
        if (!(v >= 0 && v < 253402300800.0)) {
            *why = "since must be a number";
            return ERR_PROTO;
        }
        since_s = (int64_t)floor(v);
    }
    const json_t *streams = json_object_get(h, "streams");
    size_t nstreams = 0;
    cable_history_req_t r = {.since = since_s};
    if (streams && !json_is_null(streams)) {
        if (!json_is_object(streams)) {
            *why = "streams must be an object";
            return ERR_PROTO;
        }
        const char *name;
        const json_t *pos;
        json_object_foreach((json_t *)streams, name, pos)
        {
            char epoch[CABLE_EPOCH_MAX + 1];
            uint64_t offset;
            if (read_position(pos, epoch, &offset) != 0) {
                *why = "bad stream position";
                return ERR_PROTO;
            }
            nstreams++;
            if (stream && strcmp(name, stream) == 0) {
                r.has_position = 1;
                memcpy(r.epoch, epoch, sizeof epoch);
                r.offset = offset;
            }
        }
    }
    if (since_s == 0 && nstreams == 0) {
        *why = "history asks for nothing";
        return ERR_PROTO;
    }
    *out = r;
    return 0;
}

/* ---- server messages ------------------------------------------------------ */

void cable_ext_append_welcome(buf_t *out, const char *sid, const char *const *restored_ids,
                              const size_t *restored_lens, size_t count)
{
    buf_puts(out, "{\"type\":\"welcome\",\"sid\":");
    json_append_string(out, sid, strlen(sid));
    /* The client treats a restored welcome without restored_ids as "every
     * channel restored": the list is always sent, even empty. */
    buf_puts(out, ",\"restored\":true,\"restored_ids\":[");
    for (size_t i = 0; i < count; i++) {
        if (i) buf_append(out, ",", 1);
        json_append_string(out, restored_ids[i], restored_lens[i]);
    }
    buf_puts(out, "]}");
}

void cable_ext_append_message(buf_t *out, const char *identifier, size_t id_len,
                              const char *message, size_t message_len, const char *stream,
                              size_t stream_len, const char *epoch, uint64_t offset)
{
    buf_puts(out, "{\"identifier\":");
    json_append_string(out, identifier, id_len);
    buf_puts(out, ",\"message\":");
    buf_append(out, message, message_len);
    buf_puts(out, ",\"stream_id\":");
    json_append_string(out, stream, stream_len);
    buf_puts(out, ",\"epoch\":");
    json_append_string(out, epoch, strlen(epoch));
    buf_printf(out, ",\"offset\":%llu}", (unsigned long long)offset);
}

static void append_typed(buf_t *out, const char *identifier, size_t len, const char *type)
{
    buf_puts(out, "{\"identifier\":");
    json_append_string(out, identifier, len);
    buf_puts(out, ",\"type\":\"");
    buf_puts(out, type);
    buf_puts(out, "\"");
}

void cable_ext_append_confirm_history(buf_t *out, const char *identifier, size_t len)
{
    append_typed(out, identifier, len, "confirm_history");
    buf_puts(out, "}");
}

void cable_ext_append_reject_history(buf_t *out, const char *identifier, size_t len,
                                     const char *stream)
{
    append_typed(out, identifier, len, "reject_history");
    buf_puts(out, ",\"streams\":[");
    if (stream) json_append_string(out, stream, strlen(stream));
    buf_puts(out, "]}");
}

void cable_ext_append_presence(buf_t *out, const char *identifier, size_t len, const char *message,
                               size_t message_len)
{
    buf_puts(out, "{\"type\":\"presence\",\"identifier\":");
    json_append_string(out, identifier, len);
    buf_puts(out, ",\"message\":");
    buf_append(out, message, message_len);
    buf_puts(out, "}");
}

void cable_ext_append_reject_whisper(buf_t *out, const char *identifier, size_t len,
                                     const char *reason)
{
    append_typed(out, identifier, len, "reject_whisper");
    buf_puts(out, ",\"reason\":");
    json_append_string(out, reason, strlen(reason));
    buf_puts(out, "}");
}

void cable_ext_append_token_refreshed(buf_t *out, int64_t exp)
{
    buf_printf(out, "{\"type\":\"token_refreshed\",\"exp\":%lld}", (long long)exp);
}

void cable_ext_append_token_refresh_rejected(buf_t *out, const char *reason)
{
    buf_puts(out, "{\"type\":\"token_refresh_rejected\",\"reason\":");
    json_append_string(out, reason, strlen(reason));
    buf_puts(out, "}");
}
