/* api/health: GET /health, GET /metrics (Prometheus text), and the route
 * table.
 *
 *   200 {"status":"ok"}
 *   200 {"status":"degraded","problems":{"pubsub":"…"}}   works, something is missing
 *   503 {"status":"unhealthy","problems":{…}}             cannot do its job
 *   503 {"status":"draining"}                             shutting down */
#include "api/api.h"

#include "auth/revoked.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/health.h"
#include "core/metrics.h"
#include "http/server.h"

#include <stdatomic.h>
#include <string.h>

static atomic_int draining;

void api_health_set_draining(int on)
{
    atomic_store(&draining, on);
}

static void on_health(http_exchange_t *x, void *data)
{
    (void)data;
    if (atomic_load(&draining)) {
        static const char body[] = "{\"status\":\"draining\"}";
        http_respond_json(x, 503, body, sizeof body - 1);
        return;
    }
    buf_t b = BUF_INIT;
    enum health_level level = health_append_json(&b);
    http_respond_json(x, level == HEALTH_FAILING ? 503 : 200, buf_head(&b), b.len);
    buf_deinit(&b);
}

static void on_metrics(http_exchange_t *x, void *data)
{
    (void)data;
    buf_t b = BUF_INIT;
    metrics_append_text(&b);
    http_respond(x, 200, "text/plain; version=0.0.4", NULL, buf_head(&b), b.len);
    buf_deinit(&b);
}

int api__require_app_token(http_exchange_t *x, const api_context_t *ctx)
{
    const http_header_t *h = http_request_header(x->req, "Authorization");
    const char *tok;
    size_t len;
    if (h && auth_bearer_parse(h->value, h->value_len, &tok, &len) &&
        auth_app_token_ok(ctx->community, tok, len))
        return 1;
    http_respond_error(x, 401, "Your account could not be authenticated.");
    return 0;
}

int api__require_member(http_exchange_t *x, const api_context_t *ctx, long long *member_id)
{
    /* The messages are those of Circle's Member API. */
    const http_header_t *h = http_request_header(x->req, "Authorization");
    const char *tok;
    size_t len;
    if (!h || !auth_bearer_parse(h->value, h->value_len, &tok, &len)) {
        http_respond_error(x, 401, "The access token is invalid.");
        return 0;
    }
    auth_claims_t claims;
    const auth_community_t *c = ctx->community;
    int rc = auth_token_verify(c->secret, c->secret_len, tok, len, clock_unix_s(), &claims);
    if (rc == ERR_EXPIRED) {
        http_respond_error(x, 401, "The access token is expired.");
        return 0;
    }
    if (rc || claims.community_id != c->id) {
        http_respond_error(x, 401, "The access token is invalid.");
        return 0;
    }
    if (auth_revoked_contains(claims.jti)) {
        http_respond_error(x, 401, "The access token not found.");
        return 0;
    }
    *member_id = claims.community_member_id;
    return 1;
}

void api__health_register(http_router_t *r, const api_context_t *ctx)
{
    (void)ctx;
    http_router_add(r, HTTP_GET, "/health", on_health, NULL);
    http_router_add(r, HTTP_GET, "/metrics", on_metrics, NULL);
}

void api_register(http_router_t *r, const api_context_t *ctx)
{
    api__health_register(r, ctx);
    api__broadcast_register(r, ctx);
    api__headless_auth_register(r, ctx);
    api__members_register(r, ctx);
    api__chat_register(r, ctx);
    api__notifications_register(r, ctx);
    api__uploads_register(r, ctx);
}
