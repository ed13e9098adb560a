/* http/response: serialise HTTP/1.1 responses into a byte buffer.
 *
 * Every response carries an explicit Content-Length and an explicit
 * Connection header, so the peer never has to guess where a response ends
 * or whether the connection stays open. Error responses use the JSON shape
 * of Circle's API: {"success":false,"message":"...","error_details":{}}.
 * Nothing here does I/O or logs; the caller writes 'out' to the socket. */
#ifndef HTTP_RESPONSE_H
#define HTTP_RESPONSE_H

#include "core/buf.h"

#include <stddef.h>

#define HTTP_CONTENT_TYPE_JSON "application/json; charset=utf-8"

/* Return the static reason phrase for 'status' ("OK" for 200, "Payload Too
 * Large" for 413, ...), or "Unknown" for a status we never send. */
const char *http_status_text(int status);

/* Append a complete response to 'out': status line, Content-Type (when
 * 'content_type' is non-NULL), Content-Length, "Connection: keep-alive" or
 * "close", the lines of 'extra_headers' (each "Name: value\r\n"; may be
 * NULL), a blank line and 'body_len' bytes of 'body'. All arguments are
 * borrowed. Two statuses differ, as RFC 7230 section 3.3.2 and RFC 6455
 * section 4.2.2 require: 204 sends no Content-Length (and must have no
 * body), and 101 sends neither Content-Length nor Connection, because the
 * caller's extra headers carry "Connection: Upgrade". */
void http_response_append(buf_t *out, int status, const char *content_type,
                          const char *extra_headers, const void *body, size_t body_len,
                          int keep_alive);

/* Append an error response with the body
 * {"success":false,"message":"<message>","error_details":{}} as
 * application/json; charset=utf-8. 'message' is our own NUL-terminated text,
 * borrowed; it is JSON-escaped here. */
void http_response_append_error(buf_t *out, int status, const char *message, int keep_alive);

/* Append an application/json response whose body is 'len' bytes of
 * already-encoded JSON text, borrowed. */
void http_response_append_json(buf_t *out, int status, const char *json, size_t len,
                               int keep_alive);

#endif
