/* http/server: the HTTP connection state machine. See server.h. */
#include "http/server.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/response.h"

#include <stdlib.h>
#include <string.h>

/* How long a closing HTTP connection waits for the peer after our last
 * response before it is dropped. */
#define HTTP_LINGER_MS 2000
/* An HTTP connection that sends nothing for this long is closed: a client
 * trickling a request head, or an idle keep-alive connection. */
#define HTTP_IDLE_MS 30000

struct http_conn {
    net_conn_t *conn;
    const http_server_config_t *cfg;
    http_req_parser_t parser;
    int keep_alive;
};

static void on_http_read(net_conn_t *c);
static void on_http_close(net_conn_t *c);

static const net_conn_handler_t http_handler = {
    .on_read = on_http_read,
    .on_close = on_http_close,
};

static void http_conn_free(struct http_conn *hc)
{
    http_req_parser_deinit(&hc->parser);
    free(hc);
}

void http_server_attach(net_conn_t *conn, const http_server_config_t *cfg)
{
    struct http_conn *hc = xcalloc(1, sizeof *hc);
    hc->conn = conn;
    hc->cfg = cfg;
    http_req_parser_init(&hc->parser, cfg->max_head, cfg->max_body);
    net_conn_set_handler(conn, &http_handler, hc);
    net_conn_set_idle_timeout(conn, HTTP_IDLE_MS);
}

static void send_response(struct http_conn *hc, buf_t *out)
{
    net_conn_send_copy(hc->conn, buf_head(out), out->len);
}

void http_respond(http_exchange_t *x, int status, const char *content_type,
                  const char *extra_headers, const void *body, size_t len)
{
    if (x->_done) return;
    x->_done = 1;
    buf_t out = BUF_INIT;
    http_response_append(&out, status, content_type, extra_headers, body, len,
                         x->_hc->keep_alive);
    send_response(x->_hc, &out);
    buf_deinit(&out);
}

void http_respond_json(http_exchange_t *x, int status, const char *json, size_t len)
{
    http_respond(x, status, "application/json; charset=utf-8", NULL, json, len);
}

void http_respond_error(http_exchange_t *x, int status, const char *message)
{
    if (x->_done) return;
    x->_done = 1;
    buf_t out = BUF_INIT;
    http_response_append_error(&out, status, message, x->_hc->keep_alive);
    send_response(x->_hc, &out);
    buf_deinit(&out);
}

net_conn_t *http_exchange_detach(http_exchange_t *x)
{
    x->_done = 1;
    x->_detached = 1;
    /* The new protocol keeps its own liveness (WebSocket pings). */
    net_conn_set_idle_timeout(x->conn, 0);
    return x->conn;
}

/* Answer a request we could not parse, then close. */
static void reject(struct http_conn *hc, int status, const char *message)
{
    buf_t out = BUF_INIT;
    http_response_append_error(&out, status, message, 0);
    send_response(hc, &out);
    buf_deinit(&out);
    net_conn_close_after_flush(hc->conn, HTTP_LINGER_MS);
}

/* Route and answer one request. Returns 1 when the handler took the
 * connection over (hc is freed then). */
static int dispatch(struct http_conn *hc, const http_request_t *req)
{
    http_exchange_t x = {.req = req, .conn = hc->conn, ._hc = hc};
    METRIC_INC(http_requests_total);
    hc->keep_alive = req->keep_alive;
    http_handler_cb cb;
    void *data;
    int status = http_router_match(hc->cfg->router, req->method, req->path, req->path_len, &cb,
                                   &data, &x.params);
    if (status == 404) {
        http_respond_error(&x, 404, "Not found");
    } else if (status == 405) {
        http_respond_error(&x, 405, "Method not allowed");
    } else {
        cb(&x, data);
        if (x._detached) {
            /* The new protocol owns the connection and its handler now. */
            http_conn_free(hc);
            return 1;
        }
        if (!x._done) {
            log_error("http conn=%llu handler for %.*s did not respond",
                      (unsigned long long)hc->conn->id, (int)req->path_len, req->path);
            http_respond_error(&x, 500, "Internal server error");
        }
    }
    if (!hc->keep_alive) {
        net_conn_close_after_flush(hc->conn, HTTP_LINGER_MS);
        return 0;
    }
    http_req_parser_reset(&hc->parser);
    return 0;
}

static void on_http_read(net_conn_t *c)
{
    struct http_conn *hc = c->data;
    while (c->in.len > 0 && !net_conn_is_closing(c)) {
        const http_request_t *req = NULL;
        ssize_t n = http_req_parser_feed(&hc->parser, buf_head(&c->in), c->in.len, &req);
        if (n == HTTP_PARSE_PARTIAL) {
            buf_consume(&c->in, c->in.len);
            return;
        }
        if (n < 0) {
            int status = n == HTTP_PARSE_HEAD_TOO_LARGE ? 431
                         : n == HTTP_PARSE_BODY_TOO_LARGE ? 413
                                                          : 400;
            log_info("http conn=%llu rejected status=%d", (unsigned long long)c->id, status);
            reject(hc, status,
                   status == 431   ? "Request header fields too large"
                   : status == 413 ? "Payload too large"
                                   : "Bad request");
            return;
        }
        buf_consume(&c->in, (size_t)n);
        /* After an upgrade the connection belongs to someone else (and hc
         * is gone): stop here. */
        if (dispatch(hc, req)) return;
    }
}

static void on_http_close(net_conn_t *c)
{
    http_conn_free(c->data);
}
