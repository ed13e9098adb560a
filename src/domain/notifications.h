/* domain/notifications: in-app notifications of a member: creating them
 * (from the host application, a mention, a reply), reading and counting
 * them, and the events that keep the member's NotificationChannel current:
 *
 *   newNotification             Notification            a notification is created
 *   updateNewNotificationCount  {new_notifications_count}   the count changed
 *   resetNewNotificationCount   {new_notifications_count: 0} reset or all marked read
 *
 * Every function acts for one member and reaches only that member's
 * notifications. Blocking (store I/O): worker threads only. Events are
 * published after the change is committed. */
#ifndef DOMAIN_NOTIFICATIONS_H
#define DOMAIN_NOTIFICATIONS_H

#include "hub/hub.h"
#include "store/store.h"

#include <jansson.h>

/* Store 'n' (member_id, action, kind and the display fields set by the
 * caller; id and created_at are filled), then publish newNotification and
 * updateNewNotificationCount to its member. When the member muted its kind
 * (n->kind, in_app preferences), nothing is stored or published and n->id
 * is 0. Returns 0 or a store error. */
int domain_notify(store_t *s, hub_t *hub, store_notification_t *n);
/* 1 when 'kind' is one of the preference kinds (Circle's names:
 * post_comment, comment_reply, mention, direct_messages, post_like,
 * comment_like, live, new_course_content, poll). */
int domain_notification_kind_valid(const char *kind);
/* The member's preferences for 'medium' ("in_app", "push" or "mobile"; the
 * last two are one) as Circle shows them: {notification_preferences:
 * [{type, name, enabled}], space_preferences: []}. ERR_INVAL for another
 * medium. */
int domain_preferences_get(store_t *s, long long member_id, const char *medium, json_t **out);
/* Enable or mute one kind for a medium. ERR_INVAL for an unknown medium or
 * kind. */
int domain_preference_set(store_t *s, long long member_id, const char *medium, const char *kind,
                          int enabled);
/* Create a notification from the host application: check that
 * n->member_id is a member of 'community_id', set n->community_id, then
 * store and announce it as domain_notify does ('n' is borrowed, its strings
 * stay the caller's; id, created_at and read_at are filled). Returns 0;
 * ERR_NOT_FOUND when the member does not exist in the community (nothing
 * stored, nothing published); or another store error (never
 * ERR_NOT_FOUND). Publishes newNotification and updateNewNotificationCount
 * to the member on success. */
int domain_notifications_create(store_t *s, hub_t *hub, long long community_id,
                                store_notification_t *n);
/* One page of a member's notifications ('status' "all", "read" or
 * "unread"; NULL is "all"), newest first, or oldest first when
 * 'oldest_first'. 'page' counts from 1 and 'per_page' is at least 1. On
 * success sets *out to the page envelope {page, per_page, has_next_page,
 * count, page_count, records: [Notification]} (returns owned: the caller
 * drops it with json_decref) and returns 0; otherwise *out is untouched and
 * the return is ERR_INVAL (page or per_page below 1, unknown status) or a
 * store error. Publishes nothing. */
int domain_notifications_list(store_t *s, long long member_id, const char *status, int oldest_first,
                              long long page, long long per_page, json_t **out);
/* The member's new-notifications count: unread notifications newer than
 * their last reset. Returns it (>= 0) or a negative store error. Publishes
 * nothing. */
long long domain_notifications_new_count(store_t *s, long long member_id);
/* Reset the member's new-notifications count to 0 (the notifications stay
 * unread). Returns 0 or a store error. Publishes resetNewNotificationCount
 * {new_notifications_count: 0} to the member on success, nothing on
 * failure. */
int domain_notifications_reset(store_t *s, hub_t *hub, long long member_id);
/* Mark the member's notifications read now: all of them, or those of
 * 'kind' (NULL: any) whose notifiable belongs to 'parent_type' 'parent_id'
 * (NULL: any). Returns 0 or a store error. Publishes
 * resetNewNotificationCount {new_notifications_count: 0} to the member when
 * all were marked (nothing is unread, whatever the reset mark), else
 * updateNewNotificationCount with the count as it is; nothing on failure. */
int domain_notifications_mark_all_read(store_t *s, hub_t *hub, long long member_id,
                                       const char *kind, const char *parent_type,
                                       long long parent_id);
/* The count of new notifications of one kind ("mention": Circle's
 * new_mentions_count), or a negative store error. */
long long domain_notifications_new_count_of(store_t *s, long long member_id, const char *kind);
/* Take a notification of the member out of the inbox (archive: it stays,
 * marked; delete: it goes). *out is the notification (as archived; as it
 * was before deletion). ERR_NOT_FOUND when the member has no such
 * notification. Publishes updateNewNotificationCount when the count moved. */
int domain_notification_archive(store_t *s, hub_t *hub, long long member_id, long long id,
                                json_t **out);
int domain_notification_delete(store_t *s, hub_t *hub, long long member_id, long long id,
                               json_t **out);
/* Mark the member's notification 'id' read now (a notification already
 * read keeps its first read_at). On success sets *out to the Notification
 * as it now is (returns owned: json_decref) and returns 0. Returns
 * ERR_NOT_FOUND when the member has no notification 'id' (another member's
 * is not found either), or another store error; *out is then untouched.
 * Publishes updateNewNotificationCount with the new count to the member
 * only when marking it changed the count (not for one already read or one
 * older than the last reset), and nothing on failure. */
int domain_notification_mark_read(store_t *s, hub_t *hub, long long member_id, long long id,
                                  json_t **out);
/* The notification as the API and the events show it (Circle's
 * notification object). Returns a new reference. */
json_t *domain_notification_json(const store_notification_t *n);

#endif
