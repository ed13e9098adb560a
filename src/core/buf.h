/* core/buf: a growable byte buffer with reserve / commit / consume.
 *
 * Bytes live in data[off .. off+len); consuming from the front advances
 * 'off' and the space is reclaimed lazily by the next reserve, so a reader
 * that eats a few bytes at a time never memmoves per call. */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stddef.h>

typedef struct buf {
    char *data;   /* owned storage, NULL until the first reserve */
    size_t off;   /* start of unconsumed bytes */
    size_t len;   /* number of unconsumed bytes */
    size_t cap;   /* size of 'data' */
} buf_t;

#define BUF_INIT {NULL, 0, 0, 0}

void buf_init(buf_t *b);
/* Free the storage; the buffer is empty and reusable afterwards. */
void buf_deinit(buf_t *b);
/* Return a pointer to at least 'n' writable bytes after the content.
 * Aborts on allocation failure (sizes are bounded by the caller). */
char *buf_reserve(buf_t *b, size_t n);
/* Mark 'n' bytes written after buf_reserve as content. */
void buf_commit(buf_t *b, size_t n);
/* Append bytes / a NUL-terminated string / a formatted string. */
void buf_append(buf_t *b, const void *p, size_t n);
void buf_puts(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop 'n' bytes from the front. */
void buf_consume(buf_t *b, size_t n);
/* Drop everything. Keeps the storage. */
void buf_reset(buf_t *b);
/* The first unconsumed byte. */
static inline char *buf_head(const buf_t *b) { return b->data + b->off; }

#endif
