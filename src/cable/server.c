/* cable/server: the /cable upgrade, per-loop connection lists, pings and
 * the drain. See server.h. */
#include "cable/server.h"

#include "auth/members.h"
#include "auth/revoked.h"
#include "auth/token.h"
#include "cable/cable_internal.h"
#include "cable/protocol.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "ws/deflate.h"
#include "ws/frame.h"
#include "ws/handshake.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Drain ticks: the window is cut into this many slices. */
#define DRAIN_SLICES 20

struct cable_thread {
    net_loop_t *loop;
    list_t conns;              /* open cable_conn_t._thread_node */
    size_t count;
    size_t alive;              /* every cable connection whose socket is not yet closed */
    int draining;
    uint64_t drain_deadline;   /* uv_now() after which the drain stops waiting */
    uv_timer_t ping;
    uv_timer_t drain;
    unsigned drain_ticks_left;
    void (*drain_done)(net_loop_t *loop);
};

static const cable_config_t *config;
static ws_endpoint_config_t ws_config;
const ws_endpoint_config_t *cable__ws_config = &ws_config;
hub_t *cable__hub;
size_t cable__max_identifier;
size_t cable__max_subscriptions;
int (*cable__member_check)(long long community_id, long long member_id);
state_t *cable__state;
unsigned cable__whisper_rate;
const struct auth_community *cable__community;
static _Thread_local struct cable_thread *thread;

#define EXT_PROTOCOL "actioncable-v1-ext-json"
#define TOKEN_PROTOCOL_PREFIX "anycable-token."

/* In our order of preference: the extended protocol whenever it is
 * offered (its clients never offer both); then the one the official
 * Rails client offers first and is the only one it accepts back. */
static const char *const subprotocols[] = {EXT_PROTOCOL, "actioncable-v1-json",
                                           "actioncable-unsupported", NULL};

void cable_server_init(const cable_config_t *cfg)
{
    config = cfg;
    cable__hub = cfg->hub;
    cable__max_identifier = cfg->max_identifier;
    cable__max_subscriptions = cfg->max_subscriptions;
    cable__member_check = cfg->member_check;
    cable__state = cfg->state;
    cable__whisper_rate = cfg->whisper_rate;
    cable__community = cfg->community;
    ws_config.max_message = cfg->max_message;
    ws_config.linger_ms = cfg->linger_ms;
    ws_config.deflate_min_bytes = cfg->deflate_min_bytes;
}

size_t cable_thread_conn_count(void)
{
    return thread ? thread->count : 0;
}

void cable__thread_add(cable_conn_t *c)
{
    list_insert_tail(&thread->conns, &c->_thread_node);
    thread->count++;
}

void cable__thread_remove(cable_conn_t *c)
{
    list_unlink(&c->_thread_node);
    thread->count--;
}

int cable__draining(void)
{
    return thread && thread->draining;
}

list_t *cable__thread_conns(void)
{
    return thread ? &thread->conns : NULL;
}

void cable__thread_opened(void)
{
    thread->alive++;
}

void cable__thread_closed(void)
{
    thread->alive--;
}

/* ---- pings --------------------------------------------------------------- */

static void on_ping(uv_timer_t *t)
{
    struct cable_thread *th = t->data;
    if (th->count == 0) return;
    int64_t now = clock_unix_s();
    uint64_t now_ms = uv_now(&th->loop->uv);
    buf_t b = BUF_INIT;
    cable_append_ping(&b, now);
    payload_t *frame = ws_frame_build(WS_OP_TEXT, buf_head(&b), b.len);
    buf_deinit(&b);
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &th->conns)
    {
        cable_conn_t *c = LIST_ENTRY(it, cable_conn_t, _thread_node);
        /* A token is good until its exp, not for as long as the socket
         * lives: reconnect:false makes the client's refresher run. */
        if (c->claims.exp <= now) {
            cable_conn_disconnect(c, "token_expired", 0);
            continue;
        }
        if (cable_conn_send_frame(c, frame) == 0 && c->_ext) cable__ext_tick(c, now_ms);
    }
    payload_unref(frame);
}

void cable_thread_init(net_loop_t *loop)
{
    struct cable_thread *th = xcalloc(1, sizeof *th);
    th->loop = loop;
    list_init(&th->conns);
    uv_timer_init(&loop->uv, &th->ping);
    th->ping.data = th;
    uv_timer_start(&th->ping, on_ping, config->ping_interval_ms, config->ping_interval_ms);
    uv_timer_init(&loop->uv, &th->drain);
    th->drain.data = th;
    thread = th;
}

void cable_thread_deinit(net_loop_t *loop)
{
    (void)loop;
    struct cable_thread *th = thread;
    if (!th) return;
    /* The state stays until cable_thread_free: connections still being
     * closed unlink themselves from it. */
    uv_close((uv_handle_t *)&th->ping, NULL);
    uv_close((uv_handle_t *)&th->drain, NULL);
}

void cable_thread_free(net_loop_t *loop)
{
    (void)loop;
    free(thread);
    thread = NULL;
    /* Every connection is gone: nothing compresses on this thread again. */
    ws_deflate_thread_free();
}

/* ---- drain --------------------------------------------------------------- */

static void on_drain(uv_timer_t *t)
{
    struct cable_thread *th = t->data;
    if (th->drain_ticks_left > 0) {
        /* Disconnect an equal share of what is left in each slice. */
        size_t n = (th->count + th->drain_ticks_left - 1) / th->drain_ticks_left;
        th->drain_ticks_left--;
        while (n-- > 0 && !list_empty(&th->conns)) {
            cable_conn_t *c = LIST_ENTRY(th->conns.next, cable_conn_t, _thread_node);
            cable_conn_disconnect(c, "server_restart", 1);
        }
        if (th->drain_ticks_left == 0)
            th->drain_deadline = uv_now(&th->loop->uv) + config->linger_ms + 100;
        return;
    }
    /* Every client was told; wait for their close handshakes (or the
     * linger time) before the loop stops. */
    if (th->alive > 0 && uv_now(&th->loop->uv) < th->drain_deadline) return;
    uv_timer_stop(&th->drain);
    if (th->drain_done) {
        void (*done)(net_loop_t *) = th->drain_done;
        th->drain_done = NULL;
        done(th->loop);
    }
}

void cable_thread_drain(net_loop_t *loop, void (*done)(net_loop_t *loop))
{
    struct cable_thread *th = thread;
    (void)loop;
    th->drain_done = done;
    th->draining = 1;
    th->drain_ticks_left = DRAIN_SLICES;
    uv_timer_stop(&th->ping);
    unsigned slice = config->drain_ms / DRAIN_SLICES;
    uv_timer_start(&th->drain, on_drain, 0, slice ? slice : 1);
}

/* ---- what the hub needs ------------------------------------------------- */

static payload_t *frame_message(const char *identifier, size_t len, const payload_t *message,
                                const hub_frame_spec_t *spec)
{
    buf_t text = BUF_INIT;
    if (spec->kind == PUBSUB_PRESENCE)
        cable_ext_append_presence(&text, identifier, len, message->data, message->len);
    else if (spec->pos)
        cable_ext_append_message(&text, identifier, len, message->data, message->len,
                                 spec->stream, spec->stream_len, spec->pos->epoch,
                                 spec->pos->offset);
    else
        cable_append_message(&text, identifier, len, message->data, message->len);
    payload_t *frame = ws_frame_build(WS_OP_TEXT, buf_head(&text), text.len);
    buf_deinit(&text);
    return frame;
}

/* The permessage-deflate twin of a frame built by frame_message. */
static payload_t *deflate_frame(payload_t *frame, int window_bits)
{
    ws_frame_t f;
    int64_t n = ws_frame_parse(frame->data, frame->len, 0, UINT64_MAX, &f);
    if (n > 0 && f.payload_len >= config->deflate_min_bytes) {
        payload_t *z = ws_deflate_frame(f.opcode, f.payload, (size_t)f.payload_len, window_bits);
        if (z) return z;
    }
    return payload_ref(frame);
}

static void token_revoked(const char *jti, int64_t exp)
{
    auth_revoked_add(jti, exp, clock_unix_s());
}

static void member_disabled(long long member_id)
{
    auth_members_forget(member_id);
}

const hub_output_t cable_hub_output = {
    .frame = frame_message,
    .send = cable__sub_send,
    .deflate = deflate_frame,
    .token_revoked = token_revoked,
    .member_disabled = member_disabled,
    .kick_token = cable_conn_kick_token,
    .kick_member = cable_conn_kick_member,
};

/* ---- the upgrade --------------------------------------------------------- */

/* The token in a Sec-WebSocket-Protocol entry anycable-token.<token>, as
 * the AnyCable client sends it (websocketAuthStrategy 'sub-protocol').
 * Offers are comma-separated, the header may repeat. Returns 1 when found. */
static int protocol_token(const http_request_t *req, buf_t *out)
{
    const size_t plen = sizeof TOKEN_PROTOCOL_PREFIX - 1;
    for (size_t i = 0; i < req->num_headers; i++) {
        const http_header_t *h = &req->headers[i];
        if (h->name_len != 22 || strncasecmp(h->name, "Sec-WebSocket-Protocol", 22) != 0)
            continue;
        const char *p = h->value, *end = h->value + h->value_len;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) p++;
            const char *s = p;
            while (p < end && *p != ',') p++;
            const char *e = p;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
            if ((size_t)(e - s) > plen && memcmp(s, TOKEN_PROTOCOL_PREFIX, plen) == 0) {
                buf_append(out, s + plen, (size_t)(e - s) - plen);
                return 1;
            }
        }
    }
    return 0;
}

/* Find the member's token: the Authorization header; X-JID or an
 * anycable-token.<token> subprotocol (the AnyCable client's ways); or
 * ?token= / ?jid= for browsers, which cannot set headers on a WebSocket.
 * Appends it to 'out'. */
static int find_token(const http_request_t *req, buf_t *out)
{
    const http_header_t *h = http_request_header(req, "Authorization");
    if (h) {
        const char *tok;
        size_t len;
        if (!auth_bearer_parse(h->value, h->value_len, &tok, &len)) return 0;
        buf_append(out, tok, len);
        return 1;
    }
    h = http_request_header(req, "X-JID");
    if (h) {
        buf_append(out, h->value, h->value_len);
        return out->len > 0;
    }
    if (protocol_token(req, out)) return out->len > 0;
    if (req->query && http_query_get(req->query, req->query_len, "token", out) == 1)
        return out->len > 0;
    buf_reset(out);
    if (req->query && http_query_get(req->query, req->query_len, "jid", out) == 1)
        return out->len > 0;
    return 0;
}

/* The session an extended connection asks back, into 'out' (22 bytes):
 * the header first, as AnyCable prefers it, then ?sid=. Empty: none. */
static void find_restore_sid(const http_request_t *req, char out[22])
{
    out[0] = '\0';
    buf_t b = BUF_INIT;
    const http_header_t *h = http_request_header(req, "X-AnyCable-Restore-SID");
    if (h)
        buf_append(&b, h->value, h->value_len);
    else if (req->query)
        http_query_get(req->query, req->query_len, "sid", &b);
    if (b.len > 0 && b.len < 22) {
        memcpy(out, buf_head(&b), b.len);
        out[b.len] = '\0';
    }
    buf_deinit(&b);
}

void cable_handle_upgrade(http_exchange_t *x, void *data)
{
    (void)data;
    const http_request_t *req = x->req;
    if (!thread || thread->draining) {
        http_respond_error(x, 503, "Server is restarting");
        return;
    }
    /* RFC 6454 section 7.3: at most one Origin. With two, a proxy or a
     * filter in front of us may judge by one and we by the other. */
    const http_header_t *origin = http_request_header(req, "Origin");
    if (!origin || http_request_header_count(req, "Origin") > 1 ||
        !auth_origins_allowed(config->community->origins, origin->value, origin->value_len)) {
        char esc[160];
        log_info("cable conn=%llu refused reason=origin origin=\"%s\"",
                 (unsigned long long)x->conn->id,
                 origin ? log_escape(esc, sizeof esc, origin->value, origin->value_len) : "");
        http_respond_error(x, 403, "Origin not allowed");
        return;
    }
    ws_handshake_t hs;
    int status = ws_handshake_check(req, subprotocols, &hs);
    if (status == 426) {
        http_respond(x, 426, "application/json; charset=utf-8", "Sec-WebSocket-Version: 13\r\n",
                     "{\"success\":false,\"message\":\"Unsupported WebSocket version\","
                     "\"error_details\":{}}",
                     strlen("{\"success\":false,\"message\":\"Unsupported WebSocket version\","
                            "\"error_details\":{}}"));
        return;
    }
    if (status != 0) {
        http_respond_error(x, 400, "WebSocket upgrade required");
        return;
    }

    buf_t token = BUF_INIT;
    auth_claims_t claims;
    const char *reason = NULL;
    if (!find_token(req, &token)) {
        reason = "unauthorized";
    } else {
        const auth_community_t *cm = config->community;
        int rc = auth_token_verify(cm->secret, cm->secret_len, buf_head(&token), token.len,
                                   clock_unix_s(), &claims);
        if (rc == ERR_EXPIRED)
            reason = "token_expired";
        else if (rc != 0 || claims.community_id != cm->id || auth_revoked_contains(claims.jti))
            reason = "unauthorized";
    }
    buf_deinit(&token);

    if (config->deflate) ws_handshake_negotiate_deflate(req, &hs);
    cable_conn_opts_t opts = {.ext = hs.protocol && strcmp(hs.protocol, EXT_PROTOCOL) == 0,
                              .deflate = &hs.deflate};
    char sid[22];
    if (opts.ext) {
        find_restore_sid(req, sid);
        if (sid[0]) opts.restore_sid = sid;
    }

    net_conn_t *nc = http_exchange_detach(x);
    buf_t head = BUF_INIT;
    ws_handshake_append_response(&head, &hs);
    net_conn_send_copy(nc, buf_head(&head), head.len);
    buf_deinit(&head);
    /* The 101 and the welcome (or the disconnect) leave in one write: both
     * are queued before the end of this loop pass. */
    cable_conn_new(nc, reason ? NULL : &claims, reason, &opts);
}
