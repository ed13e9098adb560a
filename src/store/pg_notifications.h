/* store/pg_notifications.h: the notification operations of the PostgreSQL
 * adapter (store.h's notification section), plugged into its ops table by
 * store/pg.c. Included by store/pg*.c only. */
#ifndef STORE_PG_NOTIFICATIONS_H
#define STORE_PG_NOTIFICATIONS_H

#include "store/store.h"

int pg__notification_create(store_t *s, store_notification_t *n);
int pg__notification_get(store_t *s, long long member_id, long long id,
                             store_notification_t *out);
int pg__notifications_list(store_t *s, long long member_id, const char *status,
                               long long offset, long long limit, store_notification_t **rows,
                               size_t *count, long long *total);
int pg__notification_mark_read(store_t *s, long long member_id, long long id, int64_t now);
int pg__notifications_mark_all_read(store_t *s, long long member_id, const char *kind,
                                    const char *parent_type, long long parent_id, int64_t now);
long long pg__notifications_new_count_of(store_t *s, long long member_id, const char *kind);
int pg__notification_archive(store_t *s, long long member_id, long long id, int64_t now);
int pg__notification_delete(store_t *s, long long member_id, long long id);
int pg__preferences_get(store_t *s, long long member_id, const char *medium,
                        store_preference_t **rows, size_t *count);
int pg__preference_set(store_t *s, long long member_id, const char *medium, const char *kind,
                       int enabled);
long long pg__notifications_new_count(store_t *s, long long member_id);
int pg__notifications_reset(store_t *s, long long member_id);

#endif
