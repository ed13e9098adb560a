/* api/members: the admin API for community members (app token).
 *
 *   POST /api/admin/v2/community_members  {email, name, sso_user_id?, avatar_url?} -> 201 member
 *   GET  /api/admin/v2/community_members  ?page=1&per_page=10 -> paginated members
 *
 *   GET    /api/admin/v2/community_members/:id                 the member
 *   DELETE /api/admin/v2/community_members/:id                 deactivate
 *   PUT    /api/admin/v2/community_members/:id/delete_member   delete
 *
 * The page envelope is Circle's Admin API v2 one: page, per_page,
 * has_next_page, count, page_count, records. A deactivated or deleted
 * member's sockets are cut on every node and their tokens refused. */
#include "api/job.h"

#include "core/alloc.h"
#include "core/err.h"
#include "domain/members.h"
#include "domain/time.h"

#include <stdlib.h>
#include <string.h>

#define PER_PAGE_DEFAULT 10
#define PER_PAGE_MAX 100

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
    api_job_ok(job, 201, domain_member_json(&m));
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
};

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
    int rc = ctx->store->ops->member_list(ctx->store, ctx->community->id,
                                          (p->page - 1) * p->per_page, p->per_page, &rows,
                                          &count, &total);
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    json_t *records = json_array();
    for (size_t i = 0; i < count; i++) json_array_append_new(records, domain_member_json(&rows[i]));
    store_members_free(rows, count);
    long long page_count = (total + p->per_page - 1) / p->per_page;
    api_job_ok(job, 200,
               json_pack("{s:I, s:I, s:b, s:I, s:I, s:o}", "page", (json_int_t)p->page, "per_page",
                         (json_int_t)p->per_page, "has_next_page", p->page < page_count, "count",
                         (json_int_t)total, "page_count", (json_int_t)page_count, "records",
                         records));
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
    struct page *p = xmalloc(sizeof *p);
    p->page = page ? page : 1;
    p->per_page = per_page ? per_page : PER_PAGE_DEFAULT;
    api_job_start(x, data, NULL, work_list, p, free);
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
    api_job_ok(job, 200, domain_member_json(&m));
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
}
