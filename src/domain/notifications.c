/* domain/notifications: a member's in-app notifications: creating them,
 * listing and counting them, marking them read, resetting the count, and
 * the Notification object clients see. See notifications.h.
 *
 * Every change is made in the store first and published only once it is
 * committed, on the member's own notification-channel-{member} stream:
 * domain_notify sends newNotification then updateNewNotificationCount;
 * reset and mark-all send resetNewNotificationCount; marking one read sends
 * updateNewNotificationCount only when the count moved. Every store call is
 * scoped by the member, so another member's notification is simply not
 * found. The Notification object has a fixed set of fields, every one
 * present (null when it does not apply), followed by whatever else the host
 * application sent, kept as the row's 'extra' object; those never replace a
 * fixed field. */
#include "domain/notifications.h"

#include "core/err.h"
#include "domain/time.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A string member Circle types as a string: "" when not set (or,
 * defensively, not valid UTF-8). */
static void set_string(json_t *o, const char *key, const char *v)
{
    json_t *s = v ? json_string(v) : NULL;
    json_object_set_new(o, key, s ? s : json_string(""));
}

/* An id member, null when 0 (none). */
static void set_id(json_t *o, const char *key, long long v)
{
    json_object_set_new(o, key, v ? json_integer(v) : json_null());
}

static void set_time(json_t *o, const char *key, int64_t ms)
{
    char at[32];
    if (!ms) {
        json_object_set_new(o, key, json_null());
        return;
    }
    domain_time_iso(ms, at);
    json_object_set_new(o, key, json_string(at));
}

json_t *domain_notification_json(const store_notification_t *n)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(n->id));
    set_time(o, "created_at", n->created_at);
    set_time(o, "read_at", n->read_at);
    set_string(o, "action", n->action);
    /* Circle's notifiable_id and notifiable are left out when there is none
     * (its schema has no null for them). */
    if (n->notifiable_id) json_object_set_new(o, "notifiable_id", json_integer(n->notifiable_id));
    set_string(o, "display_action", n->display_action);
    json_object_set_new(o, "notification_text_structure",
                        json_pack("[s, s, s]", "actor_name", "display_action", "notifiable_title"));
    set_string(o, "actor_name", n->actor_name);
    set_string(o, "notifiable_title", n->notifiable_title);
    json_object_set_new(o, "actor_image", json_null());
    json_object_set_new(o, "second_actor_image", json_null());
    json_object_set_new(o, "second_actor_name", json_null());
    set_string(o, "notifiable_type", n->notifiable_type);
    set_string(o, "action_web_url", n->action_web_url);
    if (n->notifiable_id) {
        json_t *notifiable = json_pack("{s:I, s:I}", "id", (json_int_t)n->notifiable_id,
                                       "community_id", (json_int_t)n->community_id);
        if (n->parent_type && strcmp(n->parent_type, "ChatRoom") == 0)
            json_object_set_new(notifiable, "chat_room_id", json_integer(n->parent_id));
        json_object_set_new(o, "notifiable", notifiable);
    }
    json_object_set_new(o, "community_member_id", json_integer(n->member_id));
    set_id(o, "actor_id", n->actor_id);
    json_object_set_new(o, "notification_type", n->kind ? json_string(n->kind) : json_null());
    set_time(o, "archived_at", n->archived_at);
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

/* Publish 'event' with 'data' (borrowed) on the member's notification
 * stream. */
static void publish(hub_t *hub, long long member_id, const char *event, const json_t *data)
{
    hub_streams_t streams = HUB_STREAMS_INIT;
    hub_streams_add_notifications(&streams, member_id);
    hub_publish_event(hub, &streams, event, data);
    hub_streams_deinit(&streams);
}

/* Publish {"new_notifications_count": count} as 'event' to the member. */
static void publish_count(hub_t *hub, long long member_id, const char *event, long long count)
{
    json_t *data = json_pack("{s:I}", "new_notifications_count", (json_int_t)count);
    publish(hub, member_id, event, data);
    json_decref(data);
}

/* ---- preferences ----------------------------------------------------------------------------- */

/* The kinds a member may mute, with Circle's names for them. */
static const struct {
    const char *kind, *name;
} kinds[] = {
    {"post_comment", "Comments on my posts"},
    {"comment_reply", "Replies to my comments"},
    {"mention", "Mentions"},
    {"direct_messages", "Direct messages"},
    {"post_like", "Likes on my posts"},
    {"comment_like", "Likes on my comments"},
    {"live", "Live streams/rooms"},
    {"new_course_content", "New course content"},
    {"poll", "Polls"},
};

int domain_notification_kind_valid(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i].kind) == 0) return 1;
    return 0;
}

/* The medium a name stands for: push and mobile are one. */
static const char *medium_of(const char *name)
{
    if (strcmp(name, "in_app") == 0) return "in_app";
    if (strcmp(name, "push") == 0 || strcmp(name, "mobile") == 0) return "mobile";
    return NULL;
}

int domain_preferences_get(store_t *s, long long member_id, const char *medium, json_t **out)
{
    const char *m = medium_of(medium);
    if (!m) return ERR_INVAL;
    store_preference_t *rows;
    size_t n;
    int rc = s->ops->preferences_get(s, member_id, m, &rows, &n);
    if (rc) return rc;
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        int enabled = 1;
        for (size_t j = 0; j < n; j++)
            if (strcmp(rows[j].kind, kinds[i].kind) == 0) enabled = rows[j].enabled;
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "type", kinds[i].kind, "name",
                                              kinds[i].name, "enabled", enabled));
    }
    free(rows);
    *out = json_pack("{s:o, s:[]}", "notification_preferences", list, "space_preferences");
    /* The spaces are chat's: the caller fills space_preferences. */
    return 0;
}

int domain_preference_set(store_t *s, long long member_id, const char *medium, const char *kind,
                          int enabled)
{
    const char *m = medium_of(medium);
    if (!m || !domain_notification_kind_valid(kind)) return ERR_INVAL;
    return s->ops->preference_set(s, member_id, m, kind, enabled);
}

/* 1 when the member takes in-app notifications of 'kind' (NULL: of no
 * kind, always), 0 when muted, or a negative store error. */
static int wanted(store_t *s, long long member_id, const char *kind)
{
    if (!kind) return 1;
    store_preference_t *rows;
    size_t n;
    int rc = s->ops->preferences_get(s, member_id, "in_app", &rows, &n);
    if (rc) return rc;
    int enabled = 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].kind, kind) == 0) enabled = rows[i].enabled;
    free(rows);
    return enabled;
}

int domain_notify(store_t *s, hub_t *hub, store_notification_t *n)
{
    /* A muted kind makes no notification and no event. */
    int want = wanted(s, n->member_id, n->kind);
    if (want < 0) return want;
    n->id = 0;
    if (!want) return 0;
    /* The caller's strings are borrowed: default the action on a copy. */
    store_notification_t row = *n;
    if (!row.action) row.action = (char *)"notification";
    int rc = s->ops->notification_create(s, &row);
    if (rc) return rc;
    n->id = row.id;
    n->created_at = row.created_at;
    n->read_at = row.read_at;

    json_t *j = domain_notification_json(&row);
    publish(hub, n->member_id, "newNotification", j);
    json_decref(j);
    /* A failed count read leaves the client's count stale until the next
     * change; the notification itself is stored and announced. */
    long long count = s->ops->notifications_new_count(s, n->member_id);
    if (count >= 0) publish_count(hub, n->member_id, "updateNewNotificationCount", count);
    return 0;
}

/* ---- create ---------------------------------------------------------------------------------- */

int domain_notifications_create(store_t *s, hub_t *hub, long long community_id,
                                store_notification_t *n)
{
    n->community_id = community_id;
    store_member_t m;
    int rc = s->ops->member_get(s, community_id, n->member_id, &m);
    if (rc == ERR_NOT_FOUND) return ERR_NOT_FOUND;
    if (rc) return rc;
    store_member_clear(&m);
    rc = domain_notify(s, hub, n);
    /* Only a missing member is "not found"; past that check, any failure
     * is the store's. */
    return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
}

/* ---- list and count -------------------------------------------------------------------------- */

/* The rows of one page: the store lists newest first, so an oldest-first
 * page is the mirrored window of that order, reversed. If a notification
 * arrives between counting and reading, the window is taken again. */
static int list_page(store_t *s, long long member_id, const char *status, int oldest_first,
                     long long offset, long long per_page, store_notification_t **rows,
                     size_t *count, long long *total)
{
    if (!oldest_first)
        return s->ops->notifications_list(s, member_id, status, offset, per_page, rows, count,
                                          total);
    int rc = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        long long before;
        rc = s->ops->notifications_list(s, member_id, status, 0, 0, rows, count, &before);
        if (rc) return rc;
        store_notifications_free(*rows, *count);
        *rows = NULL;
        *count = 0;
        *total = before;
        if (offset >= before) return 0;
        long long end = offset + per_page < before ? offset + per_page : before;
        rc = s->ops->notifications_list(s, member_id, status, before - end, end - offset, rows,
                                        count, total);
        if (rc) return rc;
        /* Under a steady stream of new ones, the last window read is kept. */
        if (*total == before || attempt == 2) break;
        store_notifications_free(*rows, *count);
        *rows = NULL;
        *count = 0;
    }
    for (size_t i = 0; i < *count / 2; i++) {
        store_notification_t t = (*rows)[i];
        (*rows)[i] = (*rows)[*count - 1 - i];
        (*rows)[*count - 1 - i] = t;
    }
    return 0;
}

int domain_notifications_list(store_t *s, long long member_id, const char *status, int oldest_first,
                              long long page, long long per_page, json_t **out)
{
    if (page < 1 || per_page < 1 || page - 1 > LLONG_MAX / per_page) return ERR_INVAL;
    if (!status) status = "all";
    store_notification_t *rows = NULL;
    size_t count = 0;
    long long total = 0;
    int rc = list_page(s, member_id, status, oldest_first, (page - 1) * per_page, per_page, &rows,
                       &count, &total);
    if (rc) return rc;
    json_t *records = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(records, domain_notification_json(&rows[i]));
    store_notifications_free(rows, count);
    long long page_count = (total + per_page - 1) / per_page;
    *out = json_pack("{s:I, s:I, s:b, s:I, s:I, s:o}", "page", (json_int_t)page, "per_page",
                     (json_int_t)per_page, "has_next_page", page < page_count, "count",
                     (json_int_t)total, "page_count", (json_int_t)page_count, "records", records);
    return 0;
}

long long domain_notifications_new_count(store_t *s, long long member_id)
{
    return s->ops->notifications_new_count(s, member_id);
}

/* ---- reset and mark read --------------------------------------------------------------------- */

int domain_notifications_reset(store_t *s, hub_t *hub, long long member_id)
{
    int rc = s->ops->notifications_reset(s, member_id);
    if (rc) return rc;
    publish_count(hub, member_id, "resetNewNotificationCount", 0);
    return 0;
}

int domain_notifications_mark_all_read(store_t *s, hub_t *hub, long long member_id,
                                       const char *kind, const char *parent_type,
                                       long long parent_id)
{
    int rc = s->ops->notifications_mark_all_read(s, member_id, kind, parent_type, parent_id,
                                                 domain_now_ms());
    if (rc) return rc;
    if (!kind && !parent_type) {
        /* Nothing is unread now, so the count is 0 whatever the reset mark. */
        publish_count(hub, member_id, "resetNewNotificationCount", 0);
        return 0;
    }
    /* Some may be left unread: the count as it now is. */
    long long count = s->ops->notifications_new_count(s, member_id);
    if (count < 0) return (int)count;
    publish_count(hub, member_id, "updateNewNotificationCount", count);
    return 0;
}

long long domain_notifications_new_count_of(store_t *s, long long member_id, const char *kind)
{
    return s->ops->notifications_new_count_of(s, member_id, kind);
}

/* Archive or delete: the notification as it was (archived: as it is now),
 * and the count when it moved. */
static int take_out(store_t *s, hub_t *hub, long long member_id, long long id, int del,
                    json_t **out)
{
    long long before = s->ops->notifications_new_count(s, member_id);
    if (before < 0) return (int)before;
    store_notification_t n;
    int rc = s->ops->notification_get(s, member_id, id, &n);
    if (rc) return rc;
    rc = del ? s->ops->notification_delete(s, member_id, id)
             : s->ops->notification_archive(s, member_id, id, domain_now_ms());
    if (rc == 0 && !del) {
        store_notification_clear(&n);
        rc = s->ops->notification_get(s, member_id, id, &n);
        if (rc == ERR_NOT_FOUND) rc = ERR_STORE;
        if (rc) return rc;
    }
    if (rc) {
        store_notification_clear(&n);
        return rc;
    }
    long long after = s->ops->notifications_new_count(s, member_id);
    if (after >= 0 && after != before)
        publish_count(hub, member_id, "updateNewNotificationCount", after);
    *out = domain_notification_json(&n);
    store_notification_clear(&n);
    return 0;
}

int domain_notification_archive(store_t *s, hub_t *hub, long long member_id, long long id,
                                json_t **out)
{
    return take_out(s, hub, member_id, id, 0, out);
}

int domain_notification_delete(store_t *s, hub_t *hub, long long member_id, long long id,
                               json_t **out)
{
    return take_out(s, hub, member_id, id, 1, out);
}

int domain_notification_mark_read(store_t *s, hub_t *hub, long long member_id, long long id,
                                  json_t **out)
{
    long long before = s->ops->notifications_new_count(s, member_id);
    if (before < 0) return (int)before;
    int rc = s->ops->notification_mark_read(s, member_id, id, domain_now_ms());
    if (rc) return rc;
    long long after = s->ops->notifications_new_count(s, member_id);
    if (after < 0) return after == ERR_NOT_FOUND ? ERR_STORE : (int)after;
    store_notification_t n;
    rc = s->ops->notification_get(s, member_id, id, &n);
    /* The row was just marked: failing to read it back is the store's. */
    if (rc) return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
    /* Marking an old notification, one from before the last reset, or one
     * already read leaves the count as it was: no event then. */
    if (after != before) publish_count(hub, member_id, "updateNewNotificationCount", after);
    *out = domain_notification_json(&n);
    store_notification_clear(&n);
    return 0;
}
