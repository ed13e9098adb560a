/* api/members: the admin API for community members (app token).
 *
 *   POST /api/admin/v2/community_members  {email, name, sso_user_id?, avatar_url?} -> 201 member
 *   GET  /api/admin/v2/community_members  ?page=1&per_page=10 -> paginated members
 *
 * The page envelope is Circle's Admin API v2 one: page, per_page,
 * has_next_page, count, page_count, records. */
#include "api/job.h"

#include "core/alloc.h"
#include "core/err.h"
#include "domain/members.h"

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

void api__members_register(http_router_t *r, const api_context_t *ctx)
{
    http_router_add(r, HTTP_POST, "/api/admin/v2/community_members", on_create, (void *)ctx);
    http_router_add(r, HTTP_GET, "/api/admin/v2/community_members", on_list, (void *)ctx);
}
