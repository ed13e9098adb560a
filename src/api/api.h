/* api: the HTTP API, one file per resource. This header wires them into a
 * router. */
#ifndef API_API_H
#define API_API_H

#include "http/router.h"
#include "pubsub/pubsub.h"

typedef struct api_context {
    const char *app_token;     /* server-to-server bearer token; NULL disables those routes */
    pubsub_t *pubsub;
} api_context_t;

/* Add every API route. 'ctx' is borrowed for the router's lifetime. */
void api_register(http_router_t *r, const api_context_t *ctx);

/* GET /health answers 503 once draining is set. Thread-safe. */
void api_health_set_draining(int draining);

/* Shared by the handlers: whether the request carries the app token
 * (constant-time comparison). */
struct http_exchange;
int api__app_token_ok(struct http_exchange *x, const api_context_t *ctx);

void api__broadcast_register(http_router_t *r, const api_context_t *ctx);
void api__health_register(http_router_t *r, const api_context_t *ctx);

#endif
