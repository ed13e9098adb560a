/* pubsub/local: in-process publish/subscribe. See local.h. */
#include "pubsub/local.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Positions for up to this many streams live on the stack. */
#define STACK_POSITIONS 16

struct local {
    pubsub_t base;
    pubsub_history_t history;  /* keep == NULL: none */
    pthread_mutex_t lock;      /* one broadcast at a time gets positions and is handed on */
};

static int local_subscribe(pubsub_t *ps, const char *stream, size_t len)
{
    /* Every publish is delivered; the hub filters by its own index. */
    (void)ps, (void)stream, (void)len;
    return 0;
}

static int reserved(const pubsub_names_t *streams)
{
    /* The hub publishes control messages alone, on their reserved stream. */
    return streams->count == 1 && strncmp(streams->data, "_cabled:", 8) == 0;
}

static int local_publish(pubsub_t *ps, const pubsub_names_t *streams, payload_t *message,
                         const pubsub_meta_t *meta, pubsub_done_t *done)
{
    struct local *l = (struct local *)ps;
    pubsub_meta_t m = meta ? *meta : (pubsub_meta_t){.kind = PUBSUB_BROADCAST};
    m.pos = NULL;
    if (m.kind != PUBSUB_BROADCAST || !l->history.keep || reserved(streams) ||
        streams->count == 0) {
        ps->events->deliver(ps->events_ud, streams, message, &m);
    } else {
        /* Positions and the hand-over under one lock: a later offset of a
         * stream never reaches a loop before an earlier one. */
        pubsub_pos_t stack[STACK_POSITIONS];
        pubsub_pos_t *pos =
            streams->count <= STACK_POSITIONS ? stack : xmalloc(streams->count * sizeof *pos);
        pthread_mutex_lock(&l->lock);
        l->history.keep(l->history.ud, streams, message, pos);
        m.pos = pos;
        ps->events->deliver(ps->events_ud, streams, message, &m);
        pthread_mutex_unlock(&l->lock);
        if (pos != stack) free(pos);
    }
    if (done) done->cb(done, 0);
    return 0;
}

static void local_destroy(pubsub_t *ps)
{
    struct local *l = (struct local *)ps;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static const struct pubsub_ops local_ops = {
    .subscribe = local_subscribe,
    .unsubscribe = local_subscribe,
    .publish = local_publish,
    .destroy = local_destroy,
};

pubsub_t *pubsub_local_new(const pubsub_events_t *events, void *ud,
                           const pubsub_history_t *history)
{
    struct local *l = xcalloc(1, sizeof *l);
    l->base.ops = &local_ops;
    l->base.name = "local";
    l->base.events = events;
    l->base.events_ud = ud;
    if (history) l->history = *history;
    pthread_mutex_init(&l->lock, NULL);
    return &l->base;
}
