/* cable/ext_presence: whispers and presence for the extended protocol, on
 * channels that allow them (cable_channel_t.whisper, .presence_record).
 *
 * Whisper: {"command":"whisper","identifier":ID,"data":…} from a
 * subscription whose stream is live goes to every other extended
 * connection subscribed to that stream, on every node (hub_whisper), never
 * back to the sender's connection and never kept. Each connection may
 * whisper cable__whisper_rate times a second, in bursts of up to twice
 * that; past it, and for a whisper the channel does not allow or a stream
 * not subscribed, the client gets
 * {"identifier":ID,"type":"reject_whisper","reason":…}.
 *
 * Presence: join / leave / presence (info) on a live subscription of a
 * channel with presence. The record is always the member's own public
 * fields, read from the store once per connection (on a worker): the id
 * and info a client sends are ignored, so nobody can appear as someone
 * else. A member's connections count as one presence (state.h); a
 * connection that drops stays present for presence_ttl_s. Every refusal is
 * a presence error frame, so the client's info() never waits forever. */
#include "cable/cable_internal.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>

/* Largest whisper data, in bytes of compact JSON. */
#define WHISPER_MAX_BYTES 4096

/* ---- whispers ------------------------------------------------------------------------------ */

static void reject_whisper(cable_conn_t *c, const cable_command_t *cmd, const char *reason)
{
    METRIC_INC(whispers_rejected_total);
    log_debug("cable conn=%llu whisper refused reason=%s", cable__conn_id(c), reason);
    buf_t b = BUF_INIT;
    cable_ext_append_reject_whisper(&b, cmd->identifier, cmd->identifier_len, reason);
    cable__send_reply(c, &b);
    buf_deinit(&b);
}

/* Take one whisper from the connection's bucket; 0 when it is empty. */
static int take_token(cable_conn_t *c)
{
    struct cable__ext_conn *e = c->_ext;
    uint64_t now = uv_now(&ws_endpoint_conn(c->ep)->loop->uv);
    double rate = cable__whisper_rate, depth = 2.0 * rate;
    if (e->whisper_at_ms) e->whisper_tokens += (double)(now - e->whisper_at_ms) * rate / 1000.0;
    if (e->whisper_tokens > depth) e->whisper_tokens = depth;
    e->whisper_at_ms = now;
    if (e->whisper_tokens < 1.0) return 0;
    e->whisper_tokens -= 1.0;
    return 1;
}

void cable__whisper(cable_conn_t *c, const cable_command_t *cmd)
{
    cable_sub_t *s = cable__find_sub(c, cmd->identifier, cmd->identifier_len);
    if (!s || !s->_ext || !s->_ext->stream || !hub_sub_active(&s->_hub)) {
        reject_whisper(c, cmd, "not_subscribed");
        return;
    }
    if (!s->channel->whisper) {
        reject_whisper(c, cmd, "not_allowed");
        return;
    }
    if (cmd->data_len > WHISPER_MAX_BYTES) {
        reject_whisper(c, cmd, "too_large");
        return;
    }
    if (!cable__whisper_rate || !take_token(c)) {
        reject_whisper(c, cmd, "rate_limited");
        return;
    }
    METRIC_INC(whispers_total);
    payload_t *data = payload_copy(cmd->data, cmd->data_len);
    hub_whisper(cable__hub, s->_ext->stream, data, c->sid);
    payload_unref(data);
}

/* ---- presence ------------------------------------------------------------------------------ */

void cable__presence_error(cable_conn_t *c, const char *identifier, size_t len, const char *why)
{
    log_debug("cable conn=%llu presence refused reason=%s", cable__conn_id(c), why);
    buf_t m = BUF_INIT, b = BUF_INIT;
    buf_printf(&m, "{\"type\":\"error\",\"reason\":\"%s\"}", why);
    cable_ext_append_presence(&b, identifier, len, buf_head(&m), m.len);
    cable__send_reply(c, &b);
    buf_deinit(&m);
    buf_deinit(&b);
}

/* Why 's' may not take part in presence, or NULL when it may. */
static const char *presence_refusal(const cable_sub_t *s)
{
    if (!s->channel->presence_record) return "not_allowed";
    if (!s->_ext || !s->_ext->stream || !hub_sub_active(&s->_hub)) return "not_subscribed";
    return NULL;
}

static void join_now(cable_conn_t *c, cable_sub_t *s)
{
    const char *record = c->_ext->presence_record;
    if (!s->_ext->presence) METRIC_INC(presence_joins_total);
    s->_ext->presence = 1;
    cable__state->ops->presence_join(cable__state, s->_ext->stream, c->claims.community_member_id,
                                     c->sid, record, strlen(record));
}

static void on_record_work(uv_work_t *w)
{
    struct cable__pending *p = w->data;
    p->result = p->record(p->community, p->member);
}

static void on_record_done(uv_work_t *w, int status)
{
    struct cable__pending *p = w->data;
    cable_conn_t *c = p->conn;
    if (c) {
        c->_ext->record_pending = 0;
        if (status == 0 && p->result && !c->_ext->presence_record) {
            c->_ext->presence_record = p->result;
            p->result = NULL;
        }
        int joined = 0;
        list_t *it, *tmp;
        LIST_FOREACH_SAFE(it, tmp, &c->_subs)
        {
            cable_sub_t *s = LIST_ENTRY(it, cable_sub_t, _conn_node);
            if (!s->_ext || !s->_ext->presence_wanted) continue;
            s->_ext->presence_wanted = 0;
            const char *why = presence_refusal(s);
            if (!c->_ext->presence_record) why = "unavailable";
            if (why) {
                cable__presence_error(c, s->identifier, s->identifier_len, why);
                continue;
            }
            join_now(c, s);
            joined = 1;
        }
        if (joined) cable__session_save(c);
    }
    cable__pending_free(p);
}

void cable__presence_join(cable_conn_t *c, cable_sub_t *s)
{
    const char *why = presence_refusal(s);
    if (why) {
        cable__presence_error(c, s->identifier, s->identifier_len, why);
        return;
    }
    if (c->_ext->presence_record) {
        join_now(c, s);
        cable__session_save(c);
        return;
    }
    /* The member's record first, once per connection, from the store. */
    s->_ext->presence_wanted = 1;
    if (c->_ext->record_pending) return;
    struct cable__pending *p = cable__pending_new(c, CABLE_PENDING_RECORD, NULL, 0);
    p->record = s->channel->presence_record;
    p->community = c->claims.community_id;
    p->member = c->claims.community_member_id;
    p->work.data = p;
    if (uv_queue_work(&ws_endpoint_conn(c->ep)->loop->uv, &p->work, on_record_work,
                      on_record_done) != 0) {
        cable__pending_free(p);
        s->_ext->presence_wanted = 0;
        cable__presence_error(c, s->identifier, s->identifier_len, "unavailable");
        return;
    }
    c->_ext->record_pending = 1;
}

void cable__presence_leave(cable_conn_t *c, cable_sub_t *s, int closing)
{
    s->_ext->presence_wanted = 0;
    if (!s->_ext->presence) return;
    s->_ext->presence = 0;
    long long member = c->claims.community_member_id;
    if (closing) {
        cable__state->ops->presence_drop(cable__state, s->_ext->stream, member, c->sid);
    } else {
        METRIC_INC(presence_leaves_total);
        cable__state->ops->presence_leave(cable__state, s->_ext->stream, member, c->sid);
    }
}

static void on_info(void *ud, int status, const char *records, size_t len, size_t total)
{
    struct cable__pending *p = ud;
    cable_conn_t *c = p->conn;
    if (c && c->open) {
        if (status != 0) {
            cable__presence_error(c, p->identifier, p->identifier_len, "unavailable");
        } else {
            buf_t m = BUF_INIT, b = BUF_INIT;
            buf_printf(&m, "{\"type\":\"info\",\"total\":%zu", total);
            if (p->records) {
                buf_puts(&m, ",\"records\":");
                buf_append(&m, records, len);
            }
            buf_puts(&m, "}");
            cable_ext_append_presence(&b, p->identifier, p->identifier_len, buf_head(&m), m.len);
            cable__send_reply(c, &b);
            buf_deinit(&m);
            buf_deinit(&b);
        }
    }
    cable__pending_free(p);
}

void cable__presence_info(cable_conn_t *c, const cable_command_t *cmd)
{
    cable_sub_t *s = cable__find_sub(c, cmd->identifier, cmd->identifier_len);
    const char *why = s ? presence_refusal(s) : "not_subscribed";
    if (why) {
        cable__presence_error(c, cmd->identifier, cmd->identifier_len, why);
        return;
    }
    METRIC_INC(presence_infos_total);
    struct cable__pending *p =
        cable__pending_new(c, CABLE_PENDING_PRESENCE, s->identifier, s->identifier_len);
    p->records = cmd->presence;
    if (cable__state->ops->presence_info(cable__state, s->_ext->stream, on_info, p) != 0) {
        cable__pending_free(p);
        cable__presence_error(c, cmd->identifier, cmd->identifier_len, "unavailable");
    }
}
