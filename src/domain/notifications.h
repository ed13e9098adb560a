/* domain/notifications: in-app notifications of a member: creating them
 * (from the host application, a mention, a reply), reading and counting
 * them, and the events that keep the member's NotificationChannel current:
 *
 *   newNotification             Notification            a notification is created
 *   updateNewNotificationCount  {new_notifications_count}   the count changed
 *   resetNewNotificationCount   {new_notifications_count: 0} reset or all marked read
 *
 * Blocking (store I/O): worker threads only. Events are published after
 * the change is committed. */
#ifndef DOMAIN_NOTIFICATIONS_H
#define DOMAIN_NOTIFICATIONS_H

#include "pubsub/pubsub.h"
#include "store/store.h"

#include <jansson.h>

/* Store 'n' (member_id, action and the display fields set by the caller;
 * id and created_at are filled), then publish newNotification and
 * updateNewNotificationCount to its member. Returns 0 or a store error. */
int domain_notify(store_t *s, pubsub_t *ps, store_notification_t *n);
/* The notification as the API and the events show it (Circle's
 * notification object). Returns a new reference. */
json_t *domain_notification_json(const store_notification_t *n);

#endif
