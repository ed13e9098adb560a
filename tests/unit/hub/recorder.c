/* A recording hub for the domain's unit tests. See tests/recorder.h. */
#include "recorder.h"

#include "pubsub/local.h"

#include <string.h>

static recorder_cb current;

static void on_deliver(void *ud, const pubsub_names_t *streams, payload_t *message,
                       const pubsub_meta_t *meta)
{
    (void)ud, (void)meta;
    size_t pos = 0, len;
    const char *name;
    while ((name = hub_names_next(streams, &pos, &len))) current(name, len, message);
}

static const pubsub_events_t recording = {.deliver = on_deliver};
static const hub_output_t no_output;

int recorder_start(recorder_t *r, recorder_cb cb)
{
    current = cb;
    r->hub = hub_new(&no_output, 0);
    r->ps = pubsub_local_new(&recording, NULL, NULL);
    return hub_start(r->hub, r->ps);
}

void recorder_stop(recorder_t *r)
{
    pubsub_destroy(r->ps);
    hub_free(r->hub);
    r->ps = NULL;
    r->hub = NULL;
}
