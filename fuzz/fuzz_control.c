/* fuzz/fuzz_control: hub_control_parse on arbitrary bytes, as they may
 * arrive from Redis on the control stream.
 *
 * Invariants: a rejected message leaves the struct zeroed; an accepted one
 * has a known type with its fields in range, and encoding it and parsing
 * the result gives the same struct back. */
#include "core/buf.h"
#include "core/err.h"
#include "hub/control.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hub_control_t c;
    int rc = hub_control_parse((const char *)data, size, &c);
    if (rc != 0) {
        static const hub_control_t zero;
        if (rc != ERR_INVAL || memcmp(&c, &zero, sizeof c) != 0) abort();
        return 0;
    }
    switch (c.type) {
    case HUB_CONTROL_REVOKE_TOKEN:
        if (c.jti[0] == '\0' || strnlen(c.jti, sizeof c.jti) >= sizeof c.jti) abort();
        break;
    case HUB_CONTROL_ROOM_ACCESS:
        if (c.room_id <= 0 || c.member_id < 0) abort();
        break;
    case HUB_CONTROL_MEMBER_DISABLED:
        if (c.member_id <= 0) abort();
        break;
    default: abort();
    }
    buf_t b = BUF_INIT;
    if (hub_control_encode(&c, &b) != 0) abort();
    hub_control_t again;
    if (hub_control_parse(buf_head(&b), b.len, &again) != 0) abort();
    if (memcmp(&c, &again, sizeof c) != 0) abort();
    buf_deinit(&b);
    return 0;
}
