/* store/sqlite_notifications.h: the notification operations of the SQLite
 * adapter (store.h's notification section), plugged into its ops table by
 * store/sqlite.c. Included by store/sqlite*.c only. */
#ifndef STORE_SQLITE_NOTIFICATIONS_H
#define STORE_SQLITE_NOTIFICATIONS_H

#include "store/store.h"

int sqlite__notification_create(store_t *s, store_notification_t *n);
int sqlite__notification_get(store_t *s, long long member_id, long long id,
                             store_notification_t *out);
int sqlite__notifications_list(store_t *s, long long member_id, const char *status,
                               long long offset, long long limit, store_notification_t **rows,
                               size_t *count, long long *total);
int sqlite__notification_mark_read(store_t *s, long long member_id, long long id, int64_t now);
int sqlite__notifications_mark_all_read(store_t *s, long long member_id, const char *kind,
                                        const char *parent_type, long long parent_id, int64_t now);
long long sqlite__notifications_new_count(store_t *s, long long member_id);
long long sqlite__notifications_new_count_of(store_t *s, long long member_id, const char *kind);
int sqlite__notification_archive(store_t *s, long long member_id, long long id, int64_t now);
int sqlite__notification_delete(store_t *s, long long member_id, long long id);
int sqlite__preferences_get(store_t *s, long long member_id, const char *medium,
                            store_preference_t **rows, size_t *count);
int sqlite__preference_set(store_t *s, long long member_id, const char *medium,
                           const char *kind, int enabled);
int sqlite__notifications_reset(store_t *s, long long member_id);

#endif
