/* http/parser: HTTP/1.1 request parsing (pure: no I/O, no logging).
 *
 * The parsing itself is done by Node's http-parser (Debian's libhttp-parser
 * 2.9.4), a small, well-kept and widely fuzzed state machine. This module
 * only wraps it: it turns the library's callbacks, which hand over the URL,
 * header names, header values and body in arbitrary pieces, into one flat
 * http_request_t, and enforces our limits.
 *
 *   bytes ──> http_parser_execute ──> on_url / on_header_* / on_body pieces
 *                                        │  appended to owned storage
 *                                        ▼  (offsets, not pointers)
 *             on_headers_complete ──> limits checked, pointers built
 *             on_message_complete ──> parser paused, request returned
 *
 * Pieces are appended into three buffers owned by the parser (request
 * target, header names and values, body) and remembered as offsets, since a
 * buffer may move while it grows; pointers are built only once the head is
 * complete and nothing more is appended to it. The parser pauses itself at
 * the end of each message, so the bytes of a second pipelined request, or
 * the WebSocket frames that follow an upgrade request in the same packet,
 * are left unconsumed for the caller.
 *
 * Limits: the head (request line and headers) is counted here, byte by
 * byte, so 'max_head' applies well below the library's own 80 KiB cap; more
 * than HTTP_MAX_HEADERS headers also fail the head. The body is checked
 * against 'max_body' as soon as its size is known: at the end of the head
 * for Content-Length, at each chunk header for chunked bodies. Between the
 * head and the first body byte an optional callback may refuse the request
 * or lower its body limit (http_req_parser_on_head). */
#ifndef HTTP_PARSER_H
#define HTTP_PARSER_H

#include "core/buf.h"

#include <http_parser.h>
#include <stddef.h>
#include <sys/types.h>

#define HTTP_MAX_HEADERS 64

/* Results of http_req_parser_feed besides a byte count (>= 0). */
#define HTTP_PARSE_PARTIAL        (-2) /* all bytes consumed, request not complete */
#define HTTP_PARSE_INVALID        (-1) /* malformed -> 400 */
#define HTTP_PARSE_HEAD_TOO_LARGE (-3) /* head over max_head or too many headers -> 431 */
#define HTTP_PARSE_BODY_TOO_LARGE (-4) /* body over max_body -> 413 */
#define HTTP_PARSE_REFUSED        (-5) /* the head callback refused the request */

/* One header line. Both strings point into parser storage and are also
 * NUL-terminated there (the terminator is not counted). The name is as sent
 * (not case-folded); the value has leading and trailing blanks removed. */
typedef struct http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} http_header_t;

/* A parsed request. Every pointer points into the parser's storage (or at a
 * static string) and is valid until the next feed or reset. */
typedef struct http_request {
    int method;              /* enum http_method from http_parser.h (HTTP_GET, HTTP_POST, ...) */
    const char *method_name; /* "GET", static */
    const char *path;        /* URL path, not decoded, without the query; never empty */
    size_t path_len;
    const char *query; /* after '?', without '#fragment'; NULL/0 when there is no '?' */
    size_t query_len;
    http_header_t headers[HTTP_MAX_HEADERS]; /* in the order sent */
    size_t num_headers;
    const char *body; /* de-chunked body, NUL-terminated (not counted); "" when empty */
    size_t body_len;
    int http_major, http_minor;
    int keep_alive; /* http_should_keep_alive: 1.1 unless "close", 1.0 only with "keep-alive" */
    int upgrade;    /* Connection: upgrade + Upgrade header: the rest belongs to that protocol */
} http_request_t;

/* Called once the head of a request that announces a body (a Content-Length
 * above 0, or chunked) is complete and within the limits, before any byte of
 * the body is kept: the place to check credentials, so a client that has
 * none cannot make the server hold its body. 'head' is valid during the call
 * (its body is not there yet); *max_body holds the parser's limit and may be
 * lowered for this request. Returns 0 to go on, or nonzero to refuse the
 * request: http_req_parser_feed then returns HTTP_PARSE_REFUSED. */
typedef int (*http_head_cb)(void *data, const http_request_t *head, size_t *max_body);

/* Per-header offsets into _head, kept until the pointers can be built. */
typedef struct http__hdr_span {
    size_t name_off, name_len, value_off, value_len;
} http__hdr_span_t;

/* The parser state. Transparent so it can be embedded in a connection;
 * every member is private. */
typedef struct http_req_parser {
    http_parser _hp;     /* the library's state machine */
    http_request_t _req; /* filled at headers-complete and message-complete */
    buf_t _url;          /* request target bytes */
    buf_t _head;         /* header names and values, each followed by a NUL */
    buf_t _body;         /* de-chunked body bytes, followed by a NUL once complete */
    http__hdr_span_t _spans[HTTP_MAX_HEADERS];
    size_t _num_spans;
    size_t _max_head;   /* bytes allowed for request line + headers */
    size_t _max_body;   /* bytes allowed for the (de-chunked) body */
    size_t _body_limit; /* this request's: _max_body, or lower as the head callback said */
    http_head_cb _on_head;
    void *_on_head_data;
    size_t _head_bytes; /* bytes fed while the head was incomplete */
    int _last_cb;       /* which header callback ran last: none, field, value */
    int _err;           /* sticky HTTP_PARSE_* error, 0 while fine */
    int _head_done;     /* on_headers_complete has run */
    int _done;          /* on_message_complete has run; reset before the next feed */
} http_req_parser_t;

/* Prepare 'p' for the first request on a connection. 'max_head' bounds the
 * request line plus headers, 'max_body' the de-chunked body, in bytes.
 * Allocates nothing until bytes arrive; storage is then reused across resets.
 * The parser refers to itself, so it must not move while in use. */
void http_req_parser_init(http_req_parser_t *p, size_t max_head, size_t max_body);
/* Free the storage. Any request returned earlier becomes invalid. */
void http_req_parser_deinit(http_req_parser_t *p);
/* Call 'cb' with 'data' (borrowed) for every request head that announces a
 * body, from now on; NULL stops it. */
void http_req_parser_on_head(http_req_parser_t *p, http_head_cb cb, void *data);

/* Feed bytes; 'data' is borrowed (everything kept is copied). Returns the
 * number of bytes consumed (>= 0) when one whole request is complete: *req
 * then points at the parsed request, valid until the next feed or reset, and
 * the unconsumed rest belongs to the next request (pipelining) or, after an
 * upgrade request, to the new protocol (e.g. WebSocket frames that arrived
 * in the same packet as the handshake). Otherwise returns HTTP_PARSE_PARTIAL
 * (all bytes consumed, more are needed) or one of the errors above; *req is
 * left untouched then. After an error the parser stays failed, returning the
 * same error, until reset. After a complete request, reset before feeding
 * again. */
ssize_t http_req_parser_feed(http_req_parser_t *p, const char *data, size_t len,
                             const http_request_t **req);

/* The request line and headers of the request being received, once they
 * are complete (the body may still be arriving), else NULL. Valid until
 * the next feed or reset. Used to answer "Expect: 100-continue". */
const http_request_t *http_req_parser_head(const http_req_parser_t *p);
/* Bytes of the request being received that the parser holds (target,
 * headers, body so far), and of those the body's; both 0 between requests. */
size_t http_req_parser_pending(const http_req_parser_t *p);
size_t http_req_parser_body_len(const http_req_parser_t *p);
/* Prepare for the next request on the same connection (keep-alive), or
 * clear an error. Keeps up to 16 KiB of storage per buffer for reuse. */
void http_req_parser_reset(http_req_parser_t *p);

/* Case-insensitive header lookup. Returns the first match, or NULL. */
const http_header_t *http_request_header(const http_request_t *req, const char *name);
/* How many header lines are named 'name' (case-insensitive). */
size_t http_request_header_count(const http_request_t *req, const char *name);

/* Returns 1 when the comma-separated list 'value' contains 'token' as one
 * whole element, compared case-insensitively with blanks trimmed (e.g.
 * Connection: keep-alive, Upgrade), otherwise 0. */
int http_header_has_token(const char *value, size_t len, const char *token);

/* Find parameter 'name' in a query string (the part after '?', pairs joined
 * by '&') and append its percent-decoded value ('+' is a space) to 'out'; a
 * NUL is written after the appended bytes without being counted. Keys are
 * decoded before comparison; the first match wins and a key without '='
 * has an empty value. The value may contain any byte, NUL included.
 * Returns 1 found, 0 absent, -1 when the matching value has a malformed
 * escape ('out' is then left as it was). */
int http_query_get(const char *query, size_t len, const char *name, buf_t *out);

#endif
