/* domain/notifications: creating a member's in-app notification and the
 * Notification object clients see. See notifications.h.
 *
 * domain_notify stores the row first and publishes only once it is
 * committed, newNotification then updateNewNotificationCount, both on the
 * recipient's own notification-channel-{member} stream. The Notification
 * object has a fixed set of fields, every one present (null when it does
 * not apply), followed by whatever else the host application sent, kept as
 * the row's 'extra' object; those never replace a fixed field. */
#include "domain/notifications.h"

#include "domain/events.h"
#include "domain/time.h"

#include <stddef.h>

/* A string member, null when absent (or, defensively, not valid UTF-8). */
static void set_string(json_t *o, const char *key, const char *v)
{
    json_t *s = v ? json_string(v) : NULL;
    json_object_set_new(o, key, s ? s : json_null());
}

/* An id member, null when 0 (none). */
static void set_id(json_t *o, const char *key, long long v)
{
    json_object_set_new(o, key, v ? json_integer(v) : json_null());
}

json_t *domain_notification_json(const store_notification_t *n)
{
    char at[32];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(n->id));
    domain_time_iso(n->created_at, at);
    json_object_set_new(o, "created_at", json_string(at));
    if (n->read_at) {
        domain_time_iso(n->read_at, at);
        json_object_set_new(o, "read_at", json_string(at));
    } else {
        json_object_set_new(o, "read_at", json_null());
    }
    set_string(o, "action", n->action);
    set_string(o, "notifiable_type", n->notifiable_type);
    set_id(o, "notifiable_id", n->notifiable_id);
    set_string(o, "actor_name", n->actor_name);
    set_string(o, "notifiable_title", n->notifiable_title);
    set_string(o, "display_action", n->display_action);
    set_string(o, "action_web_url", n->action_web_url);
    json_object_set_new(o, "community_member_id", json_integer(n->member_id));
    set_id(o, "actor_id", n->actor_id);
    if (n->extra) {
        json_t *extra = json_loads(n->extra, 0, NULL);
        const char *key;
        json_t *v;
        if (json_is_object(extra)) {
            json_object_foreach(extra, key, v)
            {
                if (!json_object_get(o, key)) json_object_set(o, key, v);
            }
        }
        json_decref(extra);
    }
    return o;
}

/* Publish {"new_notifications_count": count} as 'event' to the member. */
static void publish_count(pubsub_t *ps, long long member_id, const char *event, long long count)
{
    char stream[DOMAIN_STREAM_MAX];
    domain_stream_notifications(stream, member_id);
    json_t *data = json_pack("{s:I}", "new_notifications_count", (json_int_t)count);
    domain_event_publish(ps, stream, event, data);
    json_decref(data);
}

int domain_notify(store_t *s, pubsub_t *ps, store_notification_t *n)
{
    /* The caller's strings are borrowed: default the action on a copy. */
    store_notification_t row = *n;
    if (!row.action) row.action = (char *)"notification";
    int rc = s->ops->notification_create(s, &row);
    if (rc) return rc;
    n->id = row.id;
    n->created_at = row.created_at;
    n->read_at = row.read_at;

    char stream[DOMAIN_STREAM_MAX];
    domain_stream_notifications(stream, n->member_id);
    json_t *j = domain_notification_json(&row);
    domain_event_publish(ps, stream, "newNotification", j);
    json_decref(j);
    /* A failed count read leaves the client's count stale until the next
     * change; the notification itself is stored and announced. */
    long long count = s->ops->notifications_new_count(s, n->member_id);
    if (count >= 0) publish_count(ps, n->member_id, "updateNewNotificationCount", count);
    return 0;
}
