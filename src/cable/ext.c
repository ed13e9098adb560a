/* cable/ext: the extended protocol's part of a connection and of its
 * subscriptions (actioncable-v1-ext-json, cable/ext_protocol.h): their
 * state, the commands, the token's lifetime, and the answers still to
 * come.
 *
 *   ext.c            state, commands, pong, refresh_token, upkeep
 *   ext_history.c    positioned frames, history catch-up (in order, never twice)
 *   ext_session.c    sessions: saved, restored after a reconnect
 *   ext_presence.c   whispers and presence
 *
 * Answers that come later (a state read, a timer, the store on a worker)
 * hold a 'struct cable__pending' linked to the connection: when the
 * connection goes first, the pending is unlinked and told so (conn = NULL),
 * and frees itself when its answer comes. A subscription is found again by
 * its identifier and serial, so an answer meant for one that was
 * unsubscribed never reaches a later one with the same identifier. */
#include "cable/cable_internal.h"

#include "auth/revoked.h"
#include "auth/token.h"
#include "auth/community.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>

/* ---- pending answers ----------------------------------------------------------------------- */

static int has_timer(const struct cable__pending *p)
{
    return p->kind == CABLE_PENDING_ANSWER || p->kind == CABLE_PENDING_RELEASE;
}

struct cable__pending *cable__pending_new(cable_conn_t *c, int kind, const char *identifier,
                                          size_t len)
{
    struct cable__pending *p = xcalloc(1, sizeof *p);
    p->conn = c;
    p->kind = kind;
    if (identifier) {
        p->identifier = xstrndup(identifier, len);
        p->identifier_len = len;
    }
    list_insert_tail(&c->_ext->pending, &p->node);
    return p;
}

static void pending_release(struct cable__pending *p)
{
    free(p->identifier);
    free(p->stream);
    free(p->result);
    free(p);
}

static void on_timer_closed(uv_handle_t *h)
{
    pending_release(h->data);
}

void cable__pending_free(struct cable__pending *p)
{
    list_unlink(&p->node);
    if (has_timer(p) && p->timer.data) {
        uv_close((uv_handle_t *)&p->timer, on_timer_closed);
        return;
    }
    pending_release(p);
}

void cable__pending_timer(struct cable__pending *p, unsigned ms, uv_timer_cb cb)
{
    net_loop_t *loop = ws_endpoint_conn(p->conn->ep)->loop;
    uv_timer_init(&loop->uv, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, cb, ms, 0);
}

/* ---- the connection ------------------------------------------------------------------------ */

static int sid_valid(const char *sid)
{
    size_t n = strlen(sid);
    if (n != 21) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = sid[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

void cable__ext_conn_init(cable_conn_t *c, const cable_conn_opts_t *opts)
{
    c->ext = 1;
    c->_ext = xcalloc(1, sizeof *c->_ext);
    list_init(&c->_ext->pending);
    /* Only ids we could have handed out are looked up; anything else is a
     * fresh session, as an unknown id is. */
    if (opts->restore_sid && sid_valid(opts->restore_sid))
        memcpy(c->_ext->restore_sid, opts->restore_sid, 22);
    c->_ext->whisper_tokens = 2.0 * cable__whisper_rate;
}

void cable__ext_conn_close(cable_conn_t *c)
{
    /* Kept for sessions_ttl_s from now: a reconnect within it restores. */
    if (c->open) cable__session_save(c);
    while (!list_empty(&c->_ext->pending)) {
        struct cable__pending *p = LIST_ENTRY(c->_ext->pending.next, struct cable__pending, node);
        p->conn = NULL;
        if (has_timer(p))
            cable__pending_free(p);
        else
            list_unlink(&p->node); /* its answer frees it */
    }
}

void cable__ext_conn_free(cable_conn_t *c)
{
    struct cable__ext_conn *e = c->_ext;
    for (size_t i = 0; i < e->restore_count; i++) free(e->restore[i].identifier);
    free(e->restore);
    free(c->_ext->presence_record);
    free(c->_ext);
    c->_ext = NULL;
}

/* ---- subscriptions ------------------------------------------------------------------------- */

void cable__ext_sub_init(cable_sub_t *s, const cable_command_t *cmd)
{
    static _Thread_local uint64_t serials;
    s->_ext = xcalloc(1, sizeof *s->_ext);
    s->_ext->serial = ++serials;
    if (cmd->history) s->_ext->subscribe_history = json_incref(cmd->history);
    s->_ext->subscribe_presence = cmd->presence;
}

void cable__ext_sub_started(cable_sub_t *s, const char *stream)
{
    free(s->_ext->stream);
    s->_ext->stream = xstrdup(stream);
}

void cable__ext_confirmed(cable_conn_t *c, cable_sub_t *s)
{
    json_t *h = s->_ext->subscribe_history;
    s->_ext->subscribe_history = NULL;
    if (h) {
        cable__history_request(c, s, h, 1);
        json_decref(h);
    }
    if (s->_ext->subscribe_presence) {
        s->_ext->subscribe_presence = 0;
        cable__presence_join(c, s);
    }
    cable__session_save(c);
}

void cable__ext_resubscribe(cable_conn_t *c, cable_sub_t *s, const cable_command_t *cmd)
{
    /* The client repeats a subscribe only while it waits for the answer:
     * it gets one, and what it asks with it. */
    buf_t b = BUF_INIT;
    cable_append_confirm(&b, s->identifier, s->identifier_len);
    cable__send_reply(c, &b);
    buf_deinit(&b);
    if (cmd->history) cable__history_request(c, s, cmd->history, 1);
    if (cmd->presence) cable__presence_join(c, s);
}

void cable__ext_sub_end(cable_sub_t *s, int closing)
{
    cable__presence_leave(s->conn, s, closing);
}

void cable__ext_sub_free(cable_sub_t *s)
{
    struct cable__ext_sub *e = s->_ext;
    for (size_t i = 0; i < e->nheld; i++) payload_unref(e->held[i].frame);
    free(e->held);
    free(e->stream);
    json_decref(e->subscribe_history);
    free(e);
    s->_ext = NULL;
}

void cable__ext_dropped(cable_sub_t *s)
{
    /* No longer a participant: out of presence at once; what was held for
     * it is no longer theirs to receive. */
    cable__presence_leave(s->conn, s, 0);
    struct cable__ext_sub *e = s->_ext;
    for (size_t i = 0; i < e->nheld; i++) payload_unref(e->held[i].frame);
    e->nheld = 0;
    e->held_bytes = 0;
}

/* ---- commands ------------------------------------------------------------------------------ */

static const char *refresh_refusal(cable_conn_t *c, const char *token, auth_claims_t *claims)
{
    const struct auth_community *cm = cable__community;
    int rc =
        auth_token_verify(cm->secret, cm->secret_len, token, strlen(token), clock_unix_s(), claims);
    if (rc == ERR_EXPIRED) return "expired";
    if (rc != 0 || claims->community_id != cm->id) return "invalid";
    if (claims->community_member_id != c->claims.community_member_id) return "other_member";
    if (auth_revoked_contains(claims->jti)) return "revoked";
    return NULL;
}

/* refresh_token: a fresh token for the same member replaces the one the
 * connection opened with, so it lives on past the old one's expiry. */
static void refresh_token(cable_conn_t *c, const char *token)
{
    auth_claims_t claims;
    const char *why = refresh_refusal(c, token, &claims);
    buf_t b = BUF_INIT;
    if (why) {
        METRIC_INC(token_refreshes_rejected_total);
        log_info("cable conn=%llu token refresh refused reason=%s", cable__conn_id(c), why);
        cable_ext_append_token_refresh_rejected(&b, why);
    } else {
        METRIC_INC(token_refreshes_total);
        log_info("cable conn=%llu token refreshed exp=%lld", cable__conn_id(c),
                 (long long)claims.exp);
        c->claims = claims;
        cable_ext_append_token_refreshed(&b, claims.exp);
    }
    cable__send_control(c, &b);
    buf_deinit(&b);
}

static void reject_history(cable_conn_t *c, const cable_command_t *cmd, const char *why)
{
    cable__log_ignored(c, why, cmd->identifier, cmd->identifier_len);
    METRIC_INC(histories_rejected_total);
    buf_t b = BUF_INIT;
    cable_ext_append_reject_history(&b, cmd->identifier, cmd->identifier_len, NULL);
    cable__send_reply(c, &b);
    buf_deinit(&b);
}

void cable__ext_execute(cable_conn_t *c, const cable_command_t *cmd)
{
    cable_sub_t *s =
        cmd->identifier ? cable__find_sub(c, cmd->identifier, cmd->identifier_len) : NULL;
    switch (cmd->type) {
    case CABLE_CMD_PONG:
        /* Any frame from the client is a sign of life; nothing to answer. */
        break;
    case CABLE_CMD_REFRESH_TOKEN:
        refresh_token(c, cmd->token);
        break;
    case CABLE_CMD_HISTORY:
        if (!s)
            reject_history(c, cmd, "history for an identifier not subscribed");
        else if (!cmd->history)
            reject_history(c, cmd, "history without a request");
        else
            cable__history_request(c, s, cmd->history, 0);
        break;
    case CABLE_CMD_WHISPER:
        cable__whisper(c, cmd);
        break;
    case CABLE_CMD_JOIN:
        if (!s)
            cable__presence_error(c, cmd->identifier, cmd->identifier_len, "not_subscribed");
        else
            cable__presence_join(c, s);
        break;
    case CABLE_CMD_LEAVE:
        if (s) cable__presence_leave(c, s, 0);
        if (s) cable__session_save(c);
        break;
    case CABLE_CMD_PRESENCE:
        cable__presence_info(c, cmd);
        break;
    default:
        break;
    }
}

/* ---- upkeep -------------------------------------------------------------------------------- */

void cable__ext_tick(cable_conn_t *c, uint64_t now_ms)
{
    /* Each at half its lifetime, so neither runs out while the connection
     * lives; a node that dies stops, and they run out. */
    const state_config_t *cfg = &cable__state->config;
    struct cable__ext_conn *e = c->_ext;
    if (now_ms - e->touched_ms >= (uint64_t)cfg->presence_ttl_s * 500) {
        e->touched_ms = now_ms;
        list_t *it, *tmp;
        LIST_FOREACH_SAFE(it, tmp, &c->_subs)
        {
            cable_sub_t *s = LIST_ENTRY(it, cable_sub_t, _conn_node);
            if (s->_ext && s->_ext->presence)
                cable__state->ops->presence_touch(cable__state, s->_ext->stream,
                                                  c->claims.community_member_id, c->sid);
        }
    }
    if (cfg->sessions_ttl_s && now_ms - e->saved_ms >= (uint64_t)cfg->sessions_ttl_s * 500) {
        e->saved_ms = now_ms;
        cable__session_save(c);
    }
}
