/* tests/recorder.h: a hub for unit tests of the domain, on the local
 * pub/sub adapter, that hands every published message to a callback once
 * per stream it was published on (control messages included, on
 * HUB_STREAM_CONTROL). No loops run, so nothing is delivered to sockets. */
#ifndef TESTS_RECORDER_H
#define TESTS_RECORDER_H

#include "hub/hub.h"

typedef void (*recorder_cb)(const char *stream, size_t len, payload_t *message);

typedef struct recorder {
    hub_t *hub;
    pubsub_t *ps;
} recorder_t;

/* Start a recording hub calling 'cb' (one recorder at a time). */
int recorder_start(recorder_t *r, recorder_cb cb);
void recorder_stop(recorder_t *r);

#endif
