/* store/pg_notifications: a member's in-app notifications in PostgreSQL,
 * with the tables and rules of store/sqlite_notifications.c: one row per
 * notification (read_at 0 while unread) and one reset mark per member (the
 * id of their newest notification at the last reset). Every lookup is
 * scoped by the recipient. */
#include "core/err.h"
#include "store/pg_internal.h"
#include "store/pg_notifications.h"

#include <stdlib.h>
#include <string.h>

#define S(base) ((struct store_pg *)(base))

/* The $2 of the list and count statements; -1 for an unknown status. */
static int status_code(const char *status)
{
    if (!status || strcmp(status, "all") == 0) return 0;
    if (strcmp(status, "read") == 0) return 1;
    if (strcmp(status, "unread") == 0) return 2;
    return -1;
}

/* Columns in the order of PG_NOTIFICATION_COLUMNS. */
static void read_notification(const PGresult *r, int row, void *out)
{
    store_notification_t *n = out;
    n->id = pg__col_int(r, row, 0);
    n->community_id = pg__col_int(r, row, 1);
    n->member_id = pg__col_int(r, row, 2);
    n->actor_id = pg__col_int(r, row, 3);
    n->actor_name = pg__col_text(r, row, 4);
    n->action = pg__col_text(r, row, 5);
    n->display_action = pg__col_text(r, row, 6);
    n->notifiable_type = pg__col_text(r, row, 7);
    n->notifiable_id = pg__col_int(r, row, 8);
    n->notifiable_title = pg__col_text(r, row, 9);
    n->action_web_url = pg__col_text(r, row, 10);
    n->extra = pg__col_text(r, row, 11);
    n->created_at = pg__col_int(r, row, 12);
    n->read_at = pg__col_int(r, row, 13);
    n->kind = pg__col_text(r, row, 14);
    n->archived_at = pg__col_int(r, row, 15);
    n->parent_type = pg__col_text(r, row, 16);
    n->parent_id = pg__col_int(r, row, 17);
}

static void read_id(const PGresult *r, int row, void *out)
{
    *(long long *)out = pg__col_int(r, row, 0);
}

int pg__notification_create(store_t *base, store_notification_t *n)
{
    int64_t now = pg__now_ms();
    pg_params_t p = {0};
    pg__int(&p, n->community_id);
    pg__int(&p, n->member_id);
    pg__int(&p, n->actor_id);
    pg__text(&p, n->actor_name);
    pg__text(&p, n->action);
    pg__text(&p, n->display_action);
    pg__text(&p, n->notifiable_type);
    pg__int(&p, n->notifiable_id);
    pg__text(&p, n->notifiable_title);
    pg__text(&p, n->action_web_url);
    pg__text(&p, n->extra);
    pg__int(&p, now);
    pg__text(&p, n->kind);
    pg__text(&p, n->parent_type);
    pg__int(&p, n->parent_id);
    long long id = 0;
    int rc =
        pg__one_op(S(base), PG_STMT_NOTIFICATION_INSERT, &p, read_id, &id, "notification_insert");
    if (rc) return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
    n->id = id;
    n->created_at = now;
    n->read_at = 0;
    return 0;
}

int pg__notification_get(store_t *base, long long member_id, long long id,
                         store_notification_t *out)
{
    memset(out, 0, sizeof *out);
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__int(&p, id);
    return pg__one_op(S(base), PG_STMT_NOTIFICATION_GET, &p, read_notification, out,
                      "notification_get");
}

int pg__notifications_list(store_t *base, long long member_id, const char *status, long long offset,
                           long long limit, store_notification_t **rows, size_t *count,
                           long long *total)
{
    struct store_pg *s = S(base);
    *rows = NULL;
    *count = 0;
    *total = 0;
    int code = status_code(status);
    if (code < 0) return ERR_INVAL;
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__int(&p, code);
    long long n = pg__value(s, c, PG_STMT_NOTIFICATIONS_COUNT, &p, "notifications_count");
    if (n < 0) {
        rc = (int)n;
    } else {
        *total = n;
        if (limit > 0) {
            pg__int(&p, limit);
            pg__int(&p, offset);
            *rows = pg__collect(s, c, PG_STMT_NOTIFICATIONS_LIST, &p, sizeof **rows,
                                read_notification, count, &rc, "notifications_list");
        }
    }
    pg__release(s, c);
    return rc;
}

int pg__notification_mark_read(store_t *base, long long member_id, long long id, int64_t now)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__int(&p, id);
    pg__int(&p, now);
    long long changed = 0;
    int rc =
        pg__run_op(S(base), PG_STMT_NOTIFICATION_MARK_READ, &p, &changed, "notification_mark_read");
    if (rc) return rc;
    /* The statement matches the row whether or not it was read already, so
     * no change means it is not this member's. */
    return changed == 1 ? 0 : ERR_NOT_FOUND;
}

int pg__notifications_mark_all_read(store_t *base, long long member_id, const char *kind,
                                    const char *parent_type, long long parent_id, int64_t now)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__int(&p, now);
    pg__text(&p, kind);
    pg__text(&p, parent_type);
    pg__int(&p, parent_id);
    return pg__run_op(S(base), PG_STMT_NOTIFICATIONS_MARK_ALL_READ, &p, NULL,
                      "notifications_mark_all_read");
}

long long pg__notifications_new_count_of(store_t *base, long long member_id, const char *kind)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__text(&p, kind);
    return pg__value_op(S(base), PG_STMT_NOTIFICATIONS_NEW_COUNT, &p, "notifications_new_count");
}

long long pg__notifications_new_count(store_t *base, long long member_id)
{
    return pg__notifications_new_count_of(base, member_id, NULL);
}

int pg__notification_archive(store_t *base, long long member_id, long long id, int64_t now)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__int(&p, id);
    pg__int(&p, now);
    long long changed = 0;
    int rc =
        pg__run_op(S(base), PG_STMT_NOTIFICATION_ARCHIVE, &p, &changed, "notification_archive");
    if (rc) return rc;
    return changed == 1 ? 0 : ERR_NOT_FOUND;
}

int pg__notification_delete(store_t *base, long long member_id, long long id)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__int(&p, id);
    long long changed = 0;
    int rc = pg__run_op(S(base), PG_STMT_NOTIFICATION_DELETE, &p, &changed, "notification_delete");
    if (rc) return rc;
    return changed == 1 ? 0 : ERR_NOT_FOUND;
}

static void read_preference(const PGresult *r, int row, void *out)
{
    store_preference_t *p = out;
    pg__col_copy(r, row, 0, p->kind, sizeof p->kind);
    p->enabled = (int)pg__col_int(r, row, 1);
}

int pg__preferences_get(store_t *base, long long member_id, const char *medium,
                        store_preference_t **rows, size_t *count)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__text(&p, medium);
    int rc;
    *rows = pg__collect_op(S(base), PG_STMT_PREFERENCES_GET, &p, sizeof **rows, read_preference,
                           count, &rc, "preferences_get");
    return rc;
}

int pg__preference_set(store_t *base, long long member_id, const char *medium, const char *kind,
                       int enabled)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    pg__text(&p, medium);
    pg__text(&p, kind);
    pg__int(&p, enabled);
    return pg__run_op(S(base), PG_STMT_PREFERENCE_SET, &p, NULL, "preference_set");
}

int pg__notifications_reset(store_t *base, long long member_id)
{
    pg_params_t p = {0};
    pg__int(&p, member_id);
    return pg__run_op(S(base), PG_STMT_NOTIFICATIONS_RESET, &p, NULL, "notifications_reset");
}
