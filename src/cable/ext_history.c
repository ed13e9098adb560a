/* cable/ext_history: positioned frames and history catch-up for the
 * extended protocol.
 *
 * Every broadcast kept in history reaches an extended subscriber with its
 * stream's epoch and offset. Each subscription remembers the position of
 * the last frame it sent, and sends nothing at or below it again.
 *
 * Catching up, in order and never twice:
 *
 *   subscribe (attached to the stream) ─► history request ─► state read
 *        │ live positioned frames: held, in order      │
 *        ▼                                              ▼
 *   the backlog: entries after max(the client's position, the last sent)
 *   then the held frames after the last one sent, then confirm_history
 *
 * The subscription is attached before the history is read, so each
 * message is in the read, or arrives live afterwards, or both (then the
 * position drops the second copy): none falls between. A restored
 * subscription holds its frames the same way until the client asks for
 * its history, or RESTORE_HOLD_MS passes without it asking.
 *
 * The client ignores confirm_history / reject_history for a subscription
 * it has not finished registering, which it does only after reading the
 * confirmation (reference §9.6): so inside a subscribe the answer follows
 * ANSWER_DELAY_MS later, in a flush of its own. The backlog itself needs
 * no pause: the client keeps data frames until the subscription is
 * registered.
 *
 * What history can answer (cable__history_select): with a position, the
 * epoch must be the stream's and every message after it must still be
 * kept; with only 'since', no message kept at or after that second may
 * have been lost. Anything else is reject_history, naming the stream the
 * client must refetch. */
#include "cable/cable_internal.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_DELAY_MS 100
#define RESTORE_HOLD_MS 3000
/* Frames one subscription may hold while it catches up; past either
 * bound the client is too slow. */
#define HELD_MAX_FRAMES 4096
#define HELD_MAX_BYTES  (8u << 20)

/* ---- the decision -------------------------------------------------------------------------- */

int cable__history_select(const state_history_t *h, const cable_history_req_t *req, size_t *from)
{
    *from = h->count;
    if (h->status != 0) return 0;
    if (req->has_position) {
        if (!h->epoch[0] || strcmp(h->epoch, req->epoch) != 0) return 0;
        if (req->offset > h->last) return 0;
        uint64_t first = h->count ? h->entries[0].offset : h->last + 1;
        /* Nothing missing when the client has the message just before the
         * oldest kept one: that is a catch-up, not a gap. */
        if (req->offset + 1 < first) return 0;
        size_t i = 0;
        while (i < h->count && h->entries[i].offset <= req->offset) i++;
        *from = i;
        return 1;
    }
    if (req->since > 0) {
        if (!h->epoch[0]) return 1; /* never kept anything: nothing to miss */
        if (h->lost_time >= req->since) return 0;
        size_t i = 0;
        while (i < h->count && h->entries[i].time < req->since) i++;
        *from = i;
        return 1;
    }
    /* Asks nothing of this stream (positions for others only). */
    return 1;
}

/* ---- sending ------------------------------------------------------------------------------- */

static int already_sent(const struct cable__ext_sub *e, const char *epoch, uint64_t offset)
{
    return e->epoch[0] && strcmp(e->epoch, epoch) == 0 && offset <= e->offset;
}

static void mark_sent(struct cable__ext_sub *e, const char *epoch, uint64_t offset)
{
    if (strcmp(e->epoch, epoch) != 0) snprintf(e->epoch, sizeof e->epoch, "%s", epoch);
    e->offset = offset;
}

/* The held frames go out, in order, but for those already sent. */
static void flush_held(cable_sub_t *s)
{
    struct cable__ext_sub *e = s->_ext;
    for (size_t i = 0; i < e->nheld; i++) {
        struct cable__held *f = &e->held[i];
        if (!already_sent(e, f->pos.epoch, f->pos.offset)) {
            mark_sent(e, f->pos.epoch, f->pos.offset);
            cable_conn_send_frame(s->conn, f->frame);
        }
        payload_unref(f->frame);
    }
    e->nheld = 0;
    e->held_bytes = 0;
    free(e->held);
    e->held = NULL;
    e->cap = 0;
}

static void unhold(cable_sub_t *s)
{
    if (s->_ext->holding && --s->_ext->holding == 0) flush_held(s);
}

int cable__ext_send(cable_sub_t *s, payload_t *frame, const pubsub_pos_t *pos)
{
    struct cable__ext_sub *e = s->_ext;
    if (!pos) return cable_conn_send_frame(s->conn, frame);
    if (e->holding) {
        if (e->nheld >= HELD_MAX_FRAMES || e->held_bytes + frame->len > HELD_MAX_BYTES) {
            METRIC_INC(drops_total);
            cable_conn_disconnect(s->conn, "too_slow", 1);
            return ERR_LIMIT;
        }
        if (e->nheld == e->cap) {
            e->cap = e->cap ? e->cap * 2 : 8;
            e->held = xrealloc(e->held, e->cap * sizeof *e->held);
        }
        e->held[e->nheld++] = (struct cable__held){payload_ref(frame), *pos};
        e->held_bytes += frame->len;
        return 0;
    }
    if (already_sent(e, pos->epoch, pos->offset)) return ERR_AGAIN;
    mark_sent(e, pos->epoch, pos->offset);
    return cable_conn_send_frame(s->conn, frame);
}

/* ---- answers ------------------------------------------------------------------------------- */

static void send_answer(cable_conn_t *c, const char *identifier, size_t len, int rejected,
                        const char *stream)
{
    buf_t b = BUF_INIT;
    if (rejected)
        cable_ext_append_reject_history(&b, identifier, len, stream);
    else
        cable_ext_append_confirm_history(&b, identifier, len);
    cable__send_reply(c, &b);
    buf_deinit(&b);
}

static void on_answer_timer(uv_timer_t *t)
{
    struct cable__pending *p = t->data;
    if (p->conn && p->conn->open)
        send_answer(p->conn, p->identifier, p->identifier_len, p->rejected, p->stream);
    cable__pending_free(p);
}

static void answer(cable_conn_t *c, cable_sub_t *s, int rejected, int delayed)
{
    if (rejected)
        METRIC_INC(histories_rejected_total);
    else
        METRIC_INC(histories_served_total);
    if (!delayed) {
        send_answer(c, s->identifier, s->identifier_len, rejected, s->_ext->stream);
        return;
    }
    struct cable__pending *p =
        cable__pending_new(c, CABLE_PENDING_ANSWER, s->identifier, s->identifier_len);
    p->rejected = rejected;
    if (s->_ext->stream) p->stream = xstrdup(s->_ext->stream);
    cable__pending_timer(p, ANSWER_DELAY_MS, on_answer_timer);
}

/* Send the backlog of 'h' that answers 'req' on 's'. Returns 1, or 0 when
 * the history cannot answer it. */
static int serve(cable_conn_t *c, cable_sub_t *s, const cable_history_req_t *req,
                 const state_history_t *h)
{
    size_t from;
    if (!cable__history_select(h, req, &from)) return 0;
    struct cable__ext_sub *e = s->_ext;
    /* The client has everything up to its position: nothing at or below it
     * goes out later either. */
    if (req->has_position && !already_sent(e, req->epoch, req->offset))
        mark_sent(e, req->epoch, req->offset);
    size_t stream_len = strlen(e->stream);
    buf_t b = BUF_INIT;
    for (size_t i = from; i < h->count && c->open; i++) {
        const state_entry_t *en = &h->entries[i];
        if (already_sent(e, h->epoch, en->offset)) continue;
        buf_reset(&b);
        cable_ext_append_message(&b, s->identifier, s->identifier_len, en->message->data,
                                 en->message->len, e->stream, stream_len, h->epoch, en->offset);
        mark_sent(e, h->epoch, en->offset);
        cable__send_reply(c, &b);
    }
    buf_deinit(&b);
    return 1;
}

static void on_history(void *ud, const state_history_t *h)
{
    struct cable__pending *p = ud;
    cable_conn_t *c = p->conn;
    cable_sub_t *s = c ? cable__find_sub(c, p->identifier, p->identifier_len) : NULL;
    if (s && s->_ext && s->_ext->serial == p->serial && c->open) {
        int ok = hub_sub_active(&s->_hub) && serve(c, s, &p->req, h);
        if (ok)
            log_debug("cable conn=%llu history served stream=%s kept=%zu last=%llu asked=%s:%llu "
                      "since=%lld",
                      cable__conn_id(c), s->_ext->stream, h->count, (unsigned long long)h->last,
                      p->req.has_position ? p->req.epoch : "-", (unsigned long long)p->req.offset,
                      (long long)p->req.since);
        else
            log_info("cable conn=%llu history rejected stream=%s", cable__conn_id(c),
                     s->_ext->stream ? s->_ext->stream : "");
        answer(c, s, !ok, p->delayed);
        unhold(s);
    }
    cable__pending_free(p);
}

void cable__history_request(cable_conn_t *c, cable_sub_t *s, const json_t *h, int delayed)
{
    struct cable__ext_sub *e = s->_ext;
    cable_history_req_t req;
    const char *why = NULL;
    int rc = ERR_INVAL;
    if (!e->stream || !hub_sub_active(&s->_hub))
        why = "history for a stream no longer received";
    else
        rc = cable_history_parse(h, e->stream, &req, &why);
    if (rc != 0) {
        cable__log_ignored(c, why, s->identifier, s->identifier_len);
        answer(c, s, 1, delayed);
        cable__history_release(s);
        return;
    }
    struct cable__pending *p =
        cable__pending_new(c, CABLE_PENDING_HISTORY, s->identifier, s->identifier_len);
    p->serial = e->serial;
    p->req = req;
    p->delayed = delayed;
    /* Held from now until the answer is sent; the restore's hold, if any,
     * is covered by this one. */
    e->holding++;
    cable__history_release(s);
    rc = cable__state->ops->history(cable__state, e->stream, on_history, p);
    if (rc != 0) {
        cable__pending_free(p);
        answer(c, s, 1, delayed);
        unhold(s);
    }
}

/* ---- a restore's hold ---------------------------------------------------------------------- */

static void on_release_timer(uv_timer_t *t)
{
    struct cable__pending *p = t->data;
    cable_conn_t *c = p->conn;
    cable_sub_t *s = c ? cable__find_sub(c, p->identifier, p->identifier_len) : NULL;
    if (s && s->_ext && s->_ext->serial == p->serial) cable__history_release(s);
    cable__pending_free(p);
}

void cable__history_hold(cable_conn_t *c, cable_sub_t *s)
{
    s->_ext->restore_hold = 1;
    s->_ext->holding++;
    struct cable__pending *p =
        cable__pending_new(c, CABLE_PENDING_RELEASE, s->identifier, s->identifier_len);
    p->serial = s->_ext->serial;
    cable__pending_timer(p, RESTORE_HOLD_MS, on_release_timer);
}

void cable__history_release(cable_sub_t *s)
{
    if (!s->_ext->restore_hold) return;
    s->_ext->restore_hold = 0;
    unhold(s);
}
