/* api/members: community members: the admin API (app token) and the
 * Member API's directory (a member's token), so a client finds someone to
 * message.
 *
 *   POST /api/admin/v2/community_members  {email, name, sso_user_id?, avatar_url?}
 *        -> 201 {message, community_member} (the member's fields also at the top level)
 *   GET  /api/admin/v2/community_members  ?page=1&per_page=10&status=all|inactive -> paginated
 *
 *   GET    /api/admin/v2/community_members/:id                 the member
 *   DELETE /api/admin/v2/community_members/:id                 deactivate
 *   PUT    /api/admin/v2/community_members/:id/delete_member   delete
 *
 *   GET  /api/headless/v1/community_members          ?page&per_page&search_text&sort
 *   POST /api/headless/v1/search/community_members   {page, per_page, search_text, order, status}
 *
 * The page envelope is Circle's: page, per_page, has_next_page, count,
 * page_count, records. Every member object carries the member's signed id
 * ('sgid'), what a mention in a message names them by. A deactivated or
 * deleted member's sockets are cut on every node and their tokens
 * refused. */
#include "api/job.h"

#include "core/alloc.h"
#include "core/err.h"
#include "domain/members.h"
#include "domain/time.h"

#include <stdlib.h>
#include <string.h>

#define PER_PAGE_DEFAULT 10
#define PER_PAGE_MAX     100

static void key_of(const api_context_t *ctx, domain_sgid_key_t *k)
{
    domain_sgid_key_init(k, ctx->community->secret, ctx->community->secret_len);
}

static void work_create(api_job_t *job)
{
    const api_context_t *ctx = job->ctx;
    store_member_t m;
    const char *field = NULL, *problem = NULL;
    int rc = domain_member_create(ctx->store, ctx->community->id, job->body, &m, &field, &problem);
    if (rc == ERR_INVAL || rc == ERR_CONFLICT) {
        api_job_fail(job, rc == ERR_INVAL ? 400 : 409, json_pack("{s:[s]}", field, problem),
                     "%s %s", field, problem);
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    domain_sgid_key_t k;
    key_of(ctx, &k);
    /* Circle's {message, community_member}; the member's fields stay at the
     * top level too, where cabled always answered them. */
    json_t *member = domain_member_json(&m, &k);
    json_t *out = json_deep_copy(member);
    json_object_set_new(out, "message", json_string("The community member has been created."));
    json_object_set_new(out, "community_member", member);
    api_job_ok(job, 201, out);
    store_member_clear(&m);
}

static void on_create(http_exchange_t *x, void *data)
{
    if (!api__require_app_token(x, data)) return;
    json_t *body = api_body_object(x);
    if (!body) return;
    api_job_start(x, data, body, work_create, NULL, NULL);
}

struct page {
    long long page, per_page;
    int status; /* STORE_MEMBERS_* */
    int order;  /* STORE_ORDER_* */
    char *text; /* a LIKE pattern, or NULL */
    int basic;  /* the Member API's member objects */
    int search; /* also Circle's search envelope (meta, next_search_after) */
};

static void page_free(void *p)
{
    free(((struct page *)p)->text);
    free(p);
}

/* Read a positive integer query parameter; 0 when absent, -1 when bad. */
static long long query_int(const http_request_t *req, const char *name, long long max)
{
    buf_t v = BUF_INIT;
    long long n = 0;
    int rc = req->query ? http_query_get(req->query, req->query_len, name, &v) : 0;
    if (rc < 0) {
        n = -1;
    } else if (rc == 1) {
        buf_append(&v, "", 1);
        char *end;
        n = strtoll(buf_head(&v), &end, 10);
        if (end == buf_head(&v) || *end || n < 1 || n > max) n = -1;
    }
    buf_deinit(&v);
    return n;
}

static void work_list(api_job_t *job)
{
    const api_context_t *ctx = job->ctx;
    struct page *p = job->data;
    store_member_t *rows;
    size_t count;
    long long total;
    int rc = ctx->store->ops->members_search(ctx->store, ctx->community->id, p->text, p->status,
                                             p->order, (p->page - 1) * p->per_page, p->per_page,
                                             &rows, &count, &total);
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    domain_sgid_key_t k;
    key_of(ctx, &k);
    json_t *records = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(records, p->basic ? domain_member_basic_json(&rows[i], &k)
                                                : domain_member_json(&rows[i], &k));
    store_members_free(rows, count);
    long long page_count = (total + p->per_page - 1) / p->per_page;
    json_t *out =
        json_pack("{s:I, s:I, s:b, s:I, s:I, s:o}", "page", (json_int_t)p->page, "per_page",
                  (json_int_t)p->per_page, "has_next_page", p->page < page_count, "count",
                  (json_int_t)total, "page_count",
                  /* Circle's Member API lists count at least one page. */
                  (json_int_t)(p->basic && !page_count ? 1 : page_count), "records", records);
    if (p->basic) json_object_set_new(out, "total_record_count", json_integer(total));
    if (p->search) {
        json_object_set_new(out, "meta", json_object());
        json_object_set_new(out, "next_search_after", json_null());
    }
    api_job_ok(job, 200, out);
}

/* A LIKE pattern for 'text' (owned), its wildcards escaped; NULL for none. */
static char *pattern(const char *text, size_t len)
{
    if (!text || len == 0) return NULL;
    char *out = xmalloc(2 * len + 3), *o = out;
    *o++ = '%';
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\') *o++ = '\\';
        *o++ = text[i];
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

static void on_list(http_exchange_t *x, void *data)
{
    if (!api__require_app_token(x, data)) return;
    long long page = query_int(x->req, "page", 1000000000LL);
    long long per_page = query_int(x->req, "per_page", PER_PAGE_MAX);
    if (page < 0) {
        api_respond_field_error(x, 400, "page", "must be a positive integer");
        return;
    }
    if (per_page < 0) {
        api_respond_field_error(x, 400, "per_page", "must be an integer from 1 to 100");
        return;
    }
    /* Circle: active members unless status says all or inactive. */
    buf_t v = BUF_INIT;
    int status = STORE_MEMBERS_ACTIVE;
    int rc = x->req->query ? http_query_get(x->req->query, x->req->query_len, "status", &v) : 0;
    if (rc == 1) {
        buf_append(&v, "", 1);
        const char *st = buf_head(&v);
        status = strcmp(st, "all") == 0        ? STORE_MEMBERS_ALL
                 : strcmp(st, "inactive") == 0 ? STORE_MEMBERS_INACTIVE
                 : strcmp(st, "active") == 0   ? STORE_MEMBERS_ACTIVE
                                               : -1;
    }
    buf_deinit(&v);
    if (rc < 0 || status < 0) {
        api_respond_field_error(x, 400, "status", "must be all or inactive");
        return;
    }
    struct page *p = xcalloc(1, sizeof *p);
    p->page = page ? page : 1;
    p->per_page = per_page ? per_page : PER_PAGE_DEFAULT;
    p->status = status;
    api_job_start(x, data, NULL, work_list, p, page_free);
}

/* GET /api/headless/v1/community_members: active members, alphabetical by
 * default, a page of Circle's basic_community_member. */
static void on_directory(http_exchange_t *x, void *data)
{
    long long member;
    if (!api__require_member(x, data, &member)) return;
    long long page = query_int(x->req, "page", 1000000000LL);
    long long per_page = query_int(x->req, "per_page", PER_PAGE_MAX);
    const char *field = page < 0 ? "page" : per_page < 0 ? "per_page" : NULL;
    struct page *p = xcalloc(1, sizeof *p);
    p->basic = 1;
    p->order = STORE_ORDER_ALPHABETICAL;
    buf_t v = BUF_INIT;
    int rc = x->req->query ? http_query_get(x->req->query, x->req->query_len, "sort", &v) : 0;
    if (rc == 1) {
        buf_append(&v, "", 1);
        const char *sort = buf_head(&v);
        p->order = strcmp(sort, "alphabetical") == 0 ? STORE_ORDER_ALPHABETICAL
                   : strcmp(sort, "oldest") == 0     ? STORE_ORDER_OLDEST
                   : strcmp(sort, "latest") == 0     ? STORE_ORDER_LATEST
                                                     : -1;
    }
    if (!field && (rc < 0 || p->order < 0)) field = "sort";
    buf_deinit(&v);
    rc = x->req->query ? http_query_get(x->req->query, x->req->query_len, "search_text", &v) : 0;
    if (rc == 1) p->text = pattern(buf_head(&v), v.len);
    if (!field && (rc < 0 || (rc == 1 && memchr(buf_head(&v), 0, v.len)))) field = "search_text";
    buf_deinit(&v);
    if (field) {
        page_free(p);
        api_respond_field_error(x, 400, field, "is invalid");
        return;
    }
    p->page = page ? page : 1;
    p->per_page = per_page ? per_page : PER_PAGE_DEFAULT;
    api_job_start_as(x, data, member, NULL, work_list, p, page_free);
}

/* An optional positive integer member of a search body; 'dflt' when
 * absent, -1 when bad. */
static long long body_int(const json_t *body, const char *key, long long dflt, long long max)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v)) return dflt;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max) return -1;
    return json_integer_value(v);
}

/* POST /api/headless/v1/search/community_members: Circle's member search. */
static void on_search(http_exchange_t *x, void *data)
{
    long long member;
    if (!api__require_member(x, data, &member)) return;
    json_t *body = x->req->body_len ? api_body_object(x) : json_object();
    if (!body) return;
    struct page *p = xcalloc(1, sizeof *p);
    p->basic = p->search = 1;
    p->page = body_int(body, "page", 1, 1000000000LL);
    p->per_page = body_int(body, "per_page", 30, PER_PAGE_MAX);
    json_t *text = json_object_get(body, "search_text");
    json_t *order = json_object_get(body, "order");
    json_t *status = json_object_get(body, "status");
    const char *o = json_string_value(order), *st = json_string_value(status);
    p->order = !order || json_is_null(order)    ? STORE_ORDER_ALPHABETICAL
               : !o                             ? -1
               : strcmp(o, "alphabetical") == 0 ? STORE_ORDER_ALPHABETICAL
               : strcmp(o, "oldest") == 0       ? STORE_ORDER_OLDEST
               : strcmp(o, "latest") == 0       ? STORE_ORDER_LATEST
               : strcmp(o, "role") == 0         ? STORE_ORDER_ALPHABETICAL
                                                : -1;
    p->status = !status || json_is_null(status) ? STORE_MEMBERS_ACTIVE
                : !st                           ? -1
                : strcmp(st, "active") == 0     ? STORE_MEMBERS_ACTIVE
                : strcmp(st, "inactive") == 0   ? STORE_MEMBERS_INACTIVE
                                                : -1;
    const char *field = p->page < 0                                            ? "page"
                        : p->per_page < 0                                      ? "per_page"
                        : text && !json_is_null(text) && !json_is_string(text) ? "search_text"
                        : p->order < 0                                         ? "order"
                        : p->status < 0                                        ? "status"
                                                                               : NULL;
    if (!field && json_is_string(text))
        p->text = pattern(json_string_value(text), json_string_length(text));
    json_decref(body);
    if (field) {
        page_free(p);
        api_respond_field_error(x, 400, field, "is invalid");
        return;
    }
    api_job_start_as(x, data, member, NULL, work_list, p, page_free);
}

/* ---- deactivate and delete ------------------------------------------------ */

/* Circle's answer for a member that is not there (any more). */
static void fail_missing(api_job_t *job)
{
    api_job_fail(job, 404, json_pack("{s:s}", "message", "Missing record: community member"),
                 "Oops! Missing record. Please try again later.");
}

/* Answer the outcome of a deactivation or deletion. */
static void finish(api_job_t *job, int rc, const char *message)
{
    if (rc == ERR_NOT_FOUND)
        fail_missing(job);
    else if (rc)
        api_job_fail_store(job, rc);
    else
        api_job_ok(job, 200, json_pack("{s:s}", "message", message));
}

static void work_deactivate(api_job_t *job)
{
    long long id = *(long long *)job->data;
    int rc = domain_member_deactivate(job->ctx->store, job->ctx->hub, job->ctx->community->id, id,
                                      domain_now_ms());
    finish(job, rc, "The community member has been removed from the community.");
}

static void work_delete(api_job_t *job)
{
    long long id = *(long long *)job->data;
    int rc = domain_member_delete(job->ctx->store, job->ctx->hub, job->ctx->community->id, id);
    finish(job, rc, "Member deleted successfully.");
}

/* The member id of the path; NULL after answering 404 for one that is not
 * a positive number. */
static long long *path_id(http_exchange_t *x)
{
    size_t len;
    const char *v = http_route_param(&x->params, "id", &len);
    char tmp[24] = "";
    if (v && len < sizeof tmp) memcpy(tmp, v, len);
    char *end;
    long long id = strtoll(tmp, &end, 10);
    if (!v || len == 0 || len >= sizeof tmp || *end || id <= 0) {
        static const char missing[] =
            "{\"success\":false,\"message\":\"Oops! Missing record. Please try again later.\","
            "\"error_details\":{\"message\":\"Missing record: community member\"}}";
        http_respond_json(x, 404, missing, sizeof missing - 1);
        return NULL;
    }
    long long *p = xmalloc(sizeof *p);
    *p = id;
    return p;
}

static void work_show(api_job_t *job)
{
    store_t *st = job->ctx->store;
    store_member_t m;
    int rc = st->ops->member_get(st, job->ctx->community->id, *(long long *)job->data, &m);
    if (rc == ERR_NOT_FOUND) {
        fail_missing(job);
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    domain_sgid_key_t k;
    key_of(job->ctx, &k);
    api_job_ok(job, 200, domain_member_json(&m, &k));
    store_member_clear(&m);
}

static void on_show(http_exchange_t *x, void *data)
{
    if (!api__require_app_token(x, data)) return;
    long long *id = path_id(x);
    if (id) api_job_start(x, data, NULL, work_show, id, free);
}

static void on_deactivate(http_exchange_t *x, void *data)
{
    if (!api__require_app_token(x, data)) return;
    long long *id = path_id(x);
    if (id) api_job_start(x, data, NULL, work_deactivate, id, free);
}

static void on_delete(http_exchange_t *x, void *data)
{
    if (!api__require_app_token(x, data)) return;
    long long *id = path_id(x);
    if (id) api_job_start(x, data, NULL, work_delete, id, free);
}

void api__members_register(http_router_t *r, const api_context_t *ctx)
{
    http_router_add(r, HTTP_POST, "/api/admin/v2/community_members", on_create, (void *)ctx);
    http_router_add(r, HTTP_GET, "/api/admin/v2/community_members", on_list, (void *)ctx);
    http_router_add(r, HTTP_GET, "/api/admin/v2/community_members/:id", on_show, (void *)ctx);
    http_router_add(r, HTTP_DELETE, "/api/admin/v2/community_members/:id", on_deactivate,
                    (void *)ctx);
    http_router_add(r, HTTP_PUT, "/api/admin/v2/community_members/:id/delete_member", on_delete,
                    (void *)ctx);
    http_router_add(r, HTTP_GET, "/api/headless/v1/community_members", on_directory, (void *)ctx);
    http_router_add(r, HTTP_POST, "/api/headless/v1/search/community_members", on_search,
                    (void *)ctx);
}
