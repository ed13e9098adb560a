/* api/auth: what a request must show before its body is read.
 *
 * The HTTP server calls api_check_head with the head of every request that
 * announces a body, before any of the body is kept. Routes are told apart by
 * their path, the way Circle lays its API out:
 *
 *   /api/headless/v1/…                      a member's access token
 *   /api/v1/headless/access_token/refresh   nothing (the refresh token is in the body)
 *   /api/v1/…, /api/admin/…                 the app token
 *   PUT /uploads/<token>                    a live upload token (the bytes of a direct upload)
 *   anything else                           nothing
 *
 * A request without the credentials its route needs is answered 401 from
 * its head, with the message the handler itself would give; so is a member
 * token that is malformed, wrongly signed, of another community, expired or
 * revoked. A route that needs no credentials takes a body of at most
 * API_OPEN_BODY_MAX bytes. The handlers still check everything themselves:
 * this only keeps a client without credentials from making the server hold
 * its body. */
#include "api/api.h"

#include "auth/revoked.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/err.h"

#include <string.h>

static const char app_token_message[] = "Your account could not be authenticated.";
static const char member_invalid[] = "The access token is invalid.";
static const char member_expired[] = "The access token is expired.";
static const char member_revoked[] = "The access token not found.";

static int has_prefix(const http_request_t *req, const char *prefix)
{
    size_t n = strlen(prefix);
    return req->path_len >= n && memcmp(req->path, prefix, n) == 0;
}

enum need { NEED_NOTHING, NEED_APP_TOKEN, NEED_MEMBER_TOKEN, NEED_UPLOAD_TOKEN };

static enum need route_needs(const http_request_t *req)
{
    if (has_prefix(req, "/api/headless/v1/")) return NEED_MEMBER_TOKEN;
    if (has_prefix(req, "/api/v1/headless/access_token/refresh")) return NEED_NOTHING;
    if (has_prefix(req, "/api/v1/") || has_prefix(req, "/api/admin/")) return NEED_APP_TOKEN;
    if (has_prefix(req, "/uploads/")) return NEED_UPLOAD_TOKEN;
    return NEED_NOTHING;
}

/* The bearer token of the request, or 0. */
static int bearer(const http_request_t *req, const char **tok, size_t *len)
{
    const http_header_t *h = http_request_header(req, "Authorization");
    return h && auth_bearer_parse(h->value, h->value_len, tok, len);
}

/* NULL when the request carries the app token, else the 401 message. */
static const char *app_token_problem(const http_request_t *req, const api_context_t *ctx)
{
    const char *tok;
    size_t len;
    if (bearer(req, &tok, &len) && auth_app_token_ok(ctx->community, tok, len)) return NULL;
    return app_token_message;
}

/* NULL when the request carries a valid, unexpired, unrevoked access token
 * of this community, else the 401 message (those of api__require_member). */
static const char *member_token_problem(const http_request_t *req, const api_context_t *ctx)
{
    const char *tok;
    size_t len;
    if (!bearer(req, &tok, &len)) return member_invalid;
    auth_claims_t claims;
    const auth_community_t *c = ctx->community;
    int rc = auth_token_verify(c->secret, c->secret_len, tok, len, clock_unix_s(), &claims);
    if (rc == ERR_EXPIRED) return member_expired;
    if (rc || claims.community_id != c->id) return member_invalid;
    if (auth_revoked_contains(claims.jti)) return member_revoked;
    return NULL;
}

int api_check_head(void *data, const http_request_t *head, size_t *max_body, const char **message)
{
    const api_context_t *ctx = data;
    const char *problem = NULL;
    switch (route_needs(head)) {
    case NEED_MEMBER_TOKEN:
        problem = member_token_problem(head, ctx);
        break;
    case NEED_APP_TOKEN:
        problem = app_token_problem(head, ctx);
        break;
    case NEED_UPLOAD_TOKEN:
        /* The file's bytes: as many as --max-body-size lets in, for a token
         * that is ours and live; anything else is refused before them. */
        if (!api__upload_token_ok(ctx, head->path + 9, head->path_len - 9))
            problem = "The upload URL is invalid or has expired.";
        break;
    case NEED_NOTHING:
        if (*max_body > API_OPEN_BODY_MAX) *max_body = API_OPEN_BODY_MAX;
        break;
    }
    if (!problem) return 0;
    *message = problem;
    return 401;
}
