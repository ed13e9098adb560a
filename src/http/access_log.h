/* http/access_log: one line per answered HTTP request, at info, and its
 * count in the labelled metric cabled_http_requests_total:
 *
 *   http access conn=7 method=GET path="/cable?token=[FILTERED]" status=101
 *        route=/cable duration_ms=0.412
 *
 * The path is logged with its query, but the value of every parameter
 * whose (decoded) name holds "token", "secret", "password" or "key" is
 * replaced by [FILTERED]; headers are never logged, so no credential
 * reaches the log. The duration runs from the request's first byte to the
 * moment its response is queued. 'route' is the router's pattern
 * ("/api/headless/v1/messages/:uuid"), so the metric's label values come
 * from a small set; requests that match no route count as "(none)". */
#ifndef HTTP_ACCESS_LOG_H
#define HTTP_ACCESS_LOG_H

#include "core/clock.h"
#include "http/parser.h"

#include <stddef.h>

/* The route label of requests that matched no route. */
#define HTTP_ROUTE_NONE "(none)"

/* Log and count one answered request. 'req' and 'route' are borrowed
 * (route NULL: HTTP_ROUTE_NONE); 'started' is when its first byte came. */
void http_access_log(unsigned long long conn_id, const http_request_t *req, const char *route,
                     int status, mono_us_t started);

/* Write 'path' and 'query' (NULL: none) into 'out' (size 'cap', at least
 * 16) as the access log shows them: sensitive parameter values replaced,
 * then escaped as log_escape does (truncated with "..." when too long).
 * Returns 'out'. Pure: the seam for tests. */
char *http_access_target(char *out, size_t cap, const char *path, size_t path_len,
                         const char *query, size_t query_len);

#endif
