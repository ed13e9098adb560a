/* pubsub/local: in-process publish/subscribe. See local.h. */
#include "pubsub/local.h"

#include "core/alloc.h"

#include <stdlib.h>

static int local_subscribe(pubsub_t *ps, const char *stream, size_t len)
{
    /* Every publish is delivered; the hub filters by its own index. */
    (void)ps, (void)stream, (void)len;
    return 0;
}

static int local_publish(pubsub_t *ps, const pubsub_names_t *streams, payload_t *message,
                         pubsub_done_t *done)
{
    ps->events->deliver(ps->events_ud, streams, message);
    if (done) done->cb(done, 0);
    return 0;
}

static void local_destroy(pubsub_t *ps)
{
    free(ps);
}

static const struct pubsub_ops local_ops = {
    .subscribe = local_subscribe,
    .unsubscribe = local_subscribe,
    .publish = local_publish,
    .destroy = local_destroy,
};

pubsub_t *pubsub_local_new(const pubsub_events_t *events, void *ud)
{
    pubsub_t *ps = xcalloc(1, sizeof *ps);
    ps->ops = &local_ops;
    ps->name = "local";
    ps->events = events;
    ps->events_ud = ud;
    return ps;
}
