/* http/router: method + path pattern matching. See router.h. */
#include "http/router.h"

#include "core/alloc.h"

#include <http_parser.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

struct route {
    int method;
    const char *pattern;
    http_handler_cb cb;
    void *data;
};

struct http_router {
    struct route *routes;
    size_t count, cap;
};

http_router_t *http_router_new(void)
{
    return xcalloc(1, sizeof(http_router_t));
}

void http_router_free(http_router_t *r)
{
    if (!r) return;
    free(r->routes);
    free(r);
}

void http_router_add(http_router_t *r, int method, const char *pattern, http_handler_cb cb,
                     void *data)
{
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->routes = xrealloc(r->routes, r->cap * sizeof *r->routes);
    }
    r->routes[r->count++] = (struct route){method, pattern, cb, data};
}

/* Match one path against one pattern, segment by segment. */
static int match(const char *pattern, const char *path, size_t len, http_route_params_t *ps)
{
    const char *p = pattern, *s = path, *end = path + len;
    ps->count = 0;
    while (*p && s < end) {
        if (*p != '/' || *s != '/') return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        const char *se = memchr(s, '/', (size_t)(end - s));
        size_t slen = se ? (size_t)(se - s) : (size_t)(end - s);
        if (plen > 0 && p[0] == ':') {
            if (slen == 0 || ps->count == HTTP_ROUTE_MAX_PARAMS) return 0;
            ps->p[ps->count].name = p + 1;
            ps->p[ps->count].name_len = plen - 1;
            ps->p[ps->count].value = s;
            ps->p[ps->count].value_len = slen;
            ps->count++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    return *p == '\0' && s == end;
}

int http_router_match(const http_router_t *r, int method, const char *path, size_t path_len,
                      http_handler_cb *cb, void **data, http_route_params_t *params)
{
    int status = 404;
    http_route_params_t tmp;
    for (size_t i = 0; i < r->count; i++) {
        if (!match(r->routes[i].pattern, path, path_len, &tmp)) continue;
        if (r->routes[i].method != method) {
            status = 405;
            continue;
        }
        *cb = r->routes[i].cb;
        *data = r->routes[i].data;
        *params = tmp;
        params->pattern = r->routes[i].pattern;
        return 200;
    }
    return status;
}

void http_router_allow(const http_router_t *r, const char *path, size_t path_len, char *out,
                       size_t cap)
{
    size_t o = 0;
    int seen[64] = {0};
    http_route_params_t tmp;
    out[0] = '\0';
    for (size_t i = 0; i < r->count; i++) {
        int m = r->routes[i].method;
        if (m < 0 || m >= 64 || seen[m] || !match(r->routes[i].pattern, path, path_len, &tmp))
            continue;
        seen[m] = 1;
        int n = snprintf(out + o, cap - o, "%s%s", o ? ", " : "",
                         http_method_str((enum http_method)m));
        if (n < 0 || (size_t)n >= cap - o) break;
        o += (size_t)n;
    }
}

const char *http_route_param(const http_route_params_t *ps, const char *name, size_t *len)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < ps->count; i++) {
        if (ps->p[i].name_len == nlen && memcmp(ps->p[i].name, name, nlen) == 0) {
            *len = ps->p[i].value_len;
            return ps->p[i].value;
        }
    }
    return NULL;
}
