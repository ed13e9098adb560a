/* api/headless_auth: Headless Auth, the server-to-server token API.
 *
 *   POST  /api/v1/headless/auth_token            app token; {email | community_member_id |
 * sso_user_id} PATCH /api/v1/headless/access_token/refresh  {refresh_token}            (no app
 * token) POST  /api/v1/headless/access_token/revoke   app token; {access_token}  -> 204 POST
 * /api/v1/headless/refresh_token/revoke  app token; {refresh_token} -> 204
 *
 * Field names, status codes and messages follow Circle's Headless Auth API
 * document: a refresh token that is not there is 404, an expired one 401; an
 * access token that cannot be revoked 422; a missing parameter 404 "Oops!
 * Missing parameter". auth_token looks the member up by sso_user_id, else
 * community_member_id, else email, Circle's order of preference. */
#include "api/job.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "domain/auth.h"
#include "domain/members.h"
#include "domain/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH_EXPIRED "The refresh token is expired. Please generate/get new auth token."

/* How the member of an auth_token request is named. */
struct lookup {
    long long member_id; /* > 0 when by id */
    const char *field;   /* "email" or "sso_user_id" otherwise */
    char *value;
};

static void lookup_free(void *p)
{
    struct lookup *l = p;
    free(l->value);
    free(l);
}

static json_t *grant_json(const domain_grant_t *g)
{
    char access_exp[32], refresh_exp[32];
    domain_time_iso(g->access_expires_at * 1000, access_exp);
    domain_time_iso(g->refresh_expires_at * 1000, refresh_exp);
    if (!g->refresh_token[0])
        return json_pack("{s:s, s:s}", "access_token", g->access_token, "access_token_expires_at",
                         access_exp);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "access_token", g->access_token,
                     "refresh_token", g->refresh_token, "access_token_expires_at", access_exp,
                     "refresh_token_expires_at", refresh_exp, "community_member_id",
                     (json_int_t)g->community_member_id, "community_id",
                     (json_int_t)g->community_id);
}

static void work_auth_token(api_job_t *job)
{
    const api_context_t *ctx = job->ctx;
    struct lookup *l = job->data;
    store_member_t m;
    int rc =
        l->member_id
            ? ctx->store->ops->member_get(ctx->store, ctx->community->id, l->member_id, &m)
            : ctx->store->ops->member_find(ctx->store, ctx->community->id, l->field, l->value, &m);
    if (rc == 0 && m.deactivated_at) {
        /* A deactivated member signs in no more. */
        store_member_clear(&m);
        rc = ERR_NOT_FOUND;
    }
    if (rc == ERR_NOT_FOUND) {
        api_job_fail(job, 404, NULL,
                     "Community member not found. Please provide a valid SSO User ID, community "
                     "member ID, or email.");
        return;
    }
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    domain_grant_t g;
    rc = domain_auth_issue(ctx->auth, m.id, 1, clock_unix_s(), &g);
    store_member_clear(&m);
    if (rc) {
        api_job_fail_store(job, rc);
        return;
    }
    api_job_ok(job, 200, grant_json(&g));
    domain_grant_clear(&g);
}

static void on_auth_token(http_exchange_t *x, void *data)
{
    const api_context_t *ctx = data;
    if (!api__require_app_token(x, ctx)) return;
    json_t *body = api_body_object(x);
    if (!body) return;
    struct lookup *l = xcalloc(1, sizeof *l);
    json_t *id = json_object_get(body, "community_member_id");
    json_t *email = json_object_get(body, "email");
    json_t *sso = json_object_get(body, "sso_user_id");
    if (!sso) sso = json_object_get(body, "sso_id");
    const char *bad = NULL;
    if (sso && !json_is_null(sso)) {
        l->field = "sso_user_id";
        if (json_is_string(sso) && json_string_length(sso) > 0)
            l->value = xstrdup(json_string_value(sso));
        else
            bad = "sso_user_id";
    } else if (id && !json_is_null(id)) {
        /* A number, or a numeric string as form posts send it. */
        long long v = 0;
        if (json_is_integer(id)) {
            v = json_integer_value(id);
        } else if (json_is_string(id)) {
            /* The whole string must be the number: "1abc" is not member 1. */
            const char *str = json_string_value(id);
            char *end;
            v = strtoll(str, &end, 10);
            if (end == str || *end) v = 0;
        }
        if (v <= 0) bad = "community_member_id";
        l->member_id = v;
    } else if (email && !json_is_null(email)) {
        l->field = "email";
        l->value = json_is_string(email) ? domain_email_normalize(json_string_value(email)) : NULL;
        if (!l->value) bad = "email";
    } else {
        json_decref(body);
        lookup_free(l);
        http_respond_error(x, 400, "One of email, community_member_id or sso_user_id is required");
        return;
    }
    if (bad) {
        json_decref(body);
        lookup_free(l);
        api_respond_field_error(x, 400, bad, "is invalid");
        return;
    }
    api_job_start(x, ctx, body, work_auth_token, l, lookup_free);
}

/* A required string member of the body; answers Circle's 404 "Missing
 * parameter" when it is missing, 400 naming it when it is not a string. */
static const char *required_string(http_exchange_t *x, json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        char detail[64];
        snprintf(detail, sizeof detail, "Missing parameter: %s", key);
        json_t *details = json_pack("{s:s}", "message", detail);
        json_t *out =
            json_pack("{s:b, s:s, s:o}", "success", 0, "message",
                      "Oops! Missing parameter. Please try again later.", "error_details", details);
        api_respond_value(x, 404, out);
        json_decref(out);
        return NULL;
    }
    if (!json_is_string(v)) {
        api_respond_field_error(x, 400, key, "is invalid");
        return NULL;
    }
    return json_string_value(v);
}

static void work_refresh(api_job_t *job)
{
    const char *token = json_string_value(json_object_get(job->body, "refresh_token"));
    domain_grant_t g;
    int rc = domain_auth_refresh(job->ctx->auth, token, clock_unix_s(), &g);
    if (rc == ERR_NOT_FOUND)
        api_job_fail(job, 404, NULL, "Refresh token not found.");
    else if (rc == ERR_EXPIRED)
        api_job_fail(job, 401, NULL, "%s", REFRESH_EXPIRED);
    else if (rc)
        api_job_fail_store(job, rc);
    else
        api_job_ok(job, 200, grant_json(&g));
    if (!rc) domain_grant_clear(&g);
}

static void on_refresh(http_exchange_t *x, void *data)
{
    json_t *body = api_body_object(x);
    if (!body) return;
    if (!required_string(x, body, "refresh_token")) {
        json_decref(body);
        return;
    }
    api_job_start(x, data, body, work_refresh, NULL, NULL);
}

static void work_revoke_access(api_job_t *job)
{
    json_t *t = json_object_get(job->body, "access_token");
    int rc = domain_auth_revoke_access(job->ctx->auth, json_string_value(t), json_string_length(t),
                                       clock_unix_s());
    if (rc == ERR_AUTH)
        api_job_fail(job, 422, NULL, "The access token is invalid.");
    else if (rc == ERR_EXPIRED)
        api_job_fail(job, 422, NULL, "The access token is expired.");
    else if (rc == ERR_CONFLICT)
        api_job_fail(job, 422, NULL, "The access token not found.");
    else if (rc)
        api_job_fail_store(job, rc);
    else
        api_job_ok(job, 204, NULL);
}

static void on_revoke_access(http_exchange_t *x, void *data)
{
    if (!api__require_app_token(x, data)) return;
    json_t *body = api_body_object(x);
    if (!body) return;
    if (!required_string(x, body, "access_token")) {
        json_decref(body);
        return;
    }
    api_job_start(x, data, body, work_revoke_access, NULL, NULL);
}

static void work_revoke_refresh(api_job_t *job)
{
    const char *token = json_string_value(json_object_get(job->body, "refresh_token"));
    int rc = domain_auth_revoke_refresh(job->ctx->auth, token, clock_unix_s());
    if (rc == ERR_NOT_FOUND)
        api_job_fail(job, 404, NULL, "Refresh token not found.");
    else if (rc == ERR_EXPIRED)
        api_job_fail(job, 401, NULL, "%s", REFRESH_EXPIRED);
    else if (rc)
        api_job_fail_store(job, rc);
    else
        api_job_ok(job, 204, NULL);
}

static void on_revoke_refresh(http_exchange_t *x, void *data)
{
    if (!api__require_app_token(x, data)) return;
    json_t *body = api_body_object(x);
    if (!body) return;
    if (!required_string(x, body, "refresh_token")) {
        json_decref(body);
        return;
    }
    api_job_start(x, data, body, work_revoke_refresh, NULL, NULL);
}

void api__headless_auth_register(http_router_t *r, const api_context_t *ctx)
{
    void *d = (void *)ctx;
    http_router_add(r, HTTP_POST, "/api/v1/headless/auth_token", on_auth_token, d);
    http_router_add(r, HTTP_PATCH, "/api/v1/headless/access_token/refresh", on_refresh, d);
    http_router_add(r, HTTP_POST, "/api/v1/headless/access_token/revoke", on_revoke_access, d);
    http_router_add(r, HTTP_POST, "/api/v1/headless/refresh_token/revoke", on_revoke_refresh, d);
}
