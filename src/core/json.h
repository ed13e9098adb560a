/* core/json: JSON text the way Action Cable writes it.
 *
 * Action Cable echoes a client's identifier as a JSON string and re-encodes
 * every broadcast payload with ActiveSupport::JSON (escape_html_entities_in_json
 * on). Clients and tests compare those frames byte for byte, so we produce the
 * same bytes:
 *
 *   - compact: no whitespace anywhere; object keys keep their order;
 *   - strings: '"' -> \"  '\' -> \\  '<' '>' '&' -> \u003c \u003e \u0026,
 *     U+2028 U+2029 -> \u2028 \u2029, control characters as \b \f \n \r \t or
 *     \u00XX with lowercase hex (\u001f, as Ruby's JSON generator writes);
 *     every other character, '/' and DEL included, stays raw UTF-8;
 *   - numbers: exactly the characters the publisher sent.
 *
 * We write this by hand instead of calling json_dumps() because jansson
 * cannot escape the HTML characters this way, and because decoding a payload
 * into jansson values loses what the publisher sent: integers beyond int64
 * (12345678901234567000, which node's JSON produces) are rejected, and number
 * spellings (1.50, 1e2) are normalised. Broadcasting must pass the
 * publisher's data through unchanged, so payloads are re-encoded from their
 * text by a small recursive-descent scanner that validates, decodes strings
 * and copies numbers verbatim. The same scanner answers span queries (pick
 * one member or element out of a body as raw text) without re-encoding.
 *
 * Nothing here allocates except by growing the caller's output buffer, and
 * nothing logs. */
#ifndef CORE_JSON_H
#define CORE_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"

/* Deepest nesting of arrays and objects json_append_compact and the span
 * functions accept; deeper input is ERR_JSON (the C stack stays bounded). */
#define JSON_MAX_DEPTH 64

/* Append 's' (borrowed, 'len' bytes, may contain NUL) as a JSON string
 * literal, quotes included, escaped as described above. 's' must be valid
 * UTF-8; the caller checks (bytes are copied as they are otherwise). */
void json_append_string(buf_t *out, const char *s, size_t len);

/* Validate one JSON value (RFC 8259) in 'in' (borrowed), with optional
 * whitespace around it, and append its compact re-encoding to 'out':
 * whitespace dropped, strings decoded (every escape, surrogate pairs
 * included) and re-escaped as json_append_string does, numbers copied
 * verbatim, literals as they are. Returns 0, or ERR_JSON for invalid JSON,
 * invalid UTF-8 inside a string, a lone surrogate escape, or nesting deeper
 * than JSON_MAX_DEPTH; on error 'out' holds what it held before the call. */
int json_append_compact(buf_t *out, const char *in, size_t len);

/* Append a jansson value (borrowed) with the same rules: objects in
 * insertion order, integers in decimal, reals in the shortest of %.15g,
 * %.16g and %.17g that reads back as the same double, with ".0" added when
 * that form has neither '.' nor an exponent (100.0 stays "100.0", as Ruby
 * prints it). jansson never holds inf or NaN; were one to appear it would be
 * written as null, since neither is JSON. */
void json_append_value(buf_t *out, const json_t *v);

/* Decode 'in' (borrowed, 'len' bytes) into jansson values as
 * json_loadb(in, len, flags) does, except that no valid number fails the
 * decoding. jansson holds integers in int64 and reals in double and refuses
 * anything beyond, where Ruby's JSON (and so Action Cable) reads
 * 12345678901234567890 as a Bignum and 1e400 as Infinity. Here an integer
 * beyond int64 becomes the nearest double (a real, so it never passes for an
 * id), and a real beyond the double range becomes the largest finite double
 * of its sign. Whoever must keep such a number exactly keeps the input text
 * (identifiers are echoed from the client's string, never re-encoded).
 * Returns a new reference, or NULL for invalid JSON (nesting deeper than
 * JSON_MAX_DEPTH included, when a number had to be rewritten). */
json_t *json_decode(const char *in, size_t len, size_t flags);

/* A span of raw JSON text inside a larger buffer (borrowed from it). */
typedef struct json_span {
    const char *p; /* first byte of the value, NULL when empty */
    size_t len;    /* length in bytes, no surrounding whitespace */
} json_span_t;

/* If 'in' (borrowed; one valid JSON value, whitespace allowed around it) is
 * an object, find member 'key' (NUL-terminated; compared with the decoded
 * member name) and point *out at its raw value text inside 'in'. With
 * duplicate names the last one wins, as in Ruby and jansson. Returns 1 when
 * found, 0 when not found or 'in' is not an object (*out untouched), or
 * ERR_JSON when 'in' is not valid JSON. */
int json_span_member(const char *in, size_t len, const char *key, json_span_t *out);

/* Iterate the elements of the JSON array in 'in' (borrowed). *pos must be 0
 * on the first call (the whole array is validated then) and is advanced by
 * each call; do not change it between calls. Returns 1 and points *out at
 * the next element's raw text, 0 after the last element, or ERR_JSON when
 * 'in' is not a valid JSON array. */
int json_span_next(const char *in, size_t len, size_t *pos, json_span_t *out);

/* Append the decoded text of the JSON string in 'span' (escapes undone;
 * it may contain NUL bytes) to 'out'. Returns 0, or ERR_JSON when the span
 * is not exactly one valid JSON string (nothing appended then). */
int json_span_string(json_span_t span, buf_t *out);
/* The kind of the value in 's', judged by its first byte (the span is
 * expected to come from the functions above): 'o' object, 'a' array,
 * 's' string, 'n' number, 't' true, 'f' false, 'z' null, or 0 when the span
 * is empty or starts with anything else. */
int json_span_kind(json_span_t s);

#endif
