/* hub/streams: stream names and lists of them. See streams.h. */
#include "hub/streams.h"

#include <stdio.h>
#include <string.h>

void hub_stream_notifications(char out[HUB_STREAM_MAX], long long member_id)
{
    snprintf(out, HUB_STREAM_MAX, "notification-channel-%lld", member_id);
}

void hub_stream_member_rooms(char out[HUB_STREAM_MAX], long long member_id)
{
    snprintf(out, HUB_STREAM_MAX, "chat-room-channel-%lld", member_id);
}

void hub_stream_room(char out[HUB_STREAM_MAX], long long room_id)
{
    snprintf(out, HUB_STREAM_MAX, "chat-room-%lld-channel", room_id);
}

void hub_stream_member_threads(char out[HUB_STREAM_MAX], long long member_id)
{
    snprintf(out, HUB_STREAM_MAX, "chat-community-member-%lld-threads-channel", member_id);
}

int hub_stream_reserved(const char *name, size_t len)
{
    size_t plen = sizeof HUB_STREAM_RESERVED_PREFIX - 1;
    return len >= plen && memcmp(name, HUB_STREAM_RESERVED_PREFIX, plen) == 0;
}

int hub_stream_name_valid(const char *name, size_t len)
{
    return len > 0 && len <= HUB_STREAM_NAME_MAX && !memchr(name, 0, len) &&
           !hub_stream_reserved(name, len);
}

void hub_streams_init(hub_streams_t *s)
{
    buf_init(&s->_names);
    s->count = 0;
}

void hub_streams_deinit(hub_streams_t *s)
{
    buf_deinit(&s->_names);
    s->count = 0;
}

const char *hub_names_next(const pubsub_names_t *names, size_t *pos, size_t *len)
{
    if (*pos >= names->len) return NULL;
    const char *name = names->data + *pos;
    *len = strlen(name);
    *pos += *len + 1;
    return name;
}

void hub_streams_add(hub_streams_t *s, const char *name, size_t len)
{
    /* Lists are short (a room's members at most), so a scan is enough. */
    pubsub_names_t names = hub_streams_names(s);
    size_t pos = 0, n;
    const char *have;
    while ((have = hub_names_next(&names, &pos, &n)))
        if (n == len && memcmp(have, name, len) == 0) return;
    buf_append(&s->_names, name, len);
    buf_append(&s->_names, "", 1);
    s->count++;
}

static void add_formatted(hub_streams_t *s, void (*make)(char *, long long), long long id)
{
    char name[HUB_STREAM_MAX];
    make(name, id);
    hub_streams_add(s, name, strlen(name));
}

void hub_streams_add_room(hub_streams_t *s, long long room_id)
{
    add_formatted(s, hub_stream_room, room_id);
}

void hub_streams_add_member_rooms(hub_streams_t *s, long long member_id)
{
    add_formatted(s, hub_stream_member_rooms, member_id);
}

void hub_streams_add_member_threads(hub_streams_t *s, long long member_id)
{
    add_formatted(s, hub_stream_member_threads, member_id);
}

void hub_streams_add_notifications(hub_streams_t *s, long long member_id)
{
    add_formatted(s, hub_stream_notifications, member_id);
}
