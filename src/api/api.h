/* api: the HTTP API, one file per resource. This header wires them into a
 * router and holds what every handler shares.
 *
 *   health.c          GET /health, GET /metrics
 *   broadcast.c       POST /api/v1/broadcast
 *   headless_auth.c   /api/v1/headless/… (tokens)
 *   members.c         /api/admin/v2/community_members
 *   chat.c            /api/headless/v1/messages…, /chat_threads…, /api/admin/v2/chat_rooms
 *   notifications.c   /api/admin/v2/notifications, /api/headless/v1/notifications…,
 *                     /api/headless/v1/notification_preferences…
 *   uploads.c         /api/headless/v1/direct_uploads, /uploads/… (the files)
 *   job.c             running a handler's storage work on the worker pool
 *   auth.c            credentials checked from a request's head, before its body */
#ifndef API_API_H
#define API_API_H

#include "auth/community.h"
#include "domain/auth.h"
#include "domain/uploads.h"
#include "http/parser.h"
#include "http/router.h"
#include "hub/hub.h"
#include "store/store.h"

typedef struct api_context {
    const auth_community_t *community;  /* the app token and the token key */
    hub_t *hub;
    store_t *store;
    const domain_auth_t *auth;
    const domain_uploads_t *uploads;    /* where uploaded files go; NULL: uploads are off */
} api_context_t;

/* Add every API route. 'ctx' is borrowed for the router's lifetime. */
void api_register(http_router_t *r, const api_context_t *ctx);

/* Largest body a route that needs no credentials takes (the token refresh,
 * and paths that are no route at all). */
#define API_OPEN_BODY_MAX 8192

/* The http_check_head_cb of the API ('data' is the api_context_t): a request
 * head that announces a body must carry the credentials its route needs,
 * else 401 with the route's own message; a route that needs none takes at
 * most API_OPEN_BODY_MAX bytes. See api/auth.c for which route needs what. */
int api_check_head(void *data, const http_request_t *head, size_t *max_body, const char **message);

/* GET /health answers 503 once draining is set. Thread-safe. */
void api_health_set_draining(int draining);

/* Shared by the handlers: whether the request carries the app token
 * (constant-time comparison of its SHA-256). When it does not, answers 401
 * and returns 0. */
struct http_exchange;
int api__require_app_token(struct http_exchange *x, const api_context_t *ctx);
/* Member API calls: the request must carry a valid, unexpired, unrevoked
 * access token of this community in `Authorization: Bearer`. Fills
 * *member_id and returns 1, or answers 401 and returns 0. */
int api__require_member(struct http_exchange *x, const api_context_t *ctx, long long *member_id);

/* Whether 'token' ('len' bytes) is a live upload token of this community
 * (the path of a direct upload's PUT). Pure: no store. */
int api__upload_token_ok(const api_context_t *ctx, const char *token, size_t len);

void api__broadcast_register(http_router_t *r, const api_context_t *ctx);
void api__health_register(http_router_t *r, const api_context_t *ctx);
void api__headless_auth_register(http_router_t *r, const api_context_t *ctx);
void api__members_register(http_router_t *r, const api_context_t *ctx);
void api__chat_register(http_router_t *r, const api_context_t *ctx);
void api__notifications_register(http_router_t *r, const api_context_t *ctx);
void api__uploads_register(http_router_t *r, const api_context_t *ctx);

#endif
