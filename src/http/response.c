/* http/response: response serialisation, see response.h.
 *
 * The head is formatted straight into the caller's buffer. The error body
 * is escaped in two passes (measure, then write) so its Content-Length is
 * known before the head is written and no temporary buffer is needed. */
#include "http/response.h"

#include <assert.h>
#include <string.h>

const char *http_status_text(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

static void append_head(buf_t *out, int status, const char *content_type, const char *extra_headers,
                        size_t body_len, int keep_alive)
{
    buf_printf(out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
    if (content_type) buf_printf(out, "Content-Type: %s\r\n", content_type);
    if (status != 101 && status != 204) buf_printf(out, "Content-Length: %zu\r\n", body_len);
    if (status != 101)
        buf_puts(out, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    if (extra_headers) buf_puts(out, extra_headers);
    buf_append(out, "\r\n", 2);
}

void http_response_append(buf_t *out, int status, const char *content_type,
                          const char *extra_headers, const void *body, size_t body_len,
                          int keep_alive)
{
    assert(status != 204 || body_len == 0);
    append_head(out, status, content_type, extra_headers, body_len, keep_alive);
    buf_append(out, body, body_len);
}

void http_response_append_json(buf_t *out, int status, const char *json, size_t len, int keep_alive)
{
    http_response_append(out, status, HTTP_CONTENT_TYPE_JSON, NULL, json, len, keep_alive);
}

/* JSON string escaping (RFC 8259 section 7). With 'out' NULL only the
 * length is computed. Bytes from 0x80 up pass through: messages are UTF-8. */
static size_t json_escape(buf_t *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6];
        size_t k;
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, k = 2;
        } else if (c == '\n') {
            esc[0] = '\\', esc[1] = 'n', k = 2;
        } else if (c == '\r') {
            esc[0] = '\\', esc[1] = 'r', k = 2;
        } else if (c == '\t') {
            esc[0] = '\\', esc[1] = 't', k = 2;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4], esc[5] = hex[c & 15], k = 6;
        } else {
            esc[0] = (char)c, k = 1;
        }
        if (out) buf_append(out, esc, k);
        n += k;
    }
    return n;
}

void http_response_append_error(buf_t *out, int status, const char *message, int keep_alive)
{
    static const char pre[] = "{\"success\":false,\"message\":\"";
    static const char post[] = "\",\"error_details\":{}}";
    size_t len = sizeof pre - 1 + json_escape(NULL, message) + sizeof post - 1;
    append_head(out, status, HTTP_CONTENT_TYPE_JSON, NULL, len, keep_alive);
    buf_append(out, pre, sizeof pre - 1);
    json_escape(out, message);
    buf_append(out, post, sizeof post - 1);
}
