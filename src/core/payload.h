/* core/payload: refcounted, immutable bytes shared between connections and
 * threads.
 *
 * A broadcast is framed once into a payload; every subscriber's output
 * queue takes a reference and drops it when the bytes are on the wire. The
 * count is atomic because one payload is queued on connections of several
 * event-loop threads. The bytes follow the header in the same allocation. */
#ifndef CORE_PAYLOAD_H
#define CORE_PAYLOAD_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct payload {
    atomic_uint refs;
    size_t len;
    char data[]; /* 'len' bytes, followed by a NUL for convenience */
} payload_t;

/* Return owned (one reference) a payload of 'len' uninitialised bytes. */
payload_t *payload_new(size_t len);
/* Return owned a payload holding a copy of 'p'. */
payload_t *payload_copy(const void *p, size_t len);
/* Take one more reference; returns 'p'. */
payload_t *payload_ref(payload_t *p);
/* Drop one reference; frees on the last. NULL is a no-op. */
void payload_unref(payload_t *p);

#endif
