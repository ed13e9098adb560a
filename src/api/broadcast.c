/* api/broadcast: POST /api/v1/broadcast, how a host application pushes a
 * payload to every subscriber of a stream.
 *
 *   {"stream":"chat-room-42-channel","data":{...}}      one broadcast
 *   [{"stream":…,"data":…}, …]                          a batch, all or nothing
 *
 * 'data' may be any JSON value. It is re-encoded the way Action Cable
 * re-encodes broadcasts (compact, HTML-safe escapes), with numbers kept as
 * the publisher wrote them, and handed to the pub/sub adapter once. The
 * whole body is validated before anything is published, so a batch with
 * one bad entry publishes nothing. */
#include "api/api.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/payload.h"
#include "http/server.h"

#include <stdlib.h>
#include <string.h>

/* Longest accepted stream name. Action Cable has no limit; ours keeps the
 * index and the log lines bounded. */
#define STREAM_MAX 512
/* Most broadcasts in one batch. */
#define BATCH_MAX 1000

struct item {
    char *stream;
    payload_t *message;
};

/* Parse one {"stream","data"} object. Returns -1 and sets *why on error. */
static int parse_item(json_span_t obj, struct item *out, const char **why)
{
    if (json_span_kind(obj) != 'o') {
        *why = "each broadcast must be an object with stream and data";
        return -1;
    }
    json_span_t stream, data;
    if (json_span_member(obj.p, obj.len, "stream", &stream) != 1 ||
        json_span_kind(stream) != 's') {
        *why = "stream is required and must be a string";
        return -1;
    }
    if (json_span_member(obj.p, obj.len, "data", &data) != 1) {
        *why = "data is required";
        return -1;
    }
    json_error_t err;
    json_t *s = json_loadb(stream.p, stream.len, JSON_DECODE_ANY, &err);
    size_t slen = s ? json_string_length(s) : 0;
    if (!s || slen == 0 || slen > STREAM_MAX || memchr(json_string_value(s), 0, slen)) {
        json_decref(s);
        *why = "stream must be a non-empty string of at most 512 bytes";
        return -1;
    }
    buf_t msg = BUF_INIT;
    if (json_append_compact(&msg, data.p, data.len) != 0) {
        buf_deinit(&msg);
        json_decref(s);
        *why = "data is not valid JSON";
        return -1;
    }
    out->stream = xstrndup(json_string_value(s), slen);
    out->message = payload_copy(buf_head(&msg), msg.len);
    buf_deinit(&msg);
    json_decref(s);
    return 0;
}

static void on_broadcast(http_exchange_t *x, void *data)
{
    const api_context_t *ctx = data;
    if (!api__require_app_token(x, ctx)) return;
    const char *body = x->req->body;
    size_t len = x->req->body_len;
    json_span_t whole;
    buf_t check = BUF_INIT;
    int valid = body && json_append_compact(&check, body, len) == 0;
    buf_deinit(&check);
    if (!valid) {
        http_respond_error(x, 400, "Request body is not valid JSON");
        return;
    }
    /* Trim to the value itself for the span helpers. */
    whole.p = body;
    whole.len = len;
    while (whole.len && strchr(" \t\r\n", whole.p[0])) whole.p++, whole.len--;

    struct item *items = NULL;
    size_t count = 0;
    const char *why = NULL;
    if (json_span_kind(whole) == 'a') {
        size_t pos = 0;
        json_span_t el;
        items = xcalloc(BATCH_MAX, sizeof *items);
        while (!why && json_span_next(whole.p, whole.len, &pos, &el) == 1) {
            if (count == BATCH_MAX) {
                why = "at most 1000 broadcasts per request";
                break;
            }
            if (parse_item(el, &items[count], &why) == 0) count++;
        }
        if (!why && count == 0) why = "the batch is empty";
    } else {
        items = xcalloc(1, sizeof *items);
        if (parse_item(whole, &items[0], &why) == 0) count = 1;
    }
    if (!why) {
        for (size_t i = 0; i < count; i++)
            pubsub_publish(ctx->pubsub, items[i].stream, strlen(items[i].stream), items[i].message);
    }
    for (size_t i = 0; i < count; i++) {
        free(items[i].stream);
        payload_unref(items[i].message);
    }
    free(items);
    if (why) {
        http_respond_error(x, 400, why);
        return;
    }
    log_debug("api broadcast count=%zu", count);
    char resp[64];
    int n = snprintf(resp, sizeof resp, "{\"success\":true,\"broadcasts\":%zu}", count);
    http_respond_json(x, 202, resp, (size_t)n);
}

void api__broadcast_register(http_router_t *r, const api_context_t *ctx)
{
    http_router_add(r, HTTP_POST, "/api/v1/broadcast", on_broadcast, (void *)ctx);
}
