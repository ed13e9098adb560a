/* api/health: GET /health (200 ready, 503 draining), GET /metrics
 * (Prometheus text), and the route table. */
#include "api/api.h"

#include "auth/token.h"
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
    static const char body[] = "{\"status\":\"ok\"}";
    http_respond_json(x, 200, body, sizeof body - 1);
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
}
