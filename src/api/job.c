/* api/job: deferred requests whose work runs on the worker pool. See job.h. */
#include "api/job.h"

#include "auth/members.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/health.h"
#include "core/json.h"
#include "core/log.h"
#include "domain/members.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_work(uv_work_t *w)
{
    api_job_t *job = w->data;
    if (job->member && !auth_members_known(job->member)) {
        int active = domain_member_active(job->ctx->store, job->ctx->community->id, job->member);
        if (active == 0) {
            api_job_fail(job, 401, NULL, "The access token is invalid.");
            return;
        }
        /* A store that cannot answer fails the work itself, with 503. */
        if (active == 1) auth_members_add(job->member);
    }
    job->_work(job);
}

static void respond_error_details(http_exchange_t *x, int status, const char *message,
                                  const json_t *details)
{
    json_t *body = json_pack("{s:b, s:s, s:O}", "success", 0, "message", message, "error_details",
                             details ? details : json_object());
    if (!details) json_decref(json_object_get(body, "error_details"));
    api_respond_value(x, status, body);
    json_decref(body);
}

static void on_done(uv_work_t *w, int status)
{
    api_job_t *job = w->data;
    (void)status;
    http_exchange_t *x = job->x;
    /* A failure while a component reports itself unhealthy (the database
     * file gone, the disk full) is that component's: the client may retry
     * later, or elsewhere. GET /health says why. */
    if (job->status == 500 && !health_ok()) api_job_fail(job, 503, NULL, "Service unavailable");
    if (job->status >= 400)
        respond_error_details(x, job->status, job->message, job->details);
    else if (job->bytes)
        http_respond(x, job->status, job->bytes_type,
                     job->bytes_headers[0] ? job->bytes_headers : NULL, job->bytes, job->bytes_len);
    else if (job->out)
        api_respond_value(x, job->status, job->out);
    else
        http_respond(x, job->status ? job->status : 204, NULL, NULL, NULL, 0);
    json_decref(job->body);
    json_decref(job->out);
    json_decref(job->details);
    free(job->bytes);
    if (job->_free_data) job->_free_data(job->data);
    free(job);
}

void api_job_start(http_exchange_t *x, const api_context_t *ctx, json_t *body,
                   api_job_work_cb work, void *data, void (*free_data)(void *))
{
    api_job_start_as(x, ctx, 0, body, work, data, free_data);
}

void api_job_start_as(http_exchange_t *x, const api_context_t *ctx, long long member,
                      json_t *body, api_job_work_cb work, void *data,
                      void (*free_data)(void *))
{
    api_job_t *job = xcalloc(1, sizeof *job);
    job->ctx = ctx;
    job->member = member;
    job->body = body;
    job->data = data;
    job->_free_data = free_data;
    job->_work = work;
    job->_w.data = job;
    job->x = http_exchange_defer(x);
    int rc = uv_queue_work(&x->conn->loop->uv, &job->_w, on_work, on_done);
    if (rc != 0) {
        log_error("api job not queued err=%s", uv_err_name(rc));
        api_job_fail(job, 503, NULL, "Service unavailable");
        on_done(&job->_w, rc);
    }
}

void api_job_ok(api_job_t *job, int status, json_t *out)
{
    job->status = status;
    json_decref(job->out);
    job->out = out;
}

void api_job_ok_bytes(api_job_t *job, int status, const char *content_type, char *bytes, size_t len,
                      const char *extra)
{
    job->status = status;
    free(job->bytes);
    job->bytes = bytes;
    job->bytes_len = len;
    snprintf(job->bytes_type, sizeof job->bytes_type, "%s", content_type);
    snprintf(job->bytes_headers, sizeof job->bytes_headers, "%s", extra ? extra : "");
}

void api_job_fail(api_job_t *job, int status, json_t *details, const char *fmt, ...)
{
    job->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->message, sizeof job->message, fmt, ap);
    va_end(ap);
    json_decref(job->details);
    job->details = details;
}

void api_job_fail_store(api_job_t *job, int rc)
{
    if (rc == ERR_UNAVAILABLE)
        api_job_fail(job, 503, NULL, "Service unavailable");
    else
        api_job_fail(job, 500, NULL, "Internal server error");
}

void api_respond_value(http_exchange_t *x, int status, const json_t *v)
{
    buf_t b = BUF_INIT;
    json_append_value(&b, v);
    http_respond_json(x, status, buf_head(&b), b.len);
    buf_deinit(&b);
}

void api_respond_field_error(http_exchange_t *x, int status, const char *field,
                             const char *problem)
{
    char message[256];
    snprintf(message, sizeof message, "%s %s", field, problem);
    json_t *details = json_pack("{s:[s]}", field, problem);
    respond_error_details(x, status, message, details);
    json_decref(details);
}

json_t *api_body_object(http_exchange_t *x)
{
    const http_request_t *req = x->req;
    json_error_t err;
    json_t *v = req->body_len ? json_loadb(req->body, req->body_len, 0, &err) : NULL;
    if (!v) {
        http_respond_error(x, 400, req->body_len ? "Request body is not valid JSON"
                                                 : "Request body is required");
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        http_respond_error(x, 400, "Request body must be a JSON object");
        return NULL;
    }
    return v;
}
