/* pubsub/local: in-process publish/subscribe. See local.h. */
#include "pubsub/local.h"

#include "core/alloc.h"

#include <stdlib.h>

static int local_subscribe(pubsub_t *ps, const char *stream, size_t len)
{
    /* Every publish is delivered locally; the stream index filters. */
    (void)ps, (void)stream, (void)len;
    return 0;
}

static int local_publish(pubsub_t *ps, const char *stream, size_t len, payload_t *message)
{
    ps->deliver(ps->deliver_ud, stream, len, message);
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

pubsub_t *pubsub_local_new(pubsub_deliver_cb deliver, void *ud)
{
    pubsub_t *ps = xcalloc(1, sizeof *ps);
    ps->ops = &local_ops;
    ps->name = "local";
    ps->deliver = deliver;
    ps->deliver_ud = ud;
    return ps;
}
