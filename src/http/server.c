/* http/server: the HTTP connection state machine. See server.h.
 *
 *   read ─► parse ─► route ─► handler ─┬─► respond now ─► next request
 *                                      ├─► defer ─► (worker) ─► respond later ─► next request
 *                                      └─► detach (WebSocket)
 *
 * While a deferred exchange is open the connection stops reading, so
 * pipelined requests wait their turn and a client cannot pile up input.
 * The connection state is reference-counted: a socket that closes while a
 * worker still holds the exchange stays allocated until the late answer,
 * which then goes nowhere. */
#include "http/server.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/access_log.h"
#include "http/response.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a closing HTTP connection waits for the peer after our last
 * response before it is dropped. */
#define HTTP_LINGER_MS 2000
/* An HTTP connection that sends nothing for this long is closed: a client
 * trickling a request head, or an idle keep-alive connection. */
#define HTTP_IDLE_MS 30000
/* Largest body of a request for which no route exists (it gets 404 or 405). */
#define HTTP_NO_ROUTE_BODY_MAX 8192
/* How long a connection turned away for the connection cap may take to read
 * its 503: each one holds a descriptor from the reserve meanwhile. */
#define HTTP_BUSY_LINGER_MS 500

struct http_conn {
    net_conn_t *conn;           /* NULL once the socket closed */
    const http_server_config_t *cfg;
    http_req_parser_t parser;
    int keep_alive;
    int continued;              /* "100 Continue" sent for the request being received */
    int refs;                   /* the socket's, plus one per deferred exchange */
    int receiving;              /* bytes of a request arrived, the request is not complete */
    uint64_t started_at;        /* net_conn_now() at its first byte */
    uint64_t head_at;           /* net_conn_now() when its head was complete; 0 before */
    size_t held;                /* bytes counted in pending_total for it */
    int refused;                /* the status check_head answered (0: none) */
    const char *refused_message;
    unsigned long long id;      /* the connection's, for the access log */
    mono_us_t request_at;       /* first byte of the request being handled; 0 between requests */
};

/* Bytes held by incomplete requests, on every loop. */
static atomic_size_t pending_total;
/* The connection cap was reached and logged; cleared below 90% of it. */
static atomic_int at_connection_cap;

static void on_http_read(net_conn_t *c);
static void on_http_close(net_conn_t *c);
static void on_http_deadline(net_conn_t *c);

static const net_conn_handler_t http_handler = {
    .on_read = on_http_read,
    .on_deadline = on_http_deadline,
    .on_close = on_http_close,
};

/* Count 'bytes' in pending_total for this connection's request, in place of
 * what was counted before. */
static void hold(struct http_conn *hc, size_t bytes)
{
    if (bytes >= hc->held)
        atomic_fetch_add(&pending_total, bytes - hc->held);
    else
        atomic_fetch_sub(&pending_total, hc->held - bytes);
    hc->held = bytes;
}

static int on_head(void *data, const http_request_t *head, size_t *max_body)
{
    struct http_conn *hc = data;
    const http_server_config_t *cfg = hc->cfg;
    http_handler_cb cb;
    void *route_data;
    http_route_params_t params;
    if (http_router_match(cfg->router, head->method, head->path, head->path_len, &cb, &route_data,
                          &params) != 200) {
        /* The router answers 404 or 405 once the request is in; its body is
         * thrown away, so it need not be large. */
        if (*max_body > HTTP_NO_ROUTE_BODY_MAX) *max_body = HTTP_NO_ROUTE_BODY_MAX;
        return 0;
    }
    if (!cfg->check_head) return 0;
    const char *message = NULL;
    int status = cfg->check_head(cfg->check_data, head, max_body, &message);
    if (status == 0) return 0;
    hc->refused = status;
    hc->refused_message = message ? message : "Request refused";
    return 1;
}

static void http_conn_unref(struct http_conn *hc)
{
    if (--hc->refs > 0) return;
    http_req_parser_deinit(&hc->parser);
    free(hc);
}

static void reject_with_linger(struct http_conn *hc, int status, const char *message,
                               unsigned linger_ms);

/* Over the connection cap: answer 503 right away, before reading anything. */
static int over_connection_cap(struct http_conn *hc)
{
    const http_server_config_t *cfg = hc->cfg;
    if (!cfg->max_connections) return 0;
    size_t open = net_conn_count();
    if (open <= cfg->max_connections) {
        if (open * 10 < cfg->max_connections * 9) atomic_store(&at_connection_cap, 0);
        return 0;
    }
    METRIC_INC(http_busy_total);
    if (!atomic_exchange(&at_connection_cap, 1))
        log_warn("http connection limit reached (%zu open, --max-connections %zu): new "
                 "connections get 503 until some close",
                 open, cfg->max_connections);
    reject_with_linger(hc, 503, "Service unavailable: too many connections", HTTP_BUSY_LINGER_MS);
    return 1;
}

void http_server_attach(net_conn_t *conn, const http_server_config_t *cfg)
{
    struct http_conn *hc = xcalloc(1, sizeof *hc);
    hc->conn = conn;
    hc->id = (unsigned long long)conn->id;
    hc->cfg = cfg;
    hc->refs = 1;
    http_req_parser_init(&hc->parser, cfg->max_head, cfg->max_body);
    http_req_parser_on_head(&hc->parser, on_head, hc);
    net_conn_set_handler(conn, &http_handler, hc);
    net_conn_set_idle_timeout(conn, HTTP_IDLE_MS);
    over_connection_cap(hc);
}

/* The exchange is answered: move the connection on to its next request. */
static void after_response(struct http_conn *hc)
{
    if (!hc->keep_alive) {
        net_conn_close_after_flush(hc->conn, HTTP_LINGER_MS);
        return;
    }
    http_req_parser_reset(&hc->parser);
    hc->continued = 0;
}

/* Queue a finished response and, for a deferred exchange, carry on with
 * whatever the client sent meanwhile. */
static void finish(http_exchange_t *x, int status, buf_t *out)
{
    struct http_conn *hc = x->_hc;
    x->_done = 1;
    http_access_log(hc->id, x->req, x->params.pattern, status, hc->request_at);
    hc->request_at = 0;
    if (hc->conn) net_conn_send_copy(hc->conn, buf_head(out), out->len);
    if (!x->_deferred) return;
    if (hc->conn) {
        net_conn_t *c = hc->conn;
        /* A deferred answer goes out now: at the end of the pass it would
         * wait behind every socket a broadcast of this pass filled. */
        net_conn_flush_now(c);
        after_response(hc);
        net_conn_resume_read(c);
        if (c->in.len > 0 && !net_conn_is_closing(c)) on_http_read(c);
    }
    http_conn_unref(hc);
    free(x);
}

void http_respond(http_exchange_t *x, int status, const char *content_type,
                  const char *extra_headers, const void *body, size_t len)
{
    if (x->_done) return;
    buf_t out = BUF_INIT;
    http_response_append(&out, status, content_type, extra_headers, body, len,
                         x->_hc->keep_alive);
    finish(x, status, &out);
    buf_deinit(&out);
}

void http_respond_json(http_exchange_t *x, int status, const char *json, size_t len)
{
    http_respond(x, status, "application/json; charset=utf-8", NULL, json, len);
}

void http_respond_error(http_exchange_t *x, int status, const char *message)
{
    if (x->_done) return;
    buf_t out = BUF_INIT;
    http_response_append_error(&out, status, message, x->_hc->keep_alive);
    finish(x, status, &out);
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

http_exchange_t *http_exchange_defer(http_exchange_t *x)
{
    struct http_conn *hc = x->_hc;
    http_exchange_t *d = xmalloc(sizeof *d);
    *d = *x;
    d->_deferred = 1;
    x->_done = 1;
    x->_deferred = 1;
    hc->refs++;
    /* Later requests wait in the socket until this one is answered. */
    net_conn_pause_read(hc->conn);
    return d;
}

int http_exchange_alive(const http_exchange_t *x)
{
    return x->_hc->conn != NULL;
}

/* Answer a request we could not parse or will not take, then close. */
static void reject_with_linger(struct http_conn *hc, int status, const char *message,
                               unsigned linger_ms)
{
    hc->receiving = 0;
    net_conn_set_deadline(hc->conn, 0);
    buf_t out = BUF_INIT;
    http_response_append_error(&out, status, message, 0);
    net_conn_send_copy(hc->conn, buf_head(&out), out.len);
    buf_deinit(&out);
    net_conn_close_after_flush(hc->conn, linger_ms);
}

static void reject(struct http_conn *hc, int status, const char *message)
{
    reject_with_linger(hc, status, message, HTTP_LINGER_MS);
}

/* RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for
 * an interim answer before sending the body (curl waits a second for it).
 * Limits are checked on the head first, so a body we would refuse is
 * refused before it is sent. */
static void maybe_continue(struct http_conn *hc)
{
    const http_request_t *head = http_req_parser_head(&hc->parser);
    if (!head || hc->continued || head->http_minor < 1) return;
    const http_header_t *h = http_request_header(head, "Expect");
    if (!h || !http_header_has_token(h->value, h->value_len, "100-continue")) return;
    hc->continued = 1;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    net_conn_send_copy(hc->conn, cont, sizeof cont - 1);
}

enum { DISPATCH_NEXT, DISPATCH_WAIT, DISPATCH_DETACHED };

/* Route and answer one request. */
static int dispatch(struct http_conn *hc, const http_request_t *req)
{
    http_exchange_t x = {.req = req, .conn = hc->conn, ._hc = hc};
    hc->keep_alive = req->keep_alive;
    http_handler_cb cb;
    void *data;
    int status = http_router_match(hc->cfg->router, req->method, req->path, req->path_len, &cb,
                                   &data, &x.params);
    if (status == 404) {
        http_respond_error(&x, 404, "Not found");
    } else if (status == 405) {
        /* RFC 9110 §15.5.6: a 405 names the methods that would work. */
        char allow[128], header[160];
        http_router_allow(hc->cfg->router, req->path, req->path_len, allow, sizeof allow);
        snprintf(header, sizeof header, "Allow: %s\r\n", allow);
        static const char body[] =
            "{\"success\":false,\"message\":\"Method not allowed\",\"error_details\":{}}";
        http_respond(&x, 405, "application/json; charset=utf-8", header, body, sizeof body - 1);
    } else {
        cb(&x, data);
        if (x._detached) {
            /* Its answer was the 101 of the upgrade. */
            http_access_log(hc->id, req, x.params.pattern, 101, hc->request_at);
            /* The new protocol owns the connection and its handler now. */
            hc->conn = NULL;
            http_conn_unref(hc);
            return DISPATCH_DETACHED;
        }
        if (x._deferred) return DISPATCH_WAIT;
        if (!x._done) {
            log_error("http conn=%llu handler for %.*s did not respond",
                      (unsigned long long)hc->conn->id, (int)req->path_len, req->path);
            http_respond_error(&x, 500, "Internal server error");
        }
    }
    after_response(hc);
    return DISPATCH_NEXT;
}

/* A request is arriving (it may have been arriving for a while): count what
 * it holds, and set when it must be complete. */
static int track_request(struct http_conn *hc)
{
    const http_server_config_t *cfg = hc->cfg;
    net_conn_t *c = hc->conn;
    hold(hc, http_req_parser_pending(&hc->parser));
    if (cfg->max_pending && atomic_load(&pending_total) > cfg->max_pending) {
        METRIC_INC(http_busy_total);
        log_info("http conn=%llu rejected status=503 reason=request_memory pending=%zu",
                 (unsigned long long)c->id, atomic_load(&pending_total));
        reject(hc, 503, "Service unavailable: too many requests in progress");
        return -1;
    }
    uint64_t now = net_conn_now(c);
    if (!hc->receiving) {
        hc->receiving = 1;
        hc->started_at = now;
        hc->head_at = 0;
    }
    uint64_t deadline = 0;
    if (!http_req_parser_head(&hc->parser)) {
        /* From the first byte, not from the last: a head trickled a byte at
         * a time must not live for ever. */
        if (cfg->head_timeout_ms) deadline = hc->started_at + cfg->head_timeout_ms;
    } else {
        if (!hc->head_at) hc->head_at = now;
        /* Each body byte buys 1/body_min_rate of a second after the grace. */
        if (cfg->body_min_rate)
            deadline = hc->head_at + cfg->body_timeout_ms +
                       (uint64_t)http_req_parser_body_len(&hc->parser) * 1000 / cfg->body_min_rate;
    }
    net_conn_set_deadline(c, deadline);
    return 0;
}

/* The request is complete: nothing of it is pending any more. */
static void request_complete(struct http_conn *hc)
{
    hold(hc, 0);
    hc->receiving = 0;
    net_conn_set_deadline(hc->conn, 0);
}

static void on_http_deadline(net_conn_t *c)
{
    struct http_conn *hc = c->data;
    int head_done = http_req_parser_head(&hc->parser) != NULL;
    METRIC_INC(http_timeouts_total);
    log_info("http conn=%llu rejected status=408 reason=%s", (unsigned long long)c->id,
             head_done ? "body_too_slow" : "head_timeout");
    reject(hc, 408, "Request timeout");
}

static void on_http_read(net_conn_t *c)
{
    struct http_conn *hc = c->data;
    while (c->in.len > 0 && !net_conn_is_closing(c)) {
        if (net_conn_over_limit(c)) {
            /* Pipelining requests without reading the answers: the answers
             * would pile up without bound. */
            log_info("http conn=%llu closed reason=responses_not_read", (unsigned long long)c->id);
            net_conn_close(c);
            return;
        }
        const http_request_t *req = NULL;
        if (!hc->request_at) hc->request_at = clock_mono_us();
        ssize_t n = http_req_parser_feed(&hc->parser, buf_head(&c->in), c->in.len, &req);
        if (n == HTTP_PARSE_PARTIAL) {
            buf_consume(&c->in, c->in.len);
            if (track_request(hc) != 0) return;
            maybe_continue(hc);
            return;
        }
        if (n == HTTP_PARSE_REFUSED) {
            METRIC_INC(http_refused_head_total);
            log_info("http conn=%llu rejected status=%d reason=head_check",
                     (unsigned long long)c->id, hc->refused);
            reject(hc, hc->refused, hc->refused_message);
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
        request_complete(hc);
        /* After an upgrade the connection belongs to someone else (and hc
         * may be gone); while a deferred answer is pending, wait for it. */
        if (dispatch(hc, req) != DISPATCH_NEXT) return;
    }
}

static void on_http_close(net_conn_t *c)
{
    struct http_conn *hc = c->data;
    hold(hc, 0);
    hc->conn = NULL;
    http_conn_unref(hc);
}
