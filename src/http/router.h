/* http/router: maps a method and a path to a handler.
 *
 * Patterns are literal segments and ':name' captures, one segment each:
 * "/api/headless/v1/messages/:uuid/pin". A path that matches some pattern
 * but none with the request's method is a 405; a path that matches none is
 * a 404. The table is built once at start and read by every loop without
 * locks. */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

#include <stddef.h>

#define HTTP_ROUTE_MAX_PARAMS 4

typedef struct http_exchange http_exchange_t;
typedef void (*http_handler_cb)(http_exchange_t *x, void *data);

typedef struct http_route_params {
    const char *pattern; /* the matched route's pattern (static), for logs and metrics */
    size_t count;
    struct {
        const char *name; /* static, from the pattern (without ':') */
        size_t name_len;
        const char *value; /* points into the request path, not decoded */
        size_t value_len;
    } p[HTTP_ROUTE_MAX_PARAMS];
} http_route_params_t;

typedef struct http_router http_router_t;

/* Return owned an empty router. */
http_router_t *http_router_new(void);
void http_router_free(http_router_t *r);
/* Add a route. 'method' is an enum http_method value; 'pattern' is borrowed
 * for the router's lifetime (a string literal). */
void http_router_add(http_router_t *r, int method, const char *pattern, http_handler_cb cb,
                     void *data);
/* Find the handler for a request. Returns 200 and fills cb/data/params, or
 * 404 / 405. */
int http_router_match(const http_router_t *r, int method, const char *path, size_t path_len,
                      http_handler_cb *cb, void **data, http_route_params_t *params);
/* Write the methods that 'path' accepts as an Allow header value
 * ("GET, POST") into 'out' (size 'cap'). */
void http_router_allow(const http_router_t *r, const char *path, size_t path_len, char *out,
                       size_t cap);
/* Find a captured parameter by name; NULL when absent. */
const char *http_route_param(const http_route_params_t *ps, const char *name, size_t *len);

#endif
