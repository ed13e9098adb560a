/* api/notifications: in-app notifications over HTTP.
 *
 *   POST /api/admin/v2/notifications                                   app token
 *        {community_member_id, notifiable_type?, notifiable_title?, actor_name?, action_web_url?,
 *         action?, display_action?, notifiable_id?, actor_id?, ...} -> 201 Notification
 *   GET  /api/headless/v1/notifications?page&per_page&sort&status      member token
 *   GET  /api/headless/v1/notifications/new_notifications_count
 *   POST /api/headless/v1/notifications/reset_new_notifications_count
 *   POST /api/headless/v1/notifications/mark_all_as_read   {notification_type?, parent_notifiable?}
 *   POST /api/headless/v1/notifications/:id/mark_as_read
 *   POST /api/headless/v1/notifications/:id/archive
 *   DELETE /api/headless/v1/notifications/:id
 *   GET  /api/headless/v1/notification_preferences/:medium
 *   PUT  /api/headless/v1/notification_preferences/:medium?type&enabled
 *   GET  /api/headless/v1/notification_preferences/space_members/:id
 *   PUT  /api/headless/v1/notification_preferences/:medium/spaces?choice
 *   PUT  /api/headless/v1/notification_preferences/:medium/spaces/:id?choice
 *
 * Each handler checks the token and the request on the loop thread, then
 * runs the domain call on a worker (api/job.h) and maps its result to the
 * response. The rules, the store work and the events that keep the
 * member's NotificationChannel current live in domain/notifications. A
 * member only ever reaches their own notifications: every domain call is
 * made for the token's member, so another member's id is simply not
 * found. */
#include "api/job.h"

#include "core/alloc.h"
#include "core/err.h"
#include "domain/chat.h"
#include "domain/notifications.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX     100
#define PAGE_MAX         1000000000LL

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

/* ---- admin: create --------------------------------------------------------------------------- */

/* The body members with a meaning of their own; everything else goes to
 * 'extra'. id, created_at, read_at are ours and are dropped. */
static const char *const known_fields[] = {
    "community_member_id",
    "notifiable_type",
    "notifiable_title",
    "actor_name",
    "action_web_url",
    "action",
    "display_action",
    "notifiable_id",
    "actor_id",
    "id",
    "created_at",
    "read_at",
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
                                          "action_web_url",  "action",           "display_action"};
    char **dest[] = {&n->notifiable_type, &n->notifiable_title, &n->actor_name,
                     &n->action_web_url,  &n->action,           &n->display_action};
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
    int rc = domain_notifications_create(ctx->store, ctx->hub, ctx->community->id, n);
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, NULL, "%s", MEMBER_NOT_FOUND);
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
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
    long long id; /* :id of mark_as_read */
    long long page, per_page;
    int oldest;     /* sort=oldest */
    char status[8]; /* "all", "read", "unread" */
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

static void work_list(api_job_t *job)
{
    const struct member_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_notifications_list(job->ctx->store, r->member, r->status, r->oldest, r->page,
                                       r->per_page, &out);
    if (rc != 0) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200, out);
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
    api_job_start_as(x, ctx, r->member, NULL, work_list, r, free);
}

static void work_count(api_job_t *job)
{
    const struct member_req *r = job->data;
    const api_context_t *ctx = job->ctx;
    long long n = domain_notifications_new_count(ctx->store, r->member);
    long long mentions =
        n < 0 ? n : domain_notifications_new_count_of(ctx->store, r->member, "mention");
    long long inbox = 0;
    int rc = n < 0 ? (int)n : mentions < 0 ? (int)mentions : 0;
    if (rc == 0) {
        domain_chat_t chat = {ctx->store, ctx->hub, ctx->community->id, ctx->community};
        rc = domain_chat_inbox_count(&chat, r->member, &inbox);
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200,
               json_pack("{s:I, s:I, s:I}", "new_notifications_count", (json_int_t)n,
                         "new_mentions_count", (json_int_t)mentions, "new_inbox_count",
                         (json_int_t)inbox));
}

static void on_count(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (r) api_job_start_as(x, ctx, r->member, NULL, work_count, r, free);
}

static void work_reset(api_job_t *job)
{
    const struct member_req *r = job->data;
    int rc = domain_notifications_reset(job->ctx->store, job->ctx->hub, r->member);
    if (rc != 0) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200, json_pack("{s:i}", "new_notifications_count", 0));
}

static void on_reset(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (r) api_job_start_as(x, ctx, r->member, NULL, work_reset, r, free);
}

/* mark_all_as_read's filter: the kind and what the notifiables belong to. */
struct mark_all {
    struct member_req r;
    char kind[32];        /* "" for any */
    char parent_type[32]; /* "" for any */
    long long parent_id;
};

static void work_mark_all(api_job_t *job)
{
    const struct mark_all *m = job->data;
    int rc = domain_notifications_mark_all_read(
        job->ctx->store, job->ctx->hub, m->r.member, m->kind[0] ? m->kind : NULL,
        m->parent_type[0] ? m->parent_type : NULL, m->parent_id);
    if (rc != 0) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200, json_pack("{s:b}", "success", 1));
}

static void on_mark_all(http_exchange_t *x, void *ctx)
{
    struct member_req *r = begin(x, ctx);
    if (!r) return;
    struct mark_all *m = xcalloc(1, sizeof *m);
    m->r = *r;
    free(r);
    /* The body is optional (Circle: notifications_mark_all_as_read_params). */
    json_t *body = NULL;
    if (x->req->body_len && !(body = api_body_object(x))) {
        free(m);
        return;
    }
    json_t *type = json_object_get(body, "notification_type");
    json_t *parent = json_object_get(body, "parent_notifiable");
    const char *field = NULL;
    if (type && !json_is_null(type)) {
        const char *t = json_string_value(type);
        /* "mentions" is the tab new_mentions_count counts; "all" and "inbox" are every kind. */
        if (t && strcmp(t, "mentions") == 0) t = "mention";
        if (t && (strcmp(t, "all") == 0 || strcmp(t, "inbox") == 0 || !t[0]))
            m->kind[0] = '\0';
        else if (t && domain_notification_kind_valid(t))
            snprintf(m->kind, sizeof m->kind, "%s", t);
        else
            field = "notification_type";
    }
    if (!field && parent && !json_is_null(parent)) {
        const char *pt = json_string_value(json_object_get(parent, "type"));
        json_t *pid = json_object_get(parent, "id");
        if (!json_is_object(parent) || !pt || !pt[0] || strlen(pt) >= sizeof m->parent_type ||
            !json_is_integer(pid) || json_integer_value(pid) <= 0) {
            field = "parent_notifiable";
        } else {
            snprintf(m->parent_type, sizeof m->parent_type, "%s", pt);
            m->parent_id = json_integer_value(pid);
        }
    }
    json_decref(body);
    if (field) {
        free(m);
        api_respond_field_error(x, 400, field, "is invalid");
        return;
    }
    api_job_start_as(x, ctx, m->r.member, NULL, work_mark_all, m, free);
}

static void work_mark_one(api_job_t *job)
{
    const struct member_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_notification_mark_read(job->ctx->store, job->ctx->hub, r->member, r->id, &out);
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, NULL, "%s", NOT_FOUND);
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200, out);
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
    api_job_start_as(x, ctx, r->member, NULL, work_mark_one, r, free);
}

/* ---- archive and delete ---------------------------------------------------------------------- */

static void work_take_out(api_job_t *job)
{
    const struct member_req *r = job->data;
    json_t *out = NULL;
    int del = job->body == NULL; /* archive carries no body: see on_take_out */
    int rc =
        del ? domain_notification_delete(job->ctx->store, job->ctx->hub, r->member, r->id, &out)
            : domain_notification_archive(job->ctx->store, job->ctx->hub, r->member, r->id, &out);
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, NULL, "%s", NOT_FOUND);
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200, out);
}

static void on_take_out(http_exchange_t *x, void *ctx, int del)
{
    struct member_req *r = begin(x, ctx);
    if (!r) return;
    r->id = route_id(x);
    if (r->id <= 0) {
        free(r);
        http_respond_error(x, 404, NOT_FOUND);
        return;
    }
    /* The job's body tells the work which of the two it does. */
    api_job_start_as(x, ctx, r->member, del ? NULL : json_object(), work_take_out, r, free);
}

static void on_archive(http_exchange_t *x, void *ctx)
{
    on_take_out(x, ctx, 0);
}

static void on_delete(http_exchange_t *x, void *ctx)
{
    on_take_out(x, ctx, 1);
}

/* ---- preferences ----------------------------------------------------------------------------- */

struct pref_req {
    struct member_req r;
    char medium[16];
    char kind[32];
    int enabled;
};

static domain_chat_t chat_of(const api_context_t *ctx)
{
    return (domain_chat_t){ctx->store, ctx->hub, ctx->community->id, ctx->community};
}

static void work_prefs_get(api_job_t *job)
{
    const struct pref_req *p = job->data;
    json_t *out = NULL, *spaces = NULL;
    domain_chat_t chat = chat_of(job->ctx);
    int rc = domain_preferences_get(job->ctx->store, p->r.member, p->medium, &out);
    if (rc == 0 && (rc = domain_chat_space_choice(&chat, p->r.member, 0, NULL, &spaces)) == 0)
        json_object_set_new(out, "space_preferences", spaces);
    if (rc) {
        json_decref(out);
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200, out);
}

/* ---- space preferences ----------------------------------------------------------------------- */

struct space_req {
    struct member_req r;
    long long id;    /* the space member (participant) id; 0: every space */
    char choice[16]; /* "" to read */
};

static void work_space(api_job_t *job)
{
    const struct space_req *q = job->data;
    domain_chat_t chat = chat_of(job->ctx);
    json_t *out = NULL;
    int rc = domain_chat_space_choice(&chat, q->r.member, q->id, q->choice[0] ? q->choice : NULL,
                                      q->choice[0] ? NULL : &out);
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, json_pack("{s:s}", "message", "Missing record: space member"),
                     "Oops! Missing record. Please try again later.");
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    if (!out)
        out = json_pack("{s:b, s:s}", "success", 1, "message",
                        "Notification preference changed successfully");
    api_job_ok(job, 200, out);
}

/* A space preference request; 'set': the choice of the query is required.
 * NULL after answering. */
static struct space_req *space_begin(http_exchange_t *x, const api_context_t *ctx, int set)
{
    struct member_req *r = begin(x, ctx);
    if (!r) return NULL;
    struct space_req *q = xcalloc(1, sizeof *q);
    q->r = *r;
    free(r);
    size_t len;
    const char *field = NULL;
    const char *medium = http_route_param(&x->params, "medium", &len);
    if (medium &&
        !((len == 6 && !memcmp(medium, "in_app", 6)) || (len == 4 && !memcmp(medium, "push", 4)) ||
          (len == 6 && !memcmp(medium, "mobile", 6))))
        field = "medium";
    if (http_route_param(&x->params, "id", &len)) {
        q->id = route_id(x);
        if (q->id <= 0 && !field) field = "id";
    }
    if (!field && set) {
        int rc = query_text(x->req, "choice", q->choice, sizeof q->choice);
        if (rc != 1 || (strcmp(q->choice, "all") && strcmp(q->choice, "never") &&
                        strcmp(q->choice, "mention")))
            field = "choice";
    }
    if (field) {
        free(q);
        api_respond_field_error(x, 400, field, "is invalid");
        return NULL;
    }
    return q;
}

static void on_space_get(http_exchange_t *x, void *ctx)
{
    struct space_req *q = space_begin(x, ctx, 0);
    if (q) api_job_start_as(x, ctx, q->r.member, NULL, work_space, q, free);
}

static void on_space_set(http_exchange_t *x, void *ctx)
{
    struct space_req *q = space_begin(x, ctx, 1);
    if (q) api_job_start_as(x, ctx, q->r.member, NULL, work_space, q, free);
}

static void work_prefs_set(api_job_t *job)
{
    const struct pref_req *p = job->data;
    int rc = domain_preference_set(job->ctx->store, p->r.member, p->medium, p->kind, p->enabled);
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200,
               json_pack("{s:b, s:s}", "success", 1, "message",
                         "Notification preference changed successfully"));
}

/* A preference request: the medium of the path and, to change one, the
 * type and enabled of the query (or of a JSON body). NULL after answering. */
static struct pref_req *pref_begin(http_exchange_t *x, const api_context_t *ctx, int set)
{
    struct member_req *r = begin(x, ctx);
    if (!r) return NULL;
    struct pref_req *p = xcalloc(1, sizeof *p);
    p->r = *r;
    free(r);
    size_t len;
    const char *v = http_route_param(&x->params, "medium", &len);
    const char *field = NULL;
    if (!v || len >= sizeof p->medium) {
        field = "medium";
    } else {
        memcpy(p->medium, v, len);
        if (strcmp(p->medium, "in_app") && strcmp(p->medium, "push") && strcmp(p->medium, "mobile"))
            field = "medium";
    }
    if (!field && set) {
        char enabled[8] = "";
        int trc = query_text(x->req, "type", p->kind, sizeof p->kind);
        int erc = query_text(x->req, "enabled", enabled, sizeof enabled);
        json_t *body = NULL;
        if ((trc == 0 || erc == 0) && x->req->body_len) {
            json_error_t err;
            body = json_loadb(x->req->body, x->req->body_len, 0, &err);
        }
        json_t *bt = json_object_get(body, "type"), *be = json_object_get(body, "enabled");
        if (trc == 0 && json_is_string(bt))
            trc =
                snprintf(p->kind, sizeof p->kind, "%s", json_string_value(bt)) < (int)sizeof p->kind
                    ? 1
                    : -1;
        if (erc == 0 && json_is_boolean(be)) {
            snprintf(enabled, sizeof enabled, "%s", json_is_true(be) ? "true" : "false");
            erc = 1;
        }
        json_decref(body);
        if (trc != 1 || !domain_notification_kind_valid(p->kind))
            field = "type";
        else if (erc != 1 || (strcmp(enabled, "true") && strcmp(enabled, "false")))
            field = "enabled";
        p->enabled = strcmp(enabled, "true") == 0;
    }
    if (field) {
        free(p);
        api_respond_field_error(x, 400, field, "is invalid");
        return NULL;
    }
    return p;
}

static void on_prefs_get(http_exchange_t *x, void *ctx)
{
    struct pref_req *p = pref_begin(x, ctx, 0);
    if (p) api_job_start_as(x, ctx, p->r.member, NULL, work_prefs_get, p, free);
}

static void on_prefs_set(http_exchange_t *x, void *ctx)
{
    struct pref_req *p = pref_begin(x, ctx, 1);
    if (p) api_job_start_as(x, ctx, p->r.member, NULL, work_prefs_set, p, free);
}

void api__notifications_register(http_router_t *r, const api_context_t *ctx)
{
    void *d = (void *)ctx;
    http_router_add(r, HTTP_POST, "/api/admin/v2/notifications", on_create, d);
    http_router_add(r, HTTP_GET, "/api/headless/v1/notifications", on_list, d);
    http_router_add(r, HTTP_GET, "/api/headless/v1/notifications/new_notifications_count", on_count,
                    d);
    http_router_add(r, HTTP_POST, "/api/headless/v1/notifications/reset_new_notifications_count",
                    on_reset, d);
    http_router_add(r, HTTP_POST, "/api/headless/v1/notifications/mark_all_as_read", on_mark_all,
                    d);
    http_router_add(r, HTTP_POST, "/api/headless/v1/notifications/:id/mark_as_read", on_mark_one,
                    d);
    http_router_add(r, HTTP_POST, "/api/headless/v1/notifications/:id/archive", on_archive, d);
    http_router_add(r, HTTP_DELETE, "/api/headless/v1/notifications/:id", on_delete, d);
    http_router_add(r, HTTP_GET, "/api/headless/v1/notification_preferences/:medium", on_prefs_get,
                    d);
    http_router_add(r, HTTP_PUT, "/api/headless/v1/notification_preferences/:medium", on_prefs_set,
                    d);
    http_router_add(r, HTTP_GET, "/api/headless/v1/notification_preferences/space_members/:id",
                    on_space_get, d);
    http_router_add(r, HTTP_PUT, "/api/headless/v1/notification_preferences/:medium/spaces",
                    on_space_set, d);
    http_router_add(r, HTTP_PUT, "/api/headless/v1/notification_preferences/:medium/spaces/:id",
                    on_space_set, d);
}
