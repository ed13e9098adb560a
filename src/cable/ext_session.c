/* cable/ext_session: session recovery for the extended protocol.
 *
 * A connection's session, saved under its session id (the welcome's sid)
 * whenever its subscriptions or its presence change, every sessions_ttl_s/2
 * while it lives (ext.c's tick) and when it drops, each time for
 * sessions_ttl_s from then:
 *
 *   {"record":"<the member's presence record, JSON>"|null,
 *    "subs":[{"id":"<identifier>","presence":true|false},…]}
 *
 * A client that reconnects with ?sid=<that id> (or the header
 * X-AnyCable-Restore-SID) on an extended connection, with a valid token of
 * the same member, gets its subscriptions back without asking:
 *
 *   token checked (server.c) ─► session taken (it cannot be taken again,
 *   nor another member's) ─► each subscription runs through its channel
 *   again, silently (access may have been lost meanwhile) and holds its
 *   live frames (ext_history.c) ─► welcome with a new sid, restored:true
 *   and the restored identifiers ─► presence moves to the new sid
 *
 * The client then asks each restored subscription's history, which
 * catches it up before anything live. A session not found (unknown,
 * expired, taken, another member's) is an ordinary welcome: the client
 * subscribes again with its positions. */
#include "cable/cable_internal.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"

#include <stdlib.h>
#include <string.h>

/* ---- the saved form (pure) ------------------------------------------------------------------ */

void cable__session_encode(buf_t *out, const char *record, const struct cable__restore_item *subs,
                           size_t count)
{
    buf_puts(out, "{\"record\":");
    if (record)
        json_append_string(out, record, strlen(record));
    else
        buf_puts(out, "null");
    buf_puts(out, ",\"subs\":[");
    for (size_t i = 0; i < count; i++) {
        buf_puts(out, i ? ",{\"id\":" : "{\"id\":");
        json_append_string(out, subs[i].identifier, strlen(subs[i].identifier));
        buf_puts(out, subs[i].presence ? ",\"presence\":true}" : ",\"presence\":false}");
    }
    buf_puts(out, "]}");
}

void cable__session_data_free(cable__session_data_t *d)
{
    for (size_t i = 0; i < d->count; i++) free(d->subs[i].identifier);
    free(d->subs);
    free(d->record);
    memset(d, 0, sizeof *d);
}

int cable__session_parse(const char *blob, size_t len, size_t max_subs, size_t max_identifier,
                         cable__session_data_t *out)
{
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(blob, len, 0, NULL);
    const json_t *subs = json_object_get(root, "subs");
    const json_t *record = json_object_get(root, "record");
    if (!json_is_object(root) || !json_is_array(subs) || json_array_size(subs) > max_subs ||
        (record && !json_is_null(record) && !json_is_string(record))) {
        json_decref(root);
        return ERR_INVAL;
    }
    out->subs = xcalloc(json_array_size(subs) + 1, sizeof *out->subs);
    size_t i;
    const json_t *sub;
    json_array_foreach(subs, i, sub)
    {
        /* Identifiers as a subscribe would take them; anything else is left out. */
        const json_t *id = json_object_get(sub, "id");
        if (!json_is_string(id) || json_string_length(id) == 0 ||
            json_string_length(id) > max_identifier ||
            strlen(json_string_value(id)) != json_string_length(id))
            continue;
        out->subs[out->count].identifier = xstrdup(json_string_value(id));
        out->subs[out->count].presence = json_is_true(json_object_get(sub, "presence"));
        out->count++;
    }
    if (json_is_string(record)) {
        buf_t r = BUF_INIT;
        if (json_append_compact(&r, json_string_value(record), json_string_length(record)) == 0)
            out->record = xstrndup(buf_head(&r), r.len);
        buf_deinit(&r);
    }
    json_decref(root);
    return 0;
}

/* ---- saving -------------------------------------------------------------------------------- */

void cable__session_save(cable_conn_t *c)
{
    if (!c->_ext || !cable__state->config.sessions_ttl_s || !c->open) return;
    struct cable__restore_item *subs = xcalloc(c->_subs_count + 1, sizeof *subs);
    size_t n = 0;
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &c->_subs)
    {
        cable_sub_t *s = LIST_ENTRY(it, cable_sub_t, _conn_node);
        subs[n].identifier = s->identifier; /* borrowed */
        subs[n].presence = s->_ext && s->_ext->presence;
        n++;
    }
    buf_t b = BUF_INIT;
    cable__session_encode(&b, c->_ext->presence_record, subs, n);
    free(subs);
    cable__state->ops->session_save(cable__state, c->sid, c->claims.community_member_id,
                                    buf_head(&b), b.len, cable__state->config.sessions_ttl_s);
    buf_deinit(&b);
}

/* ---- restoring ----------------------------------------------------------------------------- */

static void restore_free(struct cable__ext_conn *e)
{
    for (size_t i = 0; i < e->restore_count; i++) free(e->restore[i].identifier);
    free(e->restore);
    e->restore = NULL;
    e->restore_count = e->restore_next = 0;
}

/* Read a saved session into c->_ext. It came from our own store, but the
 * store may be shared: it is checked like any input. Returns 0 or -1. */
static int load(cable_conn_t *c, const char *blob, size_t len)
{
    cable__session_data_t d;
    if (cable__session_parse(blob, len, cable__max_subscriptions, cable__max_identifier, &d) != 0)
        return -1;
    struct cable__ext_conn *e = c->_ext;
    e->restore = d.subs;
    e->restore_count = d.count;
    if (!e->presence_record)
        e->presence_record = d.record;
    else
        free(d.record);
    return 0;
}

static void on_session(void *ud, int status, const char *blob, size_t len)
{
    struct cable__pending *p = ud;
    cable_conn_t *c = p->conn;
    cable__pending_free(p);
    if (!c || ws_endpoint_is_closing(c->ep)) return;
    if (status != 0 || load(c, blob, len) != 0) {
        METRIC_INC(sessions_not_restored_total);
        log_info("cable conn=%llu session not restored: %s", cable__conn_id(c),
                 status == ERR_NOT_FOUND ? "unknown, expired or not this member's" : "unreadable");
        restore_free(c->_ext);
        rand_urlsafe(c->sid, 21);
        cable__welcome(c, 0);
        return;
    }
    memcpy(c->_ext->old_sid, c->_ext->restore_sid, sizeof c->_ext->old_sid);
    rand_urlsafe(c->sid, 21);
    c->_restoring = 1;
    cable__session_next(c);
}

int cable__session_restore(cable_conn_t *c)
{
    if (!c->_ext->restore_sid[0] || !cable__state->config.sessions_ttl_s) return 0;
    struct cable__pending *p = cable__pending_new(c, CABLE_PENDING_SESSION, NULL, 0);
    int rc = cable__state->ops->session_take(cable__state, c->_ext->restore_sid,
                                             c->claims.community_member_id, on_session, p);
    if (rc != 0) {
        cable__pending_free(p);
        return 0;
    }
    return 1;
}

void cable__session_restored(cable_conn_t *c, cable_sub_t *s)
{
    struct cable__ext_conn *e = c->_ext;
    s->_ext->restored = 1;
    s->_ext->restore_presence = e->restore_next ? e->restore[e->restore_next - 1].presence : 0;
    cable__history_hold(c, s);
}

/* Every subscription has its answer: welcome, then presence moves over. */
static void finish(cable_conn_t *c)
{
    struct cable__ext_conn *e = c->_ext;
    restore_free(e);
    METRIC_INC(sessions_restored_total);
    log_info("cable conn=%llu session restored subscriptions=%zu", cable__conn_id(c),
             c->_subs_count);
    cable__welcome(c, 1);
    if (!c->open) return;
    /* The new connection joins before the old one leaves, so the member
     * never looks gone to the others. */
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &c->_subs)
    {
        cable_sub_t *s = LIST_ENTRY(it, cable_sub_t, _conn_node);
        if (!s->_ext || !s->_ext->restore_presence) continue;
        s->_ext->restore_presence = 0;
        cable__presence_join(c, s);
        if (s->_ext->presence)
            cable__state->ops->presence_leave(cable__state, s->_ext->stream,
                                              c->claims.community_member_id, e->old_sid);
    }
    cable__session_save(c);
}

void cable__session_next(cable_conn_t *c)
{
    struct cable__ext_conn *e = c->_ext;
    /* One at a time: a subscription that waits for its channel or its
     * stream calls back here once answered. */
    while (c->_restoring && !c->_pending && e->restore_next < e->restore_count) {
        struct cable__restore_item *item = &e->restore[e->restore_next++];
        cable_command_t cmd = {
            .type = CABLE_CMD_SUBSCRIBE,
            .identifier = item->identifier,
            .identifier_len = strlen(item->identifier),
        };
        cable__subscribe(c, &cmd);
    }
    if (c->_restoring && !c->_pending && e->restore_next == e->restore_count) finish(c);
}

size_t cable__session_restored_ids(cable_conn_t *c, const char ***ids, size_t **lens)
{
    *ids = xcalloc(c->_subs_count + 1, sizeof **ids);
    *lens = xcalloc(c->_subs_count + 1, sizeof **lens);
    size_t n = 0;
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &c->_subs)
    {
        cable_sub_t *s = LIST_ENTRY(it, cable_sub_t, _conn_node);
        if (!s->_ext || !s->_ext->restored) continue;
        (*ids)[n] = s->identifier;
        (*lens)[n] = s->identifier_len;
        n++;
    }
    return n;
}
