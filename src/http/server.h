/* http/server: HTTP/1.1 over a net_conn: parse, route, respond, keep-alive.
 *
 * Requests on one connection are handled strictly in order. A handler gets
 * an exchange and must answer it before returning (http_respond*), defer it
 * and answer later from the same loop (http_exchange_defer, for work done on
 * a worker thread), or take the connection over for another protocol
 * (http_exchange_detach, used by the WebSocket upgrade). Malformed requests are answered here: 400, 431
 * for a head over the limit, 413 for a body over the limit, 404 / 405 from
 * the router; each of those closes the connection after the response.
 *
 * What a client can hold before its request is handled is bounded here too:
 * a head must be complete within head_timeout_ms of its first byte and a body
 * must keep up body_min_rate after body_timeout_ms (else 408); check_head
 * sees every head that announces a body before any body byte is kept (401
 * for a missing token, 413 for a body the route does not take; a path with
 * no route takes 8 KiB at most, its answer being 404 or 405); and the bytes
 * all incomplete requests hold together stay under max_pending (else 503).
 * Each of those answers closes the connection too. A connection accepted
 * while max_connections are open gets 503 at once and is closed: set below
 * the descriptor limit, this answers clients that would otherwise be reset. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include "http/parser.h"
#include "http/router.h"
#include "net/conn.h"

/* Looks at a request head that announces a body, for which a route exists,
 * before any of the body is read. May lower *max_body for this request.
 * Returns 0 to go on, or the status to answer (the connection is then
 * closed) with *message, a static string, as Circle's error message. */
typedef int (*http_check_head_cb)(void *data, const http_request_t *head, size_t *max_body,
                                  const char **message);

typedef struct http_server_config {
    size_t max_head;            /* request line + headers, bytes */
    size_t max_body;            /* bytes */
    const http_router_t *router;
    unsigned head_timeout_ms;   /* time for a head from its first byte; 0: no limit */
    unsigned body_timeout_ms;   /* grace for the body after the head ... */
    unsigned body_min_rate;     /* ... then it must keep up this many bytes/s; 0: no limit */
    size_t max_pending;         /* bytes all incomplete requests may hold together; 0: no cap */
    size_t max_connections;     /* open connections (HTTP and WebSocket); more get 503; 0: no cap */
    http_check_head_cb check_head; /* NULL: every head goes on */
    void *check_data;           /* for check_head */
} http_server_config_t;

struct http_exchange {
    /* valid during the handler call */
    const http_request_t *req;
    http_route_params_t params;
    net_conn_t *conn;
    /* private */
    struct http_conn *_hc;
    int _done;                  /* responded, deferred or detached */
    int _detached;
    int _deferred;
};

/* Start speaking HTTP on an accepted connection. 'cfg' is borrowed for the
 * connection's lifetime. */
void http_server_attach(net_conn_t *conn, const http_server_config_t *cfg);

/* Answer with a complete response. 'extra_headers' is NULL or lines of
 * "Name: value\r\n". */
void http_respond(http_exchange_t *x, int status, const char *content_type,
                  const char *extra_headers, const void *body, size_t len);
/* Answer with JSON text. */
void http_respond_json(http_exchange_t *x, int status, const char *json, size_t len);
/* Answer with Circle's error shape {"success":false,"message":...}. */
void http_respond_error(http_exchange_t *x, int status, const char *message);
/* Answer later: returns an owned copy of the exchange that stays valid
 * (request included) until it is answered with http_respond*, which frees
 * it. Answer on the connection's loop thread. If the client went away in
 * the meantime the answer is dropped. */
http_exchange_t *http_exchange_defer(http_exchange_t *x);
/* 0 once the client of a deferred exchange has gone away. */
int http_exchange_alive(const http_exchange_t *x);
/* Take the connection away from HTTP: the caller sets a new handler; bytes
 * after the request head are still in conn->in for the new protocol.
 * Returns the connection. */
net_conn_t *http_exchange_detach(http_exchange_t *x);

#endif
