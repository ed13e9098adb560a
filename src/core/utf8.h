/* core/utf8: UTF-8 validation, whole-buffer and incremental.
 *
 * A text WebSocket message must be valid UTF-8 (RFC 6455 section 8.1), and
 * the server has to fail a fragmented message as soon as the bytes prove it
 * invalid, not only at the end. Both entry points run the same small DFA over
 * byte classes (RFC 3629 section 4 table): it rejects overlong forms,
 * surrogates (U+D800..U+DFFF) and code points above U+10FFFF, and skips ASCII
 * runs eight bytes at a time. A utf8_state_t remembers where a multi-byte
 * sequence was cut, so feeding a message in any number of pieces gives the
 * same verdict as validating it whole. Nothing allocates. */
#ifndef CORE_UTF8_H
#define CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Incremental validation state; plain data, copy it freely. */
typedef struct utf8_state {
    uint32_t state; /* DFA state: 0 between code points, 1 rejected, else mid-sequence */
} utf8_state_t;

/* Return 1 when the 'len' bytes at 'p' (borrowed) are complete, valid UTF-8,
 * else 0. An empty buffer is valid; 'p' may be NULL when 'len' is 0. */
int utf8_valid(const void *p, size_t len);

/* Start a new validation: the state is between code points. */
void utf8_state_init(utf8_state_t *s);

/* Feed the next 'len' bytes (borrowed) of a stream. Returns 0 while the
 * stream seen so far is a valid prefix of some UTF-8 text (possibly ending in
 * the middle of a sequence), or -1 as soon as it cannot be. The rejection is
 * sticky: every later call returns -1 too. */
int utf8_feed(utf8_state_t *s, const void *p, size_t len);

/* Return 1 when the stream fed so far is valid and ends between code points
 * (the check to make at the end of a message), else 0. */
int utf8_complete(const utf8_state_t *s);

#endif
