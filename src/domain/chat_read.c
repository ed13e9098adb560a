/* domain/chat_read: snapshots of rooms and the views of their messages.
 * See chat_read.h. */
#include "domain/chat_read.h"

#include "core/alloc.h"
#include "core/err.h"
#include "domain/uploads.h"

#include <stdlib.h>
#include <string.h>

void chat_key(const domain_chat_t *d, domain_sgid_key_t *k)
{
    if (d->community)
        domain_sgid_key_init(k, d->community->secret, d->community->secret_len);
    else
        domain_sgid_key_init(k, (const uint8_t *)"", 0);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

static int by_member(const void *a, const void *b)
{
    long long x = (*(const store_person_t *const *)a)->p.member_id;
    long long y = (*(const store_person_t *const *)b)->p.member_id;
    return x < y ? -1 : x > y;
}

static int read_people(const domain_chat_t *d, chat_snapshot_t *s, long long viewer)
{
    store_people_free(s->people, s->count);
    free(s->_by_member);
    s->people = NULL;
    s->_by_member = NULL;
    s->count = 0;
    int rc = d->store->ops->room_people(d->store, s->room.id, viewer, &s->people, &s->count);
    if (rc) return rc;
    s->_by_member = xcalloc(s->count + 1, sizeof *s->_by_member);
    for (size_t i = 0; i < s->count; i++) s->_by_member[i] = &s->people[i];
    qsort(s->_by_member, s->count, sizeof *s->_by_member, by_member);
    return 0;
}

int chat_snapshot_read(const domain_chat_t *d, long long room_id, const char *uuid,
                       long long viewer, chat_snapshot_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = d->store->ops->room_get(d->store, d->community_id, room_id, uuid, &out->room);
    if (rc) return rc;
    if ((rc = read_people(d, out, viewer)) != 0) chat_snapshot_clear(out);
    return rc;
}

int chat_snapshot_reload(const domain_chat_t *d, chat_snapshot_t *s, long long viewer)
{
    return read_people(d, s, viewer);
}

void chat_snapshot_clear(chat_snapshot_t *s)
{
    store_room_clear(&s->room);
    store_people_free(s->people, s->count);
    free(s->_by_member);
    memset(s, 0, sizeof *s);
}

const store_person_t *chat_snapshot_person(const chat_snapshot_t *s, long long member_id)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        long long id = s->_by_member[mid]->p.member_id;
        if (id == member_id) return s->_by_member[mid];
        if (id < member_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- message views -------------------------------------------------------------------------- */

/* A person of the views: a participant, or a member read once (and kept in
 * the views) who is not one any more. */
static chat_person_t person(const domain_chat_t *d, const chat_snapshot_t *s, chat_views_t *out,
                            long long member_id)
{
    chat_person_t p = {.member_id = member_id};
    const store_person_t *sp = chat_snapshot_person(s, member_id);
    if (sp) {
        p.participant_id = sp->p.id;
        p.name = sp->name;
        p.avatar_url = sp->avatar_url;
        return p;
    }
    for (size_t i = 0; i < out->_members_count; i++) {
        if (out->_members[i].id == member_id) {
            p.name = out->_members[i].name;
            p.avatar_url = out->_members[i].avatar_url;
            return p;
        }
    }
    store_member_t m;
    if (d->store->ops->member_get(d->store, d->community_id, member_id, &m) != 0)
        memset(&m, 0, sizeof m);
    m.id = member_id; /* remembered even when gone, so it is asked once */
    out->_members = xrealloc(out->_members, (out->_members_count + 1) * sizeof *out->_members);
    out->_members[out->_members_count++] = m;
    p.name = m.name;
    p.avatar_url = m.avatar_url;
    return p;
}

/* What a thread shows on each of its messages, read once per thread. */
struct thread {
    long long id;
    long long replies;
    int64_t last_reply_at;
    size_t writers;
    long long preview[CHAT_PREVIEW_MAX];
    size_t preview_count;
};

static int read_thread(const domain_chat_t *d, const store_message_t *m, struct thread *t)
{
    memset(t, 0, sizeof *t);
    t->id = m->parent_id ? m->parent_id : m->id;
    if (m->parent_id) {
        store_message_t parent;
        int rc = d->store->ops->message_get(d->store, m->room_id, m->parent_id, &parent);
        if (rc && rc != ERR_NOT_FOUND) return rc;
        if (rc == 0) {
            t->replies = parent.replies_count;
            store_message_clear(&parent);
        }
    } else {
        t->replies = m->replies_count;
    }
    long long at = d->store->ops->thread_last_reply_at(d->store, t->id);
    if (at < 0) return (int)at;
    t->last_reply_at = at;
    long long *ids;
    size_t n;
    int rc = d->store->ops->thread_senders(d->store, t->id, &ids, &n);
    if (rc) return rc;
    t->writers = n;
    for (size_t i = 0; i < n && i < CHAT_PREVIEW_MAX; i++) t->preview[t->preview_count++] = ids[i];
    free(ids);
    return 0;
}

static int cmp_reaction_message(const void *key, const void *row)
{
    long long id = *(const long long *)key;
    long long x = ((const store_reaction_t *)row)->message_id;
    return id < x ? -1 : id > x;
}

int chat_views_read(const domain_chat_t *d, const chat_snapshot_t *s, const store_message_t *rows,
                    size_t n, chat_views_t *out)
{
    memset(out, 0, sizeof *out);
    out->v = xcalloc(n + 1, sizeof *out->v);
    out->count = n;
    struct thread *threads = xcalloc(n + 1, sizeof *threads);
    size_t nthreads = 0;
    long long *ids = xcalloc(n + 1, sizeof *ids);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const store_message_t *m = &rows[i];
        chat_message_view_t *v = &out->v[i];
        ids[i] = m->id;
        v->m = m;
        v->sender = person(d, s, out, m->sender_id);
        if (!m->parent_id && !m->replies_count) continue;
        long long tid = m->parent_id ? m->parent_id : m->id;
        struct thread *t = NULL;
        for (size_t j = 0; j < nthreads && !t; j++)
            if (threads[j].id == tid) t = &threads[j];
        if (!t) {
            t = &threads[nthreads];
            if ((rc = read_thread(d, m, t)) != 0) break;
            nthreads++;
        }
        v->thread_replies = t->replies;
        v->last_reply_at = t->last_reply_at;
        v->writers_count = t->writers;
        for (size_t j = 0; j < t->preview_count; j++)
            v->preview[v->preview_count++] = person(d, s, out, t->preview[j]);
    }
    free(threads);
    if (rc == 0)
        rc =
            d->store->ops->reactions_of(d->store, ids, n, &out->_reactions, &out->_reactions_count);
    free(ids);
    if (rc == 0 && out->_reactions_count) {
        for (size_t i = 0; i < n; i++) {
            const store_reaction_t *hit =
                bsearch(&rows[i].id, out->_reactions, out->_reactions_count,
                        sizeof *out->_reactions, cmp_reaction_message);
            if (!hit) continue;
            while (hit > out->_reactions && hit[-1].message_id == rows[i].id) hit--;
            const store_reaction_t *end = hit;
            while (end < out->_reactions + out->_reactions_count && end->message_id == rows[i].id)
                end++;
            out->v[i].reactions = (chat_reactions_t){hit, (size_t)(end - hit)};
        }
    }
    if (rc == 0) rc = domain_uploads_of_messages(d, rows, n, &out->_attachments);
    if (rc == 0 && out->_attachments)
        for (size_t i = 0; i < n; i++) {
            json_t *a = json_array_get(out->_attachments, i);
            out->v[i].attachments = json_is_array(a) ? a : NULL;
        }
    if (rc) chat_views_clear(out);
    return rc;
}

void chat_views_clear(chat_views_t *v)
{
    free(v->v);
    store_members_free(v->_members, v->_members_count);
    free(v->_reactions);
    json_decref(v->_attachments);
    memset(v, 0, sizeof *v);
}
