/* cable/conn: one Action Cable connection. See conn.h. */
#include "cable/conn.h"

#include "auth/members.h"
#include "cable/cable_internal.h"
#include "cable/protocol.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"
#include "ws/frame.h"

#include <stdlib.h>
#include <string.h>

/* A token names a member this node does not know yet: whether it exists
 * and is active is asked of the store on a worker, while the client waits
 * for its welcome (its input unread). */
struct member_check {
    uv_work_t w;
    cable_conn_t *conn;        /* NULL once the connection went away */
    long long community_id;
    long long member_id;
    int result;                /* 1 active, 0 not, < 0 the store failed */
};

static void on_text(ws_endpoint_t *ep, const char *data, size_t len);
static void on_close(ws_endpoint_t *ep);

static const ws_endpoint_handler_t cable_ws_handler = {
    .on_text = on_text,
    .on_close = on_close,
};

long long cable_conn_member_id(const cable_conn_t *c)
{
    return c->claims.community_member_id;
}

long long cable_conn_community_id(const cable_conn_t *c)
{
    return c->claims.community_id;
}

static unsigned long long conn_id(const cable_conn_t *c)
{
    return (unsigned long long)ws_endpoint_conn(c->ep)->id;
}

unsigned long long cable__conn_id(const cable_conn_t *c)
{
    return conn_id(c);
}

/* Send a small protocol message, even past the output cap. */
static void send_control(cable_conn_t *c, buf_t *msg)
{
    ws_endpoint_send_text(c->ep, buf_head(msg), msg->len, 1);
}

void cable__send_control(cable_conn_t *c, buf_t *msg)
{
    send_control(c, msg);
}

/* Taking part in subscriptions: welcomed, or restoring a session before
 * the welcome. */
static int live(const cable_conn_t *c)
{
    return c->open || c->_restoring;
}

void cable_conn_disconnect(cable_conn_t *c, const char *reason, int reconnect)
{
    /* Whatever happens below, this connection gets no more pings, drain
     * turns or commands. */
    if (c->open) {
        c->open = 0;
        cable__thread_remove(c);
    }
    c->_restoring = 0;
    if (ws_endpoint_is_closing(c->ep)) return;
    log_info("cable conn=%llu disconnect reason=%s", conn_id(c), reason);
    c->_reason = reason;
    if (strcmp(reason, "unauthorized") == 0)
        METRIC_INC(disconnect_unauthorized_total);
    else if (strcmp(reason, "token_expired") == 0)
        METRIC_INC(disconnect_token_expired_total);
    else if (strcmp(reason, "server_restart") == 0)
        METRIC_INC(disconnect_server_restart_total);
    else if (strcmp(reason, "remote") == 0)
        METRIC_INC(disconnect_remote_total);
    else if (strcmp(reason, "too_slow") == 0)
        METRIC_INC(disconnect_too_slow_total);
    buf_t b = BUF_INIT;
    cable_append_disconnect(&b, reason, reconnect);
    send_control(c, &b);
    buf_deinit(&b);
    /* The socket closes after the close handshake. */
    ws_endpoint_close(c->ep, 1000, "");
}

/* A client that does not read must not hold memory or delay anyone else:
 * it is told why and dropped. What it has not started to receive is
 * discarded so the disconnect comes right after the bytes already on their
 * way. It may reconnect and catch up through the REST API. */
static void drop_too_slow(cable_conn_t *c)
{
    METRIC_INC(drops_total);
    net_conn_drop_unsent(ws_endpoint_conn(c->ep));
    cable_conn_disconnect(c, "too_slow", 1);
}

int cable_conn_send_frame(cable_conn_t *c, payload_t *frame)
{
    int rc = ws_endpoint_send_frame(c->ep, frame);
    if (rc == ERR_LIMIT) drop_too_slow(c);
    return rc;
}

int cable__sub_send(hub_sub_t *hs, payload_t *frame, const pubsub_pos_t *pos)
{
    /* An extended subscription keeps its place in each stream's history. */
    if (hs->ext) return cable__ext_send(LIST_ENTRY(hs, cable_sub_t, _hub), frame, pos);
    /* Straight to the socket's queue (the hot path of a fan-out); a closing
     * endpoint's connection is draining and refuses it. Only a client over
     * its output cap goes through the connection. */
    int rc = net_conn_send(hs->sink, frame);
    if (rc == ERR_LIMIT) drop_too_slow(LIST_ENTRY(hs, cable_sub_t, _hub)->conn);
    return rc;
}

/* Confirmations count against the output cap: a client that floods
 * subscribes without reading is too slow like any other. */
static void send_reply(cable_conn_t *c, buf_t *msg)
{
    if (ws_endpoint_send_text(c->ep, buf_head(msg), msg->len, 0) == ERR_LIMIT)
        cable_conn_disconnect(c, "too_slow", 1);
}

void cable__send_reply(cable_conn_t *c, buf_t *msg)
{
    send_reply(c, msg);
}

/* ---- subscriptions ------------------------------------------------------- */

static cable_sub_t *find_sub(cable_conn_t *c, const char *id, size_t len)
{
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &c->_subs)
    {
        cable_sub_t *s = LIST_ENTRY(it, cable_sub_t, _conn_node);
        if (s->identifier_len == len && memcmp(s->identifier, id, len) == 0) return s;
    }
    return NULL;
}

cable_sub_t *cable__find_sub(cable_conn_t *c, const char *id, size_t len)
{
    return find_sub(c, id, len);
}

static void sub_free(cable_sub_t *s)
{
    if (s->_ext) cable__ext_sub_free(s);
    free(s->identifier);
    free(s);
}

/* 'closing': the connection goes (not an unsubscribe). */
static void sub_end(cable_sub_t *s, int closing)
{
    if (s->_ext) cable__ext_sub_end(s, closing);
    list_unlink(&s->_conn_node);
    s->conn->_subs_count--;
    hub_unsubscribe(cable__hub, &s->_hub);
    METRIC_DEC(subscriptions);
    metrics_series_add(METRICS_channel_subscriptions, &s->channel->name, -1);
    sub_free(s);
}

static void log_ignored(cable_conn_t *c, const char *why, const char *data, size_t len)
{
    if (LOG_INFO < log_min_level) return;
    char esc[256];
    log_info("cable conn=%llu ignored reason=\"%s\" input=\"%s\"", conn_id(c), why,
             log_escape(esc, sizeof esc, data, len));
}

void cable__log_ignored(cable_conn_t *c, const char *why, const char *data, size_t len)
{
    log_ignored(c, why, data, len);
}

static void reject(cable_conn_t *c, const char *id, size_t len, const char *why)
{
    char esc[200];
    log_info("cable conn=%llu reject reason=\"%s\" identifier=\"%s\"", conn_id(c), why,
             log_escape(esc, sizeof esc, id, len));
    /* A subscription of a session being restored is left out silently:
     * the client subscribes to it again and hears the answer then. */
    if (c->_restoring) return;
    buf_t b = BUF_INIT;
    cable_append_reject(&b, id, len);
    send_reply(c, &b);
    buf_deinit(&b);
}

static void confirm(cable_conn_t *c, cable_sub_t *s)
{
    list_insert_tail(&c->_subs, &s->_conn_node);
    c->_subs_count++;
    METRIC_INC(subscriptions);
    metrics_series_add(METRICS_channel_subscriptions, &s->channel->name, 1);
    log_debug("cable conn=%llu subscribed channel=%s", conn_id(c), s->channel->name);
    if (c->_restoring) {
        /* Restored: the client is not told, it learns from the welcome. */
        cable__session_restored(c, s);
        return;
    }
    buf_t b = BUF_INIT;
    cable_append_confirm(&b, s->identifier, s->identifier_len);
    send_reply(c, &b);
    buf_deinit(&b);
    if (s->_ext) cable__ext_confirmed(c, s);
}

static void on_stream_ready(hub_sub_t *hs, int ok);

static void on_stream_dropped(hub_sub_t *hs)
{
    cable__ext_dropped(LIST_ENTRY(hs, cable_sub_t, _hub));
}

/* A subscribe that waits for an answer holds the connection's later
 * commands back, in order: the endpoint stops handing us messages (and
 * reading the socket) until it is answered. Nothing is dropped and nothing
 * is copied. */
static void set_pending(cable_conn_t *c, cable_sub_t *s)
{
    c->_pending = s;
    ws_endpoint_pause(c->ep);
}

static void clear_pending(cable_conn_t *c)
{
    c->_pending = NULL;
}

/* The pending subscribe is answered: the commands that waited go on (or,
 * while a session is restored, its next subscription). */
static void go_on(cable_conn_t *c)
{
    if (c->_pending) return;
    if (c->_restoring)
        cable__session_next(c);
    else
        ws_endpoint_resume(c->ep);
}

/* Subscribe an allowed subscription to its stream: confirmed now, or once
 * the hub says the stream is ready (the connection's later commands wait
 * meanwhile). */
static void start(cable_conn_t *c, cable_sub_t *s, const char *stream)
{
    s->_hub.identifier = s->identifier;
    s->_hub.identifier_len = s->identifier_len;
    s->_hub.member_id = c->claims.community_member_id;
    s->_hub.sink = ws_endpoint_conn(c->ep);
    s->_hub.session = c->sid;
    s->_hub.ext = c->ext;
    s->_hub.deflate = (unsigned)ws_endpoint_deflate_bits(c->ep) & 0xF;
    s->_hub.on_ready = on_stream_ready;
    s->_hub.on_dropped = s->_ext ? on_stream_dropped : NULL;
    if (s->_ext) cable__ext_sub_started(s, stream);
    int rc = hub_subscribe(cable__hub, &s->_hub, stream);
    if (rc == ERR_AGAIN) {
        set_pending(c, s);
        return;
    }
    if (rc != 0) {
        reject(c, s->identifier, s->identifier_len, "stream unavailable");
        sub_free(s);
        return;
    }
    confirm(c, s);
}

static void do_subscribe(cable_conn_t *c, const cable_command_t *cmd)
{
    cable_sub_t *dup = find_sub(c, cmd->identifier, cmd->identifier_len);
    if (dup) {
        if (dup->_ext && !c->_restoring) {
            cable__ext_resubscribe(c, dup, cmd);
            return;
        }
        log_debug("cable conn=%llu duplicate subscribe ignored", conn_id(c));
        return;
    }
    /* Each subscription keeps its identifier and costs a frame per
     * broadcast: both are bounded, so one socket cannot hold much. */
    if (cmd->identifier_len > cable__max_identifier) {
        reject(c, cmd->identifier, cmd->identifier_len, "identifier too long");
        return;
    }
    if (c->_subs_count >= cable__max_subscriptions) {
        reject(c, cmd->identifier, cmd->identifier_len, "too many subscriptions");
        return;
    }
    const char *why = NULL;
    json_t *params = cable_identifier_parse(cmd->identifier, cmd->identifier_len, &why);
    if (!params) {
        reject(c, cmd->identifier, cmd->identifier_len, why);
        return;
    }
    const char *name = json_string_value(json_object_get(params, "channel"));
    const cable_channel_t *ch = name ? cable_channel_find(name) : NULL;
    if (!ch) {
        reject(c, cmd->identifier, cmd->identifier_len, "unknown channel");
        json_decref(params);
        return;
    }
    cable_sub_t *s = xcalloc(1, sizeof *s);
    s->conn = c;
    s->channel = ch;
    s->identifier = xstrndup(cmd->identifier, cmd->identifier_len);
    s->identifier_len = cmd->identifier_len;
    list_init(&s->_conn_node);
    list_init(&s->_hub._node);
    if (c->ext) cable__ext_sub_init(s, cmd);
    char stream[HUB_STREAM_MAX];
    int rc = ch->subscribe(s, params, stream);
    json_decref(params);
    if (rc == ERR_AGAIN) {
        set_pending(c, s);
        return;
    }
    if (rc != 0) {
        reject(c, cmd->identifier, cmd->identifier_len, "not allowed");
        sub_free(s);
        return;
    }
    start(c, s, stream);
}

static void do_unsubscribe(cable_conn_t *c, const cable_command_t *cmd)
{
    cable_sub_t *s = find_sub(c, cmd->identifier, cmd->identifier_len);
    if (!s) {
        log_ignored(c, "unsubscribe from an identifier not subscribed", cmd->identifier,
                    cmd->identifier_len);
        return;
    }
    log_debug("cable conn=%llu unsubscribed channel=%s", conn_id(c), s->channel->name);
    sub_end(s, 0);
    if (c->ext) cable__session_save(c);
}

void cable__subscribe(cable_conn_t *c, const cable_command_t *cmd)
{
    do_subscribe(c, cmd);
}

static void do_message(cable_conn_t *c, const cable_command_t *cmd)
{
    cable_sub_t *s = find_sub(c, cmd->identifier, cmd->identifier_len);
    if (!s) {
        log_ignored(c, "message for an identifier not subscribed", cmd->identifier,
                    cmd->identifier_len);
        return;
    }
    const char *action = NULL, *why = NULL;
    json_t *data = cmd->data ? cable_data_parse(cmd->data, cmd->data_len, &action, &why) : NULL;
    if (!data) {
        log_ignored(c, why ? why : "message without data", cmd->data ? cmd->data : "",
                    cmd->data_len);
        return;
    }
    int rc = ERR_NOT_FOUND;
    if (action && s->channel->perform) rc = s->channel->perform(s, action, data);
    if (rc == ERR_NOT_FOUND)
        log_info("cable conn=%llu unable to process %s#%s", conn_id(c), s->channel->name,
                 action ? action : "receive");
    json_decref(data);
}

/* ---- endpoint callbacks -------------------------------------------------- */

static void execute(cable_conn_t *c, const char *data, size_t len);

void cable_sub_resolve(cable_sub_t *s, int allowed, const char *stream)
{
    cable_conn_t *c = s->conn;
    if (!c) {
        /* The connection went away while the channel was deciding. */
        sub_free(s);
        return;
    }
    clear_pending(c);
    if (allowed && live(c)) {
        start(c, s, stream);
    } else {
        if (live(c)) reject(c, s->identifier, s->identifier_len, "not allowed");
        sub_free(s);
    }
    go_on(c);
}

/* The hub's answer for a subscription that waited for its stream: ready,
 * or refused because access was revoked meanwhile. */
static void on_stream_ready(hub_sub_t *hs, int ok)
{
    cable_sub_t *s = LIST_ENTRY(hs, cable_sub_t, _hub);
    cable_conn_t *c = s->conn;
    clear_pending(c);
    if (ok && live(c)) {
        confirm(c, s);
    } else {
        hub_unsubscribe(cable__hub, &s->_hub);
        if (live(c)) reject(c, s->identifier, s->identifier_len, "not allowed");
        sub_free(s);
    }
    go_on(c);
}

static void on_text(ws_endpoint_t *ep, const char *data, size_t len)
{
    cable_conn_t *c = ws_endpoint_data(ep);
    if (!c->open) return;
    execute(c, data, len);
}

static void execute(cable_conn_t *c, const char *data, size_t len)
{
    cable_command_t cmd;
    const char *why = NULL;
    if (cable_command_parse(data, len, &cmd, &why) != 0) {
        /* Tokens stay out of logs, even in a command that is malformed. */
        if (memmem(data, len, "token", 5))
            log_ignored(c, why, "(not shown: may hold a token)", 29);
        else
            log_ignored(c, why, data, len);
        return;
    }
    switch (cmd.type) {
    case CABLE_CMD_SUBSCRIBE:
        do_subscribe(c, &cmd);
        break;
    case CABLE_CMD_UNSUBSCRIBE:
        do_unsubscribe(c, &cmd);
        break;
    case CABLE_CMD_MESSAGE:
        do_message(c, &cmd);
        break;
    default:
        /* The extended protocol's commands mean nothing on a plain
         * connection, exactly as before it existed. */
        if (c->ext)
            cable__ext_execute(c, &cmd);
        else if (cmd.type == CABLE_CMD_REFRESH_TOKEN)
            log_ignored(c, "unknown command", "(a token)", 9); /* tokens stay out of logs */
        else
            log_ignored(c, "unknown command", data, len);
        break;
    }
    cable_command_deinit(&cmd);
}

/* Why the connection ended, for the access log and the
 * cabled_disconnects_total{reason} counter: the server's reason, else how
 * the close handshake went. */
static const char *end_reason(const cable_conn_t *c, uint16_t *code)
{
    int by_peer = 0;
    *code = ws_endpoint_close_code(c->ep, &by_peer);
    if (c->_reason) return c->_reason;
    if (*code == 0) return "connection_lost";
    return by_peer ? "client_closed" : "protocol_error";
}

static void on_close(ws_endpoint_t *ep)
{
    cable_conn_t *c = ws_endpoint_data(ep);
    uint16_t code;
    const char *reason = end_reason(c, &code);
    metrics_series_add(METRICS_disconnects_total, &reason, 1);
    log_info("cable closed conn=%llu member=%lld reason=%s code=%u subscriptions=%zu "
             "duration_ms=%.0f",
             conn_id(c), c->claims.community_member_id, reason, code, c->_subs_count,
             (double)(clock_mono_us() - c->_opened_at) / 1000.0);
    if (c->open) cable__thread_remove(c);
    cable__thread_closed();
    /* The session is kept (for sessions_ttl_s from now) before its
     * subscriptions go. */
    if (c->_ext) cable__ext_conn_close(c);
    while (!list_empty(&c->_subs))
        sub_end(LIST_ENTRY(c->_subs.next, cable_sub_t, _conn_node), 1);
    if (c->_ext) cable__ext_conn_free(c);
    if (c->_pending && hub_sub_active(&c->_pending->_hub)) {
        /* Waiting for its stream: leave the index, no answer will come. */
        hub_unsubscribe(cable__hub, &c->_pending->_hub);
        sub_free(c->_pending);
    } else if (c->_pending) {
        /* Its channel is still deciding: freed when the answer comes. */
        c->_pending->conn = NULL;
    }
    if (c->_check) c->_check->conn = NULL;
    METRIC_DEC(connections);
    log_debug("cable conn=%llu closed", conn_id(c));
    free(c);
}

/* ---- the member check --------------------------------------------------- */

static void welcome(cable_conn_t *c);

/* The member is known: restore the session asked for, or welcome. */
static void begin(cable_conn_t *c)
{
    if (c->_ext && cable__session_restore(c)) return;
    welcome(c);
}

static void on_check_work(uv_work_t *w)
{
    struct member_check *j = w->data;
    j->result = cable__member_check(j->community_id, j->member_id);
}

static void on_check_done(uv_work_t *w, int status)
{
    struct member_check *j = w->data;
    cable_conn_t *c = j->conn;
    if (c) {
        c->_check = NULL;
        if (status == 0 && j->result == 0) {
            log_info("cable conn=%llu refused: member=%lld does not exist or is deactivated",
                     conn_id(c), j->member_id);
            cable_conn_disconnect(c, "unauthorized", 0);
        } else if (cable__draining()) {
            cable_conn_disconnect(c, "server_restart", 1);
        } else {
            /* Known now; a store that could not answer lets the token
             * speak for the member, as it did before the check. */
            if (status == 0 && j->result == 1) auth_members_add(j->member_id);
            if (status != 0 || j->result < 0)
                log_warn("cable conn=%llu member=%lld not checked: the store did not answer",
                         conn_id(c), j->member_id);
            begin(c);
        }
    }
    free(j);
}

cable_conn_t *cable_conn_new(net_conn_t *nc, const auth_claims_t *claims, const char *reason,
                             const cable_conn_opts_t *opts)
{
    cable_conn_t *c = xcalloc(1, sizeof *c);
    list_init(&c->_subs);
    list_init(&c->_thread_node);
    c->ep = ws_endpoint_new(nc, cable__ws_config, &cable_ws_handler, c);
    if (opts && opts->deflate) ws_endpoint_set_deflate(c->ep, opts->deflate);
    c->_opened_at = clock_mono_us();
    log_info("cable connect conn=%llu member=%lld", conn_id(c),
             claims ? claims->community_member_id : 0);
    if (opts && opts->ext) cable__ext_conn_init(c, opts);
    cable__thread_opened();
    METRIC_INC(connections_total);
    METRIC_INC(connections);
    if (!claims) {
        /* Action Cable completes the upgrade and then refuses in-band, so
         * clients learn the reason and do not retry. Input that arrived
         * with the handshake is not looked at. */
        cable_conn_disconnect(c, reason, 0);
        return c;
    }
    c->claims = *claims;
    if (!auth_members_known(claims->community_member_id) && cable__member_check) {
        struct member_check *j = xcalloc(1, sizeof *j);
        j->w.data = j;
        j->conn = c;
        j->community_id = claims->community_id;
        j->member_id = claims->community_member_id;
        ws_endpoint_pause(c->ep);
        if (uv_queue_work(&nc->loop->uv, &j->w, on_check_work, on_check_done) == 0) {
            c->_check = j;
            return c;
        }
        free(j);
    }
    begin(c);
    return c;
}

/* The member is who the token says: welcome, then the commands that came
 * with the handshake, none lost. */
static void welcome(cable_conn_t *c)
{
    rand_urlsafe(c->sid, 21);
    cable__welcome(c, 0);
}

void cable__welcome(cable_conn_t *c, int restored)
{
    c->_restoring = 0;
    c->open = 1;
    buf_t b = BUF_INIT;
    if (restored) {
        const char **ids;
        size_t *lens;
        size_t n = cable__session_restored_ids(c, &ids, &lens);
        cable_ext_append_welcome(&b, c->sid, ids, lens, n);
        free(ids);
        free(lens);
    } else {
        cable_append_welcome(&b, c->sid);
    }
    send_control(c, &b);
    buf_deinit(&b);
    cable__thread_add(c);
    log_debug("cable conn=%llu open member=%lld sid=%s", conn_id(c), c->claims.community_member_id,
              c->sid);
    /* Commands that arrived in the same packet as the handshake run now,
     * after the welcome is queued: none is lost. */
    ws_endpoint_resume(c->ep);
    ws_endpoint_start(c->ep);
}

/* ---- revocation ---------------------------------------------------------- */

void cable_conn_kick_token(net_loop_t *loop, const char *jti)
{
    (void)loop;
    list_t *conns = cable__thread_conns(), *it, *tmp;
    if (!conns) return;
    LIST_FOREACH_SAFE(it, tmp, conns)
    {
        cable_conn_t *c = LIST_ENTRY(it, cable_conn_t, _thread_node);
        if (strcmp(c->claims.jti, jti) == 0) cable_conn_disconnect(c, "remote", 0);
    }
}

void cable_conn_kick_member(net_loop_t *loop, long long member_id)
{
    (void)loop;
    list_t *conns = cable__thread_conns(), *it, *tmp;
    if (!conns) return;
    LIST_FOREACH_SAFE(it, tmp, conns)
    {
        cable_conn_t *c = LIST_ENTRY(it, cable_conn_t, _thread_node);
        if (c->claims.community_member_id == member_id) cable_conn_disconnect(c, "remote", 0);
    }
}
