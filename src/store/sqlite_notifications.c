/* store/sqlite_notifications: a member's in-app notifications in SQLite.
 *
 * Two tables (migration 3): 'notifications', one row per notification with
 * read_at 0 while unread, and 'notification_resets', one row per member
 * holding the id of the newest notification at their last reset. The
 * new-notifications count is the number of unread rows above that mark, so
 * a reset needs no write per notification and a later mark-as-read of an
 * old notification leaves the count alone. Every lookup is scoped by the
 * recipient: a member's id never reaches another member's rows. */
#include "core/alloc.h"
#include "core/err.h"
#include "store/sqlite_internal.h"
#include "store/sqlite_notifications.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(base) ((struct store_sqlite *)(base))

/* The ?2 value of the list and count statements; -1 for an unknown status. */
static int status_code(const char *status)
{
    if (!status || strcmp(status, "all") == 0) return 0;
    if (strcmp(status, "read") == 0) return 1;
    if (strcmp(status, "unread") == 0) return 2;
    return -1;
}

/* Columns in the order of NOTIFICATION_GET and NOTIFICATIONS_LIST. */
static void read_notification(sqlite3_stmt *st, void *row)
{
    store_notification_t *n = row;
    n->id = sqlite3_column_int64(st, 0);
    n->community_id = sqlite3_column_int64(st, 1);
    n->member_id = sqlite3_column_int64(st, 2);
    n->actor_id = sqlite3_column_int64(st, 3);
    n->actor_name = sqlite__col_text(st, 4);
    n->action = sqlite__col_text(st, 5);
    n->display_action = sqlite__col_text(st, 6);
    n->notifiable_type = sqlite__col_text(st, 7);
    n->notifiable_id = sqlite3_column_int64(st, 8);
    n->notifiable_title = sqlite__col_text(st, 9);
    n->action_web_url = sqlite__col_text(st, 10);
    n->extra = sqlite__col_text(st, 11);
    n->created_at = sqlite3_column_int64(st, 12);
    n->read_at = sqlite3_column_int64(st, 13);
    n->kind = sqlite__col_text(st, 14);
    n->archived_at = sqlite3_column_int64(st, 15);
    n->parent_type = sqlite__col_text(st, 16);
    n->parent_id = sqlite3_column_int64(st, 17);
}

int sqlite__notification_create(store_t *base, store_notification_t *n)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_NOTIFICATION_INSERT, &db);
    if (!st) return ERR_STORE;
    int64_t now = sqlite__now_ms();
    sqlite3_bind_int64(st, 1, n->community_id);
    sqlite3_bind_int64(st, 2, n->member_id);
    sqlite3_bind_int64(st, 3, n->actor_id);
    sqlite__bind_text(st, 4, n->actor_name);
    sqlite__bind_text(st, 5, n->action);
    sqlite__bind_text(st, 6, n->display_action);
    sqlite__bind_text(st, 7, n->notifiable_type);
    sqlite3_bind_int64(st, 8, n->notifiable_id);
    sqlite__bind_text(st, 9, n->notifiable_title);
    sqlite__bind_text(st, 10, n->action_web_url);
    sqlite__bind_text(st, 11, n->extra);
    sqlite3_bind_int64(st, 12, now);
    sqlite__bind_text(st, 13, n->kind);
    sqlite__bind_text(st, 14, n->parent_type);
    sqlite3_bind_int64(st, 15, n->parent_id);
    int rc = sqlite__run(st, "notification_insert");
    if (rc) return rc;
    n->id = sqlite3_last_insert_rowid(db);
    n->created_at = now;
    n->read_at = 0;
    return 0;
}

int sqlite__notification_get(store_t *base, long long member_id, long long id,
                             store_notification_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_NOTIFICATION_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, id);
    return sqlite__one(st, read_notification, out, "notification_get");
}

static void clear_notification(void *row)
{
    store_notification_clear(row);
}

int sqlite__notifications_list(store_t *base, long long member_id, const char *status,
                               long long offset, long long limit, store_notification_t **rows,
                               size_t *count, long long *total)
{
    struct store_sqlite *s = S(base);
    *rows = NULL;
    *count = 0;
    *total = 0;
    int code = status_code(status);
    if (code < 0) return ERR_INVAL;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_NOTIFICATIONS_COUNT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int(st, 2, code);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite__fail(st, "notifications_count");
    *total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (limit <= 0) return 0;
    st = sqlite__stmt(s, STMT_NOTIFICATIONS_LIST, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int(st, 2, code);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_int64(st, 4, offset);
    int rc;
    *rows = sqlite__collect(st, sizeof **rows, read_notification, clear_notification, count, &rc,
                            "notifications_list");
    return rc;
}

int sqlite__notification_mark_read(store_t *base, long long member_id, long long id, int64_t now)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_NOTIFICATION_MARK_READ, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite__run(st, "notification_mark_read");
    if (rc) return rc;
    /* The statement matches the row whether or not it was read already, so
     * no change means it is not this member's. */
    return sqlite3_changes(db) == 1 ? 0 : ERR_NOT_FOUND;
}

int sqlite__notifications_mark_all_read(store_t *base, long long member_id, const char *kind,
                                        const char *parent_type, long long parent_id, int64_t now)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_NOTIFICATIONS_MARK_ALL_READ, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, now);
    sqlite__bind_text(st, 3, kind);
    sqlite__bind_text(st, 4, parent_type);
    sqlite3_bind_int64(st, 5, parent_id);
    return sqlite__run(st, "notifications_mark_all_read");
}

long long sqlite__notifications_new_count_of(store_t *base, long long member_id, const char *kind)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_NOTIFICATIONS_NEW_COUNT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite__bind_text(st, 2, kind);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite__fail(st, "notifications_new_count");
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

long long sqlite__notifications_new_count(store_t *base, long long member_id)
{
    return sqlite__notifications_new_count_of(base, member_id, NULL);
}

/* Archive or delete one of the member's notifications. */
static int change_one(store_t *base, enum stmt_id id, long long member_id, long long nid,
                      int64_t now, const char *what)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(S(base), id, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, nid);
    if (id == STMT_NOTIFICATION_ARCHIVE) sqlite3_bind_int64(st, 3, now);
    int rc = sqlite__run(st, what);
    if (rc) return rc;
    return sqlite3_changes(db) == 1 ? 0 : ERR_NOT_FOUND;
}

int sqlite__notification_archive(store_t *base, long long member_id, long long id, int64_t now)
{
    return change_one(base, STMT_NOTIFICATION_ARCHIVE, member_id, id, now, "notification_archive");
}

int sqlite__notification_delete(store_t *base, long long member_id, long long id)
{
    return change_one(base, STMT_NOTIFICATION_DELETE, member_id, id, 0, "notification_delete");
}

static void read_preference(sqlite3_stmt *st, void *row)
{
    store_preference_t *p = row;
    snprintf(p->kind, sizeof p->kind, "%s", (const char *)sqlite3_column_text(st, 0));
    p->enabled = sqlite3_column_int(st, 1);
}

int sqlite__preferences_get(store_t *base, long long member_id, const char *medium,
                            store_preference_t **rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_PREFERENCES_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite__bind_text(st, 2, medium);
    int rc;
    *rows =
        sqlite__collect(st, sizeof **rows, read_preference, NULL, count, &rc, "preferences_get");
    return rc;
}

int sqlite__preference_set(store_t *base, long long member_id, const char *medium, const char *kind,
                           int enabled)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_PREFERENCE_SET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite__bind_text(st, 2, medium);
    sqlite__bind_text(st, 3, kind);
    sqlite3_bind_int(st, 4, enabled);
    return sqlite__run(st, "preference_set");
}

int sqlite__notifications_reset(store_t *base, long long member_id)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_NOTIFICATIONS_RESET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, member_id);
    return sqlite__run(st, "notifications_reset");
}
