/* domain/events: event envelopes and stream names. See events.h. */
#include "domain/events.h"

#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

void domain_stream_notifications(char out[DOMAIN_STREAM_MAX], long long member_id)
{
    snprintf(out, DOMAIN_STREAM_MAX, "notification-channel-%lld", member_id);
}

void domain_stream_member_rooms(char out[DOMAIN_STREAM_MAX], long long member_id)
{
    snprintf(out, DOMAIN_STREAM_MAX, "chat-room-channel-%lld", member_id);
}

void domain_stream_room(char out[DOMAIN_STREAM_MAX], long long room_id)
{
    snprintf(out, DOMAIN_STREAM_MAX, "chat-room-%lld-channel", room_id);
}

void domain_stream_member_threads(char out[DOMAIN_STREAM_MAX], long long member_id)
{
    snprintf(out, DOMAIN_STREAM_MAX, "chat-community-member-%lld-threads-channel", member_id);
}

int domain_event_publish(pubsub_t *ps, const char *stream, const char *event, const json_t *data)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"event\":");
    json_append_string(&b, event, strlen(event));
    buf_puts(&b, ",\"data\":");
    json_append_value(&b, data);
    buf_puts(&b, "}");
    payload_t *p = payload_copy(buf_head(&b), b.len);
    buf_deinit(&b);
    int rc = pubsub_publish(ps, stream, strlen(stream), p);
    payload_unref(p);
    if (rc) log_error("events publish failed stream=%s event=%s", stream, event);
    return rc;
}
