/* api/broadcast: POST /api/v1/broadcast, how a host application pushes a
 * payload to every subscriber of a stream.
 *
 *   {"stream":"chat-room-42-channel","data":{...}}      one broadcast
 *   [{"stream":…,"data":…}, …]                          a batch, all or nothing
 *
 * 'data' may be any JSON value. It is re-encoded the way Action Cable
 * re-encodes broadcasts (compact, HTML-safe escapes), with numbers kept as
 * the publisher wrote them, and handed to the hub once. The whole body is
 * validated before anything is published, so a batch with one bad entry
 * publishes nothing. The 202 is sent once every node can see every
 * broadcast of the request (with Redis: once Redis has acknowledged them),
 * so a publisher that waits for it never sees its next broadcast overtake
 * this one on another node. Streams beginning "_cabled:" are the server's
 * own and are refused. */
#include "api/api.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/payload.h"
#include "http/server.h"
#include "hub/hub.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (s && hub_stream_reserved(json_string_value(s), slen)) {
        json_decref(s);
        *why = "stream names beginning with _cabled: are reserved";
        return -1;
    }
    if (!s || !hub_stream_name_valid(json_string_value(s), slen)) {
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

/* A request's broadcasts on their way: the answer waits for the last. */
struct batch {
    http_exchange_t *x;        /* deferred */
    net_loop_t *loop;
    size_t count;
    atomic_size_t remaining;   /* one per broadcast, plus the handler's own */
    struct batch_item {
        pubsub_done_t done;
        struct batch *batch;
    } items[];
};

static void respond(struct batch *b)
{
    char resp[64];
    int n = snprintf(resp, sizeof resp, "{\"success\":true,\"broadcasts\":%zu}", b->count);
    http_respond_json(b->x, 202, resp, (size_t)n);
    free(b);
}

static void respond_on_loop(net_loop_t *loop, void *arg)
{
    (void)loop;
    respond(arg);
}

static void batch_release(struct batch *b)
{
    if (atomic_fetch_sub(&b->remaining, 1) != 1) return;
    if (net_loop_current() == b->loop)
        respond(b);
    else if (net_loop_post(b->loop, respond_on_loop, b) != 0)
        free(b); /* the loop is gone, and the client with it */
}

static void on_item_done(pubsub_done_t *done, int status)
{
    struct batch_item *it = (struct batch_item *)done;
    /* A broadcast queued while the pub/sub link is down (ERR_AGAIN) goes
     * out when it returns; either way the request is answered. */
    if (status != 0 && status != ERR_AGAIN) log_warn("api broadcast not published err=%d", status);
    batch_release(it->batch);
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
        struct batch *b = xmalloc(sizeof *b + count * sizeof b->items[0]);
        b->x = http_exchange_defer(x);
        b->loop = x->conn->loop;
        b->count = count;
        atomic_init(&b->remaining, count + 1);
        for (size_t i = 0; i < count; i++) {
            b->items[i].done.cb = on_item_done;
            b->items[i].batch = b;
            hub_streams_t streams = HUB_STREAMS_INIT;
            hub_streams_add(&streams, items[i].stream, strlen(items[i].stream));
            if (hub_publish_async(ctx->hub, &streams, items[i].message, &b->items[i].done) != 0)
                batch_release(b);
            hub_streams_deinit(&streams);
        }
        log_debug("api broadcast count=%zu", count);
        batch_release(b);
    }
    for (size_t i = 0; i < count; i++) {
        free(items[i].stream);
        payload_unref(items[i].message);
    }
    free(items);
    if (why) http_respond_error(x, 400, why);
}

void api__broadcast_register(http_router_t *r, const api_context_t *ctx)
{
    http_router_add(r, HTTP_POST, "/api/v1/broadcast", on_broadcast, (void *)ctx);
}
