/* core/payload: refcounted immutable bytes, see payload.h. */
#include "core/payload.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

payload_t *payload_new(size_t len)
{
    payload_t *p = xmalloc(sizeof *p + len + 1);
    atomic_init(&p->refs, 1);
    p->len = len;
    p->data[len] = '\0';
    return p;
}

payload_t *payload_copy(const void *src, size_t len)
{
    payload_t *p = payload_new(len);
    if (len) memcpy(p->data, src, len);
    return p;
}

payload_t *payload_ref(payload_t *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

void payload_unref(payload_t *p)
{
    if (!p) return;
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) free(p);
}
