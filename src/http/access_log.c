/* http/access_log: the access log line and the request counter. See
 * access_log.h. */
#include "http/access_log.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/metrics.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Whether a parameter name, percent-decoded as http_query_get decodes it,
 * names a credential. */
static int sensitive(const char *name, size_t len)
{
    char dec[64];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof dec - 1; i++) {
        int c = (unsigned char)name[i];
        if (c == '%' && i + 2 < len && hexval(name[i + 1]) >= 0 && hexval(name[i + 2]) >= 0) {
            c = hexval(name[i + 1]) * 16 + hexval(name[i + 2]);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        dec[n++] = (char)tolower(c);
    }
    dec[n] = '\0';
    /* A name too long to decode whole is filtered: better safe. */
    if (n == sizeof dec - 1) return 1;
    return strstr(dec, "token") || strstr(dec, "secret") || strstr(dec, "password") ||
           strstr(dec, "key");
}

char *http_access_target(char *out, size_t cap, const char *path, size_t path_len,
                         const char *query, size_t query_len)
{
    buf_t b = BUF_INIT;
    buf_append(&b, path, path_len);
    if (query) {
        buf_append(&b, "?", 1);
        const char *s = query, *end = query + query_len;
        while (s < end) {
            const char *amp = memchr(s, '&', (size_t)(end - s));
            const char *e = amp ? amp : end;
            const char *eq = memchr(s, '=', (size_t)(e - s));
            if (eq && sensitive(s, (size_t)(eq - s))) {
                buf_append(&b, s, (size_t)(eq - s) + 1);
                buf_append(&b, "[FILTERED]", 10);
            } else {
                buf_append(&b, s, (size_t)(e - s));
            }
            if (amp) buf_append(&b, "&", 1);
            s = amp ? amp + 1 : end;
        }
    }
    log_escape(out, cap, buf_head(&b), b.len);
    buf_deinit(&b);
    return out;
}

void http_access_log(unsigned long long conn_id, const http_request_t *req, const char *route,
                     int status, mono_us_t started)
{
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    const char *labels[3] = {route ? route : HTTP_ROUTE_NONE, req->method_name, code};
    metrics_series_add(METRICS_http_requests_total, labels, 1);
    if (LOG_INFO < log_min_level) return;
    char target[512];
    mono_us_t now = clock_mono_us();
    log_info("http access conn=%llu method=%s path=\"%s\" status=%d route=%s duration_ms=%.3f",
             conn_id, req->method_name,
             http_access_target(target, sizeof target, req->path, req->path_len, req->query,
                                req->query_len),
             status, labels[0], now > started ? (double)(now - started) / 1000.0 : 0.0);
}
