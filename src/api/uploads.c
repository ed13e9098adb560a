/* api/uploads: direct uploads and the files they keep, as Circle's
 * (ActiveStorage's) direct uploads work.
 *
 *   POST /api/headless/v1/direct_uploads   {blob: {filename, content_type, byte_size,
 *                                          checksum, metadata?}} -> 200 direct_upload_response
 *   PUT  /uploads/:token                   the bytes, as direct_upload.url says -> 204
 *   GET  /uploads/:token/:filename         the bytes, while the token lives
 *
 * The tokens are signed and expire (domain/uploads.h); the PUT's is checked
 * from the request head already (api/auth.c), so no body is held for a
 * token that is not ours. The rules and the files are domain/uploads.c's;
 * uploads are on when --data-dir names a directory. */
#include "api/job.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "domain/uploads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static domain_chat_t chat_of(const api_context_t *ctx)
{
    return (domain_chat_t){ctx->store, ctx->hub, ctx->community->id, ctx->community};
}

static const domain_uploads_t off = {NULL, 0};

static const domain_uploads_t *uploads_of(const api_context_t *ctx)
{
    return ctx->uploads ? ctx->uploads : &off;
}

int api__upload_token_ok(const api_context_t *ctx, const char *token, size_t len)
{
    domain_sgid_key_t k;
    domain_sgid_key_init(&k, ctx->community->secret, ctx->community->secret_len);
    return domain_upload_token(&k, token, len, clock_unix_s()) > 0;
}

/* ---- POST direct_uploads ------------------------------------------------------------------- */

static void work_create(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    json_t *out = NULL;
    const char *field = NULL, *problem = NULL;
    int rc = domain_upload_create(&d, uploads_of(job->ctx), job->member,
                                  json_object_get(job->body, "blob"), &out, &field, &problem);
    if (rc == ERR_INVAL)
        api_job_fail(job, 400, json_pack("{s:[s]}", field, problem), "%s %s", field, problem);
    else if (rc == ERR_FORBIDDEN)
        api_job_fail(job, 403, NULL, "%s", problem);
    else if (rc)
        api_job_fail_store(job, rc);
    else
        api_job_ok(job, 200, out);
}

static void on_create(http_exchange_t *x, void *ctx)
{
    long long member;
    if (!api__require_member(x, ctx, &member)) return;
    json_t *body = api_body_object(x);
    if (body) api_job_start_as(x, ctx, member, body, work_create, NULL, NULL);
}

/* ---- the bytes ----------------------------------------------------------------------------- */

/* The :token of the path, copied. NULL after answering 404. */
static char *token_of(http_exchange_t *x)
{
    size_t len;
    const char *v = http_route_param(&x->params, "token", &len);
    if (!v || len == 0 || len >= DOMAIN_SGID_MAX) {
        http_respond_error(x, 404, "Not found");
        return NULL;
    }
    return xstrndup(v, len);
}

static void work_put(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    const char *token = job->data;
    const http_request_t *req = job->x->req;
    const char *problem = NULL;
    int rc = domain_upload_put(&d, uploads_of(job->ctx), token, strlen(token), req->body,
                               req->body_len, &problem);
    if (rc == ERR_NOT_FOUND || rc == ERR_FORBIDDEN)
        api_job_fail(job, 404, NULL, "The upload URL is invalid or has expired.");
    else if (rc == ERR_CONFLICT)
        api_job_fail(job, 409, NULL, "The file of this upload is there already.");
    else if (rc == ERR_INVAL)
        api_job_fail(job, 422, NULL, "%s", problem);
    else if (rc)
        api_job_fail_store(job, rc);
    else
        api_job_ok(job, 204, NULL);
}

static void on_put(http_exchange_t *x, void *ctx)
{
    char *token = token_of(x);
    if (token) api_job_start(x, ctx, NULL, work_put, token, free);
}

static void work_get(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    const char *token = job->data;
    char *bytes = NULL, *type = NULL, *name = NULL;
    size_t n = 0;
    int rc = domain_upload_read(&d, uploads_of(job->ctx), token, strlen(token), &bytes, &n, &type,
                                &name);
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, NULL, "Not found");
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    /* A file is never shown as a page of this server, whatever its type. */
    char headers[400];
    snprintf(headers, sizeof headers,
             "Content-Disposition: attachment; filename=\"%s\"\r\n"
             "X-Content-Type-Options: nosniff\r\nCache-Control: private, max-age=300\r\n",
             name);
    api_job_ok_bytes(job, 200, type, bytes, n, headers);
    free(type);
    free(name);
}

static void on_get(http_exchange_t *x, void *ctx)
{
    char *token = token_of(x);
    if (token) api_job_start(x, ctx, NULL, work_get, token, free);
}

void api__uploads_register(http_router_t *r, const api_context_t *ctx)
{
    void *d = (void *)ctx;
    http_router_add(r, HTTP_POST, "/api/headless/v1/direct_uploads", on_create, d);
    http_router_add(r, HTTP_PUT, "/uploads/:token", on_put, d);
    http_router_add(r, HTTP_GET, "/uploads/:token/:filename", on_get, d);
}
