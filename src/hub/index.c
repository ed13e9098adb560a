/* hub/index: each loop's own stream index, and the work the hub posts to a
 * loop. Only the loop's thread touches its index, so subscribing,
 * delivering and unsubscribing take no lock:
 *
 *   stream "chat-room-42-channel"                 (struct entry)
 *     ├─ identifier group "{\"channel\":…,\"chat_room_id\":42}"   (struct group)
 *     │    └─ subscriptions, one per connection  (hub_sub_t, linked in place)
 *     └─ waiting: subscriptions until the adapter says the stream is ready
 *
 * A broadcast's frame for an identifier is built once (this loop's cache,
 * struct frames) and the same bytes are queued on every subscriber of the
 * group; so is its permessage-deflate twin, compressed once for every
 * subscriber that reads compressed frames with the same window. */
#include "hub/hub_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    char *name;
    size_t len;
    uint64_t gen;              /* the node's subscription this entry belongs to */
    int ready;
    unsigned busy;             /* being walked: freed by the walker when it empties */
    size_t count;              /* subscriptions, waiting ones included */
    list_t groups;             /* struct group.node */
    list_t waiting;            /* hub_sub_t._node */
    UT_hash_handle hh;
};

struct group {
    struct entry *entry;
    char *identifier;
    size_t identifier_len;
    size_t count;              /* subscriptions, waiting ones included */
    list_t members;            /* active hub_sub_t._node */
    list_t node;               /* in entry->groups */
};

struct hub__loop {
    unsigned index;
    struct entry *entries;     /* by name */
};

void hub_thread_init(hub_t *h, net_loop_t *loop)
{
    struct hub__loop *l = xcalloc(1, sizeof *l);
    l->index = loop->index;
    h->loops[loop->index] = l;
}

static void entry_free(hub_t *h, struct hub__loop *l, struct entry *e)
{
    HASH_DEL(l->entries, e);
    hub__table_leave(h, l->index, e->name, e->len);
    free(e->name);
    free(e);
}

void hub_thread_deinit(hub_t *h, net_loop_t *loop)
{
    struct hub__loop *l = h->loops[loop->index];
    if (!l) return;
    /* Connections unsubscribe as they close; anything left is a bug, but
     * free it rather than leak it. */
    struct entry *e, *tmp;
    HASH_ITER(hh, l->entries, e, tmp)
    {
        log_error("hub stream=%s still has %zu subscribers at shutdown", e->name, e->count);
        while (!list_empty(&e->waiting)) {
            hub_sub_t *s = LIST_ENTRY(e->waiting.next, hub_sub_t, _node);
            list_unlink(&s->_node);
            s->_group = NULL;
        }
        while (!list_empty(&e->groups)) {
            struct group *g = LIST_ENTRY(e->groups.next, struct group, node);
            while (!list_empty(&g->members)) {
                hub_sub_t *s = LIST_ENTRY(g->members.next, hub_sub_t, _node);
                list_unlink(&s->_node);
                s->_group = NULL;
            }
            list_unlink(&g->node);
            free(g->identifier);
            free(g);
        }
        entry_free(h, l, e);
    }
    free(l);
    h->loops[loop->index] = NULL;
}

static struct hub__loop *this_loop(hub_t *h)
{
    net_loop_t *loop = net_loop_current();
    return loop ? h->loops[loop->index] : NULL;
}

/* ---- subscriptions ------------------------------------------------------------------------- */

int hub_subscribe(hub_t *h, hub_sub_t *s, const char *stream)
{
    struct hub__loop *l = this_loop(h);
    if (!l) return ERR_CLOSED;
    size_t len = strlen(stream);
    struct entry *e;
    HASH_FIND(hh, l->entries, stream, len, e);
    if (!e) {
        e = xcalloc(1, sizeof *e);
        e->name = xstrndup(stream, len);
        e->len = len;
        list_init(&e->groups);
        list_init(&e->waiting);
        HASH_ADD_KEYPTR(hh, l->entries, e->name, e->len, e);
        e->ready = hub__table_join(h, l->index, e->name, e->len, &e->gen);
    }
    struct group *g = NULL;
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &e->groups)
    {
        struct group *cand = LIST_ENTRY(it, struct group, node);
        if (cand->identifier_len == s->identifier_len &&
            memcmp(cand->identifier, s->identifier, s->identifier_len) == 0) {
            g = cand;
            break;
        }
    }
    if (!g) {
        g = xcalloc(1, sizeof *g);
        g->entry = e;
        g->identifier = xstrndup(s->identifier, s->identifier_len);
        g->identifier_len = s->identifier_len;
        list_init(&g->members);
        list_insert_tail(&e->groups, &g->node);
    }
    g->count++;
    e->count++;
    s->_group = g;
    if (e->ready) {
        s->_waiting = 0;
        list_insert_tail(&g->members, &s->_node);
        return 0;
    }
    s->_waiting = 1;
    list_insert_tail(&e->waiting, &s->_node);
    return ERR_AGAIN;
}

/* Take 's' out of the index; frees its group and, unless someone walks it,
 * its entry when they empty. */
static void detach(hub_t *h, struct hub__loop *l, hub_sub_t *s)
{
    struct group *g = s->_group;
    struct entry *e = g->entry;
    list_unlink(&s->_node);
    s->_group = NULL;
    s->_waiting = 0;
    if (--g->count == 0) {
        list_unlink(&g->node);
        free(g->identifier);
        free(g);
    }
    if (--e->count == 0 && !e->busy) entry_free(h, l, e);
}

void hub_unsubscribe(hub_t *h, hub_sub_t *s)
{
    if (!s->_group) return;
    struct hub__loop *l = this_loop(h);
    if (!l) return;
    detach(h, l, s);
}

/* ---- work from the hub --------------------------------------------------------------------- */

/* The frames of one broadcast on this loop, one per distinct identifier,
 * variant and compression (most broadcasts have one or two). */
struct frames {
    struct {
        const char *identifier;  /* a group's: valid during the delivery */
        size_t len;
        size_t variant;          /* HUB_VARIANT_* */
        int bits;                /* permessage-deflate window bits; 0: as built */
        payload_t *frame;
    } e[16];
    size_t n;
};

static payload_t *cache_find(struct frames *f, const struct group *g, size_t variant, int bits)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->e[i].variant == variant && f->e[i].bits == bits &&
            f->e[i].len == g->identifier_len &&
            memcmp(f->e[i].identifier, g->identifier, g->identifier_len) == 0)
            return f->e[i].frame;
    return NULL;
}

static payload_t *cache_add(struct frames *f, const struct group *g, size_t variant, int bits,
                            payload_t *frame)
{
    if (f->n == sizeof f->e / sizeof f->e[0]) {
        /* Many identifiers: the oldest leaves the cache (the queues keep
         * their references). */
        payload_unref(f->e[0].frame);
        memmove(&f->e[0], &f->e[1], (f->n - 1) * sizeof f->e[0]);
        f->n--;
    }
    f->e[f->n].identifier = g->identifier;
    f->e[f->n].len = g->identifier_len;
    f->e[f->n].variant = variant;
    f->e[f->n].bits = bits;
    f->e[f->n].frame = frame;
    f->n++;
    return frame;
}

static payload_t *frame_for(hub_t *h, struct frames *f, const struct group *g,
                            const payload_t *message, size_t variant,
                            const hub_frame_spec_t *spec)
{
    payload_t *frame = cache_find(f, g, variant, 0);
    if (frame) return frame;
    return cache_add(f, g, variant, 0,
                     h->out->frame(g->identifier, g->identifier_len, message, spec));
}

/* The compressed twin of 'frame' (the group's 'variant', held by the
 * caller), compressed once per broadcast on this loop for each window
 * size. */
static payload_t *deflated_for(hub_t *h, struct frames *f, const struct group *g, size_t variant,
                               int bits, payload_t *frame)
{
    payload_t *z = cache_find(f, g, variant, bits);
    if (z) return z;
    return cache_add(f, g, variant, bits, h->out->deflate(frame, bits));
}

void hub__deliver_on_loop(net_loop_t *loop, net_post_t *post)
{
    /* The post is the loop's slot in the broadcast's array of posts. */
    struct hub__broadcast *b = (struct hub__broadcast *)((char *)(post - loop->index) -
                                                         offsetof(struct hub__broadcast, posts));
    hub_t *h = b->hub;
    struct hub__loop *l = h->loops[loop->index];
    struct frames frames = {.n = 0};
    long deliveries = 0, bytes = 0;
    size_t pos = 0, len;
    const char *name;
    for (size_t i = 0; l && (name = hub_names_next(&b->streams, &pos, &len)); i++) {
        struct entry *e;
        HASH_FIND(hh, l->entries, name, len, e);
        if (!e || !e->ready) continue;
        const pubsub_pos_t *at = b->pos && b->pos[i].offset ? &b->pos[i] : NULL;
        /* A subscriber that turns out too slow is disconnected here but
         * unsubscribes only once its socket has closed, so the lists stay
         * intact during the walk. */
        list_t *git, *gtmp;
        LIST_FOREACH_SAFE(git, gtmp, &e->groups)
        {
            struct group *g = LIST_ENTRY(git, struct group, node);
            if (list_empty(&g->members)) continue;
            /* Each variant (plain, positioned, presence) is built once per
             * group, and only when one of its members needs it, and so is
             * its compressed twin; the group holds a reference to each, as
             * the loop's cache may let one go while building another. */
            enum { PLAIN, POSITIONED, PRESENCE, KINDS };
            payload_t *built[KINDS] = {NULL}, *zipped[KINDS] = {NULL};
            int zipped_bits[KINDS] = {0};
            list_t *it, *tmp;
            long queued = 0;
            LIST_FOREACH_SAFE(it, tmp, &g->members)
            {
                hub_sub_t *s = LIST_ENTRY(it, hub_sub_t, _node);
                const pubsub_pos_t *sent_at = NULL;
                if (b->kind == PUBSUB_WHISPER || b->kind == PUBSUB_PRESENCE) {
                    /* The extended protocol's: plain clients never see them. */
                    if (!s->ext) continue;
                    if (b->kind == PUBSUB_WHISPER && s->session &&
                        strcmp(s->session, b->exclude) == 0)
                        continue;
                }
                int k;
                size_t variant;
                hub_frame_spec_t spec = {.kind = b->kind};
                if (b->kind == PUBSUB_PRESENCE) {
                    k = PRESENCE;
                    variant = HUB_VARIANT_PRESENCE;
                    spec.kind = PUBSUB_PRESENCE;
                } else if (s->ext && at) {
                    k = POSITIONED;
                    variant = HUB_VARIANT_STREAM + i;
                    spec = (hub_frame_spec_t){b->kind, name, len, at};
                    sent_at = at;
                } else {
                    k = PLAIN;
                    variant = HUB_VARIANT_PLAIN;
                }
                if (!built[k])
                    built[k] = payload_ref(frame_for(h, &frames, g, b->message, variant, &spec));
                payload_t *frame = built[k];
                if (s->deflate && h->out->deflate) {
                    if (!zipped[k] || zipped_bits[k] != (int)s->deflate) {
                        payload_unref(zipped[k]);
                        zipped[k] = payload_ref(
                            deflated_for(h, &frames, g, variant, (int)s->deflate, built[k]));
                        zipped_bits[k] = (int)s->deflate;
                    }
                    frame = zipped[k];
                }
                if (h->out->send(s, frame, sent_at) == 0) {
                    queued++;
                    bytes += (long)frame->len;
                }
            }
            /* One clock read per group, not per subscriber: each of its
             * frames was queued by now. */
            if (queued)
                metrics_delivery_observe(loop->index, clock_mono_us() - b->received_us, queued);
            deliveries += queued;
            for (int k = 0; k < KINDS; k++) {
                payload_unref(built[k]);
                payload_unref(zipped[k]);
            }
        }
    }
    for (size_t i = 0; i < frames.n; i++) payload_unref(frames.e[i].frame);
    METRIC_ADD(deliveries_total, deliveries);
    METRIC_ADD(bytes_out_total, bytes);
    hub__broadcast_unref(b);
}

/* Let the waiting subscriptions of 'e' go live, one at a time: on_ready
 * may run the connection's queued commands, which subscribe and
 * unsubscribe, so the list is read afresh each turn and the entry is kept
 * alive until the walk ends. */
static void activate(hub_t *h, struct hub__loop *l, struct entry *e)
{
    e->ready = 1;
    e->busy++;
    while (!list_empty(&e->waiting)) {
        hub_sub_t *s = LIST_ENTRY(e->waiting.next, hub_sub_t, _node);
        struct group *g = s->_group;
        list_unlink(&s->_node);
        list_insert_tail(&g->members, &s->_node);
        s->_waiting = 0;
        s->on_ready(s, 1);
    }
    if (--e->busy == 0 && e->count == 0) entry_free(h, l, e);
}

void hub__ready_on_loop(hub_t *h, net_loop_t *loop, const char *name, uint64_t gen)
{
    struct hub__loop *l = h->loops[loop->index];
    if (!l) return;
    struct entry *e;
    HASH_FIND(hh, l->entries, name, strlen(name), e);
    /* A later subscription of the same stream waits for its own answer. */
    if (e && e->gen == gen && !e->ready) activate(h, l, e);
}

void hub__release_on_loop(hub_t *h, net_loop_t *loop)
{
    struct hub__loop *l = h->loops[loop->index];
    if (!l) return;
    /* Names first: activating runs callbacks that change the index. */
    size_t n = 0, cap = 0;
    char **names = NULL;
    struct entry *e, *tmp;
    HASH_ITER(hh, l->entries, e, tmp)
    {
        if (e->ready) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrndup(e->name, e->len);
    }
    for (size_t i = 0; i < n; i++) {
        HASH_FIND(hh, l->entries, names[i], strlen(names[i]), e);
        if (e && !e->ready) activate(h, l, e);
        free(names[i]);
    }
    free(names);
}

void hub__drop_on_loop(hub_t *h, net_loop_t *loop, long long room_id, long long member_id)
{
    struct hub__loop *l = h->loops[loop->index];
    if (!l) return;
    char name[HUB_STREAM_MAX];
    hub_stream_room(name, room_id);
    struct entry *e;
    HASH_FIND(hh, l->entries, name, strlen(name), e);
    if (!e) return;
    /* Detach every match first (the entry may go with the last), then tell
     * the subscriptions that were still waiting that they are refused. */
    size_t n = 0, nwait = 0, cap = e->count;
    hub_sub_t **subs = xmalloc(cap * sizeof *subs);
    hub_sub_t **waiting = xmalloc(cap * sizeof *waiting);
    list_t *git, *gtmp, *it, *tmp;
    LIST_FOREACH_SAFE(git, gtmp, &e->groups)
    {
        struct group *g = LIST_ENTRY(git, struct group, node);
        LIST_FOREACH_SAFE(it, tmp, &g->members)
        {
            hub_sub_t *s = LIST_ENTRY(it, hub_sub_t, _node);
            if (member_id == 0 || s->member_id == member_id) subs[n++] = s;
        }
    }
    LIST_FOREACH_SAFE(it, tmp, &e->waiting)
    {
        hub_sub_t *s = LIST_ENTRY(it, hub_sub_t, _node);
        if (member_id == 0 || s->member_id == member_id) waiting[nwait++] = s;
    }
    for (size_t i = 0; i < n; i++) detach(h, l, subs[i]);
    for (size_t i = 0; i < nwait; i++) detach(h, l, waiting[i]);
    for (size_t i = 0; i < n; i++)
        if (subs[i]->on_dropped) subs[i]->on_dropped(subs[i]);
    if (n + nwait)
        log_info("hub room=%lld member=%lld access revoked subscriptions=%zu", room_id, member_id,
                 n + nwait);
    for (size_t i = 0; i < nwait; i++) waiting[i]->on_ready(waiting[i], 0);
    free(subs);
    free(waiting);
}
