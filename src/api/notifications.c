/* api/notifications: in-app notifications over HTTP.
 *
 *   POST /api/admin/v2/notifications                                   app token
 *        {community_member_id, notifiable_type?, notifiable_title?, actor_name?, action_web_url?,
 *         action?, display_action?, notifiable_id?, actor_id?, ...} -> 201 Notification
 *   GET  /api/headless/v1/notifications?page&per_page&sort&status      member token
 *   GET  /api/headless/v1/notifications/new_notifications_count
 *   POST /api/headless/v1/notifications/reset_new_notifications_count
 *   POST /api/headless/v1/notifications/mark_all_as_read
 *   POST /api/headless/v1/notifications/:id/mark_as_read
 *
 * Each handler checks the token and the request on the loop thread, then
 * runs the store work on a worker (api/job.h). A member only ever reaches
 * their own notifications: every store call is scoped by the token's
 * member, so another member's id is simply not found. The events that keep
 * the member's NotificationChannel current are published from the worker
 * once the change is committed, on that member's stream only. */
#include "api/job.h"

#include "core/alloc.h"
#include "core/err.h"
#include "domain/events.h"
#include "domain/notifications.h"
#include "domain/time.h"

#include <stdlib.h>
#include <string.h>

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 100
#define PAGE_MAX 1000000000LL

static const char NOT_FOUND[] = "Notification not found";
static const char MEMBER_NOT_FOUND[] = "Community member not found";

/* ---- helpers --------------------------------------------------------------------------------- */

/* A positive id given as a JSON integer or a string of digits; 0 when
 * absent or null, -1 when anything else. */
static long long json_id(const json_t *v)
{
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
    if (!json_is_string(v)) return -1;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0 || len > 18 || strspn(s, "0123456789") != len) return -1;
    return strtoll(s, NULL, 10);
}

/* A route's :id as a positive integer, 0 when it is not one. */
static long long route_id(const http_exchange_t *x)
{
    size_t len;
    const char *v = http_route_param(&x->params, "id", &len);
    if (!v || len == 0 || len > 18) return 0;
    long long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') return 0;
        n = n * 10 + (v[i] - '0');
    }
    return n;
}

/* Query parameter 'name' into 'out' (NUL-terminated). Returns 1 found, 0
 * absent, -1 malformed (bad escape, or longer than 'cap' - 1 bytes). */
static int query_text(const http_request_t *req, const char *name, char *out, size_t cap)
{
    buf_t v = BUF_INIT;
    int rc = req->query ? http_query_get(req->query, req->query_len, name, &v) : 0;
    if (rc == 1) {
        if (v.len >= cap || memchr(buf_head(&v), '\0', v.len))
            rc = -1;
        else
            memcpy(out, buf_head(&v), v.len + 1);
    }
    buf_deinit(&v);
    return rc;
}

/* A positive integer query parameter up to 'max'; 'dflt' when absent, -1
 * when malformed or out of range. */
static long long query_int(const http_request_t *req, const char *name, long long dflt,
                           long long max)
{
    char s[24];
    int rc = query_text(req, name, s, sizeof s);
    if (rc == 0) return dflt;
    if (rc < 0 || s[0] == '\0' || strspn(s, "0123456789") != strlen(s)) return -1;
    long long n = strtoll(s, NULL, 10);
    return n >= 1 && n <= max ? n : -1;
}

static void publish_count(pubsub_t *ps, long long member_id, const char *event, long long count)
{
    char stream[DOMAIN_STREAM_MAX];
    domain_stream_notifications(stream, member_id);
    json_t *data = json_pack("{s:I}", "new_notifications_count", (json_int_t)count);
    domain_event_publish(ps, stream, event, data);
    json_decref(data);
}

static void fail_internal(api_job_t *job)
{
    api_job_fail(job, 500, NULL, "Internal server error");
}

/* ---- admin: create --------------------------------------------------------------------------- */

/* The body members with a meaning of their own; everything else goes to
 * 'extra'. id, created_at, read_at are ours and are dropped. */
static const char *const known_fields[] = {
    "community_member_id", "notifiable_type", "notifiable_title", "actor_name",
    "action_web_url",      "action",          "display_action",   "notifiable_id",
    "actor_id",            "id",              "created_at",       "read_at",
};

static int is_known(const char *key)
{
    for (size_t i = 0; i < sizeof known_fields / sizeof known_fields[0]; i++)
        if (strcmp(key, known_fields[i]) == 0) return 1;
    return 0;
}

/* Copy an optional string member into *out. Returns 0, or -1 when it is
 * neither a string nor null. */
static int take_string(const json_t *body, const char *key, char **out)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) return -1;
    *out = xstrndup(json_string_value(v), json_string_length(v));
    return 0;
}

static void notification_free(void *p)
{
    store_notification_clear(p);
    free(p);
}

/* Read the body into a new row. Returns NULL after answering 400. */
static store_notification_t *read_body(http_exchange_t *x, const json_t *body)
{
    store_notification_t *n = xcalloc(1, sizeof *n);
    const char *field = NULL, *problem = NULL;
    json_t *member = json_object_get(body, "community_member_id");
    n->member_id = json_id(member);
    n->notifiable_id = json_id(json_object_get(body, "notifiable_id"));
    n->actor_id = json_id(json_object_get(body, "actor_id"));
    static const char *const strings[] = {"notifiable_type", "notifiable_title", "actor_name",
                                          "action_web_url", "action", "display_action"};
    char **dest[] = {&n->notifiable_type, &n->notifiable_title, &n->actor_name,
                     &n->action_web_url, &n->action, &n->display_action};
    if (!member || json_is_null(member)) {
        field = "community_member_id", problem = "is required";
    } else if (n->member_id <= 0) {
        field = "community_member_id", problem = "is invalid";
    } else if (n->notifiable_id < 0) {
        field = "notifiable_id", problem = "must be an integer";
    } else if (n->actor_id < 0) {
        field = "actor_id", problem = "must be an integer";
    } else {
        for (size_t i = 0; i < sizeof strings / sizeof strings[0] && !field; i++)
            if (take_string(body, strings[i], dest[i]) != 0)
                field = strings[i], problem = "must be a string";
    }
    if (!field && n->action && n->action[0] == '\0') field = "action", problem = "can't be blank";
    if (field) {
        notification_free(n);
        api_respond_field_error(x, 400, field, problem);
        return NULL;
    }
    if (!n->action) n->action = xstrdup("notification");

    json_t *extra = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        if (!is_known(key)) json_object_set(extra, key, v);
    }
    if (json_object_size(extra) > 0) n->extra = json_dumps(extra, JSON_COMPACT);
    json_decref(extra);
    return n;
}

static void work_create(api_job_t *job)
{
    const api_context_t *ctx = job->ctx;
    store_notification_t *n = job->data;
    n->community_id = ctx->community->id;
    store_member_t m;
    int rc = ctx->store->ops->member_get(ctx->store, ctx->community->id, n->member_id, &m);
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, NULL, "%s", MEMBER_NOT_FOUND);
        return;
    }
    if (rc) {
        fail_internal(job);
        return;
    }
    store_member_clear(&m);
    if (domain_notify(ctx->store, ctx->pubsub, n) != 0) {
        fail_internal(job);
        return;
    }
    api_job_ok(job, 201, domain_notification_json(n));
}

static void on_create(http_exchange_t *x, void *ctx)
{
    if (!api__require_app_token(x, ctx)) return;
    json_t *body = api_body_object(x);
    if (!body) return;
    store_notification_t *n = read_body(x, body);
    json_decref(body);
    if (n) api_job_start(x, ctx, NULL, work_create, n, notification_free);
}

/* ---- member API ------------------------------------------------------------------------------ */

/* What a member request needs. */
struct member_req {
    long long member;
    long long id;            /* :id of mark_as_read */
    long long page, per_page;
    int oldest;              /* sort=oldest */
    char status[8];          /* "all", "read", "unread" */
};

/* Check the token and start a member request; NULL after answering 401. */
static struct member_req *begin(http_exchange_t *x, const api_context_t *ctx)
{
    long long member;
    if (!api__require_member(x, ctx, &member)) return NULL;
    struct member_req *r = xcalloc(1, sizeof *r);
    r->member = member;
    strcpy(r->status, "all");
    return r;
}

/* The page of records: the store lists newest first, so an oldest-first
 * page is the mirrored window of that order, reversed. If a notification
 * arrives between counting and reading, the window is taken again. */
static int list_page(store_t *s, const struct member_req *r, store_notification_t **rows,
                     size_t *count, long long *total)
{
    long long offset = (r->page - 1) * r->per_page;
    if (!r->oldest)
        return s->ops->notifications_list(s, r->member, r->status, offset, r->per_page, rows,
                                          count, total);
    int rc = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        long long before;
        rc = s->ops->notifications_list(s, r->member, r->status, 0, 0, rows, count, &before);
        if (rc) return rc;
        store_notifications_free(*rows, *count);
        *rows = NULL;
        *count = 0;
        *total = before;
        if (offset >= before) return 0;
        long long end = offset + r->per_page < before ? offset + r->per_page : before;
        rc = s->ops->notifications_list(s, r->member, r->status, before - end, end - offset,
                                        rows, count, total);
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

static void work_list(api_job_t *job)
{
    const struct member_req *r = job->data;
    store_notification_t *rows = NULL;
    size_t count = 0;
    long long total = 0;
    if (list_page(job->ctx->store, r, &rows, &count, &total) != 0) {
        fail_internal(job);
        return;
    }
    json_t *records = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(records, domain_notification_json(&rows[i]));
    store_notifications_free(rows, count);
    long long page_count = (total + r->per_page - 1) / r->per_page;
    api_job_ok(job, 200,
               json_pack("{s:I, s:I, s:b, s:I, s:I, s:o}", "page", (json_int_t)r->page,
                         "per_page", (json_int_t)r->per_page, "has_next_page",
                         r->page < page_count, "count", (json_int_t)total, "page_count",
                         (json_int_t)page_count, "records", records));
}

static void on_list(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (!r) return;
    char sort[16] = "";
    r->page = query_int(x->req, "page", 1, PAGE_MAX);
    r->per_page = query_int(x->req, "per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX);
    int sort_rc = query_text(x->req, "sort", sort, sizeof sort);
    int status_rc = query_text(x->req, "status", r->status, sizeof r->status);
    const char *field = NULL, *problem = NULL;
    if (r->page < 0) {
        field = "page", problem = "must be a positive integer";
    } else if (r->per_page < 0) {
        field = "per_page", problem = "must be an integer from 1 to 100";
    } else if (sort_rc < 0 || (sort[0] && strcmp(sort, "newest") && strcmp(sort, "latest") &&
                               strcmp(sort, "oldest"))) {
        field = "sort", problem = "must be newest, latest or oldest";
    } else if (status_rc < 0 || (r->status[0] && strcmp(r->status, "all") &&
                                 strcmp(r->status, "read") && strcmp(r->status, "unread"))) {
        field = "status", problem = "must be all, read or unread";
    }
    if (field) {
        free(r);
        api_respond_field_error(x, 400, field, problem);
        return;
    }
    if (r->status[0] == '\0') strcpy(r->status, "all");
    r->oldest = strcmp(sort, "oldest") == 0;
    api_job_start(x, ctx, NULL, work_list, r, free);
}

static void work_count(api_job_t *job)
{
    const struct member_req *r = job->data;
    store_t *s = job->ctx->store;
    long long n = s->ops->notifications_new_count(s, r->member);
    if (n < 0) {
        fail_internal(job);
        return;
    }
    api_job_ok(job, 200, json_pack("{s:I}", "new_notifications_count", (json_int_t)n));
}

static void on_count(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (r) api_job_start(x, ctx, NULL, work_count, r, free);
}

static void work_reset(api_job_t *job)
{
    const struct member_req *r = job->data;
    store_t *s = job->ctx->store;
    if (s->ops->notifications_reset(s, r->member) != 0) {
        fail_internal(job);
        return;
    }
    publish_count(job->ctx->pubsub, r->member, "resetNewNotificationCount", 0);
    api_job_ok(job, 200, json_pack("{s:i}", "new_notifications_count", 0));
}

static void on_reset(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (r) api_job_start(x, ctx, NULL, work_reset, r, free);
}

static void work_mark_all(api_job_t *job)
{
    const struct member_req *r = job->data;
    store_t *s = job->ctx->store;
    if (s->ops->notifications_mark_all_read(s, r->member, domain_now_ms()) != 0) {
        fail_internal(job);
        return;
    }
    /* Nothing is unread now, so the count is 0 whatever the reset mark. */
    publish_count(job->ctx->pubsub, r->member, "resetNewNotificationCount", 0);
    api_job_ok(job, 200, json_pack("{s:b}", "success", 1));
}

static void on_mark_all(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (r) api_job_start(x, ctx, NULL, work_mark_all, r, free);
}

static void work_mark_one(api_job_t *job)
{
    const struct member_req *r = job->data;
    store_t *s = job->ctx->store;
    long long before = s->ops->notifications_new_count(s, r->member);
    int rc = before < 0 ? (int)before
                        : s->ops->notification_mark_read(s, r->member, r->id, domain_now_ms());
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, NULL, "%s", NOT_FOUND);
        return;
    }
    long long after = rc ? rc : s->ops->notifications_new_count(s, r->member);
    store_notification_t n;
    if (after < 0 || s->ops->notification_get(s, r->member, r->id, &n) != 0) {
        fail_internal(job);
        return;
    }
    /* Marking an old notification, one from before the last reset, or one
     * already read leaves the count as it was: no event then. */
    if (after != before)
        publish_count(job->ctx->pubsub, r->member, "updateNewNotificationCount", after);
    api_job_ok(job, 200, domain_notification_json(&n));
    store_notification_clear(&n);
}

static void on_mark_one(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (!r) return;
    r->id = route_id(x);
    if (r->id <= 0) {
        free(r);
        http_respond_error(x, 404, NOT_FOUND);
        return;
    }
    api_job_start(x, ctx, NULL, work_mark_one, r, free);
}

void api__notifications_register(http_router_t *r, const api_context_t *ctx)
{
    void *d = (void *)ctx;
    http_router_add(r, HTTP_POST, "/api/admin/v2/notifications", on_create, d);
    http_router_add(r, HTTP_GET, "/api/headless/v1/notifications", on_list, d);
    http_router_add(r, HTTP_GET, "/api/headless/v1/notifications/new_notifications_count",
                    on_count, d);
    http_router_add(r, HTTP_POST, "/api/headless/v1/notifications/reset_new_notifications_count",
                    on_reset, d);
    http_router_add(r, HTTP_POST, "/api/headless/v1/notifications/mark_all_as_read", on_mark_all,
                    d);
    http_router_add(r, HTTP_POST, "/api/headless/v1/notifications/:id/mark_as_read", on_mark_one,
                    d);
}
